"""Revision 0003 turns the one global audit chain into a chain per case (and one for account
events), keeping every event, its text and its place in its case's timeline.

The rows are written exactly as revision 0002's code wrote them: one sequence over all cases,
the 0002 hash, and each message sealed to its global sequence number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, current_app
from flask_migrate import downgrade, upgrade

from complaints_app import create_app
from complaints_app.crypto import open_text, seal_text
from complaints_app.extensions import db
from complaints_app.models import AccountEvent, CaseEvent, Complaint, EventKind
from complaints_app.services import audit
from config import TestingConfig
from tests.test_migrations import BACKENDS, _empty_database

GENESIS = "0" * 64
T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def at_0002(request, tmp_path: Path) -> Iterator[Flask]:
    """An app on a new database migrated up to revision 0002 only."""
    with _empty_database(request.param, tmp_path) as url:
        app = create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / "uploads")
        )
        with app.app_context():
            try:
                upgrade(revision="0002")
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


def _digest_0002(seq, complaint_id, kind, visibility, actor_kind, actor_id, at, data, body, prev):
    payload = json.dumps(
        [
            seq,
            complaint_id,
            kind,
            visibility,
            actor_kind,
            actor_id,
            at.isoformat(),
            data,
            body,
            prev,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    key = hashlib.sha256(b"audit-chain:" + current_app.config["HASH_KEY"].encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _body_digest(body: str) -> str:
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, f"event-body\x1f{body}".encode(), hashlib.sha256).hexdigest()


def _complaint(conn, number: int) -> int:
    at = T0 - timedelta(days=number)
    conn.execute(
        sa.text(
            "INSERT INTO complaint (id, reference, reference_year, reference_number, "
            "tracking_hash, channel, status, incident_date, incident_place, agency, "
            "preferred_language, anonymous, urgent, received_at, ack_due_at, updated_at, "
            "legal_hold, version) VALUES (:id, :ref, 2026, :id, :th, 'web', 'submitted', "
            ":day, '', 'police', 'en', :no, :no, :at, :at, :at, :no, 1)"
        ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
        {
            "id": number,
            "ref": f"TA-2026-{number:04d}",
            "th": f"{number:064d}",
            "day": at.date(),
            "no": False,
            "at": at.replace(tzinfo=None) if conn.dialect.name == "sqlite" else at,
        },
    )
    return number


class Writer0002:
    """Appends case events the way revision 0002's ``audit.record`` did."""

    def __init__(self, conn):
        self.conn = conn
        self.seq = 0
        self.prev = GENESIS
        self.bodies: dict[int, str] = {}

    def event(self, complaint_id: int, kind: str, body: str | None = None, data=None) -> None:
        self.seq += 1
        at = T0 + timedelta(minutes=self.seq, microseconds=self.seq)
        data = data if data is not None else {"n": self.seq}
        digest = _body_digest(body) if body is not None else None
        link = _digest_0002(
            self.seq, complaint_id, kind, "internal", "system", None, at, data, digest, self.prev
        )
        self.conn.execute(
            sa.text(
                "INSERT INTO case_event (seq, complaint_id, kind, visibility, actor_kind, "
                "created_at, data, body_ct, body_digest, prev_hash, hash) VALUES (:seq, :c, "
                ":kind, 'internal', 'system', :at, :data, :body_ct, :digest, :prev, :hash)"
            ).bindparams(
                sa.bindparam("data", type_=sa.JSON),
                sa.bindparam("at", type_=sa.DateTime(timezone=True)),
            ),
            {
                "seq": self.seq,
                "c": complaint_id,
                "kind": kind,
                "at": at.replace(tzinfo=None) if self.conn.dialect.name == "sqlite" else at,
                "data": data,
                "body_ct": seal_text(body, "case_event", "body", self.seq) if body else None,
                "digest": digest,
                "prev": self.prev,
                "hash": link,
            },
        )
        if body is not None:
            self.bodies[self.seq] = body
        self.prev = link

    def finish(self) -> None:
        self.conn.execute(
            sa.text("UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE id = 1"),
            {"s": self.seq, "h": self.prev},
        )


def _fill_as_0002() -> dict:
    """Two cases whose events interleave in the global chain, a message on each, and two
    account events. Returns what the cases' timelines must be afterwards."""
    with db.engine.begin() as conn:
        first, second = _complaint(conn, 1), _complaint(conn, 2)
        conn.execute(
            sa.text(
                'INSERT INTO "user" (id, email, display_name, password_hash, role, active, '
                "session_epoch, totp_required, created_at) VALUES (7, 'sam@example.org', '', "
                "'x', 'admin', :yes, 0, :no, :at)"
            ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
            {"yes": True, "no": False, "at": T0},
        )
        for n, kind in enumerate(("two_factor_enrolled", "recovery_code_used"), start=1):
            conn.execute(
                sa.text(
                    "INSERT INTO account_event (user_id, actor_id, kind, data, created_at) "
                    "VALUES (7, 7, :kind, :data, :at)"
                ).bindparams(
                    sa.bindparam("data", type_=sa.JSON),
                    sa.bindparam("at", type_=sa.DateTime(timezone=True)),
                ),
                {"kind": kind, "data": {"n": n}, "at": T0 + timedelta(seconds=n)},
            )
        old = Writer0002(conn)
        old.event(first, "submitted")
        old.event(second, "submitted")
        old.event(first, "message_from_complainant", body="The officer asked for papers.")
        old.event(second, "note", body="Called the jail.")
        old.event(first, "case_viewed")
        old.finish()
    return {
        first: ["submitted", "message_from_complainant", "case_viewed"],
        second: ["submitted", "note"],
    }


def _timeline(complaint_id: int) -> list[CaseEvent]:
    return list(
        db.session.execute(
            sa.select(CaseEvent)
            .where(CaseEvent.complaint_id == complaint_id)
            .order_by(CaseEvent.seq)
        ).scalars()
    )


def test_upgrade_splits_the_global_chain_into_per_case_chains_that_verify(at_0002):
    expected = _fill_as_0002()

    upgrade()

    assert list(audit.verify()) == []
    for complaint_id, kinds in expected.items():
        events = _timeline(complaint_id)
        assert [e.seq for e in events] == list(range(1, len(kinds) + 1))
        assert [e.kind.value for e in events] == kinds
    assert _timeline(1)[1].body == "The officer asked for papers."
    assert _timeline(2)[1].body == "Called the jail."
    accounts = db.session.execute(sa.select(AccountEvent).order_by(AccountEvent.id)).scalars()
    assert [e.seq for e in accounts] == [1, 2]
    heads = {entry.chain: entry.seq for entry in audit.checkpoint()}
    assert heads == {"case:1": 3, "case:2": 2, "accounts": 2}

    # The converted chains carry on: a new event takes the next place in its own case.
    event = audit.record(db.session.get(Complaint, 2), EventKind.NOTE, body="Later note.")
    db.session.commit()
    assert event.seq == 3
    assert list(audit.verify()) == []


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE case_event SET data = '{\"n\": 99}' WHERE seq = 2",
        "DELETE FROM case_event WHERE seq = 5",
        "UPDATE case_event SET kind = 'note' WHERE seq = 1",
    ],
)
def test_upgrade_refuses_to_rehash_a_chain_that_was_already_broken(at_0002, tamper, capfd):
    _fill_as_0002()
    with db.engine.begin() as conn:
        conn.execute(sa.text(tamper))

    with pytest.raises(SystemExit):
        upgrade()

    said = capfd.readouterr().err
    assert re.search(r"audit chain is broken at event seq \d|missing from the end", said)
    # Nothing of the revision stayed: the whole upgrade ran in one transaction.
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    tables = set(sa.inspect(db.engine).get_table_names())
    assert "audit_head" in tables
    assert "audit_chain_head" not in tables


def test_downgrade_rebuilds_one_global_chain_as_0002_kept_it(at_0002):
    _fill_as_0002()
    upgrade()
    audit.record(db.session.get(Complaint, 1), EventKind.NOTE, body="Written after 0003.")
    db.session.commit()
    db.session.remove()

    downgrade(revision="0002")

    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT seq, complaint_id, kind, visibility, actor_kind, actor_id, created_at, "
                "data, body_ct, body_digest, prev_hash, hash FROM case_event ORDER BY seq"
            ).columns(created_at=sa.DateTime(timezone=True), data=sa.JSON)
        ).all()
        head = conn.execute(sa.text("SELECT last_seq, last_hash FROM audit_head")).one()
    prev = GENESIS
    for number, row in enumerate(rows, start=1):
        at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        assert row.seq == number
        assert row.prev_hash == prev
        assert row.hash == _digest_0002(
            row.seq,
            row.complaint_id,
            row.kind,
            row.visibility,
            row.actor_kind,
            row.actor_id,
            at.astimezone(UTC),
            row.data,
            row.body_digest,
            row.prev_hash,
        )
        if row.body_ct is not None:
            assert _body_digest(open_text(row.body_ct, "case_event", "body", row.seq)) == (
                row.body_digest
            )
        prev = row.hash
    assert len(rows) == 6
    assert tuple(head) == (6, prev)
