"""Creating and changing accounts; every change that should end sessions bumps the epoch."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from complaints_app.extensions import db
from complaints_app.models import Organisation, Role, User
from complaints_app.services import passwords
from complaints_app.timeutil import utcnow


class AccountError(ValueError):
    """A refused account change; the message says why."""


def create_user(
    email: str,
    role: Role,
    password: str,
    *,
    org_slug: str | None = None,
    display_name: str = "",
) -> User:
    """A new active account. Advocates need an organisation; staff must not have one."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(_("Enter a valid email address."))
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise AccountError(_("An account with this email address already exists."))
    organisation = None
    if role == Role.ADVOCATE:
        if not org_slug:
            raise AccountError(_("An advocate belongs to an organisation: give --org."))
        organisation = db.session.execute(
            select(Organisation).where(Organisation.slug == org_slug)
        ).scalar_one_or_none()
        if organisation is None:
            raise AccountError(_("No organisation with that slug."))
    elif org_slug:
        raise AccountError(_("Only advocates belong to an organisation."))
    problems = passwords.problems(password, email)
    if problems:
        raise AccountError(" ".join(problems))
    user = User(
        email=email,
        display_name=display_name.strip(),
        role=role,
        organisation=organisation,
        password_hash=passwords.hash_password(password),
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Change a password; every existing session of the user ends."""
    problems = passwords.problems(password, user.email)
    if problems:
        raise AccountError(" ".join(problems))
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    user.session_epoch += 1


def set_active(user: User, active: bool) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    user.active = active
    if not active:
        user.session_epoch += 1


def set_role(user: User, role: Role) -> None:
    """Change a staff member's role; sessions end so the new rights apply at once."""
    if (role == Role.ADVOCATE) != (user.role == Role.ADVOCATE):
        raise AccountError(_("Staff and advocate accounts cannot be switched; create a new one."))
    user.role = role
    user.session_epoch += 1
