"""Staff and advocate accounts, and the legal aid organisations advocates belong to."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, false
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
    # Where the office writes about the cases the organisation filed (its intake desk, not a
    # client): an advocate's filing names the organisation as the contact for follow-up.
    contact_email: Mapped[str | None] = mapped_column(String(254))
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
    # An organisation's lead advocate (set by an admin) adds and deactivates its advocates.
    # Deferred and defaulted by the database: code that works on the schema of an older
    # revision (the data migrations' tests) neither reads nor writes it.
    is_lead: Mapped[bool] = mapped_column(Boolean, server_default=false(), deferred=True)
    # Bumped on password change or deactivation: sessions carrying an older epoch are ended.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    totp_secret_ct: Mapped[str | None] = mapped_column(Text)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    totp_required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    # ``is_lead`` is left to the database's default, not fetched back after an INSERT.
    __mapper_args__ = {"eager_defaults": False}

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
    code_hash: Mapped[str] = mapped_column(String(80), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountEventKind(enum.Enum):
    CREATED = "created"
    ROLE_CHANGED = "role_changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    # Kept for rows written before resets went through one-time links; no longer written.
    PASSWORD_RESET = "password_reset"  # noqa: S105 — an event name, not a secret
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 — an event name, not a secret
    TWO_FACTOR_ENROLLED = "two_factor_enrolled"
    TWO_FACTOR_REPLACED = "two_factor_replaced"
    TWO_FACTOR_RESET = "two_factor_reset"
    RECOVERY_CODE_USED = "recovery_code_used"
    RESET_REQUESTED = "reset_requested"  # a one-time link was issued (set-up or reset)
    RESET_COMPLETED = "reset_completed"  # the link was used
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    REFUSED = "refused"
    LEAD_CHANGED = "lead_changed"  # made or no longer an organisation's lead advocate


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

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class ChangeKind(enum.Enum):
    """A change to an account that waits for a second person's approval."""

    CREATE = "create"  # a new account with a role that needs approval
    ROLE = "role"  # granting such a role to an existing account
    RESET = "reset"  # a one-time link resetting the password or second factor


class ChangeStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"  # superseded by a later request of the same kind


class AccountChange(db.Model):
    """A requested account change that does not take effect until someone other than the
    requester and the account concerned approves it."""

    __tablename__ = "account_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(enum_type(ChangeKind, "account_change_kind"))
    status: Mapped[ChangeStatus] = mapped_column(
        enum_type(ChangeStatus, "account_change_status"), default=ChangeStatus.PENDING, index=True
    )
    new_role: Mapped[Role | None] = mapped_column(enum_type(Role, "account_change_role"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    link: Mapped[AccountLink | None] = relationship(back_populates="change")


class AccountLink(db.Model):
    """A one-time link to set a password (a new account, a reset) or to set up the second
    factor again. Only a keyed hash of its token is stored; it expires, works once, and
    while its change awaits approval it does not work at all."""

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(80), unique=True)  # "key id$hex"
    sets_password: Mapped[bool] = mapped_column(Boolean, default=True)
    resets_two_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("account_change.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    change: Mapped[AccountChange | None] = relationship(back_populates="link")
