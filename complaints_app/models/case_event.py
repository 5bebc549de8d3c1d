"""The case timeline and audit trail: append-only, chained by keyed hashes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints_app.crypto import Sealed
from complaints_app.extensions import db
from complaints_app.models.base import enum_type
from complaints_app.models.types import UTCDateTime
from complaints_app.timeutil import utcnow


class EventKind(enum.Enum):
    SUBMITTED = "submitted"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    CLAUSE_CHANGED = "clause_changed"
    ALLEGATION_CHANGED = "allegation_changed"
    NOTE = "note"
    MESSAGE_TO_COMPLAINANT = "message_to_complainant"
    MESSAGE_FROM_COMPLAINANT = "message_from_complainant"
    ATTACHMENT_ADDED = "attachment_added"
    ATTACHMENT_DOWNLOADED = "attachment_downloaded"
    CASE_VIEWED = "case_viewed"
    CONTACT_REVEALED = "contact_revealed"
    MERGED = "merged"
    LEGAL_HOLD = "legal_hold"
    PURGED = "purged"


class Visibility(enum.Enum):
    INTERNAL = "internal"
    COMPLAINANT = "complainant"


class ActorKind(enum.Enum):
    COMPLAINANT = "complainant"
    STAFF = "staff"
    ADVOCATE = "advocate"
    SYSTEM = "system"


class AuditHead(db.Model):
    """One row: the last event's sequence and hash. Locking it orders appends to the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")


class CaseEvent(db.Model):
    """One thing that happened to a case. Never updated or deleted by the app."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_complaint_created", "complaint_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="RESTRICT"))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, "event_kind"))
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility, "visibility"))
    actor_kind: Mapped[ActorKind] = mapped_column(enum_type(ActorKind, "actor_kind"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Non-personal facts: status names, reason codes, clause codes, attachment ids.
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Free text that may be personal (messages, notes, stated reasons) is sealed.
    body_ct: Mapped[str | None] = mapped_column(Text)
    # A keyed hash of the body: the chain covers it, so re-encrypting under a new key or
    # purging the text after the retention period leaves the chain intact.
    body_digest: Mapped[str | None] = mapped_column(String(80))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    body = Sealed("body_ct", row_attr="seq")

    actor = relationship("User")
