"""Server-side grants behind signed-in staff sessions and opened tracked cases."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from complaints_app.extensions import db
from complaints_app.models.base import enum_type
from complaints_app.models.types import UTCDateTime
from complaints_app.timeutil import utcnow


class GrantKind(enum.Enum):
    STAFF = "staff"
    TRACK = "track"


class SessionGrant(db.Model):
    """One session the server vouches for. The browser holds a random id inside its signed
    session cookie; only a keyed hash of it is stored, so a copy of this table opens nothing.
    Revoking the row (sign-out, leaving a case) refuses the cookie however often it is replayed."""

    __tablename__ = "session_grant"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'staff') = (user_id IS NOT NULL) AND (kind = 'track') = "
            "(complaint_id IS NOT NULL)",
            name="grant_has_one_subject",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(80), unique=True)  # "key id$hex"
    kind: Mapped[GrantKind] = mapped_column(enum_type(GrantKind, "grant_kind"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    complaint_id: Mapped[int | None] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
