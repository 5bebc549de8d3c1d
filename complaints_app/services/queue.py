"""The staff queue: due work first, filtered, sortable, paginated, with counts per status.

What "due" means, for ordering and for the queue's "Due" column, follows the deadlines the
office owns (the same rule as ``overdue_condition``):

- submitted: the acknowledgement deadline (``ack_due_at``; hours for an urgent case);
- under investigation: the investigation deadline (``investigation_due_at``), unless the office
  is waiting on the complainant: then the clock is paused (the deadline moves on by the time
  waited when they answer), so the case has no due date until it runs again;
- triage and review: no deadline is configured for these steps, so no due date; they come
  after every case that has one, oldest received first;
- closed: nothing is due.

The default order is overdue first, then urgent (someone in custody now), then open before
closed, then the nearest due date, then the oldest received. All of it is SQL, so paging is
exact. The page costs the same number of queries however many rows it shows: assignees and
allegation clauses are loaded in one batch each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
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
from complaints_app.timeutil import city_tz, utcnow

PAGE_SIZE = 25

#: Which cases the queue shows when no single status is chosen.
SHOW_CHOICES = ("open", "closed", "all")
#: Orders a person can ask for; "priority" is the default (due work first).
SORT_CHOICES = ("priority", "due", "received", "status", "reference")
DIRECTIONS = ("asc", "desc")
#: The workflow's order, for sorting by status.
STATUS_ORDER = (Status.SUBMITTED, Status.TRIAGE, Status.INVESTIGATION, Status.REVIEW, Status.CLOSED)


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
    # Only when no single status is chosen: a chosen status decides by itself.
    show: str = "open"
    sort: str = "priority"
    direction: str = "asc"
    page: int = 1


@dataclass
class QueuePage:
    rows: list[Complaint]
    total: int
    page: int
    pages: int
    status_counts: dict[str, int] = field(default_factory=dict)


def ack_overdue_condition(now: datetime):
    """SQL for 'not acknowledged in time'."""
    return and_(Complaint.status == Status.SUBMITTED, Complaint.ack_due_at < now)


def investigation_overdue_condition(now: datetime):
    """SQL for 'an investigation past its due date while not waiting on the complainant'."""
    return and_(
        Complaint.status == Status.INVESTIGATION,
        Complaint.waiting_since.is_(None),
        Complaint.investigation_due_at < now,
    )


def overdue_condition(now: datetime):
    """SQL for 'past a deadline the office owns': not acknowledged in time, or an
    investigation past its due date while not waiting on the complainant."""
    return or_(ack_overdue_condition(now), investigation_overdue_condition(now))


def is_overdue(complaint: Complaint, now: datetime | None = None) -> bool:
    """The same rule as ``overdue_condition`` for one loaded case."""
    now = now or utcnow()
    if complaint.status == Status.SUBMITTED:
        return complaint.ack_due_at < now
    if complaint.status == Status.INVESTIGATION and complaint.waiting_since is None:
        return complaint.investigation_due_at is not None and complaint.investigation_due_at < now
    return False


def due_expression():
    """SQL for a case's due date as the module docstring defines it (NULL: nothing due)."""
    return case(
        (Complaint.status == Status.SUBMITTED, Complaint.ack_due_at),
        (
            and_(Complaint.status == Status.INVESTIGATION, Complaint.waiting_since.is_(None)),
            Complaint.investigation_due_at,
        ),
    )


def due_at(complaint: Complaint) -> datetime | None:
    """The same rule as ``due_expression`` for one loaded case."""
    if complaint.status == Status.SUBMITTED:
        return complaint.ack_due_at
    if complaint.status == Status.INVESTIGATION and complaint.waiting_since is None:
        return complaint.investigation_due_at
    return None


@dataclass(frozen=True)
class Due:
    """What the queue's "Due" column says about one case.

    ``state`` is one of: ``overdue`` (``amount`` days late, or hours when under a day),
    ``today``, ``tomorrow``, ``days`` (due in ``amount`` days), ``paused`` (waiting on the
    complainant), ``none`` (no deadline at this step) or ``closed``. Days are counted in the
    city's calendar, which is what staff mean by "today".
    """

    state: str
    at: datetime | None = None
    amount: int = 0
    unit: str = "days"


def describe_due(complaint: Complaint, now: datetime | None = None) -> Due:
    """How long is left, or how late the case is, by the rule of ``due_at``."""
    now = now or utcnow()
    if not complaint.is_open:
        return Due("closed")
    at = due_at(complaint)
    if at is None:
        if complaint.status == Status.INVESTIGATION and complaint.waiting_since is not None:
            return Due("paused", complaint.investigation_due_at)
        return Due("none")
    if at < now:
        late = now - at
        if late < timedelta(days=1):
            return Due("overdue", at, max(1, int(late.total_seconds() // 3600)), "hours")
        return Due("overdue", at, late.days, "days")
    tz = city_tz()
    days = (at.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days == 0:
        return Due("today", at)
    if days == 1:
        return Due("tomorrow", at)
    return Due("days", at, days)


def _filtered(filters: QueueFilters, now: datetime, actor: Actor):
    stmt = select(Complaint).where(Complaint.purged_at.is_(None), visible_cases(actor))
    if filters.reference:
        stmt = stmt.where(Complaint.reference.contains(filters.reference.strip().upper()))
    if filters.status is not None:
        stmt = stmt.where(Complaint.status == filters.status)
    elif filters.show == "open":
        stmt = stmt.where(Complaint.status.in_(OPEN_STATUSES))
    elif filters.show == "closed":
        stmt = stmt.where(Complaint.status == Status.CLOSED)
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


def _ordering(filters: QueueFilters, now: datetime) -> list:
    """ORDER BY terms for the chosen sort. Every order ends on a unique column so a page
    boundary never moves between requests; "no due date" sorts last in both directions."""
    due = due_expression()
    no_due = case((due.is_(None), 1), else_=0)
    overdue_last = case((overdue_condition(now), 0), else_=1)
    urgent_last = case(
        (and_(Complaint.urgent.is_(True), Complaint.status.in_(OPEN_STATUSES)), 0), else_=1
    )
    closed_last = case((Complaint.status.in_(OPEN_STATUSES), 0), else_=1)
    desc = filters.direction == "desc"

    def way(column):
        return column.desc() if desc else column.asc()

    if filters.sort == "received":
        return [way(Complaint.received_at), way(Complaint.id)]
    if filters.sort == "reference":
        # prefix-YEAR-NNNN: group by "prefix-YEAR-", then shorter numbers first, so that
        # number 10000 follows 9999 instead of 1000.
        head = len(current_app.config["REFERENCE_PREFIX"]) + 6
        return [
            way(func.substr(Complaint.reference, 1, head)),
            way(func.length(Complaint.reference)),
            way(Complaint.reference),
            way(Complaint.id),
        ]
    if filters.sort == "status":
        rank = case(
            *[(Complaint.status == s, i) for i, s in enumerate(STATUS_ORDER)],
            else_=len(STATUS_ORDER),
        )
        return [way(rank), no_due, due, Complaint.received_at, Complaint.id]
    if filters.sort == "due":
        return [no_due, way(due), way(Complaint.received_at), way(Complaint.id)]
    return [
        overdue_last,
        urgent_last,
        closed_last,
        no_due,
        due,
        Complaint.received_at,
        Complaint.id,
    ]


def load(filters: QueueFilters, actor: Actor) -> QueuePage:
    """One page of the queue of cases ``actor`` may open, in the order ``filters`` asks for
    (by default: overdue, then urgent, then the nearest due date; see the module docstring)."""
    now = utcnow()
    base = _filtered(filters, now, actor)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, filters.page), pages)
    rows = list(
        db.session.execute(
            base.options(
                selectinload(Complaint.allegations).selectinload(Allegation.clause),
            )
            .order_by(*_ordering(filters, now))
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
