"""Appends from several processes at once: no error, no sequence number taken twice, chains
that verify; and on PostgreSQL, appends to different cases do not wait on each other.

The workers are separate processes with their own app and engine on the test run's database
(a file for SQLite), as gunicorn's workers are: threads in one process would share a
connection pool and prove nothing about SQLite's locking.
"""

from __future__ import annotations

import multiprocessing
import secrets
import time
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from complaints_app import create_app
from complaints_app.extensions import db as _db
from complaints_app.models import (
    AccountEvent,
    AccountEventKind,
    Agency,
    CaseEvent,
    Channel,
    Complaint,
    EventKind,
    Role,
)
from complaints_app.services import audit, intake
from complaints_app.services.uploads import FileBatch, PreparedFile
from config import TestingConfig
from tests.conftest import PG_SERVER
from tests.helpers import small_pdf
from tests.staff.conftest import complaint_by_reference, file_complaint, quick_user

ROUNDS = 40
SECRETS = ("SECRET_KEY", "HASH_KEY", "ENCRYPTION_KEYS")


def _append_many(settings: dict, cases: list[int], user_id: int, start, results) -> None:
    """One worker process: ``ROUNDS`` appends spread over ``cases``, every fifth one an account
    event too; each append is its own transaction, as a request is."""
    app = create_app(TestingConfig, **settings)
    errors: list[str] = []
    with app.app_context():
        start.wait(30)
        for n in range(ROUNDS):
            try:
                complaint = _db.session.get(Complaint, cases[n % len(cases)])
                if n % 3:
                    audit.record(complaint, EventKind.CASE_VIEWED)
                else:
                    audit.record(complaint, EventKind.NOTE, body=f"note {n}")
                if n % 5 == 0:
                    audit.seal_account_event(
                        AccountEvent(user_id=user_id, kind=AccountEventKind.PASSWORD_CHANGED)
                    )
                _db.session.commit()
            except Exception as exc:  # every failure is reported to the test, none hidden
                _db.session.rollback()
                errors.append(f"{type(exc).__name__}: {exc}"[:300])
        _db.engine.dispose()
    results.put(errors)


@pytest.mark.parametrize("layout", ["same case", "different cases", "mixed"])
def test_two_processes_appending_at_once_lose_nothing_and_chains_verify(app, db, layout):
    cases = [file_complaint(db).id for _ in range(3)]
    user_id = quick_user(db, Role.SUPERVISOR).id
    db.session.remove()  # hold no transaction while the workers run
    per_worker = {
        "same case": ([cases[0]], [cases[0]]),
        "different cases": ([cases[1]], [cases[2]]),
        "mixed": (cases, list(reversed(cases))),
    }[layout]
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        **{key: app.config[key] for key in SECRETS},
    }
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Event(), spawn.Queue()
    workers = [
        spawn.Process(target=_append_many, args=(settings, mine, user_id, start, results))
        for mine in per_worker
    ]
    for worker in workers:
        worker.start()
    start.set()
    errors = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    assert errors == [[], []]
    events = db.session.execute(sa.select(CaseEvent.complaint_id, CaseEvent.seq)).all()
    per_case = Counter(complaint_id for complaint_id, _seq in events)
    # One SUBMITTED event per case, then every append of both workers.
    assert sum(per_case.values()) == len(cases) + 2 * ROUNDS
    for complaint_id, count in per_case.items():
        seqs = sorted(seq for cid, seq in events if cid == complaint_id)
        assert seqs == list(range(1, count + 1)), f"case {complaint_id}: {seqs}"
    account_seqs = sorted(db.session.scalars(sa.select(AccountEvent.seq)))
    assert account_seqs == list(range(1, 2 * len(range(0, ROUNDS, 5)) + 1))
    assert list(audit.verify()) == []


# --- PostgreSQL: one lock per chain ---------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    not PG_SERVER, reason="row locks are PostgreSQL's; SQLite locks the whole database"
)


def _lock_timeout(ms: int) -> None:
    _db.session.execute(sa.text(f"SET LOCAL lock_timeout = '{ms}ms'"))


@needs_postgres
def test_an_open_append_on_one_case_does_not_hold_up_another_case(app, db):
    first, second = file_complaint(db).id, file_complaint(db).id
    db.session.remove()

    with app.app_context():  # one request, still open
        audit.record(_db.session.get(Complaint, first), EventKind.NOTE, body="Still typing.")

        with app.app_context():  # another request, on its own connection
            _lock_timeout(500)
            started = time.monotonic()
            audit.record(_db.session.get(Complaint, second), EventKind.CASE_VIEWED)
            _db.session.commit()
            assert time.monotonic() - started < 0.5

            _lock_timeout(300)
            with pytest.raises(OperationalError, match="lock timeout"):
                audit.record(_db.session.get(Complaint, first), EventKind.CASE_VIEWED)
            _db.session.rollback()

        _db.session.commit()

    db.session.expire_all()
    assert list(audit.verify()) == []
    seqs = db.session.execute(
        sa.select(CaseEvent.complaint_id, sa.func.max(CaseEvent.seq)).group_by(
            CaseEvent.complaint_id
        )
    ).all()
    assert dict(seqs) == {first: 2, second: 2}


@needs_postgres
def test_account_events_do_not_wait_on_case_appends(app, db):
    case = file_complaint(db).id
    user = quick_user(db, Role.ADMIN).id
    db.session.remove()

    with app.app_context():
        audit.record(_db.session.get(Complaint, case), EventKind.CASE_VIEWED)
        with app.app_context():
            _lock_timeout(300)
            audit.seal_account_event(AccountEvent(user_id=user, kind=AccountEventKind.CREATED))
            _db.session.commit()
        _db.session.commit()

    assert list(audit.verify()) == []


class ProbingBatch(FileBatch):
    """A real file batch that first checks, from another connection, that nothing this
    request will lock (the year's case counter, the case's chain head) is locked yet."""

    def __init__(self, chains: list[str]):
        super().__init__()
        self.chains = chains
        self.probes = 0

    def write(self, storage_key: str, data: bytes) -> None:
        with _db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1 FROM reference_counter FOR UPDATE NOWAIT")).all()
            for name in self.chains:
                conn.execute(
                    sa.text("SELECT 1 FROM audit_chain_head WHERE name = :n FOR UPDATE NOWAIT"),
                    {"n": name},
                ).all()
            conn.rollback()
        self.probes += 1
        super().write(storage_key, data)


def _prepared(name: str) -> PreparedFile:
    return PreparedFile(original_name=name, content_type="application/pdf", data=small_pdf())


@needs_postgres
def test_submitting_writes_evidence_before_taking_any_lock(app, db):
    existing = file_complaint(db)
    batch = ProbingBatch([audit.case_chain(existing)])

    data = intake.IntakeData(
        channel=Channel.WEB,
        submission_token=secrets.token_urlsafe(24),
        answers=["asked_status"],
        urgent=False,
        incident_date=date.today() - timedelta(days=3),
        incident_place="Central police station",
        agency=Agency.POLICE,
        narrative="They asked where I was born.",
        anonymous=True,
        files=[_prepared("a.pdf"), _prepared("b.pdf")],
    )

    receipt = intake.submit(data, batch)
    db.session.commit()

    assert batch.probes == 2
    assert len(complaint_by_reference(db, receipt.reference).attachments) == 2
    assert list(audit.verify()) == []


@needs_postgres
def test_adding_evidence_writes_it_before_taking_the_case_lock(app, db):
    complaint = file_complaint(db)
    batch = ProbingBatch([audit.case_chain(complaint)])

    intake.add_attachment(complaint, _prepared("later.pdf"), batch)
    db.session.commit()

    assert batch.probes == 1
    assert list(audit.verify()) == []
