"""One synthetic case's story for ``demo-data``: who filed it, what was alleged, and what the
office did when, as the rows the real workflow would have written.

Nothing here touches the database. Every choice comes from the ``random.Random`` handed in, so
the same seed tells the same story. Texts are short on purpose: each is sealed like real text,
and a hundred thousand of them must seal in seconds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from complaints_app.demo_texts import (
    ACCESS,
    ACK,
    AGENCY_WEIGHTS,
    CHANNEL_WEIGHTS,
    CLAUSE_WEIGHTS,
    CLOSINGS,
    DETAILS,
    DISPOSITION_WEIGHTS,
    ENDINGS,
    FINDINGS,
    FIRST_NAMES,
    LAST_NAMES,
    NOTES,
    OFFICERS,
    OPENINGS,
    OUTCOME,
    PLACES,
    QUESTION_FOR,
    QUESTIONS,
    REPLIES,
    RETURN_REASONS,
    SAYS,
    SCREEN_OUT,
    SCREEN_OUT_TEXT,
    STAFF_WITHDRAW_MESSAGE,
    STAFF_WITHDRAW_NOTE,
    TIMES,
    weighted,
)
from complaints_app.models import (
    ActorKind,
    Agency,
    Channel,
    ClosureReason,
    Disposition,
    EventKind,
    Status,
    Visibility,
)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class Staff:
    """The accounts the story's steps are taken by (ids), and the filing organisations with
    one advocate each (``(organisation id, advocate id)``)."""

    intake: list[int]
    investigators: list[int]
    supervisors: list[int]
    records: list[int]
    organisations: list[tuple[int, int]]


@dataclass
class Event:
    """A timeline event before it has its place in the chain."""

    at: datetime
    kind: EventKind
    visibility: Visibility
    actor_kind: ActorKind
    actor_id: int | None
    data: dict
    body: str | None = None


@dataclass
class AllegationStory:
    clause_code: str | None
    suggested_by: str | None
    confirmed: bool
    subject: str | None
    summary: str
    plain_facts: dict
    facts_text: dict
    disposition: Disposition | None = None


@dataclass
class CaseStory:
    """Everything one case's rows need except ids, references and ciphertexts."""

    received_at: datetime
    channel: Channel
    agency: Agency
    urgent: bool
    anonymous: bool
    incident_date: date
    incident_time: str
    incident_place: str
    agency_detail: str
    narrative: str
    contact: dict | None
    contact_method: str | None
    safe_to_contact: bool | None
    organisation_id: int | None
    filed_by_id: int | None
    allegations: list[AllegationStory]
    status: Status = Status.SUBMITTED
    closure_reason: ClosureReason | None = None
    ack_due_at: datetime | None = None
    acknowledged_at: datetime | None = None
    screened_in_at: datetime | None = None
    investigation_due_at: datetime | None = None
    waiting_since: datetime | None = None
    closed_at: datetime | None = None
    assignee_id: int | None = None
    findings_summary: str | None = None
    duplicate: bool = False
    events: list[Event] = field(default_factory=list)

    @property
    def updated_at(self) -> datetime:
        return max(e.at for e in self.events)


@dataclass(frozen=True)
class Deadlines:
    ack: timedelta
    urgent_ack: timedelta
    investigation: timedelta


def _seconds(moment: datetime) -> datetime:
    # Whole seconds: the audit chain hashes the ISO text of each time, which must read back
    # from either database exactly as it was written.
    return moment.replace(microsecond=0)


def tell(
    rng: random.Random,
    *,
    received_at: datetime,
    now: datetime,
    staff: Staff,
    deadlines: Deadlines,
    forced: tuple[str, Status | None, Disposition | None] | None,
    forced_index: int,
) -> CaseStory:
    """The story of one case received at ``received_at``, as it stands at ``now``."""
    received_at = _seconds(received_at)
    if forced is not None:
        channel = CHANNEL_WEIGHTS[forced_index % len(CHANNEL_WEIGHTS)][0]
        agency = AGENCY_WEIGHTS[forced_index % len(AGENCY_WEIGHTS)][0]
        urgent = forced_index % 7 == 0
    else:
        channel = weighted(rng, CHANNEL_WEIGHTS)
        agency = weighted(rng, AGENCY_WEIGHTS)
        urgent = rng.random() < 0.05
    if channel == Channel.ADVOCATE and not staff.organisations:
        channel = Channel.WEB
    organisation_id = filed_by_id = None
    if channel == Channel.ADVOCATE:
        organisation_id, filed_by_id = rng.choice(staff.organisations)
    elif channel in (Channel.PHONE, Channel.WALK_IN, Channel.MAIL):
        filed_by_id = rng.choice(staff.intake)

    anonymous = channel != Channel.ADVOCATE and rng.random() < 0.2
    contact = method = safe = None
    if not anonymous:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        number = rng.randrange(100)
        contact = {
            "name": f"{first} {last}",
            "email": f"{first}.{last}{number}@example.org".lower() if rng.random() < 0.7 else "",
            "phone": f"555-01{number:02d}" if rng.random() < 0.6 else "",
            "postal": "",
            "best_time": rng.choice(("evenings", "weekdays after 5", "any time", "")),
        }
        method = "email" if contact["email"] else rng.choice(("phone", "text", "mail"))
        safe = rng.random() < 0.85

    codes = _clauses(rng)
    something_else = rng.random() < 0.04
    allegations = [
        AllegationStory(
            clause_code=None if something_else and i == 0 else code,
            suggested_by="something_else" if something_else and i == 0 else QUESTION_FOR.get(code),
            confirmed=False,
            subject=rng.choice(OFFICERS) or None,
            summary=SAYS[code],
            plain_facts=_plain_facts(rng, code),
            facts_text={"ice_access": rng.choice(ACCESS)} if code == "2e" else {},
        )
        for i, code in enumerate(codes)
    ]
    incident_date = (received_at - DAY * rng.randint(0, 45)).date()
    narrative = " ".join(
        t for t in (rng.choice(OPENINGS), SAYS[codes[0]], rng.choice(CLOSINGS)) if t
    )
    story = CaseStory(
        received_at=received_at,
        channel=channel,
        agency=agency,
        urgent=urgent,
        anonymous=anonymous,
        incident_date=incident_date,
        incident_time=rng.choice(TIMES),
        incident_place=rng.choice(PLACES),
        agency_detail=rng.choice(DETAILS),
        narrative=narrative,
        contact=contact,
        contact_method=method,
        safe_to_contact=safe,
        organisation_id=organisation_id,
        filed_by_id=filed_by_id,
        allegations=allegations,
    )
    story.ack_due_at = received_at + (deadlines.urgent_ack if urgent else deadlines.ack)
    _live(rng, story, now=now, staff=staff, deadlines=deadlines, forced=forced)
    return story


def _clauses(rng: random.Random) -> list[str]:
    count = rng.choices((1, 2, 3), (0.6, 0.3, 0.1))[0]
    codes: list[str] = []
    while len(codes) < count:
        code = weighted(rng, CLAUSE_WEIGHTS)
        if code not in codes:
            codes.append(code)
    return codes


def _plain_facts(rng: random.Random, code: str) -> dict:
    if code == "2c":
        return {
            "warrant_presented": rng.choice(("yes", "no", "no", "no")),
            "custody_extended_hours": rng.choice((2, 6, 12, 24, 48)),
        }
    if code == "2f":
        return {"copy_given": "no"}
    return {}


class _Timeline:
    """Appends events in time order and stops at ``now``: a step due later has not happened."""

    def __init__(self, story: CaseStory, now: datetime):
        self.story = story
        self.now = now
        self.at = story.received_at

    def wait(self, delay: timedelta) -> bool:
        """Move the clock on; False when that is past now (the step has not happened yet)."""
        self.at = _seconds(self.at + delay)
        return self.at <= self.now

    def add(
        self,
        kind: EventKind,
        actor_kind: ActorKind,
        actor_id: int | None,
        *,
        data: dict | None = None,
        body: str | None = None,
        visibility: Visibility = Visibility.INTERNAL,
    ) -> None:
        self.story.events.append(
            Event(self.at, kind, visibility, actor_kind, actor_id, data or {}, body)
        )

    def move(self, actor_id: int | None, action: str, target: Status, **kwargs) -> None:
        story = self.story
        actor_kind = kwargs.pop("actor_kind", ActorKind.STAFF)
        extra = kwargs.pop("data", {})
        data = {"action": action, "from": story.status.value, "to": target.value, **extra}
        self.add(EventKind.STATUS_CHANGED, actor_kind, actor_id, data=data, **kwargs)
        story.status = target
        if target == Status.CLOSED:
            story.closed_at = self.at
            story.waiting_since = None


def _durations(rng: random.Random, urgent: bool, deadlines: Deadlines) -> dict[str, timedelta]:
    # Most steps in time, some late: the late ones make the dashboard's overdue figures.
    if urgent:
        ack = HOUR * rng.uniform(0.3, 1.6) * deadlines.urgent_ack.total_seconds() / 3600
    else:
        ack = DAY * rng.uniform(0.05, 1.8) * deadlines.ack.days
    return {
        "ack": ack,
        "screen": DAY * rng.uniform(0.5, 20),
        "investigate": deadlines.investigation * rng.uniform(0.15, 1.5),
        "review": DAY * rng.uniform(1, 20),
    }


def _live(
    rng: random.Random,
    story: CaseStory,
    *,
    now: datetime,
    staff: Staff,
    deadlines: Deadlines,
    forced: tuple[str, Status | None, Disposition | None] | None,
) -> None:
    ending, stop_at, first_disposition = forced or (weighted(rng, ENDINGS), None, None)
    steps = _durations(rng, story.urgent, deadlines)
    # Questions to the complainant and returned findings take time a forced case may not have.
    detours = forced is None
    if forced is not None:
        # A forced case must reach its state by now: squeeze its steps into the time it has.
        room = (now - story.received_at) * 0.9
        total = sum(steps.values(), timedelta())
        if total > room:
            steps = {k: v * (room / total) for k, v in steps.items()}
    t = _Timeline(story, now)
    complainant_kind = ActorKind.ADVOCATE if story.organisation_id else ActorKind.COMPLAINANT
    filer_kind = (
        ActorKind.ADVOCATE
        if story.organisation_id
        else (ActorKind.STAFF if story.filed_by_id else ActorKind.COMPLAINANT)
    )
    t.add(
        EventKind.SUBMITTED,
        filer_kind,
        story.filed_by_id,
        data={"channel": story.channel.value, "urgent": story.urgent},
        visibility=Visibility.COMPLAINANT,
    )
    if stop_at == Status.SUBMITTED:
        return
    intake = rng.choice(staff.intake)
    if not t.wait(steps["ack"]):
        return
    if ending == "withdraw_early" and rng.random() < 0.5:
        _withdraw(rng, t, complainant_kind, intake)
        return
    t.add(
        EventKind.MESSAGE_TO_COMPLAINANT,
        ActorKind.STAFF,
        intake,
        body=ACK,
        visibility=Visibility.COMPLAINANT,
    )
    story.acknowledged_at = t.at
    t.move(intake, "acknowledge", Status.TRIAGE, visibility=Visibility.COMPLAINANT)
    if stop_at == Status.TRIAGE:
        return
    if not t.wait(steps["screen"]):
        return
    if ending in SCREEN_OUT:
        reason = SCREEN_OUT[ending]
        story.duplicate = reason == ClosureReason.DUPLICATE
        story.closure_reason = reason
        t.move(
            intake,
            "screen_out",
            Status.CLOSED,
            data={"reason": reason.value},
            visibility=Visibility.COMPLAINANT,
        )
        t.add(
            EventKind.MESSAGE_TO_COMPLAINANT,
            ActorKind.STAFF,
            intake,
            body=SCREEN_OUT_TEXT[reason],
            visibility=Visibility.COMPLAINANT,
        )
        return
    if ending == "withdraw_early":
        _withdraw(rng, t, complainant_kind, intake)
        return
    # Screening in: intake confirms each clause, then gives the case to an investigator.
    for position, allegation in enumerate(story.allegations, start=1):
        before = _state(allegation)
        if allegation.clause_code is None:
            allegation.clause_code = weighted(rng, CLAUSE_WEIGHTS)
        allegation.confirmed = True
        t.add(
            EventKind.CLAUSE_CHANGED,
            ActorKind.STAFF,
            intake,
            data=_change(position, before, allegation),
            body=None if before["clause"] else "Complainant describes a Trust Act clause.",
        )
    investigator = rng.choice(staff.investigators)
    t.add(EventKind.ASSIGNED, ActorKind.STAFF, intake, data={"from": None, "to": investigator})
    story.assignee_id = investigator
    story.screened_in_at = t.at
    story.investigation_due_at = t.at + deadlines.investigation
    t.move(intake, "screen_in", Status.INVESTIGATION, visibility=Visibility.COMPLAINANT)
    if stop_at == Status.INVESTIGATION:
        return
    investigate = steps["investigate"]
    if not t.wait(investigate * 0.3):
        return
    t.add(EventKind.NOTE, ActorKind.STAFF, investigator, body=rng.choice(NOTES))
    if detours and not story.anonymous and rng.random() < 0.35:
        t.add(
            EventKind.MESSAGE_TO_COMPLAINANT,
            ActorKind.STAFF,
            investigator,
            body=rng.choice(QUESTIONS),
            visibility=Visibility.COMPLAINANT,
        )
        story.waiting_since = t.at
        pause = DAY * rng.uniform(1, 45)
        if not t.wait(pause):
            return
        # The complainant answered: the time spent waiting is given back to the office.
        t.add(
            EventKind.MESSAGE_FROM_COMPLAINANT,
            complainant_kind,
            story.filed_by_id if story.organisation_id else None,
            body=rng.choice(REPLIES),
            visibility=Visibility.COMPLAINANT,
        )
        story.waiting_since = None
        story.investigation_due_at += pause
    if ending == "withdraw_late":
        if not t.wait(investigate * 0.2):
            return
        _withdraw(rng, t, complainant_kind, investigator)
        return
    if ending == "stalled" and stop_at is None:
        return
    if not t.wait(investigate * 0.7):
        return
    for position, allegation in enumerate(story.allegations, start=1):
        before = _state(allegation)
        if position == 1 and first_disposition is not None:
            allegation.disposition = first_disposition
        else:
            allegation.disposition = weighted(rng, DISPOSITION_WEIGHTS)
        t.add(
            EventKind.ALLEGATION_CHANGED,
            ActorKind.STAFF,
            investigator,
            data=_change(position, before, allegation),
        )
    story.findings_summary = rng.choice(FINDINGS)
    t.move(investigator, "submit_findings", Status.REVIEW)
    if stop_at == Status.REVIEW:
        return
    supervisor = rng.choice(staff.supervisors)
    if detours and rng.random() < 0.1:
        if not t.wait(steps["review"]):
            return
        t.move(supervisor, "return_findings", Status.INVESTIGATION, body=rng.choice(RETURN_REASONS))
        if not t.wait(DAY * rng.uniform(2, 20)):
            return
        t.move(investigator, "submit_findings", Status.REVIEW)
    if not t.wait(steps["review"]):
        return
    story.closure_reason = ClosureReason.FINDINGS_APPROVED
    t.move(
        supervisor,
        "approve",
        Status.CLOSED,
        data={"reason": ClosureReason.FINDINGS_APPROVED.value},
        visibility=Visibility.COMPLAINANT,
    )
    t.add(
        EventKind.MESSAGE_TO_COMPLAINANT,
        ActorKind.STAFF,
        supervisor,
        body=OUTCOME,
        visibility=Visibility.COMPLAINANT,
    )


def _withdraw(rng: random.Random, t: _Timeline, complainant_kind: ActorKind, staff_id: int) -> None:
    story = t.story
    for allegation in story.allegations:
        if allegation.disposition is None:
            allegation.disposition = Disposition.NO_FINDING
    story.closure_reason = ClosureReason.WITHDRAWN
    data = {"reason": ClosureReason.WITHDRAWN.value}
    if rng.random() < 0.5:
        advocate = story.filed_by_id if story.organisation_id else None
        t.move(
            advocate,
            "withdraw",
            Status.CLOSED,
            actor_kind=complainant_kind,
            data=data,
            visibility=Visibility.COMPLAINANT,
        )
        return
    t.move(staff_id, "withdraw", Status.CLOSED, data=data, body=STAFF_WITHDRAW_NOTE)
    t.add(
        EventKind.MESSAGE_TO_COMPLAINANT,
        ActorKind.STAFF,
        staff_id,
        body=STAFF_WITHDRAW_MESSAGE,
        visibility=Visibility.COMPLAINANT,
    )


def _state(allegation: AllegationStory) -> dict:
    return {
        "clause": allegation.clause_code,
        "confirmed": allegation.confirmed,
        "disposition": allegation.disposition.value if allegation.disposition else None,
        "subject": "given" if allegation.subject else "none",
    }


def _change(position: int, before: dict, allegation: AllegationStory) -> dict:
    # ``allegation_id`` is filled in once ids are known: the position stands for it here.
    return {
        "allegation_id": position,
        "before": before,
        "after": _state(allegation),
        "subject_changed": False,
        "facts_changed": False,
    }


def city_noon_utc(day: date, tz) -> datetime:
    """Noon of a city date, as UTC: the demo's "now" on its as-of day."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=tz).astimezone(UTC)
