"""The section 4 semi-annual report: its figures, the office's cross-check, finalising.

The report answers section 4 of the ordinance for one reporting period (requests by the date
they were received):

(a) the holds, administrative warrants and notification requests lodged, by the reason or
    reasons given (each request counted once, under the reasons it gave together);
(b) the individuals detained on a hold or administrative warrant: held on it (outcome
    "detained"), or transferred to ICE custody after being held past release;
(c) the individuals transferred to ICE custody;
(d) the reimbursements received, by case (amounts, not people);

plus the complaints the office received in the period. Individuals are distinct person keys,
so two requests about one person count once.

``compute`` returns plain JSON-ready values; finalising stores them as the period's
snapshot. A finalised report shows the snapshot, every amendment made since and the figures
as amended. The cross-check is for the office only and is never part of a snapshot or of
what the public sees.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, func, not_, select

from complaints_app.authz import Actor, Permission, has_permission
from complaints_app.extensions import db
from complaints_app.models import (
    REASON_SEPARATOR,
    Allegation,
    Clause,
    Complaint,
    FederalRequest,
    LedgerAmendment,
    ReportPeriod,
    RequestKind,
    RequestOutcome,
    RequestReason,
    User,
)
from complaints_app.services import audit, ledger, periods, statistics, suppression
from complaints_app.services.periods import Period
from complaints_app.timeutil import city_today, utcnow

# Clauses whose complaints allege detention for ICE or handing someone to ICE.
CROSS_CHECK_CLAUSES = ("2c", "2e")
DETAINING_KINDS = (RequestKind.HOLD, RequestKind.ADMINISTRATIVE_WARRANT)


class PeriodState(enum.Enum):
    OPEN = "open"  # still running
    COMPLETE = "complete"  # over, not finalised yet
    FINALISED = "finalised"


class ReportError(ValueError):
    """A refused report operation; the message says why."""


def state(period: Period) -> PeriodState:
    """Where a period stands: running, over, or finalised."""
    if ledger.finalised(period) is not None:
        return PeriodState.FINALISED
    return PeriodState.OPEN if city_today() < period.end else PeriodState.COMPLETE


def all_periods() -> list[tuple[Period, PeriodState]]:
    """Every reporting period so far, newest first, with its state."""
    finalised = set(db.session.execute(select(ReportPeriod.start)).scalars())
    today = city_today()
    found = []
    for period in reversed(periods.periods()):
        if period.start in finalised:
            found.append((period, PeriodState.FINALISED))
        else:
            found.append((period, PeriodState.OPEN if today < period.end else PeriodState.COMPLETE))
    return found


def finalised_periods() -> list[Period]:
    """The finalised periods, newest first: what the public may see."""
    starts = db.session.execute(select(ReportPeriod.start).order_by(ReportPeriod.start.desc()))
    return [periods.period_of(start) for start in starts.scalars()]


def _in_period(period: Period):
    return and_(FederalRequest.received_on >= period.start, FederalRequest.received_on < period.end)


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)):.2f}"


def _requests(period: Period) -> dict[str, Any]:
    """(a): requests by kind and by the reasons given together."""
    rows = db.session.execute(
        select(FederalRequest.kind, FederalRequest.reason_given, func.count())
        .where(_in_period(period))
        .group_by(FederalRequest.kind, FederalRequest.reason_given)
    ).all()
    by_kind: dict[RequestKind, dict[tuple[str, ...], int]] = defaultdict(dict)
    for kind, reason_given, n in rows:
        listed = set((reason_given or "").split(REASON_SEPARATOR))
        given = tuple(r.value for r in RequestReason if r.value in listed)
        by_kind[kind][given] = by_kind[kind].get(given, 0) + n
    order = {r.value: i for i, r in enumerate(RequestReason)}
    kinds = []
    for kind in RequestKind:
        found = by_kind.get(kind, {})
        reasons = [
            {"reasons": list(given), "count": n}
            for given, n in sorted(found.items(), key=lambda i: [order[r] for r in i[0]])
        ]
        kinds.append({"kind": kind.value, "total": sum(found.values()), "reasons": reasons})
    return {"total": sum(k["total"] for k in kinds), "kinds": kinds}


def _individuals(period: Period, condition) -> int:
    return db.session.execute(
        select(func.count(func.distinct(FederalRequest.person_key))).where(
            _in_period(period), condition
        )
    ).scalar_one()


def _reimbursements(period: Period) -> dict[str, Any]:
    """(d): amounts received, by case."""
    rows = db.session.execute(
        select(
            FederalRequest.reimbursement_case,
            func.sum(FederalRequest.reimbursement_amount),
            func.count(),
        )
        .where(_in_period(period), FederalRequest.reimbursement_amount.is_not(None))
        .group_by(FederalRequest.reimbursement_case)
        .order_by(FederalRequest.reimbursement_case)
    ).all()
    cases = [
        {"case": case or "", "amount": _money(Decimal(str(amount))), "requests": n}
        for case, amount, n in rows
    ]
    total = sum((Decimal(c["amount"]) for c in cases), Decimal(0))
    return {"cases": cases, "total": _money(total)}


def complaint_figures(period: Period) -> dict[str, Any]:
    """The period's complaints by status and allegations by clause, from the statistics
    service (complaints counted by the date the office received them)."""
    by_status = statistics.table("complaints_by_status", period)
    by_clause = statistics.table("allegations_by_clause", period)
    return {
        "by_status": [
            {"key": r.key, "label": r.label, "count": int(r["complaints"] or 0)}
            for r in by_status.rows
        ],
        "total": by_status.total("complaints"),
        "by_clause": [
            {"key": r.key, "label": r.label, "count": int(r["allegations"] or 0)}
            for r in by_clause.rows
        ],
        "allegations": by_clause.total("allegations"),
    }


def ledger_figures(period: Period) -> dict[str, Any]:
    """Items (a)–(d) for ``period`` as the ledger stands now (JSON-ready)."""
    return {
        "period": period.name,
        "last_day": period.last_day.isoformat(),
        "requests": _requests(period),
        "detained": _individuals(period, detained_condition()),
        "transferred": _individuals(period, FederalRequest.outcome == RequestOutcome.TRANSFERRED),
        "reimbursements": _reimbursements(period),
    }


def compute(period: Period) -> dict[str, Any]:
    """The whole report for ``period`` as it stands now: (a)–(d) and the complaints."""
    return {**ledger_figures(period), "complaints": complaint_figures(period)}


def detained_condition():
    """SQL for (b): detained on a hold or administrative warrant, or transferred after
    being held past release on one."""
    return and_(
        FederalRequest.kind.in_(DETAINING_KINDS),
        (FederalRequest.outcome == RequestOutcome.DETAINED)
        | (
            (FederalRequest.outcome == RequestOutcome.TRANSFERRED)
            & (FederalRequest.detained_hours > 0)
        ),
    )


def digest(figures: dict[str, Any]) -> str:
    """A fingerprint of a snapshot, recorded in the ledger's audit chain."""
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class CrossCheck:
    """What the office should follow up: complaints alleging detention or transfer with no
    ledger entry, and people held past release with no complaint."""

    complaints: list[Complaint]
    requests: list[FederalRequest]


def cross_check(period: Period) -> CrossCheck:
    """Complaints received in the period with an allegation under 2c or 2e that no ledger
    entry is linked to; ledger entries of the period held past release (more than zero hours)
    with no linked complaint."""
    alleging = (
        select(Allegation.complaint_id)
        .join(Clause, Clause.id == Allegation.clause_id)
        .where(Clause.code.in_(CROSS_CHECK_CLAUSES))
    )
    linked = select(FederalRequest.complaint_id).where(FederalRequest.complaint_id.is_not(None))
    complaints = db.session.execute(
        select(Complaint)
        .where(
            Complaint.received_at >= period.start_utc,
            Complaint.received_at < period.end_utc,
            Complaint.id.in_(alleging),
            not_(Complaint.id.in_(linked)),
        )
        .order_by(Complaint.received_at)
    ).scalars()
    requests = db.session.execute(
        select(FederalRequest)
        .where(
            _in_period(period),
            FederalRequest.detained_hours > 0,
            FederalRequest.complaint_id.is_(None),
        )
        .order_by(FederalRequest.received_on, FederalRequest.id)
    ).scalars()
    return CrossCheck(list(complaints), list(requests))


def finalise(period: Period, actor: Actor) -> ReportPeriod:
    """Lock ``period``: store its figures as they stand. Only a supervisor, only once, only
    after the period is over. Flushes, never commits."""
    if not has_permission(actor if isinstance(actor, User) else None, Permission.FINALISE_REPORTS):
        raise ReportError(_("Only a supervisor can finalise a report."))
    # The ledger chain's lock: no entry of the period changes while its figures are taken.
    audit.lock(audit.LEDGER)
    current = state(period)
    if current is PeriodState.FINALISED:
        raise ReportError(_("This period's report is already finalised."))
    if current is PeriodState.OPEN:
        raise ReportError(
            _(
                "This period is not over yet: it can be finalised from %(day)s.",
                day=format_date(period.end, "long"),
            )
        )
    figures = compute(period)
    report = ReportPeriod(
        start=period.start,
        finalised_at=utcnow(),
        finalised_by_id=actor.id if isinstance(actor, User) else None,
        snapshot=figures,
    )
    db.session.add(report)
    db.session.flush()
    ledger.record_finalised(report, actor, digest(figures))
    return report


@dataclass(frozen=True)
class Report:
    """What a report page shows. ``figures`` are the finalised snapshot once there is one,
    else the live figures; ``amended`` the live figures when a finalised period was changed
    since."""

    period: Period
    state: PeriodState
    figures: dict[str, Any]
    finalised: ReportPeriod | None
    amendments: list[LedgerAmendment]
    amended: dict[str, Any] | None


def report(period: Period) -> Report:
    """The report of ``period`` as it stands."""
    finalised = ledger.finalised(period)
    if finalised is None:
        return Report(period, state(period), compute(period), None, [], None)
    amendments = list(
        db.session.execute(
            select(LedgerAmendment)
            .where(LedgerAmendment.period_start == period.start)
            .order_by(LedgerAmendment.id)
        ).scalars()
    )
    # Amendments change the ledger only: the complaint figures stay as finalised.
    snapshot = finalised.snapshot
    amended = (
        {**ledger_figures(period), "complaints": snapshot.get("complaints", {})}
        if amendments
        else None
    )
    return Report(period, PeriodState.FINALISED, snapshot, finalised, amendments, amended)


# ---------------------------------------------------------------------------------------------
# What the public sees


def threshold() -> int:
    """Counts below this are hidden from the public (SUPPRESSION_THRESHOLD)."""
    return int(current_app.config["SUPPRESSION_THRESHOLD"])


def hidden_figures(
    values: dict[tuple, int], sums: list[tuple[tuple, tuple]], orders: list[tuple[tuple, tuple]]
) -> dict[tuple, str]:
    """Which counts to hide from the public, and why ("small" or "complementary"): every
    count from 1 to SUPPRESSION_THRESHOLD - 1, and enough others that no hidden count can be
    worked out from the published ``sums`` (parts, total) and ``orders`` (parts no larger
    than a total)."""
    figures = suppression.Figures(
        values=dict(values),
        sums=[suppression.Sum(parts, total) for parts, total in sums],
        orders=[suppression.Sum(parts, total) for parts, total in orders],
    )
    return {key: str(reason) for key, reason in suppression.suppress(figures, threshold()).items()}


def _cell(value: int, reason: str | None) -> dict[str, Any]:
    return {"value": None if reason else value, "hidden": reason}


def published(figures: dict[str, Any]) -> dict[str, Any]:
    """``figures`` as the public may see them: every count of people or requests a cell
    ``{"value", "hidden"}``, small ones hidden and enough others that the totals shown do
    not give them away (``services.suppression``).
    Reimbursements are amounts paid for cases, not counts of people, and are shown.

    The period's complaint figures are left out: /stats publishes them, with one suppression
    pattern. Two pages hiding the same figures in different cells would let a reader recover
    a hidden one from the other page; the public report points to /stats instead."""
    values: dict[tuple, int] = {}
    sums: list[tuple[tuple, tuple]] = []
    requests = figures["requests"]
    for kind in requests["kinds"]:
        parts = []
        for i, row in enumerate(kind["reasons"]):
            values[("a", kind["kind"], i)] = row["count"]
            parts.append(("a", kind["kind"], i))
        values[("a", kind["kind"])] = kind["total"]
        sums.append((tuple(parts), ("a", kind["kind"])))
    values[("a",)] = requests["total"]
    sums.append((tuple(("a", k["kind"]) for k in requests["kinds"]), ("a",)))
    values[("b",)] = figures["detained"]
    values[("c",)] = figures["transferred"]
    # People are no more than the requests about them.
    orders = [((("b",),), ("a",)), ((("c",),), ("a",))]
    hidden = hidden_figures(values, sums, orders)

    def cell(key: tuple) -> dict[str, Any]:
        return _cell(values[key], hidden.get(key))

    out = json.loads(json.dumps(figures))
    for kind in out["requests"]["kinds"]:
        for i, row in enumerate(kind["reasons"]):
            row["count"] = cell(("a", kind["kind"], i))
        kind["total"] = cell(("a", kind["kind"]))
    out["requests"]["total"] = cell(("a",))
    out["detained"] = cell(("b",))
    out["transferred"] = cell(("c",))
    out.pop("complaints", None)
    for case in out["reimbursements"]["cases"]:
        case.pop("requests", None)
    return out
