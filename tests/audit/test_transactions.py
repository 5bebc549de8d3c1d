"""How transactions start: on SQLite every transaction takes the write lock at BEGIN
(BEGIN IMMEDIATE), WAL stays on, and AUTOCOMMIT still means no transaction; account events
join the accounts chain only through ``audit.seal_account_event``."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from complaints_app.extensions import db as _db
from complaints_app.models import AccountEvent, AccountEventKind, Role
from complaints_app.services import audit, two_factor
from tests.conftest import PG_SERVER
from tests.staff.conftest import quick_user

sqlite_only = pytest.mark.skipif(bool(PG_SERVER), reason="SQLite's locking")


def _sqlite_path(app) -> str:
    return sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database


@sqlite_only
def test_a_transaction_that_only_read_already_holds_the_write_lock(app, db):
    db.session.execute(sa.text("SELECT count(*) FROM complaint")).scalar()

    other = sqlite3.connect(_sqlite_path(app), timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        db.session.rollback()
        other.execute("BEGIN IMMEDIATE")  # free again once the transaction ended
        other.execute("ROLLBACK")
    finally:
        other.close()


@sqlite_only
def test_wal_journal_and_autocommit_pragmas_still_work(app, db):
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    # The pooled connection that served AUTOCOMMIT begins IMMEDIATE again afterwards.
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        other = sqlite3.connect(_sqlite_path(app), timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_two_factor_account_events_are_chained(app, db):
    admin = quick_user(db, Role.ADMIN, "admin@svc.example")
    user = quick_user(db, Role.SUPERVISOR, "sup@svc.example")
    two_factor.reset(user, admin)
    two_factor.reset(user, admin)
    db.session.commit()

    events = db.session.scalars(sa.select(AccountEvent).order_by(AccountEvent.seq)).all()
    assert [(e.seq, e.kind) for e in events] == [
        (1, AccountEventKind.TWO_FACTOR_RESET),
        (2, AccountEventKind.TWO_FACTOR_RESET),
    ]
    assert events[1].prev_hash == events[0].hash
    assert list(audit.verify()) == []


def test_an_account_event_added_without_sealing_is_refused(app, db):
    user = quick_user(db, Role.ADMIN)
    _db.session.add(AccountEvent(user_id=user.id, kind=AccountEventKind.CREATED))

    with pytest.raises(IntegrityError):
        _db.session.flush()
