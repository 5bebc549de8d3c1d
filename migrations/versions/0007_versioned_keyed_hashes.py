"""keyed hashes name the hash key that made them

Revision ID: 0007
Revises: 0006

Keyed hashes become "<key id>$<hex>" (8 + 1 + 64 characters), so HASH_KEY can be rotated:
the columns that hold them grow to 80 characters, and the hashes already stored are labelled
with the id of the hash key they were made under — the one configured now. With several hash
keys configured it cannot be told which one that was, so the upgrade then refuses and asks
to run it with the old key alone.

Audit body digests (case_event.body_digest) only grow: the audit chain covers their text, so
relabelling them would break it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (table, column, nullable)
RELABELLED = [
    ("complaint", "tracking_hash", False),
    ("complaint", "submission_hash", True),
    ("complaint", "contact_email_hash", True),
    ("complaint", "contact_phone_hash", True),
    ("recovery_code", "code_hash", False),
]
WIDENED = [*RELABELLED, ("case_event", "body_digest", True)]


def _resize(length_from: int, length_to: int, columns=WIDENED) -> None:
    for table, column, nullable in columns:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=length_from),
                type_=sa.String(length=length_to),
                existing_nullable=nullable,
            )


def _unlabelled_rows(conn) -> int:
    total = 0
    for table, column, _nullable in RELABELLED:
        total += conn.execute(
            sa.text(
                f"SELECT COUNT(*) FROM {table} "  # noqa: S608 — names from the list above
                f"WHERE {column} IS NOT NULL AND {column} NOT LIKE '%$%'"
            )
        ).scalar_one()
    return total


def _current_hash_key_id() -> str:
    from flask import current_app

    from complaints_app.crypto import configured_hash_keys, hash_key_id

    keys = configured_hash_keys(current_app.config)
    if len(keys) != 1:
        raise RuntimeError(
            "Revision 0007 labels the keyed hashes already stored with the id of the hash key "
            "that made them, so it must run with exactly that one key configured "
            f"({len(keys)} configured): run 'flask db upgrade' with HASH_KEY set to the key "
            "in use so far and HASH_KEYS unset, then add the new key."
        )
    return hash_key_id(keys[0])


def upgrade():
    conn = op.get_bind()
    # Refuse before changing anything, so a refused upgrade leaves the schema as it was.
    prefix = _current_hash_key_id() + "$" if _unlabelled_rows(conn) else None
    _resize(64, 80)
    if prefix is None:
        return
    for table, column, _nullable in RELABELLED:
        conn.execute(
            sa.text(
                f"UPDATE {table} SET {column} = :prefix || {column} "  # noqa: S608
                f"WHERE {column} IS NOT NULL AND {column} NOT LIKE '%$%'"
            ),
            {"prefix": prefix},
        )


def downgrade():
    conn = op.get_bind()
    for table, column, _nullable in RELABELLED:
        # Back to bare hex: the key id goes, the hash stays.
        conn.execute(
            sa.text(
                f"UPDATE {table} SET {column} = substr({column}, 10) "  # noqa: S608
                f"WHERE {column} LIKE '%$%'"
            )
        )
    # Audit body digests stay as written: the audit chain covers them, and only rebuilding
    # the chain may change them (revision 0003's downgrade does, back to 0002's form).
    _resize(80, 64, RELABELLED)
