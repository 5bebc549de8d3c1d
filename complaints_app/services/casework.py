"""Staff work on one case beyond the status workflow: reading, notes, contact reveal,
allegations, assignment, legal hold and evidence downloads. Every call asks ``authz`` first
and writes a case event; nothing here commits."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from complaints_app.authz import (
    Actor,
    CaseAction,
    Refused,
    can,
    can_be_assigned,
    check,
    visible_cases,
)
from complaints_app.extensions import db
from complaints_app.models import (
    Allegation,
    Attachment,
    CaseEvent,
    Clause,
    Complaint,
    Disposition,
    EventKind,
    User,
)
from complaints_app.services import audit, uploads, workflow
from complaints_app.services.catalogue import clause_in_force
from complaints_app.services.workflow import VersionConflict
from complaints_app.timeutil import utcnow


def check_version(complaint: Complaint, version: str | int | None) -> None:
    """Refuse a change made on an older view of the case."""
    try:
        seen = int(version) if version not in (None, "") else None
    except (TypeError, ValueError):
        seen = None
    if seen is None or seen != complaint.version:
        raise VersionConflict()


def open_case(complaint: Complaint, actor: Actor) -> None:
    """Reading a case's contents: allowed readers only, and every read is recorded in the
    case's audit trail, whichever page or answer shows it."""
    check(actor, complaint, CaseAction.READ)
    audit.record(complaint, EventKind.CASE_VIEWED, actor=actor)
    if has_request_context():
        # Kept so that a response drawn and then rolled back (a form refused for its CSRF
        # token is drawn again, acting on nothing) can still record what it showed.
        g.setdefault("case_reads", []).append((complaint.id, actor))


def record_reads_again() -> None:
    """After a rollback of a request that still shows case contents: record those reads."""
    for complaint_id, actor in g.pop("case_reads", []):
        complaint = db.session.get(Complaint, complaint_id)
        if complaint is not None:
            audit.record(complaint, EventKind.CASE_VIEWED, actor=actor)


def add_note(complaint: Complaint, actor: User, text: str) -> None:
    """An internal note: staff only."""
    check(actor, complaint, CaseAction.ADD_NOTE)
    if not (text or "").strip():
        raise Refused(_("Write the note first."))
    audit.record(complaint, EventKind.NOTE, actor=actor, body=text.strip())


def reveal_contact(complaint: Complaint, actor: User, reason: str) -> dict | None:
    """The complainant's contact details, after a stated reason that is recorded."""
    check(actor, complaint, CaseAction.REVEAL_CONTACT)
    if not (reason or "").strip():
        raise Refused(_("Say why you need the contact details."))
    audit.record(complaint, EventKind.CONTACT_REVEALED, actor=actor, body=reason.strip())
    raw = complaint.contact_json
    return json.loads(raw) if raw else None


def download(complaint: Complaint, attachment_id: int, actor: User) -> tuple[Attachment, bytes]:
    """One evidence file of the case, decrypted; each download is recorded."""
    check(actor, complaint, CaseAction.DOWNLOAD_FILE)
    item = next(
        (a for a in complaint.attachments if a.id == attachment_id and a.purged_at is None), None
    )
    if item is None:
        raise Refused(_("There is no such file on this case."), hidden=True)
    data = uploads.read(item.storage_key)
    audit.record(
        complaint,
        EventKind.ATTACHMENT_DOWNLOADED,
        actor=actor,
        data={"attachment_id": item.id},
    )
    return item, data


def assign(complaint: Complaint, actor: User, assignee: User | None) -> None:
    """Give the case to an investigator (supervisors reassign)."""
    check(actor, complaint, CaseAction.ASSIGN)
    if assignee is not None and not can_be_assigned(assignee):
        raise Refused(_("Choose an active investigator."))
    workflow.give_to(complaint, actor, assignee)


def _allegation_state(allegation: Allegation) -> dict:
    return {
        "clause": allegation.clause.code if allegation.clause else None,
        "confirmed": allegation.clause_confirmed,
        "subject": allegation.subject or None,
        "facts": dict(allegation.facts or {}),
        "disposition": allegation.disposition.value if allegation.disposition else None,
    }


class ReasonRequired(Refused):
    """A change that must say why was posted without a reason; the form shows this at its
    reason field."""


def _event_state(state: dict) -> dict:
    # The subject is personal data (an officer's name): the event says only whether one is
    # given, never what it is.
    return {
        "clause": state["clause"],
        "confirmed": state["confirmed"],
        "disposition": state["disposition"],
        "subject": "given" if state["subject"] else "none",
    }


def update_allegation(
    allegation: Allegation,
    actor: User,
    *,
    clause_code: str | None,
    confirmed: bool,
    subject: str | None,
    disposition: Disposition | None,
    facts: dict,
    reason: str,
) -> None:
    """Confirm or change an allegation's clause, subject, facts or disposition. Each kind of
    change is its own permission; the clause is the version in force on the incident date;
    the reason lands in the timeline. Recording the first disposition needs no reason; every
    other change (a recorded disposition changed, a clause, subject or facts) does."""
    complaint = allegation.complaint
    before = _allegation_state(allegation)
    facts = {k: v for k, v in facts.items() if v not in (None, "")}
    if (clause_code or None) != before["clause"] or bool(confirmed) != before["confirmed"]:
        check(actor, complaint, CaseAction.CONFIRM_CLAUSE)
    if (disposition.value if disposition else None) != before["disposition"]:
        check(actor, complaint, CaseAction.SET_DISPOSITION)
    if (subject or None) != before["subject"] or facts != before["facts"]:
        check(actor, complaint, CaseAction.EDIT_ALLEGATION)
    if clause_code:
        clause = clause_in_force(clause_code, complaint.incident_date)
        if clause is None:
            raise Refused(_("Unknown clause."))
        allegation.clause = clause
    else:
        allegation.clause = None
    if confirmed and allegation.clause is None:
        raise Refused(_("Choose a clause before confirming it."))
    allegation.clause_confirmed = confirmed
    allegation.subject = subject or None
    allegation.facts = facts
    allegation.disposition = disposition
    after = _allegation_state(allegation)
    if after == before:
        raise Refused(_("Nothing was changed."))
    first_disposition_only = before["disposition"] is None and all(
        before[k] == after[k] for k in after if k != "disposition"
    )
    if not first_disposition_only and not (reason or "").strip():
        if before["disposition"] is not None and after["disposition"] != before["disposition"]:
            raise ReasonRequired(_("Say why you change the recorded disposition."))
        raise ReasonRequired(_("Say why you are changing this allegation."))
    kind = (
        EventKind.CLAUSE_CHANGED
        if (before["clause"], before["confirmed"]) != (after["clause"], after["confirmed"])
        else EventKind.ALLEGATION_CHANGED
    )
    audit.record(
        complaint,
        kind,
        actor=actor,
        data={
            "allegation_id": allegation.id,
            "before": _event_state(before),
            "after": _event_state(after),
            "subject_changed": before["subject"] != after["subject"],
            "facts_changed": before["facts"] != after["facts"],
        },
        body=(reason or "").strip() or None,
    )
    complaint.updated_at = utcnow()  # the case's version moves with its parts


def add_allegation(
    complaint: Complaint,
    actor: User,
    clause_code: str,
    reason: str,
    *,
    subject: str | None = None,
    summary: str | None = None,
) -> Allegation:
    """A further allegation found by staff, under a clause, with its subject (officer name or
    badge, if known) and a summary. Intake and supervisors confirm its clause by adding it;
    one an investigator adds waits for their confirmation."""
    check(actor, complaint, CaseAction.ADD_ALLEGATION)
    if not (reason or "").strip():
        raise Refused(_("Say why you add this allegation."))
    clause = clause_in_force(clause_code, complaint.incident_date)
    if clause is None:
        raise Refused(_("Unknown clause."))
    allegation = Allegation(
        complaint=complaint,
        clause=clause,
        clause_confirmed=can(actor, complaint, CaseAction.CONFIRM_CLAUSE),
        subject=(subject or "").strip() or None,
        summary=(summary or "").strip() or None,
        subject_agency=complaint.agency,
        position=max((a.position for a in complaint.allegations), default=0) + 1,
    )
    db.session.add(allegation)
    db.session.flush()
    audit.record(
        complaint,
        EventKind.CLAUSE_CHANGED,
        actor=actor,
        data={"allegation_id": allegation.id, "added": clause.code},
        body=reason.strip(),
    )
    complaint.updated_at = utcnow()
    return allegation


def remove_allegation(allegation: Allegation, actor: User, reason: str) -> None:
    """Remove an allegation that staff found does not belong; the reason is kept."""
    complaint = allegation.complaint
    check(actor, complaint, CaseAction.REMOVE_ALLEGATION)
    if not (reason or "").strip():
        raise Refused(_("Say why you remove this allegation."))
    if len(complaint.allegations) <= 1:
        raise Refused(_("A case keeps at least one allegation."))
    code = allegation.clause.code if allegation.clause else None
    audit.record(
        complaint,
        EventKind.CLAUSE_CHANGED,
        actor=actor,
        data={"allegation_id": allegation.id, "removed": code},
        body=reason.strip(),
    )
    complaint.allegations.remove(allegation)
    complaint.updated_at = utcnow()


TIMELINE_PAGE_SIZE = 50


@dataclass(frozen=True)
class TimelinePage:
    """One page of a case's timeline, newest first."""

    events: list[CaseEvent]
    page: int
    pages: int
    total: int
    with_views: bool
    views_hidden: int
    last_seq: int  # the newest event of any kind, for the conflict check


def timeline_page(
    complaint: Complaint, *, page: int = 1, with_views: bool = False, size: int = 0
) -> TimelinePage:
    """A page of the case's timeline, newest first, in a fixed number of queries whatever its
    length. "Case viewed" entries stay in the audit but are left out unless asked for, so the
    page does not grow with how often the case was opened. A page past the end gives the
    last page."""
    size = size or TIMELINE_PAGE_SIZE
    views = func.count(CaseEvent.id).filter(CaseEvent.kind == EventKind.CASE_VIEWED)
    total_all, total_views, last_seq = db.session.execute(
        select(func.count(CaseEvent.id), views, func.max(CaseEvent.id)).where(
            CaseEvent.complaint_id == complaint.id
        )
    ).one()
    total = total_all if with_views else total_all - total_views
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    stmt = select(CaseEvent).where(CaseEvent.complaint_id == complaint.id)
    if not with_views:
        stmt = stmt.where(CaseEvent.kind != EventKind.CASE_VIEWED)
    events = list(
        db.session.execute(
            stmt.order_by(CaseEvent.id.desc()).limit(size).offset((page - 1) * size)
        ).scalars()
    )
    return TimelinePage(
        events=events,
        page=page,
        pages=pages,
        total=total,
        with_views=with_views,
        views_hidden=0 if with_views else total_views,
        last_seq=last_seq or 0,
    )


def events_since(complaint: Complaint, seen: str | int | None) -> list[CaseEvent]:
    """Events written after the one a person last saw (for the conflict page)."""
    try:
        last = int(seen or 0)
    except (TypeError, ValueError):
        last = 0
    return list(
        db.session.execute(
            select(CaseEvent)
            .where(CaseEvent.complaint_id == complaint.id, CaseEvent.id > last)
            .where(CaseEvent.kind != EventKind.CASE_VIEWED)
            .order_by(CaseEvent.id)
        ).scalars()
    )


def clause_choices() -> list[tuple[str, str]]:
    """Clauses in force today for the staff pickers, their names' placeholders filled."""
    from complaints_app.services.clause_texts import clause_text
    from complaints_app.templating import policy_text

    # Option labels cannot carry their own language, so they are in the staff member's
    # language where it has a text, else English.
    rows = db.session.execute(Clause.current_select()).scalars()
    choices = []
    for clause in rows:
        words = clause_text(clause)
        choices.append((clause.code, f"{words.section}: {policy_text(words.title)}"))
    return choices


def duplicate_hints(complaint: Complaint, actor: Actor) -> list[Complaint]:
    """Other cases ``actor`` may open with the same incident date and agency, or the same
    contact."""
    conditions = [
        (Complaint.incident_date == complaint.incident_date)
        & (Complaint.agency == complaint.agency)
    ]
    if complaint.contact_email_hash:
        conditions.append(Complaint.contact_email_hash == complaint.contact_email_hash)
    if complaint.contact_phone_hash:
        conditions.append(Complaint.contact_phone_hash == complaint.contact_phone_hash)
    return list(
        db.session.execute(
            select(Complaint)
            .where(Complaint.id != complaint.id, Complaint.merged_into_id.is_(None))
            .where(Complaint.purged_at.is_(None), visible_cases(actor))
            .where(or_(*conditions))
            .order_by(Complaint.received_at)
            .limit(10)
        ).scalars()
    )


def merged_into(complaint: Complaint, actor: Actor) -> list[Complaint]:
    """Duplicates closed into this case that ``actor`` may open."""
    return list(
        db.session.execute(
            select(Complaint)
            .where(Complaint.merged_into_id == complaint.id, visible_cases(actor))
            .order_by(Complaint.received_at)
        ).scalars()
    )


def set_legal_hold(complaint: Complaint, actor: User, hold: bool, reason: str) -> None:
    """Put a case on legal hold (it is never purged) or lift the hold; a reason is required."""
    check(actor, complaint, CaseAction.LEGAL_HOLD)
    if not (reason or "").strip():
        raise Refused(_("Say why."))
    complaint.legal_hold = hold
    complaint.legal_hold_reason = reason.strip() if hold else None
    audit.record(
        complaint, EventKind.LEGAL_HOLD, actor=actor, data={"hold": hold}, body=reason.strip()
    )
