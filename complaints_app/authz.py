"""Who may do what: one table of roles and permissions, denied unless listed.

Views declare the permission they need with ``@requires(...)``; object-level checks
(whose case, which organisation) live beside the models and services that own them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user

from complaints_app.models import Role, User


class Permission(enum.Enum):
    VIEW_CASES = "view_cases"  # open the queue and case pages
    TRIAGE = "triage"  # acknowledge, confirm clauses, screen in or out, merge
    INVESTIGATE = "investigate"  # notes, messages, findings on assigned cases
    SUPERVISE = "supervise"  # approve, return, reassign, reopen, legal hold
    STAFF_INTAKE = "staff_intake"  # enter a complaint received by phone, walk-in or mail
    REVEAL_CONTACT = "reveal_contact"
    DOWNLOAD_EVIDENCE = "download_evidence"
    FEDERAL_LEDGER = "federal_ledger"  # section 4 ledger and report
    VIEW_REPORTS = "view_reports"
    MANAGE_USERS = "manage_users"
    MANAGE_CLAUSES = "manage_clauses"
    MANAGE_SETTINGS = "manage_settings"
    ORG_CASES = "org_cases"  # an advocate's own organisation's cases
    LEGAL_HOLD = "legal_hold"  # exempt a case from the retention purge
    # See account changes; deciding them also needs the ACCOUNT_APPROVER_ROLE setting's role.
    APPROVE_ACCOUNT_CHANGES = "approve_account_changes"


_CASEWORK = {
    Permission.VIEW_CASES,
    Permission.REVEAL_CONTACT,
    Permission.DOWNLOAD_EVIDENCE,
    Permission.VIEW_REPORTS,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.INTAKE: frozenset(_CASEWORK | {Permission.TRIAGE, Permission.STAFF_INTAKE}),
    Role.INVESTIGATOR: frozenset(_CASEWORK | {Permission.INVESTIGATE}),
    Role.SUPERVISOR: frozenset(
        _CASEWORK
        | {
            Permission.TRIAGE,
            Permission.STAFF_INTAKE,
            Permission.INVESTIGATE,
            Permission.SUPERVISE,
            Permission.LEGAL_HOLD,
            Permission.APPROVE_ACCOUNT_CHANGES,
        }
    ),
    Role.RECORDS: frozenset({Permission.FEDERAL_LEDGER, Permission.VIEW_REPORTS}),
    # Admin manages accounts and settings but reads no case contents.
    Role.ADMIN: frozenset(
        {
            Permission.MANAGE_USERS,
            Permission.MANAGE_CLAUSES,
            Permission.MANAGE_SETTINGS,
            Permission.LEGAL_HOLD,
            Permission.APPROVE_ACCOUNT_CHANGES,
        }
    ),
    Role.ADVOCATE: frozenset({Permission.ORG_CASES}),
}

STAFF_ROLES = frozenset(r for r in Role if r is not Role.ADVOCATE)


def can(user: User | None, permission: Permission) -> bool:
    """Whether ``user`` holds ``permission``; anonymous and inactive users hold none."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


F = TypeVar("F", bound=Callable)


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Refuse the view with 403 unless the signed-in user holds every permission."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not all(can(current_user, p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permissions = frozenset(permissions)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
