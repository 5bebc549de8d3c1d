"""The section 4 ledger: entering, changing and listing federal immigration requests.

Every change is one call here that asks ``authz.ledger_change``, checks the entry's rules
(the database's CHECK constraints are a last line; people get messages from here first) and
appends to the ``ledger`` audit chain. A change that touches a finalised period needs a
supervisor and a reason, and leaves a ``LedgerAmendment`` on that period's report.

The person is a keyed hash of the booking number: two requests about one person count as one
individual, and the booking number itself is never stored, logged or put in an event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from complaints_app.authz import Actor, ledger_change
from complaints_app.crypto import keyed_hash, keyed_hash_candidates
from complaints_app.extensions import db
from complaints_app.models import (
    HELD_OUTCOMES,
    REASON_SEPARATOR,
    Complaint,
    FederalRequest,
    LedgerAmendment,
    LedgerEvent,
    LedgerEventKind,
    ReportPeriod,
    RequestForm,
    RequestKind,
    RequestOutcome,
    RequestReason,
    User,
)
from complaints_app.services import audit, periods
from complaints_app.services.periods import Period
from complaints_app.timeutil import city_today, utcnow

BOOKING_PURPOSE = "booking-number"
BOOKING_RE = re.compile(r"^[A-Z0-9]{1,40}$")
REASON_MAX = 2000
NOTES_MAX = 4000
CASE_MAX = 120


class LedgerError(ValueError):
    """A refused ledger change; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def problems(self) -> list[LedgerError]:
        return [self]


class InvalidEntry(LedgerError):
    """Every rule an entry breaks, each with its field."""

    def __init__(self, problems: list[LedgerError]):
        super().__init__(problems[0].message, problems[0].field)
        self._problems = problems

    @property
    def problems(self) -> list[LedgerError]:
        return self._problems


@dataclass
class Entry:
    """What a person entered for one request. ``booking_number`` may be empty on an edit
    (the person stays the same); ``amendment_reason`` is needed for a finalised period."""

    received_on: date
    kind: RequestKind
    form: RequestForm
    reasons: list[RequestReason]
    judicial_warrant_presented: bool
    outcome: RequestOutcome
    booking_number: str = ""
    detained_hours: Decimal | None = None
    reimbursement_amount: Decimal | None = None
    reimbursement_case: str = ""
    complaint_reference: str = ""
    notes: str = ""
    amendment_reason: str = ""


def normalise_booking_number(value: str) -> str:
    """Booking numbers as written on paper vary in spaces, dashes and case."""
    return re.sub(r"[\s\-]", "", value or "").upper()


def person_key(booking_number: str) -> str:
    """The pseudonymous key of the person a booking number belongs to. If the person is
    already in the ledger under an older hash key, their stored key is reused, so a hash-key
    rotation never splits one individual into two."""
    normalised = normalise_booking_number(booking_number)
    candidates = keyed_hash_candidates(BOOKING_PURPOSE, normalised)
    existing = db.session.execute(
        select(FederalRequest.person_key).where(FederalRequest.person_key.in_(candidates)).limit(1)
    ).scalar_one_or_none()
    return existing or keyed_hash(BOOKING_PURPOSE, normalised)


def finalised(period: Period) -> ReportPeriod | None:
    """The finalised report of ``period``, or None while it is not finalised."""
    return db.session.get(ReportPeriod, period.start)


def _check(entry: Entry, *, creating: bool) -> list[LedgerError]:
    """Every rule an entry breaks, each with its field, in the form's order."""
    problems: list[LedgerError] = []
    today = city_today()
    first = periods.reporting_start()
    if entry.received_on > today:
        problems.append(LedgerError(_("The date received cannot be in the future."), "received_on"))
    elif entry.received_on < first:
        problems.append(
            LedgerError(
                _(
                    "Reporting starts on %(start)s; requests received before then are not "
                    "reported.",
                    start=format_date(first, "long"),
                ),
                "received_on",
            )
        )
    if not entry.reasons:
        problems.append(
            LedgerError(_("Choose the reason or reasons given, or 'No reason given'."), "reasons")
        )
    elif RequestReason.NONE_GIVEN in entry.reasons and len(entry.reasons) > 1:
        problems.append(
            LedgerError(_("'No reason given' cannot be chosen with other reasons."), "reasons")
        )
    booking = normalise_booking_number(entry.booking_number)
    if creating and not booking:
        problems.append(
            LedgerError(
                _("Enter the booking number of the person the request was about."), "booking_number"
            )
        )
    elif booking and not BOOKING_RE.match(booking):
        problems.append(
            LedgerError(
                _("A booking number has letters and digits only, at most 40."), "booking_number"
            )
        )
    if entry.detained_hours is not None:
        if entry.outcome not in HELD_OUTCOMES:
            problems.append(
                LedgerError(
                    _(
                        "Hours held past release apply only when the person was detained on "
                        "the request or transferred to ICE custody. Leave it empty for this "
                        "outcome."
                    ),
                    "detained_hours",
                )
            )
        elif entry.detained_hours < 0:
            problems.append(
                LedgerError(_("Hours held past release cannot be negative."), "detained_hours")
            )
        elif entry.detained_hours >= Decimal("1000000"):
            problems.append(LedgerError(_("Enter fewer hours."), "detained_hours"))
    elif entry.outcome == RequestOutcome.DETAINED:
        problems.append(
            LedgerError(
                _("Enter how many hours the person was held past release (0 if none)."),
                "detained_hours",
            )
        )
    if entry.reimbursement_amount is not None:
        if entry.reimbursement_amount < 0:
            problems.append(
                LedgerError(_("A reimbursement cannot be negative."), "reimbursement_amount")
            )
        elif entry.reimbursement_amount >= Decimal("10000000000"):
            problems.append(LedgerError(_("Enter a smaller amount."), "reimbursement_amount"))
        elif not entry.reimbursement_case.strip():
            problems.append(
                LedgerError(
                    _("Name the case the reimbursement was paid for."), "reimbursement_case"
                )
            )
    elif entry.reimbursement_case.strip():
        problems.append(
            LedgerError(
                _("Enter the amount reimbursed for this case, or leave the case empty."),
                "reimbursement_amount",
            )
        )
    if len(entry.reimbursement_case.strip()) > CASE_MAX:
        problems.append(
            LedgerError(
                _("Keep the case name to %(n)s characters.", n=CASE_MAX), "reimbursement_case"
            )
        )
    if entry.complaint_reference.strip() and _complaint(entry.complaint_reference) is None:
        problems.append(
            LedgerError(_("There is no complaint with this reference."), "complaint_reference")
        )
    if len(entry.notes) > NOTES_MAX:
        problems.append(LedgerError(_("Keep notes to %(n)s characters.", n=NOTES_MAX), "notes"))
    return problems


def _complaint(reference: str) -> Complaint | None:
    return db.session.execute(
        select(Complaint).where(Complaint.reference == reference.strip().upper())
    ).scalar_one_or_none()


def _locked_periods(*days: date) -> list[ReportPeriod]:
    found: dict[date, ReportPeriod] = {}
    for day in days:
        report = finalised(periods.period_of(day))
        if report is not None:
            found[report.start] = report
    return [found[k] for k in sorted(found)]


def _authorise(actor: Actor, locked: list[ReportPeriod], entry: Entry) -> None:
    decision = ledger_change(actor, locked=bool(locked))
    if not decision.allowed:
        raise LedgerError(str(decision.reason), "received_on" if locked else None)
    if locked and not entry.amendment_reason.strip():
        raise LedgerError(
            _(
                "The report for this period has been finalised: say why this change is made. "
                "The reason is kept with the report."
            ),
            "amendment_reason",
        )
    if len(entry.amendment_reason) > REASON_MAX:
        raise LedgerError(
            _("Keep the reason to %(n)s characters.", n=REASON_MAX), "amendment_reason"
        )


def _apply(request: FederalRequest, entry: Entry) -> list[str]:
    """Copy the entry onto the request; the names of the fields whose value changed."""
    complaint = _complaint(entry.complaint_reference) if entry.complaint_reference.strip() else None
    values: dict[str, Any] = {
        "received_on": entry.received_on,
        "kind": entry.kind,
        "form": entry.form,
        "reason_given": REASON_SEPARATOR.join(sorted({r.value for r in entry.reasons})),
        "judicial_warrant_presented": entry.judicial_warrant_presented,
        "outcome": entry.outcome,
        "detained_hours": entry.detained_hours,
        "reimbursement_amount": entry.reimbursement_amount,
        "reimbursement_case": entry.reimbursement_case.strip() or None,
        "complaint_id": complaint.id if complaint else None,
    }
    if normalise_booking_number(entry.booking_number):
        values["person_key"] = person_key(entry.booking_number)
    changed = []
    for name, value in values.items():
        if getattr(request, name) != value:
            changed.append("person" if name == "person_key" else name)
            setattr(request, name, value)
    notes = entry.notes.strip() or None
    if request.notes != notes:
        changed.append("notes")
        request.notes = notes
    return changed


def _actor_id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, User) else None


def _event(
    kind: LedgerEventKind,
    actor: Actor,
    *,
    request: FederalRequest | None = None,
    period: date | None = None,
    data: dict | None = None,
) -> LedgerEvent:
    event = LedgerEvent(
        federal_request_id=request.id if request is not None else None,
        period_start=period,
        actor_id=_actor_id(actor),
        kind=kind,
        data=data or {},
        created_at=utcnow(),
    )
    audit.append(audit.LEDGER, event)
    db.session.flush()
    return event


def _amend(
    request: FederalRequest, locked: list[ReportPeriod], changed: list[str], entry: Entry, actor
) -> None:
    for report in locked:
        amendment = LedgerAmendment(
            federal_request_id=request.id,
            period_start=report.start,
            actor_id=_actor_id(actor),
            created_at=utcnow(),
            changed=changed,
            reason=entry.amendment_reason.strip(),
        )
        db.session.add(amendment)
        db.session.flush()
        _event(
            LedgerEventKind.AMENDED,
            actor,
            request=request,
            period=report.start,
            data={
                "changed": changed,
                "amendment": amendment.id,
                "reason_digest": keyed_hash("ledger-amendment-reason", amendment.reason or ""),
            },
        )


def _raise_problems(problems: list[LedgerError]) -> None:
    if problems:
        raise InvalidEntry(problems)


def create(entry: Entry, actor: Actor) -> FederalRequest:
    """Enter a new request. Raises ``InvalidEntry`` naming every broken rule, or
    ``LedgerError`` when the actor may not enter it; changes nothing then. Flushes, never
    commits."""
    _raise_problems(_check(entry, creating=True))
    # Finalising takes the same lock: a period cannot be finalised between the check and
    # the change.
    audit.lock(audit.LEDGER)
    locked = _locked_periods(entry.received_on)
    _authorise(actor, locked, entry)
    request = FederalRequest(created_by_id=_actor_id(actor))
    _apply(request, entry)
    db.session.add(request)
    db.session.flush()
    _event(
        LedgerEventKind.CREATED,
        actor,
        request=request,
        period=periods.period_of(request.received_on).start,
        data={"kind": request.kind.value, "outcome": request.outcome.value},
    )
    if locked:
        _amend(request, locked, ["created"], entry, actor)
    return request


def update(request: FederalRequest, entry: Entry, actor: Actor) -> list[str]:
    """Change a request; the names of the fields that changed (empty: nothing to do, nothing
    recorded). A request in a finalised period, before or after the change, needs a
    supervisor and a reason. Flushes, never commits."""
    _raise_problems(_check(entry, creating=False))
    audit.lock(audit.LEDGER)
    db.session.refresh(request)  # as it stands now that no other change can come between
    locked = _locked_periods(request.received_on, entry.received_on)
    _authorise(actor, locked, entry)
    changed = _apply(request, entry)
    if not changed:
        return []
    request.updated_at = utcnow()
    db.session.flush()
    _event(
        LedgerEventKind.EDITED,
        actor,
        request=request,
        period=periods.period_of(request.received_on).start,
        data={"changed": changed},
    )
    if locked:
        _amend(request, locked, changed, entry, actor)
    return changed


def record_finalised(report: ReportPeriod, actor: Actor, digest: str) -> None:
    """The ledger chain's record that a period was finalised, with its snapshot's digest."""
    _event(LedgerEventKind.FINALISED, actor, period=report.start, data={"snapshot": digest})


@dataclass(frozen=True)
class LedgerFilters:
    """What the ledger list shows: a period, a kind, an outcome (None: all)."""

    period: Period | None = None
    kind: RequestKind | None = None
    outcome: RequestOutcome | None = None


def load(filters: LedgerFilters) -> list[FederalRequest]:
    """The requests the filters select, newest received first."""
    query = select(FederalRequest)
    if filters.period is not None:
        query = query.where(
            FederalRequest.received_on >= filters.period.start,
            FederalRequest.received_on < filters.period.end,
        )
    if filters.kind is not None:
        query = query.where(FederalRequest.kind == filters.kind)
    if filters.outcome is not None:
        query = query.where(FederalRequest.outcome == filters.outcome)
    query = query.order_by(FederalRequest.received_on.desc(), FederalRequest.id.desc())
    return list(db.session.execute(query).scalars())


def events_of(request: FederalRequest) -> list[LedgerEvent]:
    """The request's history from the ledger chain, oldest first."""
    return list(
        db.session.execute(
            select(LedgerEvent)
            .where(LedgerEvent.federal_request_id == request.id)
            .order_by(LedgerEvent.seq)
        ).scalars()
    )
