"""Who may do what to which case: every actor (by role and relation to the case) against every
case state and every operation, compared with a table written out here by hand.

The table is the ordinance's workflow in DESIGN.md, read as a person would: intake and
supervisors see every case, investigators only the cases given to them (read-only once given to
someone else), records officers and admins no case contents, a closed case changes for nobody
until a supervisor reopens it.
"""

from __future__ import annotations

import pytest

from complaints_app.authz import CaseAction, Complainant, System, TokenActor, can, decide
from complaints_app.models import (
    CaseAssignment,
    Complaint,
    Organisation,
    Role,
    Status,
    TokenScope,
    User,
)
from complaints_app.timeutil import utcnow

# Case states by their first letter.
STATES = {
    "S": Status.SUBMITTED,
    "T": Status.TRIAGE,
    "I": Status.INVESTIGATION,
    "R": Status.REVIEW,
    "C": Status.CLOSED,
}
OPEN = "STIR"
ALL = "STIRC"

# Everyone who might try: a role, and how they stand to the case.
ACTORS = (
    "intake",
    "supervisor",
    "assignee",  # the investigator the case is given to
    "former assignee",  # an investigator it was given to before
    "other investigator",  # never given this case
    "records",
    "admin",
    "advocate of the filing organisation",
    "advocate of another organisation",
    "complainant",  # holds this case's tracking code
    "another complainant",  # holds another case's code
    "anonymous",
    "system",  # CLI and scheduled work
    "read token of the filing organisation",  # an API token of its advocate
    "write token of the filing organisation",
    "write token of another organisation",
)

CLIENT = ("complainant", "advocate of the filing organisation")
WRITE_TOKEN = "write token of the filing organisation"
TOKENS = ("read token of the filing organisation", WRITE_TOKEN)
READERS = ("intake", "supervisor", "assignee", "former assignee")

# operation → {actor: states in which it is allowed}; everyone else: never.
EXPECTED: dict[str, dict[str, str]] = {
    "read": dict.fromkeys(READERS, ALL),
    "track": dict.fromkeys((*CLIENT, *TOKENS), ALL),
    "reply": dict.fromkeys((*CLIENT, WRITE_TOKEN), OPEN),
    "add_file": dict.fromkeys((*CLIENT, WRITE_TOKEN), OPEN),
    "acknowledge": {"intake": "S", "supervisor": "S"},
    "screen_in": {"intake": "T", "supervisor": "T"},
    "screen_out": {"intake": "T", "supervisor": "T"},
    "submit_findings": {"assignee": "I"},
    "return_findings": {"supervisor": "R"},
    "approve": {"supervisor": "R"},
    "withdraw": dict.fromkeys(("intake", "supervisor", "assignee", *CLIENT), OPEN),
    "reopen": {"supervisor": "C"},
    "assign": {"supervisor": OPEN},
    "add_allegation": {"intake": "STI", "supervisor": "STI", "assignee": "I"},
    "remove_allegation": {"intake": "STI", "supervisor": "STI", "assignee": "I"},
    "confirm_clause": {"intake": "STI", "supervisor": "STI"},
    "edit_allegation": {"intake": "STI", "supervisor": "STI", "assignee": "I"},
    "set_disposition": {"assignee": "I", "supervisor": "I"},
    "add_note": {"intake": OPEN, "supervisor": OPEN, "assignee": OPEN},
    "message": {"intake": OPEN, "supervisor": OPEN, "assignee": OPEN},
    "download_file": dict.fromkeys(READERS, ALL),
    "reveal_contact": {"intake": ALL, "supervisor": ALL, "assignee": ALL},
    "legal_hold": {"supervisor": ALL, "admin": ALL},
    "merge_into": {"intake": ALL, "supervisor": ALL},
    "purge": {"system": "C"},
    "move_organisation": {"admin": ALL},
}


def _user(uid: int, role: Role, organisation: Organisation | None = None) -> User:
    return User(
        id=uid,
        email=f"u{uid}@example.org",
        role=role,
        active=True,
        organisation=organisation,
        organisation_id=organisation.id if organisation else None,
    )


@pytest.fixture(scope="module")
def actors():
    filing_org = Organisation(id=1, slug="aid", name="Aid")
    other_org = Organisation(id=2, slug="other", name="Other")
    advocate = _user(8, Role.ADVOCATE, filing_org)
    return {
        "intake": _user(1, Role.INTAKE),
        "supervisor": _user(2, Role.SUPERVISOR),
        "assignee": _user(3, Role.INVESTIGATOR),
        "former assignee": _user(4, Role.INVESTIGATOR),
        "other investigator": _user(5, Role.INVESTIGATOR),
        "records": _user(6, Role.RECORDS),
        "admin": _user(7, Role.ADMIN),
        "advocate of the filing organisation": advocate,
        "advocate of another organisation": _user(9, Role.ADVOCATE, other_org),
        "complainant": Complainant(100),
        "another complainant": Complainant(101),
        "anonymous": None,
        "system": System("test"),
        "read token of the filing organisation": TokenActor(advocate, TokenScope.READ),
        WRITE_TOKEN: TokenActor(advocate, TokenScope.WRITE),
        "write token of another organisation": TokenActor(
            _user(10, Role.ADVOCATE, other_org), TokenScope.WRITE
        ),
    }


def _case(status: Status) -> Complaint:
    case = Complaint(id=100, status=status, assignee_id=3, organisation_id=1)
    case.assignments = [
        CaseAssignment(complaint_id=100, user_id=4),
        CaseAssignment(complaint_id=100, user_id=3),
    ]
    return case


def test_the_table_names_every_operation_and_only_real_ones():
    assert set(EXPECTED) == {a.value for a in CaseAction}
    for grants in EXPECTED.values():
        assert set(grants) <= set(ACTORS)


@pytest.mark.parametrize("operation", sorted(EXPECTED))
def test_every_actor_state_and_operation_matches_the_table(actors, operation):
    mismatches = []
    for letter, status in STATES.items():
        case = _case(status)
        for name in ACTORS:
            expected = letter in EXPECTED[operation].get(name, "")
            if can(actors[name], case, operation) != expected:
                mismatches.append((name, status.value, "allowed" if expected else "refused"))
    assert mismatches == [], f"{operation}: expected but not so: {mismatches}"


@pytest.mark.parametrize("operation", sorted(EXPECTED))
def test_an_inactive_account_may_do_nothing(actors, operation):
    for name in (*READERS, "admin", "advocate of the filing organisation"):
        user = actors[name]
        user.active = False
        try:
            for status in STATES.values():
                assert not can(user, _case(status), operation), (name, status)
        finally:
            user.active = True


def test_a_purged_case_is_gone_for_everyone(actors):
    case = _case(Status.CLOSED)
    case.purged_at = utcnow()
    for operation in EXPECTED:
        for name in ACTORS:
            assert not can(actors[name], case, operation), (name, operation)


@pytest.mark.parametrize(
    ("actor", "status", "operation", "hidden", "words"),
    [
        # Someone who may not read the case is told it does not exist, not that it is theirs.
        ("other investigator", Status.INVESTIGATION, "read", True, "no such case"),
        ("records", Status.TRIAGE, "read", True, "no such case"),
        ("admin", Status.CLOSED, "set_disposition", True, "no such case"),
        ("advocate of another organisation", Status.TRIAGE, "track", True, "no such case"),
        ("another complainant", Status.TRIAGE, "reply", True, "no such case"),
        ("write token of another organisation", Status.TRIAGE, "track", True, "no such case"),
        # Someone who may read it is told why not.
        ("supervisor", Status.CLOSED, "set_disposition", False, "closed"),
        ("former assignee", Status.CLOSED, "set_disposition", False, "someone else"),
        ("former assignee", Status.INVESTIGATION, "set_disposition", False, "assigned to"),
        ("intake", Status.INVESTIGATION, "submit_findings", False, "investigator assigned"),
        ("intake", Status.REVIEW, "approve", False, "role does not allow"),
        ("supervisor", Status.TRIAGE, "approve", False, "in triage"),
        ("complainant", Status.CLOSED, "reply", False, "closed"),
        ("read token of the filing organisation", Status.TRIAGE, "reply", False, "only read"),
    ],
)
def test_refusals_say_why(actors, actor, status, operation, hidden, words):
    decision = decide(actors[actor], _case(status), operation)
    assert not decision.allowed
    assert decision.hidden is hidden
    assert words in str(decision.reason)
