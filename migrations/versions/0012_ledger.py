"""section 4 ledger: audit chain, finalised reports, amendments, sealed notes

Revision ID: 0012
Revises: 0011

The ledger's changes form the ``ledger`` audit chain (``ledger_event``). A finalised period
keeps the report as it stood (``report_period``); a later change to one of its entries is a
``ledger_amendment`` with a sealed reason. The person key widens to hold "<key id>$<hex>".
Notes on a request may name people, so they are sealed like a complaint's free text, bound
to a new random ``seal_key``; notes already stored are sealed under the newest key.

The sealing code is copied here on purpose: this revision must keep producing the same bytes
however the app's own code changes later.
"""

import base64
import hashlib
import os
import secrets

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


# --- sealing, as of this revision ---------------------------------------------------------


def _keys() -> list[bytes]:
    keys = []
    for text in current_app.config["ENCRYPTION_KEYS"]:
        text = text.strip()
        keys.append(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    if not keys:
        raise RuntimeError("ENCRYPTION_KEYS is empty")
    return keys


def _key_id(key: bytes) -> str:
    return hashlib.sha256(b"key-id:" + key).hexdigest()[:8]


def _aad(row_id: str) -> bytes:
    return f"federal_request\x1fnotes\x1f{row_id}".encode()


def _seal(text: str, row_id: str) -> str:
    key = _keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, text.encode(), _aad(row_id))
    return f"v1:{_key_id(key)}:" + base64.b64encode(nonce + sealed).decode()


def _open(value: str, row_id: str) -> str:
    kid, rest = value[3:11], base64.b64decode(value[12:])
    for key in _keys():
        if _key_id(key) == kid:
            return AESGCM(key).decrypt(rest[:12], rest[12:], _aad(row_id)).decode()
    raise RuntimeError(f"federal_request.notes was sealed with key {kid}, which is not configured")


def upgrade():
    op.create_table(
        "report_period",
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finalised_by_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finalised_by_id"], ["user.id"], name=op.f("fk_report_period_finalised_by_id_user")
        ),
        sa.PrimaryKeyConstraint("start", name=op.f("pk_report_period")),
    )
    op.create_table(
        "ledger_amendment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("federal_request_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("seal_key", sa.String(length=32), nullable=False),
        sa.Column("reason_ct", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_ledger_amendment_actor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["federal_request_id"],
            ["federal_request.id"],
            name=op.f("fk_ledger_amendment_federal_request_id_federal_request"),
        ),
        sa.ForeignKeyConstraint(
            ["period_start"],
            ["report_period.start"],
            name=op.f("fk_ledger_amendment_period_start_report_period"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_amendment")),
        sa.UniqueConstraint("seal_key", name=op.f("uq_ledger_amendment_seal_key")),
    )
    with op.batch_alter_table("ledger_amendment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_amendment_federal_request_id"),
            ["federal_request_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_amendment_period_start"), ["period_start"], unique=False
        )

    op.create_table(
        "ledger_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("federal_request_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "edited",
                "amended",
                "finalised",
                name="ledger_event_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_ledger_event_actor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["federal_request_id"],
            ["federal_request.id"],
            name=op.f("fk_ledger_event_federal_request_id_federal_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_event")),
        sa.UniqueConstraint("seq", name=op.f("uq_ledger_event_seq")),
    )
    with op.batch_alter_table("ledger_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_event_federal_request_id"), ["federal_request_id"], unique=False
        )

    with op.batch_alter_table("federal_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seal_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("notes_ct", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column(
            "person_key",
            existing_type=sa.VARCHAR(length=64),
            type_=sa.String(length=80),
            existing_nullable=False,
        )

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, notes FROM federal_request")).all()
    for row_id, notes in rows:
        key = secrets.token_hex(16)
        conn.execute(
            sa.text("UPDATE federal_request SET seal_key = :k, notes_ct = :n WHERE id = :id"),
            {"k": key, "n": _seal(notes, key) if notes is not None else None, "id": row_id},
        )

    with op.batch_alter_table("federal_request", schema=None) as batch_op:
        batch_op.alter_column("seal_key", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_federal_request_seal_key"), ["seal_key"])
        batch_op.drop_column("notes")


def downgrade():
    with op.batch_alter_table("federal_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notes", sa.TEXT(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, seal_key, notes_ct FROM federal_request WHERE notes_ct IS NOT NULL")
    ).all()
    for row_id, key, sealed in rows:
        conn.execute(
            sa.text("UPDATE federal_request SET notes = :n WHERE id = :id"),
            {"n": _open(sealed, key), "id": row_id},
        )
    with op.batch_alter_table("federal_request", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_federal_request_seal_key"), type_="unique")
        batch_op.alter_column(
            "person_key",
            existing_type=sa.String(length=80),
            type_=sa.VARCHAR(length=64),
            existing_nullable=False,
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("notes_ct")
        batch_op.drop_column("seal_key")

    with op.batch_alter_table("ledger_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_event_federal_request_id"))
    op.drop_table("ledger_event")
    with op.batch_alter_table("ledger_amendment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_amendment_period_start"))
        batch_op.drop_index(batch_op.f("ix_ledger_amendment_federal_request_id"))
    op.drop_table("ledger_amendment")
    op.drop_table("report_period")
