"""The case timeline and audit trail: append-only, chained by keyed hashes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    ORGANISATION_CHANGED = "organisation_changed"  # an admin moved it to another organisation


class Visibility(enum.Enum):
    INTERNAL = "internal"
    COMPLAINANT = "complainant"


class ActorKind(enum.Enum):
    COMPLAINANT = "complainant"
    STAFF = "staff"
    ADVOCATE = "advocate"
    SYSTEM = "system"


class AuditChainHead(db.Model):
    """The end of one audit chain: a case's timeline (``case:<id>``), the account events
    (``accounts``), or any chain added later. Locking a chain's head orders appends to that
    chain only, so two cases never wait on each other.

    ``mac`` is a keyed MAC over the chain's name, last sequence number and last hash: whoever
    can write to the database but does not hold the hash key cannot move the head back after
    deleting the newest events.
    """

    __tablename__ = "audit_chain_head"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(db.Model):
    """One thing that happened to a case. Never updated or deleted by the app."""

    __tablename__ = "case_event"
    __table_args__ = (
        Index("ix_case_event_complaint_created", "complaint_id", "created_at"),
        # Each case is its own chain: positions are numbered 1, 2, 3 … per case.
        UniqueConstraint("complaint_id", "seq", name="uq_case_event_complaint_id_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
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

    # Bound to the event's place in its case's chain, which is unique and known before INSERT.
    body = Sealed("body_ct", row_attr="chain_position")

    actor = relationship("User")

    @property
    def chain_position(self) -> str | None:
        """``<complaint id>.<seq>``: unique per event once both are set."""
        if self.complaint_id is None or self.seq is None:
            return None
        return f"{self.complaint_id}.{self.seq}"
