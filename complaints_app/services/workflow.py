"""The case workflow: the transition table and one function per action.

Views never set a status themselves; they call these functions, which check who may act and
what the action requires, change the state, and write a case event.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from complaints_app.models import (
    OPEN_STATUSES,
    ActorKind,
    ClosureReason,
    Complaint,
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


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[Status, ...]
    target: Status


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("acknowledge", (Status.SUBMITTED,), Status.TRIAGE),
        Transition("screen_in", (Status.TRIAGE,), Status.INVESTIGATION),
        Transition("screen_out", (Status.TRIAGE,), Status.CLOSED),
        Transition("submit_findings", (Status.INVESTIGATION,), Status.REVIEW),
        Transition("return_findings", (Status.REVIEW,), Status.INVESTIGATION),
        Transition("approve", (Status.REVIEW,), Status.CLOSED),
        Transition("withdraw", OPEN_STATUSES, Status.CLOSED),
        Transition("reopen", (Status.CLOSED,), Status.TRIAGE),
    )
}


def _check_source(complaint: Complaint, action: str) -> Transition:
    transition = TRANSITIONS[action]
    if complaint.status not in transition.sources:
        raise TransitionRefused(
            str(
                _l(
                    "This case is %(status)s, so this cannot be done now.",
                    status=complaint.status.value,
                )
            )
        )
    return transition


def _move(
    complaint: Complaint,
    transition: Transition,
    *,
    actor: User | None,
    actor_kind: ActorKind,
    data: dict | None = None,
    body: str | None = None,
    visibility: Visibility = Visibility.COMPLAINANT,
) -> None:
    previous = complaint.status
    complaint.status = transition.target
    if transition.target == Status.CLOSED:
        complaint.closed_at = utcnow()
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


def withdraw_by_complainant(complaint: Complaint) -> None:
    """The complainant (holding reference and tracking code) withdraws an open case."""
    transition = _check_source(complaint, "withdraw")
    complaint.closure_reason = ClosureReason.WITHDRAWN
    complaint.waiting_since = None
    _move(
        complaint,
        transition,
        actor=None,
        actor_kind=ActorKind.COMPLAINANT,
        data={"reason": ClosureReason.WITHDRAWN.value},
    )
