"""Key rotation and retention: keeping personal data sealed under current keys, and removing
it once a closed case has been kept long enough."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from complaints_app import uow
from complaints_app.authz import Actor, CaseAction, Refused, check
from complaints_app.crypto import Sealed, newest_key_id, open_bytes, seal_bytes, sealed_key_id
from complaints_app.extensions import db
from complaints_app.models import (
    Allegation,
    Attachment,
    CaseEvent,
    Complaint,
    EventKind,
    FederalRequest,
    FormDraft,
    LedgerAmendment,
    Status,
    User,
)
from complaints_app.private_files import write_private
from complaints_app.services import audit
from complaints_app.services.uploads import _path, remove
from complaints_app.timeutil import utcnow

SEALED_MODELS = (
    Complaint,
    Allegation,
    CaseEvent,
    Attachment,
    User,
    FederalRequest,
    LedgerAmendment,
    FormDraft,
)
BATCH = 200


def sealed_fields(model: type) -> list[Sealed]:
    """The encrypted attributes a model declares."""
    return [v for v in vars(model).values() if isinstance(v, Sealed)]


def stale_rows(model: type) -> Iterator[list]:
    """Batches of rows with any value sealed under an older key."""
    newest = newest_key_id()
    fields = sealed_fields(model)
    last_id = 0
    while True:
        rows = list(
            db.session.execute(
                select(model).where(model.id > last_id).order_by(model.id).limit(BATCH)
            ).scalars()
        )
        if not rows:
            return
        last_id = rows[-1].id
        stale = [
            row
            for row in rows
            if any(
                getattr(row, f.column) is not None
                and sealed_key_id(getattr(row, f.column)) != newest
                for f in fields
            )
        ]
        if stale:
            yield stale


def count_stale() -> int:
    """How many rows and files still hold a value under an older key."""
    total = sum(len(batch) for model in SEALED_MODELS for batch in stale_rows(model))
    db.session.rollback()
    return total + len(stale_files())


def stale_files() -> list[Attachment]:
    newest = newest_key_id().encode()
    result = []
    for attachment in db.session.execute(
        select(Attachment).where(Attachment.purged_at.is_(None))
    ).scalars():
        path = _path(attachment.storage_key)
        if path.exists():
            with open(path, "rb") as handle:
                head = handle.read(12)
            if head[3:11] != newest:
                result.append(attachment)
    return result


def rotate_batches() -> Iterator[int]:
    """Re-seal every value and file under the newest key, one batch at a time. Each batch's
    size is yielded once its rows are re-sealed in the session: the caller commits there, so
    an interrupted run loses nothing and the next run carries on where it stopped."""
    for model in SEALED_MODELS:
        fields = sealed_fields(model)
        for batch in stale_rows(model):
            for row in batch:
                for f in fields:
                    value = f.__get__(row)
                    if value is not None:
                        f.__set__(row, value)
            yield len(batch)
    for attachment in stale_files():
        # Files are replaced atomically on disk; they need no commit.
        path = _path(attachment.storage_key)
        data = open_bytes(path.read_bytes(), "attachment", "file", attachment.storage_key)
        tmp = path.with_suffix(".rotate")
        tmp.unlink(missing_ok=True)  # left by an interrupted run
        write_private(tmp, seal_bytes(data, "attachment", "file", attachment.storage_key))
        tmp.replace(path)
        yield 1


def purge_candidates(now: datetime | None = None) -> list[Complaint]:
    """Closed cases past the retention period, not on legal hold, not yet purged."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["RETENTION_DAYS"])
    return list(
        db.session.execute(
            select(Complaint)
            .where(
                Complaint.status == Status.CLOSED,
                Complaint.closed_at < cutoff,
                Complaint.legal_hold.is_(False),
                Complaint.purged_at.is_(None),
            )
            .order_by(Complaint.closed_at)
        ).scalars()
    )


def purge(complaint: Complaint, actor: Actor) -> None:
    """Remove a case's personal data, keeping what statistics need (dates, status, agency,
    clauses, dispositions, channel). Its evidence files are removed once this commits."""
    check(actor, complaint, CaseAction.PURGE)
    if complaint.legal_hold:
        raise Refused(_("This case is on legal hold."))
    files_to_remove: list[str] = []
    complaint.narrative_ct = None
    complaint.findings_summary_ct = None
    complaint.contact_ct = None
    complaint.contact_email_hash = None
    complaint.contact_phone_hash = None
    complaint.contact_method = None
    complaint.safe_to_contact = None
    complaint.incident_place_ct = None
    complaint.incident_time_ct = None
    complaint.agency_detail_ct = None
    for allegation in complaint.allegations:
        # The free-text facts go; the yes/no and hours facts stay for statistics.
        allegation.subject_ct = None
        allegation.summary_ct = None
        allegation.facts_text_ct = None
    for attachment in complaint.attachments:
        attachment.original_name_ct = None
        if attachment.purged_at is None:
            attachment.purged_at = utcnow()
            files_to_remove.append(attachment.storage_key)
    # Messages and notes: their text goes; the chain keeps each text's keyed digest.
    for event in db.session.execute(
        select(CaseEvent).where(
            CaseEvent.complaint_id == complaint.id, CaseEvent.body_ct.is_not(None)
        )
    ).scalars():
        event.body_ct = None
    complaint.purged_at = utcnow()
    audit.record(
        complaint, EventKind.PURGED, data={"retention_days": current_app.config["RETENTION_DAYS"]}
    )
    uow.after_commit(lambda: remove_files(files_to_remove))


def remove_files(keys: list[str]) -> None:
    """Delete purged evidence files (after the purge committed)."""
    for key in keys:
        remove(key)
