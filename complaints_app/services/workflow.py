"""The case workflow: the transition table and one function per action.

Views never set a status themselves; they call these functions, which check who may act and
what the action requires, change the state, and write a case event. Every refusal says what
is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints_app.authz import Permission, can
from complaints_app.models import (
    OPEN_STATUSES,
    ActorKind,
    ClosureReason,
    Complaint,
    Disposition,
    EventKind,
    Status,
    User,
    Visibility,
)
from complaints_app.services import audit
from complaints_app.timeutil import utcnow


class TransitionRefused(Exception):
    """An action that the case's state or the actor's role does not allow; says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class VersionConflict(Exception):
    """Someone else changed the case since this person loaded it."""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[Status, ...]
    target: Status
    permission: Permission | None  # None: the complainant, holding the tracking code


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("acknowledge", (Status.SUBMITTED,), Status.TRIAGE, Permission.TRIAGE),
        Transition("screen_in", (Status.TRIAGE,), Status.INVESTIGATION, Permission.TRIAGE),
        Transition("screen_out", (Status.TRIAGE,), Status.CLOSED, Permission.TRIAGE),
        Transition(
            "submit_findings", (Status.INVESTIGATION,), Status.REVIEW, Permission.INVESTIGATE
        ),
        Transition("return_findings", (Status.REVIEW,), Status.INVESTIGATION, Permission.SUPERVISE),
        Transition("approve", (Status.REVIEW,), Status.CLOSED, Permission.SUPERVISE),
        Transition("withdraw", OPEN_STATUSES, Status.CLOSED, Permission.VIEW_CASES),
        Transition("reopen", (Status.CLOSED,), Status.TRIAGE, Permission.SUPERVISE),
    )
}

SCREEN_OUT_REASONS = (
    ClosureReason.NO_TRUST_ACT_ALLEGATION,
    ClosureReason.OUTSIDE_JURISDICTION,
    ClosureReason.DUPLICATE,
    ClosureReason.REFERRED,
)

STATUS_LABELS = {
    Status.SUBMITTED: _l("submitted"),
    Status.TRIAGE: _l("in triage"),
    Status.INVESTIGATION: _l("under investigation"),
    Status.REVIEW: _l("in review"),
    Status.CLOSED: _l("closed"),
}


def allowed_actions(complaint: Complaint, user: User) -> list[str]:
    """The actions ``user`` could try on ``complaint`` now (requirements checked on submit)."""
    return [
        name
        for name, t in TRANSITIONS.items()
        if complaint.status in t.sources and _may(user, t, complaint)
    ]


def _may(user: User | None, transition: Transition, complaint: Complaint) -> bool:
    if transition.permission is None or user is None:
        return False
    if transition.action == "withdraw":
        return can(user, Permission.TRIAGE) or can(user, Permission.INVESTIGATE)
    if transition.action == "submit_findings":
        return can(user, Permission.INVESTIGATE) and (
            complaint.assignee_id == user.id or can(user, Permission.SUPERVISE)
        )
    return can(user, transition.permission)


def _begin(
    complaint: Complaint, action: str, actor: User | None, version: int | None
) -> Transition:
    transition = TRANSITIONS[action]
    if version is not None and version != complaint.version:
        raise VersionConflict()
    if actor is not None and not _may(actor, transition, complaint):
        raise TransitionRefused(_("Your role does not allow this action on this case."))
    if complaint.status not in transition.sources:
        raise TransitionRefused(
            _(
                "This case is %(status)s, so this cannot be done now.",
                status=STATUS_LABELS[complaint.status],
            )
        )
    return transition


def _move(
    complaint: Complaint,
    transition: Transition,
    *,
    actor: User | None,
    actor_kind: ActorKind = ActorKind.STAFF,
    data: dict | None = None,
    body: str | None = None,
    visibility: Visibility = Visibility.COMPLAINANT,
    closure: ClosureReason | None = None,
) -> None:
    previous = complaint.status
    # Status and closure reason change together: a CHECK constraint ties them.
    complaint.status = transition.target
    complaint.closure_reason = closure
    now = utcnow()
    if transition.target == Status.CLOSED:
        complaint.closed_at = now
        complaint.waiting_since = None
    audit.record(
        complaint,
        EventKind.STATUS_CHANGED,
        actor=actor,
        actor_kind=actor_kind,
        visibility=visibility,
        data={
            "action": transition.action,
            "from": previous.value,
            "to": transition.target.value,
            **(data or {}),
        },
        body=body,
    )


def message_complainant(
    complaint: Complaint, actor: User, text: str, *, wait_for_reply: bool = False
) -> None:
    """A message the complainant reads on /track. Waiting for their answer pauses the
    investigation clock."""
    if not text.strip():
        raise TransitionRefused(_("Write the message first."))
    audit.record(
        complaint,
        EventKind.MESSAGE_TO_COMPLAINANT,
        actor=actor,
        visibility=Visibility.COMPLAINANT,
        body=text.strip(),
    )
    if wait_for_reply and complaint.is_open and complaint.waiting_since is None:
        complaint.waiting_since = utcnow()


def resume_clock(complaint: Complaint) -> None:
    """The complainant answered: the time spent waiting on them is added back to the deadline."""
    if complaint.waiting_since is None:
        return
    paused = utcnow() - complaint.waiting_since
    if complaint.investigation_due_at is not None:
        complaint.investigation_due_at += paused
    complaint.waiting_since = None


def acknowledge(
    complaint: Complaint, actor: User, message: str, *, version: int | None = None
) -> None:
    """Submitted → triage. Requires the acknowledgement message, which the complainant reads."""
    transition = _begin(complaint, "acknowledge", actor, version)
    if not (message or "").strip():
        raise TransitionRefused(_("Write the acknowledgement message to the complainant."))
    message_complainant(complaint, actor, message)
    complaint.acknowledged_at = utcnow()
    _move(complaint, transition, actor=actor)


def screen_in(
    complaint: Complaint, actor: User, assignee: User | None, *, version: int | None = None
) -> None:
    """Triage → investigation. Requires an allegation with a confirmed, complaint-eligible
    clause and an investigator to assign."""
    transition = _begin(complaint, "screen_in", actor, version)
    eligible = [
        a
        for a in complaint.allegations
        if a.clause_confirmed and a.clause is not None and a.clause.complaint_eligible
    ]
    missing = []
    if not eligible:
        missing.append(_("confirm the clause of at least one allegation under an eligible clause"))
    if assignee is None or not assignee.active or not can(assignee, Permission.INVESTIGATE):
        missing.append(_("choose an investigator to assign"))
    if missing:
        raise TransitionRefused(_("To screen in, %(what)s.", what=_(" and ").join(missing)))
    previous = complaint.assignee_id
    complaint.assignee_id = assignee.id
    now = utcnow()
    complaint.screened_in_at = now
    complaint.investigation_due_at = now + timedelta(days=current_app.config["INVESTIGATION_DAYS"])
    audit.record(
        complaint, EventKind.ASSIGNED, actor=actor, data={"from": previous, "to": assignee.id}
    )
    _move(complaint, transition, actor=actor)


def screen_out(
    complaint: Complaint,
    actor: User,
    reason: ClosureReason,
    *,
    note: str = "",
    merged_into: Complaint | None = None,
    version: int | None = None,
) -> None:
    """Triage → closed, with a closure reason; a duplicate names the surviving case."""
    transition = _begin(complaint, "screen_out", actor, version)
    if reason not in SCREEN_OUT_REASONS:
        raise TransitionRefused(_("Choose why this case is screened out."))
    if reason == ClosureReason.DUPLICATE:
        if merged_into is None or merged_into.id == complaint.id:
            raise TransitionRefused(_("Name the case this one duplicates."))
        if merged_into.merged_into_id is not None:
            raise TransitionRefused(_("That case was itself merged; name the surviving case."))
        complaint.merged_into_id = merged_into.id
    _move(
        complaint,
        transition,
        actor=actor,
        data={"reason": reason.value},
        body=note.strip() or None,
        visibility=Visibility.COMPLAINANT,
        closure=reason,
    )
    if merged_into is not None and reason == ClosureReason.DUPLICATE:
        audit.record(
            merged_into, EventKind.MERGED, actor=actor, data={"merged": complaint.reference}
        )


def submit_findings(
    complaint: Complaint, actor: User, summary: str, *, version: int | None = None
) -> None:
    """Investigation → review, by the assignee: a disposition for every allegation and a
    findings summary."""
    transition = _begin(complaint, "submit_findings", actor, version)
    undecided = [a for a in complaint.allegations if a.disposition is None]
    missing = []
    if undecided:
        missing.append(_("give a disposition for every allegation (%(n)s left)", n=len(undecided)))
    if not (summary or "").strip():
        missing.append(_("write a findings summary"))
    if missing:
        raise TransitionRefused(_("To submit findings, %(what)s.", what=_(" and ").join(missing)))
    complaint.findings_summary = summary.strip()
    _move(complaint, transition, actor=actor, visibility=Visibility.INTERNAL)


def return_findings(
    complaint: Complaint, actor: User, reason: str, *, version: int | None = None
) -> None:
    """Review → investigation, by a supervisor, with a reason."""
    transition = _begin(complaint, "return_findings", actor, version)
    if not (reason or "").strip():
        raise TransitionRefused(_("Say why the findings are returned."))
    _move(complaint, transition, actor=actor, body=reason.strip(), visibility=Visibility.INTERNAL)


def approve(complaint: Complaint, actor: User, *, version: int | None = None) -> None:
    """Review → closed, by a supervisor."""
    transition = _begin(complaint, "approve", actor, version)
    _move(
        complaint,
        transition,
        actor=actor,
        data={"reason": "findings_approved"},
        closure=ClosureReason.FINDINGS_APPROVED,
    )


def _withdraw(complaint: Complaint) -> None:
    for allegation in complaint.allegations:
        if allegation.disposition is None:
            allegation.disposition = Disposition.NO_FINDING


def withdraw_by_complainant(complaint: Complaint) -> None:
    """The complainant (holding reference and tracking code) withdraws an open case."""
    transition = _begin(complaint, "withdraw", None, None)
    _withdraw(complaint)
    _move(
        complaint,
        transition,
        actor=None,
        actor_kind=ActorKind.COMPLAINANT,
        data={"reason": ClosureReason.WITHDRAWN.value},
        closure=ClosureReason.WITHDRAWN,
    )


def withdraw_by_staff(
    complaint: Complaint, actor: User, note: str, *, version: int | None = None
) -> None:
    """Staff record that the complainant withdrew (by phone, say), with a note."""
    transition = _begin(complaint, "withdraw", actor, version)
    if not (note or "").strip():
        raise TransitionRefused(_("Say how the complainant withdrew."))
    _withdraw(complaint)
    _move(
        complaint,
        transition,
        actor=actor,
        data={"reason": ClosureReason.WITHDRAWN.value},
        body=note.strip(),
        visibility=Visibility.INTERNAL,
        closure=ClosureReason.WITHDRAWN,
    )


def reopen(complaint: Complaint, actor: User, reason: str, *, version: int | None = None) -> None:
    """Closed → triage, by a supervisor, with a reason."""
    transition = _begin(complaint, "reopen", actor, version)
    if not (reason or "").strip():
        raise TransitionRefused(_("Say why the case is reopened."))
    if complaint.merged_into_id is not None:
        raise TransitionRefused(
            _("A merged duplicate cannot be reopened; reopen the surviving case.")
        )
    complaint.closed_at = None
    _move(complaint, transition, actor=actor, body=reason.strip(), visibility=Visibility.INTERNAL)
