"""Account changes an administrator asks for, the second person who approves the guarded
ones, and the one-time links through which people set their own password.

An administrator never chooses a password and never holds a working case-role account:
granting a case role (or the approving role), and resetting the password or second factor
of an account that holds one, wait for someone who is neither the requester nor the account
concerned (``ACCOUNT_APPROVER_ROLE``). A reset or a new account yields a one-time link,
stored only as a keyed hash, that expires and works once, and not at all before approval.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from complaints_app.crypto import keyed_hash
from complaints_app.extensions import db
from complaints_app.models import (
    AccountChange,
    AccountEventKind,
    AccountLink,
    ChangeKind,
    ChangeStatus,
    Role,
    User,
)
from complaints_app.services import accounts, passwords, two_factor
from complaints_app.services.accounts import AccountError, record_event
from complaints_app.timeutil import utcnow

TOKEN_BYTES = 32

# How events and requests read on the account pages.
EVENT_LABELS = {
    AccountEventKind.CREATED: _l("Account created"),
    AccountEventKind.ROLE_CHANGED: _l("Role changed"),
    AccountEventKind.DEACTIVATED: _l("Deactivated"),
    AccountEventKind.REACTIVATED: _l("Reactivated"),
    AccountEventKind.PASSWORD_RESET: _l("Password reset"),
    AccountEventKind.PASSWORD_CHANGED: _l("Password changed"),
    AccountEventKind.TWO_FACTOR_ENROLLED: _l("Two-step sign in set up"),
    AccountEventKind.TWO_FACTOR_REPLACED: _l("Two-step sign in replaced"),
    AccountEventKind.TWO_FACTOR_RESET: _l("Two-step sign in removed"),
    AccountEventKind.RECOVERY_CODE_USED: _l("Recovery code used"),
    AccountEventKind.RESET_REQUESTED: _l("Reset link issued"),
    AccountEventKind.RESET_COMPLETED: _l("One-time link used"),
    AccountEventKind.APPROVAL_REQUESTED: _l("Approval requested"),
    AccountEventKind.APPROVED: _l("Change approved"),
    AccountEventKind.REFUSED: _l("Change refused"),
    AccountEventKind.LEAD_CHANGED: _l("Lead advocate changed"),
}
CHANGE_LABELS = {
    ChangeKind.CREATE: _l("New account"),
    ChangeKind.ROLE: _l("Role change"),
    ChangeKind.RESET: _l("Password or two-step sign in reset"),
}


@dataclass(frozen=True)
class Issued:
    """What an administrator's request produced: the account, the one-time link token to
    hand over (shown once, never stored), and the change awaiting approval if any."""

    user: User
    token: str | None
    change: AccountChange | None


class LinkProblem(enum.Enum):
    UNKNOWN = "unknown"  # never issued, replaced by a newer link, or refused
    USED = "used"
    EXPIRED = "expired"
    AWAITING_APPROVAL = "awaiting_approval"


def _resets(password: bool, second_factor: bool) -> str:
    return "+".join(n for n, on in (("password", password), ("two_factor", second_factor)) if on)


def _hours() -> timedelta:
    return timedelta(hours=current_app.config["ACCOUNT_LINK_HOURS"])


def _token_hash(token: str) -> str:
    return keyed_hash("account-link", token)


def _pending(user: User, kind: ChangeKind | None = None) -> list[AccountChange]:
    query = select(AccountChange).where(
        AccountChange.user_id == user.id, AccountChange.status == ChangeStatus.PENDING
    )
    if kind is not None:
        query = query.where(AccountChange.kind == kind)
    return list(db.session.execute(query).scalars())


def pending_changes(user: User) -> list[AccountChange]:
    """The account's changes still awaiting approval."""
    return _pending(user)


def _refuse_while_creation_pending(user: User) -> None:
    if _pending(user, ChangeKind.CREATE):
        raise AccountError(
            _("This account is waiting for its creation to be approved. Try again after that.")
        )


def _void_links(user: User, *, only_unapproved_free: bool = False) -> None:
    """Make the account's unused links stop working (``only_unapproved_free``: only the
    links that never needed an approval)."""
    query = (
        update(AccountLink)
        .where(
            AccountLink.user_id == user.id,
            AccountLink.used_at.is_(None),
            AccountLink.voided_at.is_(None),
        )
        .values(voided_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if only_unapproved_free:
        query = query.where(AccountLink.change_id.is_(None))
    db.session.execute(query)


def _cancel(changes: list[AccountChange]) -> None:
    for change in changes:
        change.status = ChangeStatus.CANCELLED


def _request(
    user: User, kind: ChangeKind, actor: User, *, new_role: Role | None = None
) -> AccountChange:
    change = AccountChange(user_id=user.id, kind=kind, requested_by_id=actor.id, new_role=new_role)
    db.session.add(change)
    db.session.flush()
    record_event(
        user,
        AccountEventKind.APPROVAL_REQUESTED,
        actor=actor,
        data={
            "change": change.id,
            "change_kind": kind.value,
            "role": new_role.value if new_role else None,
        },
    )
    return change


def _issue_link(
    user: User,
    actor: User,
    *,
    sets_password: bool,
    resets_two_factor: bool,
    change: AccountChange | None,
) -> str:
    """A new one-time link for the account; any earlier unused link stops working."""
    _void_links(user)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        AccountLink(
            user_id=user.id,
            token_hash=_token_hash(token),
            sets_password=sets_password,
            resets_two_factor=resets_two_factor,
            change_id=change.id if change else None,
            created_by_id=actor.id,
            expires_at=utcnow() + _hours(),
        )
    )
    db.session.flush()
    return token


# ---------------------------------------------------------------------------------------------
# What an administrator asks for


def create_account(
    actor: User, email: str, role: Role, *, org_slug: str | None = None, display_name: str = ""
) -> Issued:
    """A new account with a set-up link instead of a password chosen by the administrator.
    With a guarded role it stays inactive, and its link does not work, until approved."""
    guarded = accounts.needs_approval(role)
    user = accounts.new_account(
        email, role, actor=actor, org_slug=org_slug, display_name=display_name, active=not guarded
    )
    change = _request(user, ChangeKind.CREATE, actor, new_role=role) if guarded else None
    token = _issue_link(user, actor, sets_password=True, resets_two_factor=False, change=change)
    return Issued(user, token, change)


def request_role(actor: User, user: User, role: Role) -> AccountChange | None:
    """Change a role: at once when it grants no guarded role, otherwise a request that
    leaves the old role in place until approved. Returns the pending request, if any."""
    if (role == Role.ADVOCATE) != (user.role == Role.ADVOCATE):
        raise AccountError(
            _("Staff and advocate accounts cannot be switched; create a new one."), "role"
        )
    _refuse_while_creation_pending(user)
    _cancel(_pending(user, ChangeKind.ROLE))
    if role == user.role:
        return None
    if accounts.needs_approval(role):
        return _request(user, ChangeKind.ROLE, actor, new_role=role)
    accounts.set_role(user, role, actor=actor)
    return None


def request_reset(actor: User, user: User, *, password: bool, two_factor_reset: bool) -> Issued:
    """A one-time link through which the person sets a new password and/or sets up their
    second factor again. For an account holding a guarded role the link works only after
    approval. The administrator never learns or chooses a password."""
    if not (password or two_factor_reset):
        raise AccountError(_("Choose what to reset: the password, two-step sign in, or both."))
    if two_factor_reset and not password and not user.totp_secret_ct:
        raise AccountError(_("This account has no two-step sign in to reset."))
    if not user.active:
        raise AccountError(_("Reactivate the account first."))
    _refuse_while_creation_pending(user)
    _cancel(_pending(user, ChangeKind.RESET))
    guarded = accounts.needs_approval(user.role)
    change = _request(user, ChangeKind.RESET, actor) if guarded else None
    token = _issue_link(
        user, actor, sets_password=password, resets_two_factor=two_factor_reset, change=change
    )
    record_event(
        user,
        AccountEventKind.RESET_REQUESTED,
        actor=actor,
        data={"resets": _resets(password, two_factor_reset), "approval": guarded},
    )
    return Issued(user, token, change)


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate or reactivate; an account awaiting its creation's approval stays as it is."""
    if active:
        _refuse_while_creation_pending(user)
    accounts.set_active(user, active, actor=actor)


# ---------------------------------------------------------------------------------------------
# The second person


def decision_problem(approver: User, change: AccountChange) -> str | None:
    """Why ``approver`` may not decide ``change``, or None when they may."""
    if change.status != ChangeStatus.PENDING:
        return _("This change has already been decided.")
    if approver.role != accounts.approver_role() or not approver.active:
        return _(
            "Only a colleague with the %(role)s role can decide account changes.",
            role=accounts.approver_role().value,
        )
    if approver.id == change.requested_by_id:
        return _("You asked for this change; someone else must decide it.")
    if approver.id == change.user_id:
        return _("This change concerns your own account; someone else must decide it.")
    return None


def decide(approver: User, change: AccountChange, approve: bool) -> None:
    """Approve (the change takes effect now) or refuse (it never does; its link is void).

    The decision is taken with a conditional UPDATE, so two approvers deciding at once
    cannot both apply it."""
    problem = decision_problem(approver, change)
    if problem:
        raise AccountError(problem)
    status = ChangeStatus.APPROVED if approve else ChangeStatus.REFUSED
    now = utcnow()
    result = db.session.execute(
        update(AccountChange)
        .where(AccountChange.id == change.id, AccountChange.status == ChangeStatus.PENDING)
        .values(status=status, decided_by_id=approver.id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AccountError(_("This change has already been decided."))
    db.session.refresh(change)
    user = change.user
    record_event(
        user,
        AccountEventKind.APPROVED if approve else AccountEventKind.REFUSED,
        actor=approver,
        data={"change": change.id, "change_kind": change.kind.value},
    )
    link = change.link
    if not approve:
        if link is not None and link.used_at is None:
            link.voided_at = now
        return
    if link is not None and link.voided_at is None:
        # The link's time runs from the approval, not from the request.
        link.expires_at = now + _hours()
    if change.kind == ChangeKind.CREATE:
        user.active = True
    elif change.kind == ChangeKind.ROLE and change.new_role is not None:
        # A link issued without approval (before the account held a guarded role) must not
        # become a way into it.
        _void_links(user, only_unapproved_free=True)
        accounts.set_role(
            user, change.new_role, actor=change.requested_by, data={"approved_by": approver.id}
        )


# ---------------------------------------------------------------------------------------------
# The person with the link


def find_link(token: str) -> tuple[AccountLink | None, LinkProblem | None]:
    """The link a token names and, if it cannot be used now, why."""
    if not token or len(token) > 100:
        return None, LinkProblem.UNKNOWN
    link = db.session.execute(
        select(AccountLink).where(AccountLink.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if link is None or link.voided_at is not None:
        return None, LinkProblem.UNKNOWN
    if link.used_at is not None:
        return None, LinkProblem.USED
    change = link.change
    if change is not None and change.status == ChangeStatus.PENDING:
        return None, LinkProblem.AWAITING_APPROVAL
    if change is not None and change.status != ChangeStatus.APPROVED:
        return None, LinkProblem.UNKNOWN
    if link.expires_at <= utcnow():
        return None, LinkProblem.EXPIRED
    if not link.user.active:
        return None, LinkProblem.UNKNOWN
    return link, None


def complete_link(
    link: AccountLink, *, new_password: str | None = None, current_password: str | None = None
) -> User:
    """Use a link once: set the new password (or check the current one when only the
    second factor is reset), remove the second factor if that was reset, end every session.
    A link used by two requests at once is accepted for one of them only."""
    user = link.user
    if link.sets_password:
        first = user.password_changed_at is None
        accounts.apply_password(user, new_password or "")
    else:
        first = False
        if not passwords.verify(user.password_hash, current_password or ""):
            raise AccountError(_("Your current password is not right."), "current_password")
    result = db.session.execute(
        update(AccountLink)
        .where(
            AccountLink.id == link.id,
            AccountLink.used_at.is_(None),
            AccountLink.voided_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AccountError(_("This link has already been used."))
    if link.resets_two_factor:
        two_factor.reset(user, user, data={"requested_by": link.created_by_id})
    user.session_epoch += 1
    record_event(
        user,
        AccountEventKind.RESET_COMPLETED,
        actor=user,
        data={
            "link": link.id,
            "requested_by": link.created_by_id,
            "first_set_up": first,
            "resets": _resets(link.sets_password, link.resets_two_factor),
        },
    )
    return user
