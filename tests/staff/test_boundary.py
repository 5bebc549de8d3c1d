"""The one boundary, through the staff pages: what a person is offered is what they may do,
what they may not do is refused with the reason, and every page that shows a case's contents
records the read."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import select

from complaints_app.models import (
    CaseAssignment,
    CaseEvent,
    ClosureReason,
    Complaint,
    Disposition,
    EventKind,
    Role,
    Status,
)
from complaints_app.services import workflow
from complaints_app.timeutil import utcnow
from tests.helpers import hidden_fields
from tests.staff.conftest import complaint_by_reference, file_complaint, login
from tests.staff.test_workflow import _fields, _form
from tests.test_case_permissions import EXPECTED, STATES


def events(db, complaint_id: int, kind: EventKind) -> list[CaseEvent]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(CaseEvent)
            .where(CaseEvent.complaint_id == complaint_id, CaseEvent.kind == kind)
            .order_by(CaseEvent.id)
        ).scalars()
    )


@pytest.fixture
def team(app, make_user):
    """Signed-in browsers: intake, a supervisor, the assignee, a former assignee and an
    investigator the case was never given to."""
    people = {
        "intake": make_user(Role.INTAKE),
        "supervisor": make_user(Role.SUPERVISOR),
        "assignee": make_user(Role.INVESTIGATOR),
        "former assignee": make_user(Role.INVESTIGATOR),
        "other investigator": make_user(Role.INVESTIGATOR),
    }
    browsers = {}
    for name, user in people.items():
        browsers[name] = app.test_client()
        assert login(browsers[name], user.email).status_code == HTTPStatus.SEE_OTHER
    return people, browsers


def put_case_in(db, complaint: Complaint, status: Status, people) -> Complaint:
    """Give the case to the assignee (after the former assignee) and set its state."""
    complaint.assignments = [
        CaseAssignment(user_id=people["former assignee"].id, assigned_at=utcnow()),
        CaseAssignment(user_id=people["assignee"].id, assigned_at=utcnow()),
    ]
    complaint.assignee_id = people["assignee"].id
    for allegation in complaint.allegations:
        allegation.clause_confirmed = True
    complaint.status = status
    if status == Status.CLOSED:
        complaint.closure_reason = ClosureReason.FINDINGS_APPROVED
        complaint.closed_at = utcnow()
    db.session.commit()
    return complaint


def page(browser, reference: str):
    return browser.get(f"/staff/cases/{reference}")


def form_fields(html: str, action: str) -> dict:
    """The hidden fields (CSRF token, case version) of the form that posts to ``action``."""
    return _fields(_form(html, action))


WORKFLOW = [a for a in workflow.ACTIONS]


@pytest.mark.parametrize("letter", list(STATES))
def test_each_person_is_offered_exactly_what_they_may_do(db, team, letter):
    people, browsers = team
    complaint = put_case_in(db, file_complaint(db), STATES[letter], people)
    for name, browser in browsers.items():
        response = page(browser, complaint.reference)
        may_read = letter in EXPECTED["read"].get(name, "")
        assert response.status_code == (HTTPStatus.OK if may_read else HTTPStatus.NOT_FOUND), name
        if not may_read:
            continue
        html = response.get_data(as_text=True)
        base = f"/staff/cases/{complaint.reference}"
        offered = {a for a in WORKFLOW if f'action="{base}/actions/{a}"' in html}
        expected = {a for a in WORKFLOW if letter in EXPECTED[a].get(name, "")}
        assert offered == expected, (name, letter)
        for operation, action in (
            ("add_note", f"{base}/notes"),
            ("message", f"{base}/messages"),
            ("assign", f"{base}/assign"),
            ("add_allegation", f"{base}/allegations"),
            ("reveal_contact", f"{base}/contact"),
            ("legal_hold", f"{base}/legal-hold"),
        ):
            shown = f'action="{action}"' in html
            assert shown == (letter in EXPECTED[operation].get(name, "")), (name, operation)


@pytest.mark.parametrize("letter", list(STATES))
def test_refused_posts_change_nothing(db, team, letter):
    """Every workflow step posted by someone the table refuses, in every state: nothing
    changes, and the answer is a refusal (404 for someone who may not read the case)."""
    people, browsers = team
    complaint = put_case_in(db, file_complaint(db), STATES[letter], people)
    base = f"/staff/cases/{complaint.reference}"
    token = hidden_fields(browsers["intake"].get("/login").get_data(as_text=True))
    for name, browser in browsers.items():
        token = hidden_fields(browser.get("/login").get_data(as_text=True))["csrf_token"]
        for action in WORKFLOW:
            if letter in EXPECTED[action].get(name, ""):
                continue
            before = complaint_by_reference(db, complaint.reference).version
            response = browser.post(
                f"{base}/actions/{action}",
                data={
                    "csrf_token": token,
                    "version": str(before),
                    "reason": "Because",
                    "message": "Hello",
                    "summary": "Summary",
                    "assignee": str(people["assignee"].id),
                },
            )
            may_read = letter in EXPECTED["read"].get(name, "")
            wanted = HTTPStatus.UNPROCESSABLE_ENTITY if may_read else HTTPStatus.NOT_FOUND
            assert response.status_code == wanted, (name, action, letter)
            after = complaint_by_reference(db, complaint.reference)
            assert after.status == STATES[letter], (name, action)
            assert after.version == before, (name, action)


def _allegation_post(browser, complaint: Complaint, allegation, **changes):
    base = f"/staff/cases/{complaint.reference}"
    p = f"a{allegation.id}-"
    data = {
        "csrf_token": hidden_fields(browser.get("/login").get_data(as_text=True))["csrf_token"],
        p + "version": str(complaint.version),
        p + "clause": allegation.clause.code if allegation.clause else "",
        p + "reason": "Changing the finding",
    }
    if allegation.clause_confirmed:
        data[p + "confirmed"] = "y"
    data.update({p + k: v for k, v in changes.items()})
    return browser.post(f"{base}/allegations/{allegation.id}", data=data)


def test_an_investigator_cannot_change_a_finding_on_a_closed_case(db, team):
    """Hole 1: an investigator who was not assigned changed a finding on an approved case."""
    people, browsers = team
    complaint = put_case_in(db, file_complaint(db), Status.CLOSED, people)
    for allegation in complaint.allegations:
        allegation.disposition = Disposition.SUSTAINED
    db.session.commit()
    allegation = complaint.allegations[0]
    for name in ("other investigator", "former assignee", "assignee"):
        response = _allegation_post(
            browsers[name], complaint, allegation, disposition=Disposition.UNFOUNDED.value
        )
        if name == "other investigator":
            assert response.status_code == HTTPStatus.NOT_FOUND
        else:
            assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, name
            assert "Allegation saved" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert complaint_by_reference(db, complaint.reference).allegations[0].disposition == (
        Disposition.SUSTAINED
    )
    assert events(db, complaint.id, EventKind.ALLEGATION_CHANGED) == []


def test_a_supervisor_cannot_set_a_disposition_on_a_closed_case(db, team):
    """Hole 2: a supervisor set a disposition on a closed case without reopening it."""
    people, browsers = team
    complaint = put_case_in(db, file_complaint(db), Status.CLOSED, people)
    allegation = complaint.allegations[0]
    response = _allegation_post(
        browsers["supervisor"], complaint, allegation, disposition=Disposition.SUSTAINED.value
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert "Allegation saved" not in html
    assert "closed" in html and "reopen" in html
    assert complaint_by_reference(db, complaint.reference).allegations[0].disposition is None

    # Once reopened (with a reason) and worked again, the change is possible.
    supervisor = people["supervisor"]
    reopened = complaint_by_reference(db, complaint.reference)
    workflow.reopen(reopened, supervisor, "New evidence")
    db.session.commit()
    assert reopened.status == Status.TRIAGE


def test_a_case_cannot_be_screened_in_on_an_unconfirmed_suggestion(db, team):
    """Hole 3: a case went through screening, findings and approval on a suggested clause."""
    people, browsers = team
    complaint = file_complaint(db)
    workflow.acknowledge(complaint, people["intake"], "Received.")
    db.session.commit()
    assert len(complaint.allegations) == 2 and not any(
        a.clause_confirmed for a in complaint.allegations
    )
    base = f"/staff/cases/{complaint.reference}"
    intake = browsers["intake"]

    def screen_in():
        html = page(intake, complaint.reference).get_data(as_text=True)
        fields = form_fields(html, f"{base}/actions/screen_in")
        return intake.post(
            f"{base}/actions/screen_in",
            data={**fields, "assignee": str(people["assignee"].id)},
        )

    refused = screen_in()
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "confirm the clause of every allegation (2 not confirmed)" in refused.get_data(
        as_text=True
    )
    first, second = complaint_by_reference(db, complaint.reference).allegations
    confirmed = _allegation_post(
        intake, complaint_by_reference(db, complaint.reference), first, confirmed="y"
    )
    assert confirmed.status_code == HTTPStatus.SEE_OTHER
    refused = screen_in()
    assert "(1 not confirmed)" in refused.get_data(as_text=True)
    _allegation_post(intake, complaint_by_reference(db, complaint.reference), second, confirmed="y")
    assert screen_in().status_code == HTTPStatus.SEE_OTHER
    assert complaint_by_reference(db, complaint.reference).status == Status.INVESTIGATION


def test_an_investigator_cannot_confirm_a_clause(db, team):
    people, browsers = team
    complaint = put_case_in(db, file_complaint(db), Status.INVESTIGATION, people)
    allegation = complaint.allegations[0]
    allegation.clause_confirmed = False
    db.session.commit()
    response = _allegation_post(
        browsers["assignee"],
        complaint_by_reference(db, complaint.reference),
        allegation,
        confirmed="y",
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert not complaint_by_reference(db, complaint.reference).allegations[0].clause_confirmed


def test_the_queue_lists_only_what_the_person_may_open(db, team):
    people, browsers = team
    given = put_case_in(db, file_complaint(db), Status.INVESTIGATION, people)
    not_given = file_complaint(db)
    for name, sees_given, sees_other in (
        ("intake", True, True),
        ("supervisor", True, True),
        ("assignee", True, False),
        ("former assignee", True, False),
        ("other investigator", False, False),
    ):
        html = browsers[name].get("/staff/cases").get_data(as_text=True)
        assert (given.reference in html) == sees_given, name
        assert (not_given.reference in html) == sees_other, name


def test_refusals_and_conflicts_are_recorded_reads(db, team):
    """A 422 (an empty note) and a 409 (a stale approve) both show the case: both are reads."""
    people, browsers = team
    complaint = put_case_in(db, file_complaint(db), Status.REVIEW, people)
    base = f"/staff/cases/{complaint.reference}"
    supervisor = browsers["supervisor"]
    html = page(supervisor, complaint.reference).get_data(as_text=True)
    viewed = len(events(db, complaint.id, EventKind.CASE_VIEWED))

    empty = supervisor.post(
        f"{base}/notes", data={**form_fields(html, f"{base}/notes"), "text": ""}
    )
    assert empty.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert complaint.narrative in empty.get_data(as_text=True)
    assert len(events(db, complaint.id, EventKind.CASE_VIEWED)) == viewed + 1

    stale = form_fields(html, f"{base}/actions/approve")
    stale["version"] = str(int(stale["version"]) - 1)
    stale["message"] = "Your complaint was upheld."
    conflict = supervisor.post(f"{base}/actions/approve", data=stale)
    assert conflict.status_code == HTTPStatus.CONFLICT
    assert len(events(db, complaint.id, EventKind.CASE_VIEWED)) == viewed + 2
    assert complaint_by_reference(db, complaint.reference).status == Status.REVIEW
