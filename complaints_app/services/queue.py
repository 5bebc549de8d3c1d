"""The staff queue: filtered, urgent first then oldest, paginated, with counts per status.

The page costs the same number of queries however many rows it shows: assignees and
allegation clauses are loaded in one batch each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from complaints_app.authz import Actor, visible_cases
from complaints_app.extensions import db
from complaints_app.models import (
    OPEN_STATUSES,
    Agency,
    Allegation,
    Clause,
    Complaint,
    Status,
)
from complaints_app.timeutil import utcnow

PAGE_SIZE = 25


@dataclass
class QueueFilters:
    """What the queue is narrowed to; every value already checked against its choices."""

    status: Status | None = None
    clause: str | None = None
    agency: Agency | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    urgent: bool = False
    overdue: bool = False
    received_from: date | None = None
    received_to: date | None = None
    reference: str = ""
    page: int = 1


@dataclass
class QueuePage:
    rows: list[Complaint]
    total: int
    page: int
    pages: int
    status_counts: dict[str, int] = field(default_factory=dict)


def overdue_condition(now: datetime):
    """SQL for 'past a deadline the office owns': not acknowledged in time, or an
    investigation past its due date while not waiting on the complainant."""
    return or_(
        and_(Complaint.status == Status.SUBMITTED, Complaint.ack_due_at < now),
        and_(
            Complaint.status == Status.INVESTIGATION,
            Complaint.waiting_since.is_(None),
            Complaint.investigation_due_at < now,
        ),
    )


def is_overdue(complaint: Complaint, now: datetime | None = None) -> bool:
    """The same rule as ``overdue_condition`` for one loaded case."""
    now = now or utcnow()
    if complaint.status == Status.SUBMITTED:
        return complaint.ack_due_at < now
    if complaint.status == Status.INVESTIGATION and complaint.waiting_since is None:
        return complaint.investigation_due_at is not None and complaint.investigation_due_at < now
    return False


def _filtered(filters: QueueFilters, now: datetime, actor: Actor):
    stmt = select(Complaint).where(Complaint.purged_at.is_(None), visible_cases(actor))
    if filters.reference:
        stmt = stmt.where(Complaint.reference.contains(filters.reference.strip().upper()))
    if filters.status is not None:
        stmt = stmt.where(Complaint.status == filters.status)
    if filters.agency is not None:
        stmt = stmt.where(Complaint.agency == filters.agency)
    if filters.unassigned:
        stmt = stmt.where(Complaint.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        stmt = stmt.where(Complaint.assignee_id == filters.assignee_id)
    if filters.urgent:
        stmt = stmt.where(Complaint.urgent.is_(True))
    if filters.overdue:
        stmt = stmt.where(overdue_condition(now))
    if filters.clause:
        stmt = stmt.where(
            Complaint.id.in_(
                select(Allegation.complaint_id)
                .join(Clause, Allegation.clause_id == Clause.id)
                .where(Clause.code == filters.clause)
            )
        )
    if filters.received_from is not None:
        start = datetime.combine(filters.received_from, datetime.min.time()).replace(
            tzinfo=now.tzinfo
        )
        stmt = stmt.where(Complaint.received_at >= start)
    if filters.received_to is not None:
        end = datetime.combine(filters.received_to, datetime.min.time()).replace(
            tzinfo=now.tzinfo
        ) + timedelta(days=1)
        stmt = stmt.where(Complaint.received_at < end)
    return stmt


def load(filters: QueueFilters, actor: Actor) -> QueuePage:
    """One page of the queue of cases ``actor`` may open: urgent open cases first, then
    oldest first."""
    now = utcnow()
    base = _filtered(filters, now, actor)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    open_urgent = case(
        (and_(Complaint.urgent.is_(True), Complaint.status.in_(OPEN_STATUSES)), 0), else_=1
    )
    rows = list(
        db.session.execute(
            base.options(
                selectinload(Complaint.allegations).selectinload(Allegation.clause),
            )
            .order_by(open_urgent, Complaint.received_at, Complaint.id)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        ).scalars()
    )
    counts = dict(
        db.session.execute(
            select(Complaint.status, func.count())
            .where(Complaint.purged_at.is_(None), visible_cases(actor))
            .group_by(Complaint.status)
        ).all()
    )
    return QueuePage(
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        status_counts={s.value: counts.get(s, 0) for s in Status},
    )
