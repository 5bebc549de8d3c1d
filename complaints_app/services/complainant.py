"""What a complainant sees and does on /track, holding reference and tracking code."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from complaints_app.authz import Actor, CaseAction, Refused, check
from complaints_app.extensions import db
from complaints_app.models import (
    ActorKind,
    CaseEvent,
    Complaint,
    EventKind,
    Status,
    User,
    Visibility,
)
from complaints_app.services import audit, intake, workflow
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
    return STATUS_TEXT[complaint.status]


def public_timeline(complaint: Complaint, actor: Actor) -> list[CaseEvent]:
    """The events the complainant may see, oldest first."""
    check(actor, complaint, CaseAction.TRACK)
    return list(
        db.session.execute(
            select(CaseEvent)
            .where(
                CaseEvent.complaint_id == complaint.id,
                CaseEvent.visibility == Visibility.COMPLAINANT,
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
    user = actor if isinstance(actor, User) else None
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
