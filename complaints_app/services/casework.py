"""Staff work on one case beyond the status workflow: views, notes, contact reveal,
allegations, assignment and evidence downloads. Every call writes a case event."""

from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlalchemy import or_, select

from complaints_app.authz import Permission, can
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
from complaints_app.services import audit
from complaints_app.services.catalogue import clause_in_force
from complaints_app.services.workflow import TransitionRefused, VersionConflict
from complaints_app.timeutil import utcnow


def check_version(complaint: Complaint, version: str | int | None) -> None:
    """Refuse a change made on an older view of the case."""
    try:
        seen = int(version) if version not in (None, "") else None
    except (TypeError, ValueError):
        seen = None
    if seen is None or seen != complaint.version:
        raise VersionConflict()


def record_view(complaint: Complaint, actor: User) -> None:
    """Opening a case is recorded in its audit trail."""
    audit.record(complaint, EventKind.CASE_VIEWED, actor=actor)


def add_note(complaint: Complaint, actor: User, text: str) -> None:
    """An internal note: staff only."""
    audit.record(complaint, EventKind.NOTE, actor=actor, body=text.strip())


def reveal_contact(complaint: Complaint, actor: User, reason: str) -> dict | None:
    """The complainant's contact details, after a stated reason that is recorded."""
    if not can(actor, Permission.REVEAL_CONTACT):
        raise TransitionRefused(_("Your role does not allow this action on this case."))
    audit.record(complaint, EventKind.CONTACT_REVEALED, actor=actor, body=reason.strip())
    raw = complaint.contact_json
    return json.loads(raw) if raw else None


def record_download(attachment: Attachment, actor: User) -> None:
    """Each download of evidence is recorded."""
    audit.record(
        attachment.complaint,
        EventKind.ATTACHMENT_DOWNLOADED,
        actor=actor,
        data={"attachment_id": attachment.id},
    )


def assign(complaint: Complaint, actor: User, assignee: User | None) -> None:
    """Give the case to an investigator (supervisors reassign)."""
    if assignee is not None and (not assignee.active or not can(assignee, Permission.INVESTIGATE)):
        raise TransitionRefused(_("Choose an active investigator."))
    previous = complaint.assignee_id
    complaint.assignee_id = assignee.id if assignee else None
    audit.record(
        complaint,
        EventKind.ASSIGNED,
        actor=actor,
        data={"from": previous, "to": complaint.assignee_id},
    )


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
    """Confirm or change an allegation's clause, subject, facts or disposition. The clause is
    the version in force on the incident date; the reason lands in the timeline."""
    complaint = allegation.complaint
    before = {
        "clause": allegation.clause.code if allegation.clause else None,
        "confirmed": allegation.clause_confirmed,
        "disposition": allegation.disposition.value if allegation.disposition else None,
    }
    if not can(actor, Permission.TRIAGE) and (
        (clause_code or None) != before["clause"] or bool(confirmed) != before["confirmed"]
    ):
        raise TransitionRefused(_("Only intake staff and supervisors change or confirm clauses."))
    if clause_code:
        clause = clause_in_force(clause_code, complaint.incident_date)
        if clause is None:
            raise TransitionRefused(_("Unknown clause."))
        allegation.clause = clause
    else:
        allegation.clause = None
    if confirmed and allegation.clause is None:
        raise TransitionRefused(_("Choose a clause before confirming it."))
    allegation.clause_confirmed = confirmed
    allegation.subject = subject or None
    allegation.facts = {k: v for k, v in facts.items() if v not in (None, "")}
    if disposition is not None and not can(actor, Permission.INVESTIGATE):
        raise TransitionRefused(_("Only investigators record dispositions."))
    allegation.disposition = disposition
    after = {
        "clause": allegation.clause.code if allegation.clause else None,
        "confirmed": allegation.clause_confirmed,
        "disposition": allegation.disposition.value if allegation.disposition else None,
    }
    kind = (
        EventKind.CLAUSE_CHANGED
        if before["clause"] != after["clause"] or (before["confirmed"] != after["confirmed"])
        else EventKind.ALLEGATION_CHANGED
    )
    audit.record(
        complaint,
        kind,
        actor=actor,
        data={"allegation_id": allegation.id, "before": before, "after": after},
        body=reason.strip(),
    )
    complaint.updated_at = utcnow()  # the case's version moves with its parts


def add_allegation(complaint: Complaint, actor: User, clause_code: str, reason: str) -> Allegation:
    """A further allegation found by staff, under a clause."""
    clause = clause_in_force(clause_code, complaint.incident_date)
    if clause is None:
        raise TransitionRefused(_("Unknown clause."))
    allegation = Allegation(
        complaint=complaint,
        clause=clause,
        clause_confirmed=True,
        subject_agency=complaint.agency,
        position=len(complaint.allegations) + 1,
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
    if len(complaint.allegations) <= 1:
        raise TransitionRefused(_("A case keeps at least one allegation."))
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


def events_since(complaint: Complaint, seen_seq: str | int | None) -> list[CaseEvent]:
    """Events written after the one a person last saw (for the conflict page)."""
    try:
        seq = int(seen_seq or 0)
    except (TypeError, ValueError):
        seq = 0
    return list(
        db.session.execute(
            select(CaseEvent)
            .where(CaseEvent.complaint_id == complaint.id, CaseEvent.seq > seq)
            .where(CaseEvent.kind != EventKind.CASE_VIEWED)
            .order_by(CaseEvent.seq)
        ).scalars()
    )


def clause_choices() -> list[tuple[str, str]]:
    """Current clauses for the staff pickers."""
    rows = db.session.execute(Clause.current_select()).scalars()
    return [(c.code, f"{c.section}: {c.title}") for c in rows]


def duplicate_hints(complaint: Complaint) -> list[Complaint]:
    """Other cases with the same incident date and agency, or the same contact."""
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
            .where(or_(*conditions))
            .order_by(Complaint.received_at)
            .limit(10)
        ).scalars()
    )


def merged_into(complaint: Complaint) -> list[Complaint]:
    """Duplicates closed into this case; each stays readable from here."""
    return list(
        db.session.execute(
            select(Complaint)
            .where(Complaint.merged_into_id == complaint.id)
            .order_by(Complaint.received_at)
        ).scalars()
    )


def set_legal_hold(complaint: Complaint, actor: User, hold: bool, reason: str) -> None:
    """Put a case on legal hold (it is never purged) or lift the hold; a reason is required."""
    if not can(actor, Permission.LEGAL_HOLD):
        raise TransitionRefused(_("Your role does not allow this action on this case."))
    if not (reason or "").strip():
        raise TransitionRefused(_("Say why."))
    complaint.legal_hold = hold
    complaint.legal_hold_reason = reason.strip() if hold else None
    audit.record(
        complaint, EventKind.LEGAL_HOLD, actor=actor, data={"hold": hold}, body=reason.strip()
    )
