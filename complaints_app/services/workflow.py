"""The case workflow: one table of steps and one function per step.

Views never set a status themselves; they call these functions, which ask ``authz`` whether the
actor may take the step, check what the step requires, change the state, and write a case
event. Every refusal says what is missing. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from complaints_app.authz import (
    ASSIGNEE,
    COMPLAINANT,
    FILING_ORGANISATION,
    INTAKE,
    OPEN,
    STATUS_WORDS,
    SUPERVISOR,
    Actor,
    CaseAction,
    Complainant,
    Refused,
    Relation,
    can,
    can_be_assigned,
    check,
)
from complaints_app.extensions import db
from complaints_app.i18n import complainant_locale
from complaints_app.models import (
    ActorKind,
    CaseAssignment,
    ClosureReason,
    Complaint,
    Disposition,
    EventKind,
    Status,
    User,
    Visibility,
)
from complaints_app.services import audit, outcome
from complaints_app.timeutil import utcnow

TransitionRefused = Refused  # the name the workflow's callers know refusals by


class VersionConflict(Exception):
    """Someone else changed the case since this person loaded it."""


@dataclass(frozen=True)
class WorkflowAction:
    """One step of the workflow, whole: the states it leaves and reaches, who may take it
    (read by ``authz.decide``), the staff form that asks for its inputs (a class name in
    ``complaints_app.staff.forms``), how the form's values reach the step, and what the
    person is told once it is done. The staff page draws it from
    ``templates/staff/actions/<name>.html``."""

    name: str
    sources: frozenset[Status]
    target: Status
    who: tuple[Relation, ...]
    form: str
    perform: Callable[[Complaint, User, Any, int | None], None]
    done: LazyString

    @property
    def form_class(self) -> type:
        from complaints_app.staff import forms

        return getattr(forms, self.form)


SCREEN_OUT_REASONS = (
    ClosureReason.NO_TRUST_ACT_ALLEGATION,
    ClosureReason.OUTSIDE_JURISDICTION,
    ClosureReason.DUPLICATE,
    ClosureReason.REFERRED,
)

STATUS_LABELS = STATUS_WORDS


def allowed_actions(complaint: Complaint, actor: Actor) -> list[WorkflowAction]:
    """The workflow steps ``actor`` may take on ``complaint`` now (their requirements are
    checked when they are taken)."""
    return [a for a in ACTIONS.values() if can(actor, complaint, a.name)]


def _begin(complaint: Complaint, action: str, actor: Actor, version: int | None) -> WorkflowAction:
    spec = ACTIONS[action]
    if version is not None and version != complaint.version:
        raise VersionConflict()
    check(actor, complaint, action)
    return spec


def _actor_kind(actor: Actor) -> ActorKind:
    if isinstance(actor, Complainant):
        return ActorKind.COMPLAINANT
    if isinstance(actor, User):
        return ActorKind.ADVOCATE if actor.organisation_id is not None else ActorKind.STAFF
    return ActorKind.SYSTEM


def _move(
    complaint: Complaint,
    spec: WorkflowAction,
    *,
    actor: Actor,
    data: dict | None = None,
    body: str | None = None,
    visibility: Visibility = Visibility.COMPLAINANT,
    closure: ClosureReason | None = None,
) -> None:
    previous = complaint.status
    # Status and closure reason change together: a CHECK constraint ties them.
    complaint.status = spec.target
    complaint.closure_reason = closure
    if spec.target == Status.CLOSED:
        complaint.closed_at = utcnow()
        complaint.waiting_since = None
    audit.record(
        complaint,
        EventKind.STATUS_CHANGED,
        actor=actor if isinstance(actor, User) else None,
        actor_kind=_actor_kind(actor),
        visibility=visibility,
        data={"action": spec.name, "from": previous.value, "to": spec.target.value, **(data or {})},
        body=body,
    )


def _unconfirmed(complaint: Complaint) -> list:
    return [a for a in complaint.allegations if not a.clause_confirmed or a.clause is None]


def message_complainant(
    complaint: Complaint, actor: User, text: str, *, wait_for_reply: bool = False
) -> None:
    """A message the complainant reads on /track. Waiting for their answer pauses the
    investigation clock."""
    check(actor, complaint, CaseAction.MESSAGE)
    _write_to_complainant(complaint, actor, text)
    if wait_for_reply and complaint.is_open and complaint.waiting_since is None:
        complaint.waiting_since = utcnow()


def _write_to_complainant(complaint: Complaint, actor: User, text: str) -> None:
    if not (text or "").strip():
        raise Refused(_("Write the message first."))
    audit.record(
        complaint,
        EventKind.MESSAGE_TO_COMPLAINANT,
        actor=actor,
        visibility=Visibility.COMPLAINANT,
        body=text.strip(),
    )


def _require_message(message: str) -> None:
    if not (message or "").strip():
        raise Refused(_("Write the message to the complainant."))


def resume_clock(complaint: Complaint) -> None:
    """The complainant answered: the time spent waiting on them is added back to the deadline."""
    if complaint.waiting_since is None:
        return
    paused = utcnow() - complaint.waiting_since
    if complaint.investigation_due_at is not None:
        complaint.investigation_due_at += paused
    complaint.waiting_since = None


def give_to(complaint: Complaint, actor: User, assignee: User | None) -> None:
    """Record who now works the case; everyone it was ever given to keeps read access."""
    previous = complaint.assignee_id
    complaint.assignee_id = assignee.id if assignee else None
    if assignee is not None and assignee.id not in {a.user_id for a in complaint.assignments}:
        complaint.assignments.append(CaseAssignment(user_id=assignee.id, assigned_at=utcnow()))
    audit.record(
        complaint,
        EventKind.ASSIGNED,
        actor=actor,
        data={"from": previous, "to": complaint.assignee_id},
    )


def acknowledge(
    complaint: Complaint, actor: User, message: str, *, version: int | None = None
) -> None:
    """Submitted → triage. Requires the acknowledgement message, which the complainant reads."""
    spec = _begin(complaint, "acknowledge", actor, version)
    if not (message or "").strip():
        raise Refused(_("Write the acknowledgement message to the complainant."))
    _write_to_complainant(complaint, actor, message)
    complaint.acknowledged_at = utcnow()
    _move(complaint, spec, actor=actor)


def screen_in(
    complaint: Complaint, actor: User, assignee: User | None, *, version: int | None = None
) -> None:
    """Triage → investigation. Requires every allegation's clause confirmed (by intake or a
    supervisor), at least one under a complaint-eligible clause, and an investigator."""
    spec = _begin(complaint, "screen_in", actor, version)
    missing = []
    unconfirmed = _unconfirmed(complaint)
    eligible = [a for a in complaint.allegations if a.clause and a.clause.complaint_eligible]
    if unconfirmed:
        missing.append(
            _(
                "confirm the clause of every allegation (%(n)s not confirmed)",
                n=len(unconfirmed),
            )
        )
    elif not eligible:
        missing.append(_("confirm the clause of at least one allegation under an eligible clause"))
    if not can_be_assigned(assignee):
        missing.append(_("choose an investigator to assign"))
    if missing:
        raise Refused(_("To screen in, %(what)s.", what=_(" and ").join(missing)))
    give_to(complaint, actor, assignee)
    now = utcnow()
    complaint.screened_in_at = now
    complaint.investigation_due_at = now + timedelta(days=current_app.config["INVESTIGATION_DAYS"])
    _move(complaint, spec, actor=actor)


def screen_out(
    complaint: Complaint,
    actor: User,
    reason: ClosureReason,
    message: str,
    *,
    merged_into: Complaint | None = None,
    version: int | None = None,
) -> None:
    """Triage → closed, with a closure reason and a message to the complainant, which starts
    with the reason in plain words; a duplicate names the surviving case (to staff only)."""
    spec = _begin(complaint, "screen_out", actor, version)
    if reason not in SCREEN_OUT_REASONS:
        raise Refused(_("Choose why this case is screened out."))
    _require_message(message)
    if reason == ClosureReason.DUPLICATE:
        if merged_into is None or merged_into.id == complaint.id:
            raise Refused(_("Name the case this one duplicates."))
        if not can(actor, merged_into, CaseAction.MERGE_INTO):
            raise Refused(_("Name the case this one duplicates."))
        if merged_into.merged_into_id is not None:
            raise Refused(_("That case was itself merged; name the surviving case."))
        complaint.merged_into_id = merged_into.id
    _move(
        complaint,
        spec,
        actor=actor,
        data={"reason": reason.value},
        visibility=Visibility.COMPLAINANT,
        closure=reason,
    )
    # The reason sentence is the office's words: in the complainant's language.
    with complainant_locale(complaint):
        reason_sentence = outcome.screen_out_reason_sentence(reason)
    _write_to_complainant(complaint, actor, reason_sentence + "\n\n" + message.strip())
    if merged_into is not None and reason == ClosureReason.DUPLICATE:
        audit.record(
            merged_into, EventKind.MERGED, actor=actor, data={"merged": complaint.reference}
        )


def submit_findings(
    complaint: Complaint, actor: User, summary: str, *, version: int | None = None
) -> None:
    """Investigation → review, by the assignee: every clause confirmed, a disposition for
    every allegation and a findings summary."""
    spec = _begin(complaint, "submit_findings", actor, version)
    undecided = [a for a in complaint.allegations if a.disposition is None]
    missing = []
    unconfirmed = _unconfirmed(complaint)
    if unconfirmed:
        missing.append(
            _(
                "have intake confirm the clause of every allegation (%(n)s not confirmed)",
                n=len(unconfirmed),
            )
        )
    if undecided:
        missing.append(_("give a disposition for every allegation (%(n)s left)", n=len(undecided)))
    if not (summary or "").strip():
        missing.append(_("write a findings summary"))
    if missing:
        raise Refused(_("To submit findings, %(what)s.", what=_(" and ").join(missing)))
    complaint.findings_summary = summary.strip()
    _move(complaint, spec, actor=actor, visibility=Visibility.INTERNAL)


def return_findings(
    complaint: Complaint, actor: User, reason: str, *, version: int | None = None
) -> None:
    """Review → investigation, by a supervisor, with a reason."""
    spec = _begin(complaint, "return_findings", actor, version)
    if not (reason or "").strip():
        raise Refused(_("Say why the findings are returned."))
    _move(complaint, spec, actor=actor, body=reason.strip(), visibility=Visibility.INTERNAL)


def approve(complaint: Complaint, actor: User, message: str, *, version: int | None = None) -> None:
    """Review → closed, by a supervisor; every clause must be confirmed and decided, and the
    outcome message (``outcome.approval_message`` edited as needed) is recorded for the
    complainant to read."""
    spec = _begin(complaint, "approve", actor, version)
    if _unconfirmed(complaint) or any(a.disposition is None for a in complaint.allegations):
        raise Refused(
            _("Every allegation needs a confirmed clause and a disposition; return the findings.")
        )
    _require_message(message)
    _move(
        complaint,
        spec,
        actor=actor,
        data={"reason": "findings_approved"},
        closure=ClosureReason.FINDINGS_APPROVED,
    )
    _write_to_complainant(complaint, actor, message)


def withdraw(
    complaint: Complaint,
    actor: Actor,
    note: str = "",
    *,
    message: str = "",
    version: int | None = None,
) -> None:
    """Close an open case at the complainant's wish. The complainant (or their organisation)
    withdraws it themselves; staff record a withdrawal they were told of, saying how (an
    internal note) and writing to the complainant (``message``)."""
    spec = _begin(complaint, "withdraw", actor, version)
    by_client = isinstance(actor, Complainant) or (
        isinstance(actor, User) and can(actor, complaint, CaseAction.TRACK)
    )
    if not by_client:
        if not (note or "").strip():
            raise Refused(_("Say how the complainant withdrew."))
        _require_message(message)
    for allegation in complaint.allegations:
        if allegation.disposition is None:
            allegation.disposition = Disposition.NO_FINDING
    _move(
        complaint,
        spec,
        actor=actor,
        data={"reason": ClosureReason.WITHDRAWN.value},
        body=(note or "").strip() or None,
        visibility=Visibility.COMPLAINANT if by_client else Visibility.INTERNAL,
        closure=ClosureReason.WITHDRAWN,
    )
    if not by_client:
        _write_to_complainant(complaint, actor, message)


def withdraw_by_complainant(complaint: Complaint) -> None:
    """The complainant (holding reference and tracking code) withdraws an open case."""
    withdraw(complaint, Complainant(complaint.id))


def withdraw_by_staff(
    complaint: Complaint, actor: User, note: str, message: str, *, version: int | None = None
) -> None:
    """Staff record that the complainant withdrew (by phone, say), with a note, and write to
    the complainant."""
    withdraw(complaint, actor, note, message=message, version=version)


def reopen(complaint: Complaint, actor: User, reason: str, *, version: int | None = None) -> None:
    """Closed → triage, by a supervisor, with a reason."""
    spec = _begin(complaint, "reopen", actor, version)
    if not (reason or "").strip():
        raise Refused(_("Say why the case is reopened."))
    if complaint.merged_into_id is not None:
        raise Refused(_("A merged duplicate cannot be reopened; reopen the surviving case."))
    complaint.closed_at = None
    _move(complaint, spec, actor=actor, body=reason.strip(), visibility=Visibility.INTERNAL)


def user_from_choice(value: str | None) -> User | None:
    """The account a form's select named by id, if any."""
    if not value or not str(value).isdigit():
        return None
    return db.session.get(User, int(value))


def case_by_reference(reference: str | None) -> Complaint | None:
    """The case a person typed the reference of, if it exists."""
    if not reference:
        return None
    return db.session.execute(
        select(Complaint).where(Complaint.reference == reference.strip().upper())
    ).scalar_one_or_none()


def _step(
    name: str,
    sources: frozenset[Status] | set[Status],
    target: Status,
    who: tuple[Relation, ...],
    form: str,
    perform: Callable[[Complaint, User, Any, int | None], None],
    done: LazyString,
) -> WorkflowAction:
    return WorkflowAction(name, frozenset(sources), target, who, form, perform, done)


ACTIONS: dict[str, WorkflowAction] = {
    a.name: a
    for a in (
        _step(
            "acknowledge",
            {Status.SUBMITTED},
            Status.TRIAGE,
            (INTAKE, SUPERVISOR),
            "AcknowledgeForm",
            lambda c, u, f, v: acknowledge(c, u, f.message.data, version=v),
            _l("Acknowledged. The complainant can read your message."),
        ),
        _step(
            "screen_in",
            {Status.TRIAGE},
            Status.INVESTIGATION,
            (INTAKE, SUPERVISOR),
            "ScreenInForm",
            lambda c, u, f, v: screen_in(c, u, user_from_choice(f.assignee.data), version=v),
            _l("Screened in and assigned."),
        ),
        _step(
            "screen_out",
            {Status.TRIAGE},
            Status.CLOSED,
            (INTAKE, SUPERVISOR),
            "ScreenOutForm",
            lambda c, u, f, v: screen_out(
                c,
                u,
                ClosureReason(f.reason.data),
                f.message.data or "",
                merged_into=case_by_reference(f.duplicate_of.data),
                version=v,
            ),
            _l("Screened out. The case is closed."),
        ),
        _step(
            "submit_findings",
            {Status.INVESTIGATION},
            Status.REVIEW,
            (ASSIGNEE,),
            "FindingsForm",
            lambda c, u, f, v: submit_findings(c, u, f.summary.data or "", version=v),
            _l("Findings submitted for review."),
        ),
        _step(
            "return_findings",
            {Status.REVIEW},
            Status.INVESTIGATION,
            (SUPERVISOR,),
            "ReasonForm",
            lambda c, u, f, v: return_findings(c, u, f.reason.data or "", version=v),
            _l("Findings returned to the investigator."),
        ),
        _step(
            "approve",
            {Status.REVIEW},
            Status.CLOSED,
            (SUPERVISOR,),
            "ApproveForm",
            lambda c, u, f, v: approve(c, u, f.message.data or "", version=v),
            _l("Findings approved. The case is closed."),
        ),
        _step(
            "withdraw",
            OPEN,
            Status.CLOSED,
            (INTAKE, SUPERVISOR, ASSIGNEE, COMPLAINANT, FILING_ORGANISATION),
            "WithdrawForm",
            lambda c, u, f, v: withdraw(
                c, u, f.reason.data or "", message=f.message.data or "", version=v
            ),
            _l("Withdrawal recorded. The case is closed."),
        ),
        _step(
            "reopen",
            {Status.CLOSED},
            Status.TRIAGE,
            (SUPERVISOR,),
            "ReasonForm",
            lambda c, u, f, v: reopen(c, u, f.reason.data or "", version=v),
            _l("Reopened. The case is back in triage."),
        ),
    )
}
