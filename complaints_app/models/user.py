"""Staff and advocate accounts, and the legal aid organisations advocates belong to."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints_app.crypto import Sealed
from complaints_app.extensions import db
from complaints_app.models.base import enum_type
from complaints_app.models.types import UTCDateTime
from complaints_app.timeutil import utcnow


class Role(enum.Enum):
    """One role per person (DESIGN: a supervisor can do what an investigator and intake can)."""

    INTAKE = "intake"
    INVESTIGATOR = "investigator"
    SUPERVISOR = "supervisor"
    RECORDS = "records"
    ADMIN = "admin"
    ADVOCATE = "advocate"


class Organisation(db.Model):
    """A legal aid group; it owns the cases its members file."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")


class User(UserMixin, db.Model):
    """A staff member or an advocate. Residents never have accounts."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(
            "(role = 'advocate') = (organisation_id IS NOT NULL)", name="advocate_has_organisation"
        ),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change or deactivation: sessions carrying an older epoch are ended.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    totp_secret_ct: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    totp_required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    totp_secret = Sealed("totp_secret_ct")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """Session identity: the epoch makes old sessions invalid after a password change."""
        return f"{self.id}:{self.session_epoch}"


class RecoveryCode(db.Model):
    """A one-time code that replaces the second factor; stored only as a keyed hash."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountEventKind(enum.Enum):
    CREATED = "created"
    ROLE_CHANGED = "role_changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    PASSWORD_RESET = "password_reset"  # noqa: S105 — an event name, not a secret
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 — an event name, not a secret
    TWO_FACTOR_ENROLLED = "two_factor_enrolled"
    TWO_FACTOR_RESET = "two_factor_reset"
    RECOVERY_CODE_USED = "recovery_code_used"


class AccountEvent(db.Model):
    """What happened to an account and who did it. Append-only; holds no secret.

    Every row is a link of the ``accounts`` audit chain: create it, add it to the session and
    pass it to ``services.audit.seal_account_event``, which gives it ``seq`` and ``hash``.
    """

    __tablename__ = "account_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[AccountEventKind] = mapped_column(
        enum_type(AccountEventKind, "account_event_kind")
    )
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
