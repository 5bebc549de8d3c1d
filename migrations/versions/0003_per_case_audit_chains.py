"""per-case audit chains with keyed heads; account events chained

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000

The one global chain of case events (head: the single ``audit_head`` row) becomes one chain per
case plus an ``accounts`` chain for account events, each with a head row in
``audit_chain_head`` that carries a keyed MAC. Existing rows are renumbered and re-hashed; a
message's sealed text is bound to its event's place in the chain, so it is re-sealed too
(under the key that sealed it). The old chain is checked first: a chain that is already broken
is not re-hashed, which would hide the damage, and the upgrade stops with a message instead.

The hashing and sealing code is copied here on purpose: this revision must keep producing the
same bytes however the app's own code changes later.
"""

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from itertools import groupby
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENESIS = "0" * 64

case_event = sa.table(
    "case_event",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("complaint_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("visibility", sa.String),
    sa.column("actor_kind", sa.String),
    sa.column("actor_id", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("data", sa.JSON),
    sa.column("body_ct", sa.Text),
    sa.column("body_digest", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
account_event = sa.table(
    "account_event",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("actor_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("data", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
audit_head = sa.table(
    "audit_head",
    sa.column("id", sa.Integer),
    sa.column("last_seq", sa.Integer),
    sa.column("last_hash", sa.String),
)
audit_chain_head = sa.table(
    "audit_chain_head",
    sa.column("name", sa.String),
    sa.column("last_seq", sa.Integer),
    sa.column("last_hash", sa.String),
    sa.column("mac", sa.String),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


class ChainBroken(RuntimeError):
    """The chain being converted does not verify; converting it would hide that."""


# --- hashing, as of this revision ---------------------------------------------------------


def _key(purpose: str) -> bytes:
    return hashlib.sha256(
        purpose.encode() + b":" + current_app.config["HASH_KEY"].encode()
    ).digest()


def _hmac(purpose: str, payload: bytes) -> str:
    return hmac.new(_key(purpose), payload, hashlib.sha256).hexdigest()


def _json(values: list) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str).encode()


def _utc(value):
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _case_fields(row, seq: int) -> list:
    return [
        seq,
        row.complaint_id,
        row.kind,
        row.visibility,
        row.actor_kind,
        row.actor_id,
        _utc(row.created_at).isoformat(),
        row.data,
        row.body_digest,
    ]


def _global_hash(row, seq: int, prev_hash: str) -> str:
    """Revision 0002's hash: one chain over every case."""
    return _hmac("audit-chain", _json([*_case_fields(row, seq), prev_hash]))


def _link_hash(chain: str, fields: list, prev_hash: str) -> str:
    """This revision's hash: the chain's name, the link's fields, the previous hash."""
    return _hmac("audit-chain", _json([chain, *fields, prev_hash]))


def _head_mac(chain: str, last_seq: int, last_hash: str) -> str:
    return _hmac("audit-head", f"{chain}\x1f{last_seq}\x1f{last_hash}".encode())


def _account_fields(row, seq: int) -> list:
    return [
        seq,
        row.user_id,
        row.actor_id,
        row.kind,
        _utc(row.created_at).isoformat(),
        row.data,
    ]


# --- sealed event text, as of this revision -------------------------------------------------


def _keys_by_id() -> dict[bytes, bytes]:
    keys = {}
    for text in current_app.config.get("ENCRYPTION_KEYS") or []:
        text = text.strip()
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        keys[hashlib.sha256(b"key-id:" + key).hexdigest()[:8].encode()] = key
    return keys


def _reseal(value: str, old_row: str, new_row: str, keys: dict[bytes, bytes]) -> str:
    """Open a sealed event text bound to ``old_row`` and seal it, under the same key, to
    ``new_row``."""
    blob = value[:12].encode() + base64.b64decode(value[12:], validate=True)
    prefix, kid, rest = blob[:12], blob[3:11], blob[12:]
    key = keys.get(kid)
    if key is None:
        raise ChainBroken(
            f"a case event's text is sealed with key {kid.decode(errors='replace')}, "
            "which is not in ENCRYPTION_KEYS; add it and run the upgrade again"
        )
    try:
        plain = AESGCM(key).decrypt(rest[:12], rest[12:], _aad(old_row))
    except InvalidTag as exc:
        raise ChainBroken(f"the text of case event {old_row} does not open") from exc
    nonce = os.urandom(12)
    sealed = prefix + nonce + AESGCM(key).encrypt(nonce, plain, _aad(new_row))
    return sealed[:12].decode() + base64.b64encode(sealed[12:]).decode()


def _aad(row: str) -> bytes:
    return f"case_event\x1fbody\x1f{row}".encode()


# --- conversion -----------------------------------------------------------------------------


def _case_rows(bind, order):
    return bind.execute(sa.select(case_event).order_by(*order)).all()


def _check_global_chain(bind, rows) -> None:
    prev, expected = GENESIS, 1
    for row in rows:
        if (
            row.seq != expected
            or row.prev_hash != prev
            or not hmac.compare_digest(_global_hash(row, row.seq, row.prev_hash), row.hash)
        ):
            raise ChainBroken(
                f"the audit chain is broken at event seq {expected}; "
                "run 'flask --app wsgi audit verify' on the previous release and investigate "
                "before upgrading"
            )
        prev, expected = row.hash, expected + 1
    head = bind.execute(sa.select(audit_head).where(audit_head.c.id == 1)).first()
    if head is not None and (head.last_seq, head.last_hash) != (expected - 1, prev):
        raise ChainBroken("events are missing from the end of the audit chain")


def _check_chain(name: str, rows, fields, head) -> None:
    prev, expected = GENESIS, 1
    for row in rows:
        if (
            row.seq != expected
            or row.prev_hash != prev
            or not hmac.compare_digest(_link_hash(name, fields(row, row.seq), prev), row.hash)
        ):
            raise ChainBroken(f"audit chain {name} is broken at event seq {expected}")
        prev, expected = row.hash, expected + 1
    if head is None or (head.last_seq, head.last_hash) != (expected - 1, prev):
        raise ChainBroken(f"audit chain {name} does not end where its head says")
    if not hmac.compare_digest(_head_mac(name, head.last_seq, head.last_hash), head.mac):
        raise ChainBroken(f"the head of audit chain {name} was changed outside the app")


def _update_case_events(bind, changes: list[dict]) -> None:
    if changes:
        bind.execute(
            case_event.update()
            .where(case_event.c.id == sa.bindparam("_id"))
            .values(
                seq=sa.bindparam("_seq"),
                prev_hash=sa.bindparam("_prev"),
                hash=sa.bindparam("_hash"),
                body_ct=sa.bindparam("_body"),
                **({"body_digest": sa.bindparam("_digest")} if "_digest" in changes[0] else {}),
            ),
            changes,
        )


def _per_case_chains(bind) -> None:
    rows = _case_rows(bind, [case_event.c.seq])
    _check_global_chain(bind, rows)
    keys = _keys_by_id()
    changes, heads = [], []
    now = datetime.now(UTC)
    for complaint_id, links in groupby(
        sorted(rows, key=lambda r: (r.complaint_id, r.seq)), key=lambda r: r.complaint_id
    ):
        name = f"case:{complaint_id}"
        prev = GENESIS
        for seq, row in enumerate(links, start=1):
            link = _link_hash(name, _case_fields(row, seq), prev)
            body = row.body_ct
            if body is not None:
                body = _reseal(body, str(row.seq), f"{complaint_id}.{seq}", keys)
            changes.append(
                {"_id": row.id, "_seq": seq, "_prev": prev, "_hash": link, "_body": body}
            )
            prev = link
        heads.append({"name": name, "last_seq": seq, "last_hash": prev})
    _update_case_events(bind, changes)

    accounts = bind.execute(sa.select(account_event).order_by(account_event.c.id)).all()
    prev = GENESIS
    account_changes = []
    for seq, row in enumerate(accounts, start=1):
        link = _link_hash("accounts", _account_fields(row, seq), prev)
        account_changes.append({"_id": row.id, "_seq": seq, "_prev": prev, "_hash": link})
        prev = link
    if account_changes:
        bind.execute(
            account_event.update()
            .where(account_event.c.id == sa.bindparam("_id"))
            .values(
                seq=sa.bindparam("_seq"),
                prev_hash=sa.bindparam("_prev"),
                hash=sa.bindparam("_hash"),
            ),
            account_changes,
        )
        heads.append({"name": "accounts", "last_seq": len(accounts), "last_hash": prev})
    if heads:
        bind.execute(
            audit_chain_head.insert().values(updated_at=now),
            [{**h, "mac": _head_mac(h["name"], h["last_seq"], h["last_hash"])} for h in heads],
        )


def _global_chain(bind) -> None:
    heads = {row.name: row for row in bind.execute(sa.select(audit_chain_head)).all()}
    rows = _case_rows(bind, [case_event.c.complaint_id, case_event.c.seq])
    for complaint_id, links in groupby(rows, key=lambda r: r.complaint_id):
        name = f"case:{complaint_id}"
        _check_chain(name, list(links), _case_fields, heads.get(name))
    keys = _keys_by_id()
    changes = []
    prev = GENESIS
    for seq, row in enumerate(sorted(rows, key=lambda r: r.id), start=1):
        # 0002 knew body digests as bare hex; later ones name their hash key ("id$hex").
        digest = row.body_digest.rsplit("$", 1)[-1] if row.body_digest else row.body_digest
        link = _global_hash(SimpleNamespace(**{**row._mapping, "body_digest": digest}), seq, prev)
        body = row.body_ct
        if body is not None:
            body = _reseal(body, f"{row.complaint_id}.{row.seq}", str(seq), keys)
        changes.append(
            {
                "_id": row.id,
                "_seq": seq,
                "_prev": prev,
                "_hash": link,
                "_body": body,
                "_digest": digest,
            }
        )
        prev = link
    _update_case_events(bind, changes)
    bind.execute(audit_head.insert().values(id=1, last_seq=len(rows), last_hash=prev))


def upgrade():
    op.create_table(
        "audit_chain_head",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_audit_chain_head")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_case_event_seq"), type_="unique")
    with op.batch_alter_table("account_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    _per_case_chains(op.get_bind())

    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_case_event_complaint_id_seq"), ["complaint_id", "seq"]
        )
    with op.batch_alter_table("account_event", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_account_event_seq"), ["seq"])
    op.drop_table("audit_head")


def downgrade():
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_case_event_complaint_id_seq"), type_="unique")

    _global_chain(op.get_bind())

    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_case_event_seq"), ["seq"])
        batch_op.alter_column(
            "body_digest",
            existing_type=sa.String(length=80),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
    with op.batch_alter_table("account_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_account_event_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_chain_head")
