"""What a legal aid organisation sees of the cases it filed: the dashboard and the CSV export.

Both show only what the complainant could see on /track: status, dates, whether the office is
waiting on an answer. "Last update" is the newest event the client side may see (a message,
a status change, a file), never an internal note or a staff read. The export carries no
narrative and no contact data, and streams: memory stays the same for 20 cases or 20,000.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, func, or_, select

from complaints_app.authz import Actor, organisation_cases
from complaints_app.extensions import db
from complaints_app.models import (
    Allegation,
    CaseEvent,
    Clause,
    Complaint,
    EventKind,
    Status,
    Visibility,
)

PAGE_SIZE = 50


def last_update() -> ColumnElement[datetime]:
    """Per case, the time of the newest event the client side may see."""
    return (
        select(func.max(CaseEvent.created_at))
        .where(
            CaseEvent.complaint_id == Complaint.id,
            or_(
                CaseEvent.visibility == Visibility.COMPLAINANT,
                CaseEvent.kind == EventKind.STATUS_CHANGED,
            ),
        )
        .correlate(Complaint)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Row:
    """One case on the dashboard."""

    complaint: Complaint
    last_update: datetime | None

    @property
    def waiting_on_client(self) -> bool:
        return self.complaint.waiting_since is not None and self.complaint.is_open

    @property
    def due(self) -> tuple[str, datetime] | None:
        """The office's next deadline the client may know of: acknowledging a new case, or
        finishing the investigation."""
        c = self.complaint
        if c.status == Status.SUBMITTED:
            return ("acknowledge", c.ack_due_at)
        if c.status == Status.INVESTIGATION and c.investigation_due_at is not None:
            return ("investigate", c.investigation_due_at)
        return None


@dataclass
class Dashboard:
    rows: list[Row]
    counts: dict[Status, int]
    total: int  # cases matching the filter
    page: int
    pages: int
    waiting: int = 0  # open cases where the office waits on the client
    statuses: list[Status] = field(default_factory=lambda: list(Status))


def dashboard(
    actor: Actor, *, status: Status | None = None, waiting: bool = False, page: int = 1
) -> Dashboard:
    """The organisation's cases, newest client-visible activity first, a page at a time,
    with the number of cases in each status (of all its cases, whatever the filter)."""
    mine = organisation_cases(actor)
    counts = dict.fromkeys(Status, 0)
    for value, n in db.session.execute(
        select(Complaint.status, func.count()).where(mine).group_by(Complaint.status)
    ):
        counts[value] = n
    waiting_count = db.session.execute(
        select(func.count()).where(
            mine, Complaint.waiting_since.is_not(None), Complaint.status != Status.CLOSED
        )
    ).scalar_one()
    conditions = [mine]
    if status is not None:
        conditions.append(Complaint.status == status)
    if waiting:
        conditions += [Complaint.waiting_since.is_not(None), Complaint.status != Status.CLOSED]
    total = db.session.execute(select(func.count()).where(*conditions)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    updated = last_update().label("last_update")
    query = (
        select(Complaint, updated)
        .where(*conditions)
        .order_by(updated.desc(), Complaint.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = [Row(c, at) for c, at in db.session.execute(query)]
    return Dashboard(rows, counts, total, page, pages, waiting_count)


def case_for(actor: Actor, reference: str) -> Complaint | None:
    """The organisation's case with this reference, or None (also for another
    organisation's case: the two answers cannot be told apart)."""
    return db.session.execute(
        select(Complaint).where(
            Complaint.reference == (reference or "").strip().upper(),
            Complaint.purged_at.is_(None),
            organisation_cases(actor),
        )
    ).scalar_one_or_none()


# ---------------------------------------------------------------------------------------------
# CSV export

# (column, what it holds) — documented on the dashboard and in the README.
EXPORT_COLUMNS: tuple[tuple[str, LazyString], ...] = (
    ("reference", _l("case reference, e.g. TA-2026-0042")),
    ("status", _l("submitted, triage, investigation, review or closed")),
    ("closure_reason", _l("why a closed case closed (withdrawn, findings_approved, …)")),
    ("channel", _l("how the case was filed (advocate, web, …)")),
    ("urgent", _l("yes if someone was in custody when it was filed")),
    ("received_at", _l("when the office received it (UTC, ISO 8601)")),
    ("last_update", _l("newest message, file or status change the client side can see (UTC)")),
    ("waiting_on_client", _l("yes if the office is waiting on an answer from the client side")),
    ("waiting_since", _l("since when the office has been waiting (UTC); empty if not")),
    ("acknowledgement_due", _l("when the office must acknowledge the case (UTC)")),
    ("acknowledged_at", _l("when it was acknowledged (UTC); empty if not yet")),
    ("investigation_due", _l("when the investigation must end (UTC); empty before screening in")),
    ("closed_at", _l("when it closed (UTC); empty if open")),
    ("clauses", _l("clause code of each allegation, in order, separated by ';' (? if not chosen)")),
    ("dispositions", _l("each allegation's disposition in the same order; empty where none yet")),
)
EXPORT_BATCH = 500
# A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    text = value.value if hasattr(value, "value") else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _export_query(condition: ColumnElement[bool]) -> Select:
    # One row per allegation (or one for a case without any), in case order: grouped back
    # into one line per case while streaming.
    return (
        select(
            Complaint.id,
            Complaint.reference,
            Complaint.status,
            Complaint.closure_reason,
            Complaint.channel,
            Complaint.urgent,
            Complaint.received_at,
            last_update().label("last_update"),
            Complaint.waiting_since,
            Complaint.ack_due_at,
            Complaint.acknowledged_at,
            Complaint.investigation_due_at,
            Complaint.closed_at,
            Clause.code,
            Allegation.disposition,
        )
        .outerjoin(Allegation, Allegation.complaint_id == Complaint.id)
        .outerjoin(Clause, Clause.id == Allegation.clause_id)
        .where(condition, Complaint.purged_at.is_(None))
        .order_by(Complaint.id, Allegation.position, Allegation.id)
    )


def _line(rows: list) -> list[str]:
    first = rows[0]
    has_allegations = any(r.code is not None or r.disposition is not None for r in rows)
    clauses = ";".join(r.code or "?" for r in rows) if has_allegations else ""
    dispositions = (
        ";".join(r.disposition.value if r.disposition else "" for r in rows)
        if has_allegations
        else ""
    )
    open_case = first.status != Status.CLOSED
    values = [
        first.reference,
        first.status,
        first.closure_reason,
        first.channel,
        first.urgent,
        first.received_at,
        first.last_update,
        first.waiting_since is not None and open_case,
        first.waiting_since if open_case else None,
        first.ack_due_at,
        first.acknowledged_at,
        first.investigation_due_at,
        first.closed_at,
        clauses,
        dispositions,
    ]
    return [_cell(v) for v in values]


def export_condition(actor: Actor) -> ColumnElement[bool]:
    """Which cases ``actor`` may export: decided now, while the request knows who asks."""
    return organisation_cases(actor)


def export_lines(condition: ColumnElement[bool]) -> Iterator[str]:
    """The CSV, a line at a time: the header, then one line per case, oldest first.

    Reads on a connection of its own, streamed in batches of ``EXPORT_BATCH`` rows (a
    server-side cursor on PostgreSQL), so memory does not grow with the number of cases.
    On SQLite the connection reads without a transaction: it must not hold the write lock
    (every transaction there begins IMMEDIATE) for as long as the download lasts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def emit(values: list[str]) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield emit([name for name, _ in EXPORT_COLUMNS])
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        result = conn.execution_options(yield_per=EXPORT_BATCH).execute(_export_query(condition))
        for _id, rows in groupby(result, key=lambda r: r.id):
            yield emit(_line(list(rows)))
