"""The case workflow: every action against every status and role, what each action
requires, and one run from acknowledgement to approval through the staff pages."""

from __future__ import annotations

import html as html_lib
import re
from http import HTTPStatus

import pytest
from sqlalchemy import func, select

from complaints_app.models import (
    CaseEvent,
    ClosureReason,
    Complaint,
    Disposition,
    EventKind,
    Role,
    Status,
)
from complaints_app.services import workflow
from complaints_app.services.workflow import TransitionRefused, VersionConflict
from complaints_app.timeutil import utcnow
from tests.helpers import hidden_fields, post_complaint, receipt_of, sign_in_to_case
from tests.staff.conftest import complaint_by_reference, file_complaint, login, quick_user


def status_changes(db, complaint_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(
            CaseEvent.complaint_id == complaint_id,
            CaseEvent.kind == EventKind.STATUS_CHANGED,
        )
    )


def put_in_status(db, complaint: Complaint, status: Status, assignee_id: int | None) -> None:
    complaint.status = status
    complaint.assignee_id = assignee_id
    if status == Status.CLOSED:
        complaint.closure_reason = ClosureReason.REFERRED
        complaint.closed_at = utcnow()
    db.session.commit()


def run_action(action: str, complaint: Complaint, actor, investigator) -> None:
    """Take ``action`` with everything it requires supplied."""
    if action == "acknowledge":
        workflow.acknowledge(complaint, actor, "We received your complaint.")
    elif action == "screen_in":
        for allegation in complaint.allegations:
            allegation.clause_confirmed = True
        workflow.screen_in(complaint, actor, investigator)
    elif action == "screen_out":
        workflow.screen_out(complaint, actor, ClosureReason.REFERRED, "Sent to the DA.")
    elif action == "submit_findings":
        for allegation in complaint.allegations:
            allegation.disposition = Disposition.SUSTAINED
        workflow.submit_findings(complaint, actor, "The hold was unlawful.")
    elif action == "return_findings":
        workflow.return_findings(complaint, actor, "Check the booking times.")
    elif action == "approve":
        workflow.approve(complaint, actor, "Your complaint was upheld.")
    elif action == "withdraw":
        workflow.withdraw_by_staff(complaint, actor, "Phoned to withdraw.", "We closed it.")
    elif action == "reopen":
        workflow.reopen(complaint, actor, "New evidence arrived.")
    else:  # pragma: no cover
        raise AssertionError(action)


@pytest.fixture
def staff(db):
    return {role: quick_user(db, role) for role in Role}


def _triage_case(db, staff) -> Complaint:
    complaint = file_complaint(db)
    workflow.acknowledge(complaint, staff[Role.INTAKE], "Received.")
    db.session.commit()
    return complaint


@pytest.mark.parametrize("message", ["", "   "])
def test_acknowledge_needs_a_message(db, staff, message):
    complaint = file_complaint(db)
    with pytest.raises(TransitionRefused, match="acknowledgement message"):
        workflow.acknowledge(complaint, staff[Role.INTAKE], message)


@pytest.mark.parametrize(
    ("confirm", "assignee_role", "names_clause", "names_investigator"),
    [
        (False, None, True, True),
        (True, None, False, True),
        (False, Role.INVESTIGATOR, True, False),
        (True, Role.INTAKE, False, True),  # not someone who investigates
    ],
)
def test_screen_in_names_what_is_missing(
    db, staff, confirm, assignee_role, names_clause, names_investigator
):
    complaint = _triage_case(db, staff)
    for allegation in complaint.allegations:
        allegation.clause_confirmed = confirm
    assignee = staff[assignee_role] if assignee_role else None
    with pytest.raises(TransitionRefused) as refused:
        workflow.screen_in(complaint, staff[Role.INTAKE], assignee)
    message = refused.value.message
    assert ("confirm the clause" in message) == names_clause
    assert ("choose an investigator" in message) == names_investigator


def test_screen_in_refuses_an_inactive_investigator(db, staff):
    complaint = _triage_case(db, staff)
    for allegation in complaint.allegations:
        allegation.clause_confirmed = True
    staff[Role.INVESTIGATOR].active = False
    with pytest.raises(TransitionRefused, match="choose an investigator"):
        workflow.screen_in(complaint, staff[Role.INTAKE], staff[Role.INVESTIGATOR])


def test_screen_in_refuses_an_unconfirmed_suggestion(db, staff):
    complaint = _triage_case(db, staff)
    assert all(a.clause is not None for a in complaint.allegations)
    with pytest.raises(TransitionRefused, match="confirm the clause"):
        workflow.screen_in(complaint, staff[Role.INTAKE], staff[Role.INVESTIGATOR])


def test_screen_out_needs_a_listed_reason(db, staff):
    complaint = _triage_case(db, staff)
    with pytest.raises(TransitionRefused, match="screened out"):
        workflow.screen_out(complaint, staff[Role.INTAKE], ClosureReason.WITHDRAWN, "Closed.")


def test_duplicate_needs_a_surviving_case(db, staff):
    complaint = _triage_case(db, staff)
    with pytest.raises(TransitionRefused, match="Name the case"):
        workflow.screen_out(complaint, staff[Role.INTAKE], ClosureReason.DUPLICATE, "Dup.")
    with pytest.raises(TransitionRefused, match="Name the case"):
        workflow.screen_out(
            complaint, staff[Role.INTAKE], ClosureReason.DUPLICATE, "Dup.", merged_into=complaint
        )


def test_duplicate_is_merged_into_the_survivor(db, staff):
    survivor = file_complaint(db)
    duplicate = _triage_case(db, staff)
    workflow.screen_out(
        duplicate, staff[Role.INTAKE], ClosureReason.DUPLICATE, "Dup.", merged_into=survivor
    )
    db.session.commit()
    duplicate = complaint_by_reference(db, duplicate.reference)
    assert duplicate.status == Status.CLOSED
    assert duplicate.closure_reason == ClosureReason.DUPLICATE
    assert duplicate.merged_into_id == survivor.id
    merged = db.session.execute(
        select(CaseEvent).where(
            CaseEvent.complaint_id == survivor.id, CaseEvent.kind == EventKind.MERGED
        )
    ).scalar_one()
    assert merged.data == {"merged": duplicate.reference}

    # A third case cannot be merged into the closed duplicate, only into the survivor.
    third = _triage_case(db, staff)
    with pytest.raises(TransitionRefused, match="surviving case"):
        workflow.screen_out(
            third, staff[Role.INTAKE], ClosureReason.DUPLICATE, "Dup.", merged_into=duplicate
        )
    db.session.rollback()
    # And the merged duplicate cannot be reopened.
    duplicate = complaint_by_reference(db, duplicate.reference)
    with pytest.raises(TransitionRefused, match="merged duplicate"):
        workflow.reopen(duplicate, staff[Role.SUPERVISOR], "Wrong merge")


def _investigation_case(db, staff) -> Complaint:
    complaint = _triage_case(db, staff)
    for allegation in complaint.allegations:
        allegation.clause_confirmed = True
    workflow.screen_in(complaint, staff[Role.INTAKE], staff[Role.INVESTIGATOR])
    db.session.commit()
    return complaint


def test_submit_findings_needs_every_disposition_and_a_summary(db, staff):
    complaint = _investigation_case(db, staff)
    investigator = staff[Role.INVESTIGATOR]
    with pytest.raises(TransitionRefused) as refused:
        workflow.submit_findings(complaint, investigator, " ")
    assert "(2 left)" in refused.value.message
    assert "findings summary" in refused.value.message

    complaint.allegations[0].disposition = Disposition.SUSTAINED
    with pytest.raises(TransitionRefused, match=r"\(1 left\)"):
        workflow.submit_findings(complaint, investigator, "Summary")
    complaint.allegations[1].disposition = Disposition.UNFOUNDED
    with pytest.raises(TransitionRefused, match="findings summary"):
        workflow.submit_findings(complaint, investigator, "")
    workflow.submit_findings(complaint, investigator, "Summary")
    assert complaint.status == Status.REVIEW


def test_only_the_assignee_submits_findings(db, staff):
    complaint = _investigation_case(db, staff)
    for allegation in complaint.allegations:
        allegation.disposition = Disposition.SUSTAINED
    colleague = quick_user(db, Role.INVESTIGATOR, email="colleague@svc.example")
    with pytest.raises(TransitionRefused, match="no such case"):
        workflow.submit_findings(complaint, colleague, "Summary")
    with pytest.raises(TransitionRefused, match="Only the investigator assigned"):
        workflow.submit_findings(complaint, staff[Role.SUPERVISOR], "Summary")
    workflow.submit_findings(complaint, staff[Role.INVESTIGATOR], "Summary")
    assert complaint.status == Status.REVIEW


def test_return_and_reopen_need_a_reason(db, staff):
    complaint = _investigation_case(db, staff)
    for allegation in complaint.allegations:
        allegation.disposition = Disposition.SUSTAINED
    workflow.submit_findings(complaint, staff[Role.INVESTIGATOR], "Summary")
    supervisor = staff[Role.SUPERVISOR]
    with pytest.raises(TransitionRefused, match="why the findings are returned"):
        workflow.return_findings(complaint, supervisor, "  ")
    workflow.approve(complaint, supervisor, "Upheld.")
    assert complaint.status == Status.CLOSED
    with pytest.raises(TransitionRefused, match="why the case is reopened"):
        workflow.reopen(complaint, supervisor, "")
    workflow.reopen(complaint, supervisor, "The complainant sent new video.")
    assert complaint.status == Status.TRIAGE
    assert complaint.closure_reason is None and complaint.closed_at is None
    db.session.commit()


def test_stale_version_is_a_conflict(db, staff):
    complaint = file_complaint(db)
    with pytest.raises(VersionConflict):
        workflow.acknowledge(
            complaint, staff[Role.INTAKE], "Received.", version=complaint.version + 1
        )


# --- the same path through the staff pages -------------------------------------------------


def _form(html: str, action_path: str) -> str:
    """The HTML of the form that posts to ``action_path``."""
    match = re.search(
        # An action may end in a fragment (the part of the page the answer opens at).
        r'<form[^>]*action="' + re.escape(action_path) + r'(?:#[^"]*)?"[^>]*>(.*?)</form>',
        html,
        re.S,
    )
    assert match, f"no form posting to {action_path}"
    return match.group(1)


def _fields(form_html: str) -> dict[str, str]:
    fields = dict(
        re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form_html)
    )
    fields.update(
        re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', form_html)
    )
    return fields


def textarea(form_html: str, name: str) -> str:
    """The text a form's textarea holds, as a browser would send it."""
    match = re.search(
        r'<textarea[^>]*name="' + re.escape(name) + r'"[^>]*>(.*?)</textarea>', form_html, re.S
    )
    assert match, f"no textarea {name}"
    return html_lib.unescape(match.group(1))


def _post(client, reference: str, path: str, data: dict):
    page = client.get(f"/staff/cases/{reference}").get_data(as_text=True)
    payload = {**_fields(_form(page, path)), **data}
    response = client.post(path, data=payload)
    assert response.status_code == HTTPStatus.SEE_OTHER, response.get_data(as_text=True)[-3000:]
    return response


def test_case_from_acknowledgement_to_approval_through_the_pages(app, db, make_user):
    resident = app.test_client()
    reference, code = receipt_of(post_complaint(resident))
    intake = make_user(Role.INTAKE)
    investigator = make_user(Role.INVESTIGATOR)
    supervisor = make_user(Role.SUPERVISOR)
    clients = {}
    for user in (intake, investigator, supervisor):
        clients[user.role] = app.test_client()
        assert login(clients[user.role], user.email).status_code == HTTPStatus.SEE_OTHER
    base = f"/staff/cases/{reference}"
    allegations = complaint_by_reference(db, reference).allegations
    first, second = allegations[0].id, allegations[1].id

    ack = "Thank you. We have your complaint and will look into it this week."
    _post(clients[Role.INTAKE], reference, f"{base}/actions/acknowledge", {"message": ack})
    # Screening in needs every allegation's clause confirmed by intake.
    for allegation_id, clause in ((first, "2c"), (second, allegations[1].clause.code)):
        a = f"a{allegation_id}-"
        _post(
            clients[Role.INTAKE],
            reference,
            f"{base}/allegations/{allegation_id}",
            {a + "clause": clause, a + "confirmed": "y", a + "reason": "Matches the account"},
        )
    _post(
        clients[Role.INTAKE],
        reference,
        f"{base}/actions/screen_in",
        {"assignee": str(investigator.id)},
    )
    complaint = complaint_by_reference(db, reference)
    assert complaint.status == Status.INVESTIGATION
    assert complaint.assignee_id == investigator.id

    for allegation in complaint.allegations:
        p = f"a{allegation.id}-"
        _post(
            clients[Role.INVESTIGATOR],
            reference,
            f"{base}/allegations/{allegation.id}",
            {
                p + "clause": allegation.clause.code,
                **({p + "confirmed": "y"} if allegation.clause_confirmed else {}),
                p + "disposition": Disposition.SUSTAINED.value,
                p + "reason": "Booking log shows the hold",
            },
        )
    assert second in {a.id for a in complaint.allegations}
    _post(
        clients[Role.INVESTIGATOR],
        reference,
        f"{base}/actions/submit_findings",
        {"summary": "Held nine hours past bail for ICE."},
    )
    page = clients[Role.SUPERVISOR].get(base).get_data(as_text=True)
    prefilled = textarea(_form(page, f"{base}/actions/approve"), "message")
    _post(clients[Role.SUPERVISOR], reference, f"{base}/actions/approve", {"message": prefilled})

    complaint = complaint_by_reference(db, reference)
    assert complaint.status == Status.CLOSED
    assert complaint.closure_reason == ClosureReason.FINDINGS_APPROVED
    kinds = [
        e.data["action"]
        for e in db.session.execute(
            select(CaseEvent)
            .where(
                CaseEvent.complaint_id == complaint.id,
                CaseEvent.kind == EventKind.STATUS_CHANGED,
            )
            .order_by(CaseEvent.seq)
        ).scalars()
    ]
    assert kinds == ["acknowledge", "screen_in", "submit_findings", "approve"]

    tracker = app.test_client()
    assert sign_in_to_case(tracker, reference, code).status_code == HTTPStatus.SEE_OTHER
    html = tracker.get("/track").get_data(as_text=True)
    assert "Thank you. We have your complaint and will look into it this week." in html
    assert "Closed" in html
    assert hidden_fields(html)  # still a working page with its forms
