"""free text on complaints and allegations sealed like the narrative

Revision ID: 0010
Revises: 0007

What a person types that can identify someone is sealed: the incident place (it can be a home
address), the incident time as typed, the department detail and the legal-hold reason on a
complaint; the subject (officer names or badge numbers), the summary and the free-text clause
facts on an allegation. Each becomes a ``*_ct`` column; the values already stored are sealed
under the newest configured key and the plain columns are dropped. Yes/no and hours facts
stay plain in ``allegation.facts`` for statistics.

On SQLite the app's ``secure_delete`` overwrites the pages the plain columns lived in. On
PostgreSQL the old row versions stay in the table files until vacuumed: run
``VACUUM FULL complaint, allegation`` after upgrading.

An allegation's id exists only after its INSERT, so its values are bound to a new random
``seal_key`` instead.

The sealing code is copied here on purpose: this revision must keep producing the same bytes
however the app's own code changes later.
"""

import base64
import hashlib
import json
import os
import secrets

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

# (attribute, plain column type, plain column nullable)
COMPLAINT_FIELDS = [
    ("incident_place", sa.String(length=300), False),
    ("incident_time", sa.String(length=40), True),
    ("agency_detail", sa.String(length=200), True),
    ("legal_hold_reason", sa.Text(), True),
]
ALLEGATION_FIELDS = [
    ("subject", sa.String(length=300), True),
    ("summary", sa.Text(), True),
]
PLAIN_FACTS = frozenset({"warrant_presented", "custody_extended_hours", "copy_given"})


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


def _aad(table: str, column: str, row_id) -> bytes:
    return f"{table}\x1f{column}\x1f{row_id}".encode()


def _seal(text: str, table: str, column: str, row_id) -> str:
    key = _keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, text.encode(), _aad(table, column, row_id))
    return f"v1:{_key_id(key)}:" + base64.b64encode(nonce + sealed).decode()


def _open(value: str, table: str, column: str, row_id) -> str:
    kid, rest = value[3:11], base64.b64decode(value[12:])
    for key in _keys():
        if _key_id(key) == kid:
            return AESGCM(key).decrypt(rest[:12], rest[12:], _aad(table, column, row_id)).decode()
    raise RuntimeError(
        f"{table}.{column} of row {row_id} was sealed with key {kid}, which is not configured"
    )


# --- upgrade ------------------------------------------------------------------------------


def upgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        for name, _type, _nullable in COMPLAINT_FIELDS:
            batch_op.add_column(sa.Column(f"{name}_ct", sa.Text(), nullable=True))
    with op.batch_alter_table("allegation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seal_key", sa.String(length=32), nullable=True))
        for name, _type, _nullable in ALLEGATION_FIELDS:
            batch_op.add_column(sa.Column(f"{name}_ct", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("facts_text_ct", sa.Text(), nullable=True))

    conn = op.get_bind()
    complaint = _complaint_table()
    for row in conn.execute(sa.select(complaint)).mappings().all():
        values = {
            f"{name}_ct": _seal(row[name], "complaint", name, row["reference"])
            for name, _type, _nullable in COMPLAINT_FIELDS
            if row[name] is not None
        }
        if values:
            conn.execute(complaint.update().where(complaint.c.id == row["id"]).values(**values))

    allegation = _allegation_table()
    for row in conn.execute(sa.select(allegation)).mappings().all():
        key = secrets.token_hex(16)
        values = {"seal_key": key}
        for name, _type, _nullable in ALLEGATION_FIELDS:
            if row[name] is not None:
                values[f"{name}_ct"] = _seal(row[name], "allegation", name, key)
        facts = row["facts"] or {}
        text = {k: v for k, v in facts.items() if k not in PLAIN_FACTS}
        values["facts"] = {k: v for k, v in facts.items() if k in PLAIN_FACTS}
        if text:
            values["facts_text_ct"] = _seal(
                json.dumps(text, sort_keys=True), "allegation", "facts_text", key
            )
        conn.execute(allegation.update().where(allegation.c.id == row["id"]).values(**values))

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        for name, _type, _nullable in COMPLAINT_FIELDS:
            batch_op.drop_column(name)
    with op.batch_alter_table("allegation", schema=None) as batch_op:
        batch_op.alter_column("seal_key", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_allegation_seal_key"), ["seal_key"])
        for name, _type, _nullable in ALLEGATION_FIELDS:
            batch_op.drop_column(name)


# --- downgrade ----------------------------------------------------------------------------


def downgrade():
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        for name, type_, _nullable in COMPLAINT_FIELDS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("allegation", schema=None) as batch_op:
        for name, type_, _nullable in ALLEGATION_FIELDS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))

    conn = op.get_bind()
    complaint = _complaint_table()
    for row in conn.execute(sa.select(complaint)).mappings().all():
        values = {}
        for name, _type, nullable in COMPLAINT_FIELDS:
            sealed = row[f"{name}_ct"]
            if sealed is not None:
                values[name] = _open(sealed, "complaint", name, row["reference"])
            elif not nullable:
                # A purged case: its place was emptied, as the code before this revision did.
                values[name] = ""
        if values:
            conn.execute(complaint.update().where(complaint.c.id == row["id"]).values(**values))

    allegation = _allegation_table()
    for row in conn.execute(sa.select(allegation)).mappings().all():
        key = row["seal_key"]
        values = {}
        for name, _type, _nullable in ALLEGATION_FIELDS:
            if row[f"{name}_ct"] is not None:
                values[name] = _open(row[f"{name}_ct"], "allegation", name, key)
        if row["facts_text_ct"] is not None:
            text = json.loads(_open(row["facts_text_ct"], "allegation", "facts_text", key))
            values["facts"] = {**(row["facts"] or {}), **text}
        if values:
            conn.execute(allegation.update().where(allegation.c.id == row["id"]).values(**values))

    with op.batch_alter_table("complaint", schema=None) as batch_op:
        for name, type_, nullable in COMPLAINT_FIELDS:
            if not nullable:
                batch_op.alter_column(name, existing_type=type_, nullable=False)
            batch_op.drop_column(f"{name}_ct")
    with op.batch_alter_table("allegation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_allegation_seal_key"), type_="unique")
        batch_op.drop_column("facts_text_ct")
        for name, _type, _nullable in ALLEGATION_FIELDS:
            batch_op.drop_column(f"{name}_ct")
        batch_op.drop_column("seal_key")


def _complaint_table() -> sa.Table:
    """The complaint columns this revision moves, plain and sealed (both exist meanwhile)."""
    columns = [sa.column("id", sa.Integer), sa.column("reference", sa.String)]
    for name, type_, _nullable in COMPLAINT_FIELDS:
        columns += [sa.column(name, type_), sa.column(f"{name}_ct", sa.Text)]
    return sa.table("complaint", *columns)


def _allegation_table() -> sa.Table:
    """The allegation columns this revision moves, plain and sealed."""
    columns = [
        sa.column("id", sa.Integer),
        sa.column("seal_key", sa.String),
        sa.column("facts", sa.JSON),
        sa.column("facts_text_ct", sa.Text),
    ]
    for name, type_, _nullable in ALLEGATION_FIELDS:
        columns += [sa.column(name, type_), sa.column(f"{name}_ct", sa.Text)]
    return sa.table("allegation", *columns)
