"""Cases written straight to the database with chosen dates, statuses and findings, so that
every statistic can be checked against figures worked out by hand."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from complaints_app.models import (
    Agency,
    Allegation,
    Channel,
    Clause,
    ClosureReason,
    Complaint,
    Disposition,
    Status,
)
from tests.staff.conftest import make_user, signed_in  # noqa: F401 — fixtures shared here

_numbers = count(1)


@pytest.fixture
def city(app, db) -> Iterator:
    """Periods from 1 January 2026 in New York, whatever the environment says."""
    old = (app.config["REPORTING_START"], app.config["TIMEZONE"])
    app.config["REPORTING_START"] = date(2026, 1, 1)
    app.config["TIMEZONE"] = "America/New_York"
    yield app
    app.config["REPORTING_START"], app.config["TIMEZONE"] = old


def at(text: str) -> datetime:
    """A UTC instant from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def make_case(db) -> Callable[..., Complaint]:
    """A case with the given fields and allegations [(clause code or None, disposition)]."""
    clause_ids = {
        code: cid
        for code, cid in db.session.execute(
            select(Clause.code, Clause.id).where(Clause.version == 1)
        )
    }

    def make(
        received: datetime,
        *,
        status: Status = Status.SUBMITTED,
        agency: Agency = Agency.POLICE,
        channel: Channel = Channel.WEB,
        urgent: bool = False,
        allegations: list[tuple[str | None, Disposition | None]] = (),
        acknowledged: datetime | None = None,
        closed: datetime | None = None,
        ack_due: datetime | None = None,
        investigation_due: datetime | None = None,
        waiting_since: datetime | None = None,
        purged: bool = False,
    ) -> Complaint:
        number = next(_numbers)
        complaint = Complaint(
            reference=f"TA-{received.year}-{number:05d}",
            reference_year=received.year,
            reference_number=number,
            tracking_hash=secrets.token_hex(8),
            channel=channel,
            status=status,
            closure_reason=ClosureReason.FINDINGS_APPROVED if status == Status.CLOSED else None,
            incident_date=received.date() - timedelta(days=1),
            agency=agency,
            anonymous=True,
            urgent=urgent,
            received_at=received,
            ack_due_at=ack_due or received + timedelta(days=5),
            acknowledged_at=acknowledged,
            closed_at=closed,
            investigation_due_at=investigation_due,
            waiting_since=waiting_since,
            purged_at=received if purged else None,
        )
        complaint.allegations = [
            Allegation(
                clause_id=clause_ids[code] if code else None,
                clause_confirmed=code is not None,
                disposition=disposition,
                position=i,
            )
            for i, (code, disposition) in enumerate(allegations)
        ]
        db.session.add(complaint)
        db.session.commit()
        return complaint

    return make
