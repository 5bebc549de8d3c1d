"""Finalising and changing the ledger take the ledger chain's lock before they look at the
period: an edit cannot slip in between a period's figures being taken and being stored.
(On SQLite every writing transaction already holds the whole database from its start.)"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa

from complaints_app.extensions import db as _db
from complaints_app.models import (
    FederalRequest,
    RequestForm,
    RequestKind,
    RequestOutcome,
    RequestReason,
    Role,
    User,
)
from complaints_app.services import ledger, periods, semiannual
from tests.conftest import PG_SERVER
from tests.staff.conftest import quick_user


def _entry(day: date, outcome: RequestOutcome) -> ledger.Entry:
    return ledger.Entry(
        received_on=day,
        kind=RequestKind.HOLD,
        form=RequestForm.I_247A,
        reasons=[RequestReason.FINAL_ORDER],
        judicial_warrant_presented=False,
        outcome=outcome,
        booking_number="R-1",
    )


def _waiting_on_a_lock() -> bool:
    """Whether some other backend of this database is waiting for a lock."""
    with _db.engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


@pytest.mark.skipif(not PG_SERVER, reason="row locks are PostgreSQL's")
def test_an_edit_waits_for_a_period_being_finalised_then_is_refused(app, db, calendar):
    officer = quick_user(db, Role.RECORDS, "records@race.example").id
    lead = quick_user(db, Role.SUPERVISOR, "lead@race.example").id
    day = calendar.day(3)
    entry = ledger.create(_entry(day, RequestOutcome.DECLINED), db.session.get(User, officer))
    db.session.commit()
    entry_id = entry.id
    db.session.remove()
    period = periods.period_of(day)
    outcome: dict[str, str] = {}

    def edit() -> None:  # the records officer's request, on its own connection
        with app.app_context():
            try:
                ledger.update(
                    _db.session.get(FederalRequest, entry_id),
                    _entry(day, RequestOutcome.INFORMATION_GIVEN),
                    _db.session.get(User, officer),
                )
                _db.session.commit()
                outcome["saved"] = "yes"
            except ledger.LedgerError as error:
                _db.session.rollback()
                outcome["refused"] = error.message
            finally:
                _db.session.remove()

    with app.app_context():  # the supervisor's request, not committed yet
        semiannual.finalise(period, _db.session.get(User, lead))
        worker = threading.Thread(target=edit)
        worker.start()
        for _ in range(400):  # until the edit waits on the ledger's lock
            if _waiting_on_a_lock() or not worker.is_alive():
                break
            time.sleep(0.05)
        assert worker.is_alive(), outcome
        _db.session.commit()
    worker.join()
    assert "locked" in outcome.get("refused", ""), outcome
    db.session.expire_all()
    assert db.session.get(FederalRequest, entry_id).outcome is RequestOutcome.DECLINED
