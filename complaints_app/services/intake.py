"""Filing a complaint: one function that turns checked input into a case with its receipt."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from complaints_app.crypto import keyed_hash, keyed_hash_version
from complaints_app.extensions import db
from complaints_app.models import (
    ActorKind,
    Agency,
    Allegation,
    Attachment,
    Channel,
    Complaint,
    ConsentMethod,
    ContactMethod,
    EventKind,
    GuidedQuestion,
    Organisation,
    Status,
    User,
    Visibility,
)
from complaints_app.services import audit, tracking
from complaints_app.services.catalogue import clause_in_force
from complaints_app.services.uploads import FileBatch, PreparedFile, new_storage_key
from complaints_app.timeutil import city_today, utcnow

SOMETHING_ELSE = "something_else"


@dataclass
class Contact:
    """How the office may reach the complainant. Stored sealed, never in plain."""

    name: str = ""
    email: str = ""
    phone: str = ""
    postal: str = ""
    method: ContactMethod | None = None
    best_time: str = ""
    safe_to_contact: bool | None = None

    def sealed_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "email": self.email,
                "phone": self.phone,
                "postal": self.postal,
                "best_time": self.best_time,
            }
        )


@dataclass
class IntakeData:
    """Everything a complaint needs, already validated by a form or schema."""

    channel: Channel
    submission_token: str
    answers: list[str]
    urgent: bool
    incident_date: date
    incident_place: str
    agency: Agency
    narrative: str
    anonymous: bool
    incident_time: str = ""
    agency_detail: str = ""
    officers: str = ""
    contact: Contact | None = None
    preferred_language: str = "en"
    files: list[PreparedFile] = field(default_factory=list)
    filed_by: User | None = None
    organisation: Organisation | None = None
    # An advocate's attestation that the client agreed: how, and on which day.
    consent_attested: bool = False
    consent_method: ConsentMethod | None = None
    consent_given_on: date | None = None


@dataclass(frozen=True)
class Receipt:
    """What the filer is shown once: the reference and the tracking code."""

    reference: str
    tracking_code: str
    urgent: bool
    already_filed: bool = False


def email_hash(email: str) -> str | None:
    """Keyed hash of an email address for spotting the same person on two cases."""
    value = (email or "").strip().lower()
    return keyed_hash("contact-email", value) if value else None


def phone_hash(phone: str) -> str | None:
    """Keyed hash of a phone number's last ten digits, however it was written."""
    digits = re.sub(r"\D", "", phone or "")[-10:]
    return keyed_hash("contact-phone", digits) if len(digits) >= 7 else None


def existing_receipt(token: str) -> Receipt | None:
    """The receipt of a case already filed with this form token (a second post of one form)."""
    found = db.session.execute(
        select(Complaint.reference, Complaint.urgent, Complaint.submission_hash).where(
            Complaint.submission_hash.in_(tracking.submission_hash_candidates(token))
        )
    ).first()
    if found is None:
        return None
    # The code shown again is the one first shown: derived under the key that filed the case.
    version = keyed_hash_version(found.submission_hash)
    return Receipt(found.reference, tracking.code_for_token(token, version), found.urgent, True)


def _deadline(received, urgent: bool):
    cfg = current_app.config
    if urgent:
        return received + timedelta(hours=cfg["URGENT_ACK_HOURS"])
    return received + timedelta(days=cfg["ACK_DAYS"])


def _allegations(data: IntakeData) -> list[Allegation]:
    questions = {
        q.key: q
        for q in db.session.execute(
            select(GuidedQuestion).where(GuidedQuestion.key.in_(data.answers))
        ).scalars()
    }
    result = []
    for position, key in enumerate(data.answers, start=1):
        clause = None
        if key in questions:
            clause = clause_in_force(questions[key].clause.code, data.incident_date)
        elif key != SOMETHING_ELSE:
            continue
        result.append(
            Allegation(
                clause=clause,
                suggested_by=key,
                subject=data.officers or None,
                subject_agency=data.agency,
                position=position,
            )
        )
    if not result:
        result.append(Allegation(suggested_by=SOMETHING_ELSE, subject_agency=data.agency))
    return result


def submit(data: IntakeData, files: FileBatch) -> Receipt:
    """File a complaint. A second call with the same submission token files nothing and
    returns the first receipt. Flushes, never commits; files go through ``files`` so that the
    caller can remove them if the commit fails. Evidence files are written to disk before
    any lock is taken (the year's case counter, the case's audit chain), so slow disks hold
    up nobody else."""
    earlier = existing_receipt(data.submission_token)
    if earlier is not None:
        return earlier
    stored = [(prepared, store_file(prepared, files)) for prepared in data.files]

    received = utcnow()
    year = city_today().year
    reference, number = tracking.next_reference(year)
    code = tracking.code_for_token(data.submission_token)
    complaint = Complaint(
        reference=reference,
        reference_year=year,
        reference_number=number,
        tracking_hash=tracking.hash_code(code),
        submission_hash=tracking.hash_submission_token(data.submission_token),
        channel=data.channel,
        status=Status.SUBMITTED,
        incident_date=data.incident_date,
        incident_time=data.incident_time or None,
        incident_place=data.incident_place,
        agency=data.agency,
        agency_detail=data.agency_detail or None,
        preferred_language=data.preferred_language,
        anonymous=data.anonymous,
        urgent=data.urgent,
        organisation_id=data.organisation.id if data.organisation else None,
        filed_by_id=data.filed_by.id if data.filed_by else None,
        consent_attested_at=received if data.consent_attested and data.organisation else None,
        received_at=received,
        ack_due_at=_deadline(received, data.urgent),
    )
    if data.organisation is not None:
        complaint.consent_method = data.consent_method
        complaint.consent_given_on = data.consent_given_on
    complaint.narrative = data.narrative
    if not data.anonymous and data.contact is not None:
        complaint.contact_json = data.contact.sealed_json()
        complaint.contact_method = data.contact.method
        complaint.safe_to_contact = data.contact.safe_to_contact
        complaint.contact_email_hash = email_hash(data.contact.email)
        complaint.contact_phone_hash = phone_hash(data.contact.phone)
    complaint.allegations = _allegations(data)
    db.session.add(complaint)
    db.session.flush()

    actor_kind = (
        ActorKind.ADVOCATE
        if data.organisation
        else (ActorKind.STAFF if data.filed_by else ActorKind.COMPLAINANT)
    )
    audit.record(
        complaint,
        EventKind.SUBMITTED,
        actor=data.filed_by,
        actor_kind=actor_kind,
        visibility=Visibility.COMPLAINANT,
        data={"channel": data.channel.value, "urgent": data.urgent},
    )
    for prepared, storage_key in stored:
        attach_stored(complaint, prepared, storage_key, actor=data.filed_by, actor_kind=actor_kind)
    return Receipt(reference, code, data.urgent)


def store_file(prepared: PreparedFile, files: FileBatch) -> str:
    """Seal and write one file under a new random name; returns the name."""
    storage_key = new_storage_key()
    files.write(storage_key, prepared.data)
    return storage_key


def add_attachment(
    complaint: Complaint,
    prepared: PreparedFile,
    files: FileBatch,
    *,
    actor: User | None = None,
    actor_kind: ActorKind = ActorKind.COMPLAINANT,
) -> Attachment:
    """Store one cleaned file on a case and note it on the timeline. The file is written
    before the row and the event, so the case's audit chain is not held while the disk works."""
    storage_key = store_file(prepared, files)
    return attach_stored(complaint, prepared, storage_key, actor=actor, actor_kind=actor_kind)


def attach_stored(
    complaint: Complaint,
    prepared: PreparedFile,
    storage_key: str,
    *,
    actor: User | None,
    actor_kind: ActorKind,
) -> Attachment:
    """The row and timeline event of a file already written with ``store_file``."""
    attachment = Attachment(
        complaint=complaint,
        content_type=prepared.content_type,
        size_bytes=len(prepared.data),
        sha256=prepared.sha256,
        storage_key=storage_key,
        added_by_id=actor.id if actor else None,
        added_by_complainant=actor_kind == ActorKind.COMPLAINANT,
    )
    attachment.original_name = prepared.original_name
    db.session.add(attachment)
    db.session.flush()
    audit.record(
        complaint,
        EventKind.ATTACHMENT_ADDED,
        actor=actor,
        actor_kind=actor_kind,
        visibility=Visibility.COMPLAINANT,
        data={"attachment_id": attachment.id, "content_type": prepared.content_type},
    )
    return attachment
