"""Creating and changing accounts.

Every account change is written as an account event by ``record_event`` and nowhere else, so
whatever must happen to each event (sealing it into a chain) happens in one place. Every
change that should end sessions bumps the account's session epoch.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from complaints_app.extensions import db
from complaints_app.models import AccountEvent, AccountEventKind, Organisation, Role, User
from complaints_app.services import audit, passwords
from complaints_app.timeutil import utcnow

# Roles that read case contents (narratives, contacts): granting one needs a second person.
CASE_ROLES = frozenset({Role.INTAKE, Role.INVESTIGATOR, Role.SUPERVISOR})
# Stored instead of a hash until the person sets a password through their link: argon2
# rejects it as a hash, so nobody can sign in with any password.
UNUSABLE_PASSWORD = "!"  # noqa: S105 — a marker, not a password
# Words that must never be keys of an event's data: events hold no secret.
_SECRET_WORDS = ("password", "token", "secret", "code", "hash")


class AccountError(ValueError):
    """A refused account change; the message says why, ``field`` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def record_event(
    user: User, kind: AccountEventKind, *, actor: User | None, data: dict[str, Any] | None = None
) -> AccountEvent:
    """Append one account event (``actor`` None: the server operator, e.g. the CLI).

    The only place account events are written. ``data`` holds plain facts (ids, role names,
    flags), never a secret or a token; a key that looks like one is refused."""
    data = dict(data or {})
    for key, value in data.items():
        if any(word in key.lower() for word in _SECRET_WORDS) or not isinstance(
            value, str | int | bool | type(None)
        ):
            raise ValueError(f"account event data may not hold {key!r}")
    if user.id is None:
        db.session.flush()
    event = AccountEvent(
        user_id=user.id, actor_id=actor.id if actor else None, kind=kind, data=data
    )
    audit.seal_account_event(event)  # adds it as a link of the accounts chain; flushes
    return event


def approver_role() -> Role:
    """The role that approves guarded account changes (ACCOUNT_APPROVER_ROLE)."""
    return Role(current_app.config["ACCOUNT_APPROVER_ROLE"])


def needs_approval(role: Role) -> bool:
    """Whether granting ``role`` (or resetting an account that holds it) needs a second
    person: every case role, and the approving role itself, so that nobody can make the
    approver they need."""
    return role in CASE_ROLES or role == approver_role()


def _checked_new_account(
    email: str, role: Role, org_slug: str | None
) -> tuple[str, Organisation | None]:
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountError(_("Enter a valid email address."), "email")
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise AccountError(_("An account with this email address already exists."), "email")
    organisation = None
    if role == Role.ADVOCATE:
        if not org_slug:
            raise AccountError(
                _("An advocate belongs to an organisation: give --org."), "organisation"
            )
        organisation = db.session.execute(
            select(Organisation).where(Organisation.slug == org_slug)
        ).scalar_one_or_none()
        if organisation is None:
            raise AccountError(_("No organisation with that slug."), "organisation")
    elif org_slug:
        raise AccountError(_("Only advocates belong to an organisation."), "organisation")
    return email, organisation


def create_user(
    email: str,
    role: Role,
    password: str,
    *,
    org_slug: str | None = None,
    display_name: str = "",
    actor: User | None = None,
) -> User:
    """A new active account with a password, for the server operator (the CLI), who holds
    the server anyway. Advocates need an organisation; staff must not have one."""
    email, organisation = _checked_new_account(email, role, org_slug)
    problems = passwords.problems(password, email, display_name)
    if problems:
        raise AccountError(" ".join(problems), "password")
    return _add_account(
        User(
            email=email,
            display_name=display_name.strip(),
            role=role,
            organisation=organisation,
            password_hash=passwords.hash_password(password),
            password_changed_at=utcnow(),
        ),
        actor,
        {"role": role.value},
    )


def _add_account(user: User, actor: User | None, data: dict[str, Any]) -> User:
    db.session.add(user)
    db.session.flush()
    record_event(user, AccountEventKind.CREATED, actor=actor, data=data)
    return user


def new_account(
    email: str,
    role: Role,
    *,
    actor: User,
    org_slug: str | None = None,
    display_name: str = "",
    active: bool = True,
) -> User:
    """A new account without a usable password: the person sets one through a one-time
    link. Inactive accounts (awaiting approval) cannot use the link or sign in."""
    email, organisation = _checked_new_account(email, role, org_slug)
    return _add_account(
        User(
            email=email,
            display_name=display_name.strip(),
            role=role,
            organisation=organisation,
            password_hash=UNUSABLE_PASSWORD,
            active=active,
        ),
        actor,
        {"role": role.value, "awaiting_approval": not active},
    )


def apply_password(user: User, password: str) -> None:
    """Store a new password if it passes the rules, ending every session of the user.
    The caller records the event that says why (a change, a completed reset)."""
    problems = passwords.problems(password, user.email, user.display_name)
    if problems:
        raise AccountError(" ".join(problems), "new_password")
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = utcnow()
    user.session_epoch += 1


def set_password(user: User, password: str, *, actor: User | None = None) -> None:
    """Change a password (operator or the user themself); every existing session ends."""
    apply_password(user, password)
    record_event(user, AccountEventKind.PASSWORD_CHANGED, actor=actor)


def change_own_password(user: User, current: str, new: str) -> None:
    """A signed-in user changes their password: the current one is required, the new one
    must pass the rules. Other sessions end (the caller signs the current one in again)."""
    if not passwords.verify(user.password_hash, current):
        raise AccountError(_("Your current password is not right."), "current_password")
    if passwords.verify(user.password_hash, new):
        raise AccountError(_("Choose a password different from the current one."), "new_password")
    set_password(user, new, actor=user)


def set_active(user: User, active: bool, *, actor: User | None = None) -> None:
    """Deactivate (ending every session) or reactivate an account; recorded when it changes."""
    if user.active == active:
        return
    user.active = active
    if not active:
        user.session_epoch += 1
    kind = AccountEventKind.REACTIVATED if active else AccountEventKind.DEACTIVATED
    record_event(user, kind, actor=actor)


def set_role(
    user: User, role: Role, *, actor: User | None = None, data: dict[str, Any] | None = None
) -> None:
    """Apply a role now; sessions end so the new rights apply at once. Admin requests go
    through ``account_changes.request_role``, which asks for approval where it is needed."""
    if (role == Role.ADVOCATE) != (user.role == Role.ADVOCATE):
        raise AccountError(
            _("Staff and advocate accounts cannot be switched; create a new one."), "role"
        )
    previous = user.role
    user.role = role
    user.session_epoch += 1
    record_event(
        user,
        AccountEventKind.ROLE_CHANGED,
        actor=actor,
        data={"from": previous.value, "to": role.value, **(data or {})},
    )
