"""What a complainant sees and does on /track, holding reference and tracking code."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from complaints_app.authz import Actor, CaseAction, Refused, acting_account, check
from complaints_app.extensions import db
from complaints_app.models import (
    ActorKind,
    Attachment,
    CaseEvent,
    ClosureReason,
    Complaint,
    EventKind,
    Status,
    Visibility,
)
from complaints_app.services import audit, intake, outcome, workflow
from complaints_app.services.uploads import FileBatch, PreparedFile

STATUS_TEXT = {
    Status.SUBMITTED: (
        _l("Received"),
        _l("We have your complaint. Someone from the office will read it and write to you here."),
    ),
    Status.TRIAGE: (
        _l("Being reviewed"),
        _l("The office is reviewing your complaint to decide what happens next."),
    ),
    Status.INVESTIGATION: (
        _l("Being investigated"),
        _l("An investigator is looking into what happened. This can take several weeks."),
    ),
    Status.REVIEW: (
        _l("Findings under review"),
        _l("The investigator has finished. A supervisor is checking the findings."),
    ),
    Status.CLOSED: (
        _l("Closed"),
        _l("This case is closed. The messages below explain the outcome."),
    ),
}


def status_text(complaint: Complaint) -> tuple[str, str]:
    """The case status in plain words: a short name and one sentence."""
    name, sentence = STATUS_TEXT[complaint.status]
    if complaint.status == Status.CLOSED and complaint.closure_reason is not None:
        sentence = _(
            "Your complaint was closed: %(why)s. You can still read everything about it here.",
            why=outcome.closure_plain(complaint.closure_reason),
        )
    return name, sentence


# Each step of the workflow as the complainant reads it on their timeline.
STEP_WORDS = {
    "acknowledge": _l("The office received your complaint and is reviewing it."),
    "screen_in": _l("Your complaint is being investigated."),
    "submit_findings": _l("The investigation is finished. A supervisor is checking the findings."),
    "return_findings": _l(
        "The supervisor asked for more work: your complaint is being investigated again."
    ),
    "reopen": _l("Your complaint was reopened. The office is reviewing it again."),
}
TARGET_WORDS = {
    Status.SUBMITTED: _l("Your complaint was received."),
    Status.TRIAGE: _l("The office is reviewing your complaint."),
    Status.INVESTIGATION: _l("Your complaint is being investigated."),
    Status.REVIEW: _l("A supervisor is checking the findings."),
    Status.CLOSED: _l("Your complaint was closed."),
}


def status_change_words(event: CaseEvent) -> str:
    """One sentence naming the status a change led to, in plain words: a closure says why."""
    data = event.data or {}
    if data.get("to") == Status.CLOSED.value and data.get("reason"):
        try:
            reason = ClosureReason(data["reason"])
        except ValueError:
            return str(TARGET_WORDS[Status.CLOSED])
        return _("Your complaint was closed: %(why)s.", why=outcome.closure_plain(reason))
    if data.get("action") in STEP_WORDS:
        return str(STEP_WORDS[data["action"]])
    try:
        return str(TARGET_WORDS[Status(data.get("to"))])
    except ValueError:
        return str(TARGET_WORDS[Status.SUBMITTED])


def public_timeline(complaint: Complaint, actor: Actor) -> list[CaseEvent]:
    """The events the complainant may see, oldest first: those meant for them, and every
    change of status (an internal one without its text, which only staff read)."""
    check(actor, complaint, CaseAction.TRACK)
    return list(
        db.session.execute(
            select(CaseEvent)
            .where(
                CaseEvent.complaint_id == complaint.id,
                or_(
                    CaseEvent.visibility == Visibility.COMPLAINANT,
                    CaseEvent.kind == EventKind.STATUS_CHANGED,
                ),
            )
            .order_by(CaseEvent.id)
        ).scalars()
    )


def reply(
    complaint: Complaint,
    actor: Actor,
    text: str,
    files: list[PreparedFile] | None = None,
    batch: FileBatch | None = None,
) -> CaseEvent:
    """A message or new information from the complainant (or the organisation that filed for
    them), with any files. Answering restarts the office's clock if it was waiting on them."""
    check(actor, complaint, CaseAction.REPLY)
    if files:
        check(actor, complaint, CaseAction.ADD_FILE)
    if not (text or "").strip():
        raise Refused(_("Write your message first."))
    # Files go to disk first: the case's audit chain is locked from the first event on.
    stored = [(prepared, intake.store_file(prepared, batch)) for prepared in files or []]
    workflow.resume_clock(complaint)
    user = acting_account(actor)
    kind = ActorKind.ADVOCATE if user is not None else ActorKind.COMPLAINANT
    event = audit.record(
        complaint,
        EventKind.MESSAGE_FROM_COMPLAINANT,
        actor=user,
        actor_kind=kind,
        visibility=Visibility.COMPLAINANT,
        body=text.strip(),
    )
    for prepared, storage_key in stored:
        intake.attach_stored(complaint, prepared, storage_key, actor=user, actor_kind=kind)
    return event


def add_file(
    complaint: Complaint, actor: Actor, prepared: PreparedFile, batch: FileBatch
) -> Attachment:
    """One cleaned file from the complainant or the organisation that filed for them."""
    check(actor, complaint, CaseAction.ADD_FILE)
    user = acting_account(actor)
    kind = ActorKind.ADVOCATE if user is not None else ActorKind.COMPLAINANT
    return intake.add_attachment(complaint, prepared, batch, actor=user, actor_kind=kind)
