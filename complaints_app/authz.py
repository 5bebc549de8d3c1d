"""Who may do what: the one place that decides.

Two questions are answered here and nowhere else:

- Which areas of the app a signed-in account may open (``Permission``, ``ROLE_PERMISSIONS``,
  ``@requires``): the staff queue, the ledger, the admin pages. Denied unless listed.
- What an actor may do to one case (``decide`` / ``can`` / ``check``), from the actor's role,
  the case's state and the actor's relation to the case: its assignee, someone it was once
  assigned to, the complainant holding its tracking code, a member of the organisation that
  filed it, or the system itself. Views, templates, the CLI and the services all ask ``can``;
  the services call ``check`` before they change anything, so no path can go around it.

Adding an actor is one ``Relation``; adding an operation is one entry in ``CASE_RULES`` (or,
for a workflow transition, one entry in ``services.workflow.ACTIONS``, whose ``who`` and
``sources`` are read from here).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import TypeVar

from flask import abort, g, has_request_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import ColumnElement, false, or_, select, true

from complaints_app.models import (
    OPEN_STATUSES,
    CaseAssignment,
    Complaint,
    Role,
    Status,
    TokenScope,
    User,
)


class Permission(enum.Enum):
    """Areas of the app, by role. What may be done to a particular case is ``CaseAction``."""

    STAFF_HOME = "staff_home"  # /staff/, which sends each role to the page made for it
    VIEW_CASES = "view_cases"  # the staff queue and case pages (what a case allows: CASE_RULES)
    STAFF_INTAKE = "staff_intake"  # enter a complaint received by phone, walk-in or mail
    FEDERAL_LEDGER = "federal_ledger"  # enter and edit section 4 ledger entries
    READ_LEDGER = "read_ledger"  # the section 4 ledger and semi-annual reports, read only
    # Finalise a period's semi-annual report, and change its entries afterwards (with a reason).
    FINALISE_REPORTS = "finalise_reports"
    VIEW_REPORTS = "view_reports"
    MANAGE_USERS = "manage_users"
    MANAGE_CLAUSES = "manage_clauses"
    MANAGE_SETTINGS = "manage_settings"
    ORG_CASES = "org_cases"  # an advocate's own organisation's cases
    ORG_PEOPLE = "org_people"  # a lead advocate: add and deactivate their organisation's advocates
    LEGAL_HOLD = "legal_hold"  # the admin's legal-hold page (references and reasons only)
    # See account changes; deciding them also needs the ACCOUNT_APPROVER_ROLE setting's role.
    APPROVE_ACCOUNT_CHANGES = "approve_account_changes"
    # The JSON API, through a personal access token only (never a browser session).
    API_READ = "api_read"
    API_WRITE = "api_write"
    API_TOKENS = "api_tokens"  # an advocate's own tokens page


CASE_ROLES = frozenset({Role.INTAKE, Role.INVESTIGATOR, Role.SUPERVISOR})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.INTAKE: frozenset(
        {
            Permission.STAFF_HOME,
            Permission.VIEW_CASES,
            Permission.STAFF_INTAKE,
        }
    ),
    # Statistics (/staff/reports) are for supervisors and records officers only.
    Role.INVESTIGATOR: frozenset({Permission.STAFF_HOME, Permission.VIEW_CASES}),
    Role.SUPERVISOR: frozenset(
        {
            Permission.STAFF_HOME,
            Permission.VIEW_CASES,
            Permission.VIEW_REPORTS,
            Permission.STAFF_INTAKE,
            Permission.LEGAL_HOLD,
            Permission.APPROVE_ACCOUNT_CHANGES,
            Permission.READ_LEDGER,
            Permission.FINALISE_REPORTS,
        }
    ),
    Role.RECORDS: frozenset(
        {
            Permission.STAFF_HOME,
            Permission.FEDERAL_LEDGER,
            Permission.READ_LEDGER,
            Permission.VIEW_REPORTS,
        }
    ),
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
    Role.ADVOCATE: frozenset(
        {Permission.ORG_CASES, Permission.API_READ, Permission.API_WRITE, Permission.API_TOKENS}
    ),
}

# What a token's scope lets it do: areas (``requires``) and operations on a case (``decide``).
# A token never carries more than its account's role allows, and never more than the API.
SCOPE_PERMISSIONS: dict[TokenScope, frozenset[Permission]] = {
    TokenScope.READ: frozenset({Permission.API_READ}),
    TokenScope.WRITE: frozenset({Permission.API_READ, Permission.API_WRITE}),
}

# What an organisation's lead advocate may open beyond what every advocate may.
LEAD_PERMISSIONS = frozenset({Permission.ORG_PEOPLE})

STAFF_ROLES = frozenset(r for r in Role if r is not Role.ADVOCATE)


def _active_user(actor: object) -> bool:
    return (
        isinstance(actor, User)
        and bool(getattr(actor, "is_authenticated", True))
        and bool(actor.active)
    )


def has_permission(user: User | TokenActor | None, permission: Permission) -> bool:
    """Whether ``user`` may open the area ``permission`` names; anonymous and inactive users
    may open none, and a token only what both its scope and its account allow."""
    if isinstance(user, TokenActor):
        return permission in SCOPE_PERMISSIONS[user.scope] and has_permission(user.user, permission)
    if not _active_user(user):
        return False
    if permission in ROLE_PERMISSIONS.get(user.role, frozenset()):
        return True
    return permission in LEAD_PERMISSIONS and is_lead_advocate(user)


def is_lead_advocate(user: object) -> bool:
    """An active advocate whom an admin made their organisation's lead."""
    return (
        _active_user(user)
        and user.role == Role.ADVOCATE
        and user.organisation_id is not None
        and bool(user.is_lead)
    )


def may_manage_advocate(actor: object, member: User | None) -> bool:
    """Whether ``actor`` (a lead advocate) may add or deactivate ``member``: an advocate of
    the lead's own organisation, never the lead themself. Anything else does not exist for
    them (answer 404)."""
    return (
        is_lead_advocate(actor)
        and member is not None
        and member.role == Role.ADVOCATE
        and member.organisation_id == actor.organisation_id
        and member.id != actor.id
    )


F = TypeVar("F", bound=Callable)


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Refuse the view with 403 unless the signed-in user (on the API: the token) holds every
    permission. ``@requires()`` with none declares a public endpoint."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            account = g.get("token_actor") or current_user
            if not all(has_permission(account, p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permissions = frozenset(permissions)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


# ---------------------------------------------------------------------------------------------
# Actors that are not accounts


@dataclass(frozen=True)
class Complainant:
    """Whoever holds a case's reference and tracking code (on /track)."""

    complaint_id: int


@dataclass(frozen=True)
class System:
    """The app itself: CLI commands and scheduled work (retention, key rotation)."""

    task: str


@dataclass(frozen=True)
class TokenActor:
    """An advocate acting through a personal access token: the account's relations to cases,
    narrowed to what the token's scope allows (``SCOPE_CASE_ACTIONS``)."""

    user: User
    scope: TokenScope


Actor = User | Complainant | System | TokenActor | None


def acting_account(actor: Actor) -> User | None:
    """The account behind an actor, for recording who did something."""
    if isinstance(actor, TokenActor):
        return actor.user
    return actor if isinstance(actor, User) else None


# ---------------------------------------------------------------------------------------------
# Relations: who the actor is to the case


@dataclass(frozen=True)
class Relation:
    """One way an actor can stand towards a case. ``holds`` answers for one case."""

    name: str
    holds: Callable[[object, Complaint], bool]

    def __repr__(self) -> str:
        return self.name


def _role(*roles: Role) -> Callable[[object, Complaint], bool]:
    return lambda actor, _case: _active_user(actor) and actor.role in roles


def _is_assignee(actor: object, case: Complaint) -> bool:
    return (
        _active_user(actor)
        and actor.role in CASE_ROLES
        and case.assignee_id is not None
        and case.assignee_id == actor.id
    )


def _was_assignee(actor: object, case: Complaint) -> bool:
    return (
        _active_user(actor)
        and actor.role in CASE_ROLES
        and actor.id in {a.user_id for a in case.assignments}
    )


def _is_complainant(actor: object, case: Complaint) -> bool:
    return isinstance(actor, Complainant) and actor.complaint_id == case.id


def _is_filing_organisation(actor: object, case: Complaint) -> bool:
    return (
        _active_user(actor)
        and actor.role == Role.ADVOCATE
        and actor.organisation_id is not None
        and case.organisation_id == actor.organisation_id
    )


INTAKE = Relation("intake", _role(Role.INTAKE))
SUPERVISOR = Relation("supervisor", _role(Role.SUPERVISOR))
ADMIN = Relation("admin", _role(Role.ADMIN))
ASSIGNEE = Relation("assignee", _is_assignee)
FORMER_ASSIGNEE = Relation("former assignee", _was_assignee)
COMPLAINANT = Relation("complainant", _is_complainant)
FILING_ORGANISATION = Relation("filing organisation", _is_filing_organisation)
SYSTEM = Relation("system", lambda actor, _case: isinstance(actor, System))

RELATIONS = (
    INTAKE,
    SUPERVISOR,
    ADMIN,
    ASSIGNEE,
    FORMER_ASSIGNEE,
    COMPLAINANT,
    FILING_ORGANISATION,
    SYSTEM,
)


# ---------------------------------------------------------------------------------------------
# Operations on a case


class CaseAction(enum.StrEnum):
    READ = "read"  # staff: the case page with narrative, allegations, timeline
    TRACK = "track"  # the complainant's side: status and what the office wrote to them
    REPLY = "reply"  # answer the office, add information
    ADD_FILE = "add_file"  # add evidence
    ACKNOWLEDGE = "acknowledge"
    SCREEN_IN = "screen_in"
    SCREEN_OUT = "screen_out"
    SUBMIT_FINDINGS = "submit_findings"
    RETURN_FINDINGS = "return_findings"
    APPROVE = "approve"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    ASSIGN = "assign"
    ADD_ALLEGATION = "add_allegation"
    REMOVE_ALLEGATION = "remove_allegation"
    CONFIRM_CLAUSE = "confirm_clause"  # choose, change or confirm an allegation's clause
    EDIT_ALLEGATION = "edit_allegation"  # subject and clause-specific facts
    SET_DISPOSITION = "set_disposition"
    ADD_NOTE = "add_note"
    MESSAGE = "message"  # write to the complainant
    DOWNLOAD_FILE = "download_file"
    REVEAL_CONTACT = "reveal_contact"
    LEGAL_HOLD = "legal_hold"
    MERGE_INTO = "merge_into"  # take another case in as its duplicate (on the surviving case)
    PURGE = "purge"  # retention: remove personal data
    MOVE_ORGANISATION = "move_organisation"  # the client changed lawyers (admin)


ALL_STATES = frozenset(Status)
OPEN = frozenset(OPEN_STATUSES)
BEFORE_REVIEW = frozenset({Status.SUBMITTED, Status.TRIAGE, Status.INVESTIGATION})
INVESTIGATING = frozenset({Status.INVESTIGATION})


@dataclass(frozen=True)
class Grant:
    """``relations`` may do the operation while the case is in one of ``states``."""

    relations: tuple[Relation, ...]
    states: frozenset[Status]


def grant(*relations: Relation, states: Iterable[Status] = ALL_STATES) -> Grant:
    return Grant(tuple(relations), frozenset(states))


STAFF_READERS = (INTAKE, SUPERVISOR, ASSIGNEE, FORMER_ASSIGNEE)
CASEWORKERS = (INTAKE, SUPERVISOR, ASSIGNEE)
CLIENT_SIDE = (COMPLAINANT, FILING_ORGANISATION)

# Operations other than workflow transitions. A closed case is read-only: only reading,
# downloads, the contact reveal (itself recorded), legal hold, taking in a duplicate and the
# retention purge apply to it.
CASE_RULES: dict[CaseAction, tuple[Grant, ...]] = {
    CaseAction.READ: (grant(*STAFF_READERS),),
    CaseAction.TRACK: (grant(*CLIENT_SIDE),),
    CaseAction.REPLY: (grant(*CLIENT_SIDE, states=OPEN),),
    CaseAction.ADD_FILE: (grant(*CLIENT_SIDE, states=OPEN),),
    CaseAction.ASSIGN: (grant(SUPERVISOR, states=OPEN),),
    CaseAction.ADD_ALLEGATION: (
        grant(INTAKE, SUPERVISOR, states=BEFORE_REVIEW),
        grant(ASSIGNEE, states=INVESTIGATING),
    ),
    CaseAction.REMOVE_ALLEGATION: (
        grant(INTAKE, SUPERVISOR, states=BEFORE_REVIEW),
        grant(ASSIGNEE, states=INVESTIGATING),
    ),
    CaseAction.CONFIRM_CLAUSE: (grant(INTAKE, SUPERVISOR, states=BEFORE_REVIEW),),
    CaseAction.EDIT_ALLEGATION: (
        grant(INTAKE, SUPERVISOR, states=BEFORE_REVIEW),
        grant(ASSIGNEE, states=INVESTIGATING),
    ),
    CaseAction.SET_DISPOSITION: (grant(ASSIGNEE, SUPERVISOR, states=INVESTIGATING),),
    CaseAction.ADD_NOTE: (grant(*CASEWORKERS, states=OPEN),),
    CaseAction.MESSAGE: (grant(*CASEWORKERS, states=OPEN),),
    CaseAction.DOWNLOAD_FILE: (grant(*STAFF_READERS),),
    CaseAction.REVEAL_CONTACT: (grant(*CASEWORKERS),),
    CaseAction.LEGAL_HOLD: (grant(SUPERVISOR, ADMIN),),
    CaseAction.MERGE_INTO: (grant(INTAKE, SUPERVISOR),),
    CaseAction.PURGE: (grant(SYSTEM, states={Status.CLOSED}),),
    CaseAction.MOVE_ORGANISATION: (grant(ADMIN),),
}


# What a token may do to the cases its account may track.
SCOPE_CASE_ACTIONS: dict[TokenScope, frozenset[CaseAction]] = {
    TokenScope.READ: frozenset({CaseAction.TRACK}),
    TokenScope.WRITE: frozenset({CaseAction.TRACK, CaseAction.REPLY, CaseAction.ADD_FILE}),
}


def _grants(action: CaseAction) -> tuple[Grant, ...]:
    if action in CASE_RULES:
        return CASE_RULES[action]
    from complaints_app.services.workflow import ACTIONS

    spec = ACTIONS[action.value]
    return (Grant(spec.who, spec.sources),)


# ---------------------------------------------------------------------------------------------
# The decision


@dataclass(frozen=True)
class Decision:
    """The answer to ``decide``: allowed or not, and if not, why, in words for the person."""

    allowed: bool
    reason: LazyString | str = ""
    # The actor may not even know the case exists (answer 404, never 403).
    hidden: bool = False

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)

STATUS_WORDS = {
    Status.SUBMITTED: _l("newly submitted"),
    Status.TRIAGE: _l("in triage"),
    Status.INVESTIGATION: _l("under investigation"),
    Status.REVIEW: _l("in review"),
    Status.CLOSED: _l("closed"),
}


class Refused(Exception):
    """An operation the actor may not do to this case now; ``message`` says why."""

    def __init__(self, message: str | LazyString, *, hidden: bool = False):
        super().__init__(str(message))
        self.message = str(message)
        self.hidden = hidden


def _relations(actor: Actor, case: Complaint) -> list[Relation]:
    return [r for r in RELATIONS if r.holds(actor, case)]


def _may_know_of(relations: list[Relation], grants: tuple[Grant, ...]) -> bool:
    """Whether the case's existence may be admitted to this actor: they may read it in some
    state, or this operation is theirs in some state (an admin's legal hold)."""
    known = {
        r
        for gr in (*CASE_RULES[CaseAction.READ], *CASE_RULES[CaseAction.TRACK], *grants)
        for r in gr.relations
    }
    return bool(known.intersection(relations))


def decide(actor: Actor, case: Complaint, action: CaseAction | str) -> Decision:
    """May ``actor`` do ``action`` to ``case`` now? Deny unless a grant says yes."""
    action = CaseAction(action)
    if isinstance(actor, TokenActor):
        decision = decide(actor.user, case, action)
        if decision.allowed and action not in SCOPE_CASE_ACTIONS[actor.scope]:
            return Decision(False, _l("This token may only read. Use a token with write access."))
        return decision
    if case.purged_at is not None:
        return Decision(False, _l("This case's personal data was removed."), hidden=True)
    relations = _relations(actor, case)
    grants = _grants(action)
    related = [gr for gr in grants if set(gr.relations).intersection(relations)]
    if any(case.status in gr.states for gr in related):
        return ALLOWED
    if not _may_know_of(relations, grants):
        return Decision(False, _l("There is no such case."), hidden=True)
    if related:
        if case.status == Status.CLOSED:
            return Decision(
                False,
                _l("This case is closed. A supervisor must reopen it before it can change."),
            )
        return Decision(
            False,
            _l(
                "This case is %(status)s, so this cannot be done now.",
                status=STATUS_WORDS[case.status],
            ),
        )
    if FORMER_ASSIGNEE in relations and ASSIGNEE not in relations:
        return Decision(
            False, _l("This case is now assigned to someone else; you can only read it.")
        )
    if any(ASSIGNEE in gr.relations for gr in grants) and ASSIGNEE not in relations:
        return Decision(False, _l("Only the investigator assigned to this case can do this."))
    return Decision(False, _l("Your role does not allow this on this case."))


def can(actor: Actor, case: Complaint, action: CaseAction | str) -> bool:
    """Whether ``actor`` may do ``action`` to ``case`` now."""
    return decide(actor, case, action).allowed


def check(actor: Actor, case: Complaint, action: CaseAction | str) -> None:
    """Raise ``Refused`` (with the reason) unless ``actor`` may do ``action`` to ``case``."""
    decision = decide(actor, case, action)
    if not decision.allowed:
        raise Refused(decision.reason, hidden=decision.hidden)


def may_file_for_others(actor: Actor) -> bool:
    """Staff intake: entering a complaint received by phone, walk-in or mail."""
    return has_permission(actor if isinstance(actor, User) else None, Permission.STAFF_INTAKE)


def may_write_ledger(user: Actor) -> bool:
    """Whether ``user`` may enter or change ledger entries of some period: records officers
    in open periods, supervisors in finalised ones."""
    account = user if isinstance(user, User) else None
    return has_permission(account, Permission.FEDERAL_LEDGER) or has_permission(
        account, Permission.FINALISE_REPORTS
    )


def ledger_change(user: Actor, *, locked: bool) -> Decision:
    """May ``user`` enter or change a ledger entry of a period whose report is finalised
    (``locked``) or not? Records officers keep the ledger of open periods; once a period is
    finalised only a supervisor may change it, and the service asks for a reason."""
    account = user if isinstance(user, User) else None
    writer = has_permission(account, Permission.FEDERAL_LEDGER)
    finaliser = has_permission(account, Permission.FINALISE_REPORTS)
    if locked:
        if finaliser:
            return ALLOWED
        if writer:
            return Decision(
                False,
                _l(
                    "The report for this period has been finalised, so its entries are locked. "
                    "Ask a supervisor: they can change an entry, giving a reason."
                ),
            )
    else:
        if writer:
            return ALLOWED
        if finaliser:
            return Decision(
                False,
                _l(
                    "Records officers keep the ledger. A supervisor changes an entry only "
                    "after its period's report has been finalised."
                ),
            )
    return Decision(False, _l("Your role does not allow changes to the ledger."))


def can_be_assigned(user: User | None) -> bool:
    """Whether cases can be given to ``user`` to investigate."""
    return _active_user(user) and user.role in (Role.INVESTIGATOR, Role.SUPERVISOR)


def visible_cases(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the cases ``actor`` may list and open on the staff side: the same
    rule as ``CaseAction.READ``, for a query. A token sees its organisation's cases (the rule
    of ``CaseAction.TRACK`` for the filing organisation)."""
    if isinstance(actor, TokenActor):
        return organisation_cases(actor.user)
    if not _active_user(actor):
        return false()
    if actor.role in (Role.INTAKE, Role.SUPERVISOR):
        return true()
    if actor.role == Role.INVESTIGATOR:
        return or_(
            Complaint.assignee_id == actor.id,
            Complaint.id.in_(
                select(CaseAssignment.complaint_id).where(CaseAssignment.user_id == actor.id)
            ),
        )
    return false()


def organisation_cases(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the cases an advocate may list and open on /org/: those their
    organisation filed, the same rule as ``CaseAction.TRACK`` for them."""
    if not _active_user(actor) or actor.role != Role.ADVOCATE or actor.organisation_id is None:
        return false()
    return Complaint.organisation_id == actor.organisation_id


def current_actor() -> Actor:
    """Who is acting in this request: the tracked case's complainant on /track, else the
    signed-in account, else nobody."""
    if has_request_context() and g.get("case_actor") is not None:
        return g.case_actor
    if has_request_context() and g.get("token_actor") is not None:
        return g.token_actor
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user._get_current_object()
    return None
