"""Closing a case tells the complainant the outcome in plain words: approving findings,
screening out and a withdrawal staff record each need a message, prefilled from the findings,
which the complainant reads on /track beside a timeline that names every status."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from sqlalchemy import select

from complaints_app.models import (
    CaseAssignment,
    CaseEvent,
    ClosureReason,
    Disposition,
    EventKind,
    Role,
    Status,
    Visibility,
)
from complaints_app.services import outcome
from complaints_app.timeutil import utcnow
from tests.helpers import parse_page, sign_in_to_case
from tests.staff.conftest import complaint_by_reference, file_complaint
from tests.staff.test_workflow import _fields, _form, textarea

PLAIN = {
    Disposition.SUSTAINED: "it broke the policy",
    Disposition.NOT_SUSTAINED: "not find enough evidence",
    Disposition.EXONERATED: "allowed under the law or the policy",
    Disposition.UNFOUNDED: "did not happen as described",
    Disposition.POLICY_FAILURE: "the practice itself goes against the policy",
    Disposition.NO_FINDING: "We made no finding",
}


def _case_in(db, reference: str, status: Status, assignee, disposition=None):
    complaint = complaint_by_reference(db, reference)
    complaint.assignments = [CaseAssignment(user_id=assignee.id, assigned_at=utcnow())]
    complaint.assignee_id = assignee.id
    for allegation in complaint.allegations:
        allegation.clause_confirmed = True
        allegation.disposition = disposition
    complaint.status = status
    db.session.commit()
    return complaint


def _action_form(browser, reference: str, action: str) -> tuple[str, str]:
    path = f"/staff/cases/{reference}/actions/{action}"
    html = browser.get(f"/staff/cases/{reference}").get_data(as_text=True)
    return path, _form(html, path)


def _tracked(app, reference: str, code: str) -> str:
    resident = app.test_client()
    assert sign_in_to_case(resident, reference, code).status_code == HTTPStatus.SEE_OTHER
    return resident.get("/track").get_data(as_text=True)


def _events(db, complaint_id: int, kind: EventKind) -> list[CaseEvent]:
    return list(
        db.session.execute(
            select(CaseEvent).where(CaseEvent.complaint_id == complaint_id, CaseEvent.kind == kind)
        ).scalars()
    )


def _text(html: str) -> str:
    return parse_page(html).text


@pytest.mark.parametrize("disposition", list(Disposition))
def test_approval_message_gives_each_clause_and_finding_in_plain_words(
    app, db, filed_case, signed_in, disposition
):
    reference, code = filed_case
    supervisor, _ = signed_in(Role.SUPERVISOR)
    _investigator, inv = signed_in(Role.INVESTIGATOR)
    complaint = _case_in(db, reference, Status.REVIEW, inv, disposition)
    titles = [a.clause.title for a in complaint.allegations]

    path, form = _action_form(supervisor, reference, "approve")
    message = textarea(form, "message")
    city = app.config["CITY_NAME"]
    assert PLAIN[disposition] in message
    assert message.count(PLAIN[disposition]) == len(complaint.allegations)
    for title in titles:
        assert title.replace("{city}", city).replace("[city]", city) in message
    assert "{city}" not in message and "[city]" not in message
    assert "What happens next" in message and "Where else you can turn" in message

    edited = message + "\n\nA supervisor's own line, marker QX7."
    done = supervisor.post(path, data={**_fields(form), "message": edited})
    assert done.status_code == HTTPStatus.SEE_OTHER
    complaint = complaint_by_reference(db, reference)
    assert complaint.status == Status.CLOSED
    assert complaint.closure_reason == ClosureReason.FINDINGS_APPROVED

    page = _text(_tracked(app, reference, code))
    assert "marker QX7" in page
    assert " ".join(PLAIN[disposition].split()) in page
    assert "Your complaint was closed: the findings were approved." in page
    assert "The status changed" not in page


@pytest.mark.parametrize("typed", ["", "   ", "\n\n"])
def test_empty_outcome_message_is_refused_at_the_field(app, db, filed_case, signed_in, typed):
    reference, _code = filed_case
    supervisor, _ = signed_in(Role.SUPERVISOR)
    _investigator, inv = signed_in(Role.INVESTIGATOR)
    _case_in(db, reference, Status.REVIEW, inv, Disposition.SUSTAINED)
    path, form = _action_form(supervisor, reference, "approve")

    refused = supervisor.post(path, data={**_fields(form), "message": typed})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(refused.get_data(as_text=True))
    field = page.find("textarea", name="message")
    assert field is not None and field.get("aria-invalid") == "true"
    assert "Write the outcome message to the complainant." in page.text
    complaint = complaint_by_reference(db, reference)
    assert complaint.status == Status.REVIEW
    assert _events(db, complaint.id, EventKind.MESSAGE_TO_COMPLAINANT) == []


def test_refused_approval_keeps_the_message_typed(app, db, filed_case, signed_in):
    """A refusal for another reason (a finding missing) keeps every word of the message."""
    reference, _code = filed_case
    supervisor, _ = signed_in(Role.SUPERVISOR)
    _investigator, inv = signed_in(Role.INVESTIGATOR)
    _case_in(db, reference, Status.REVIEW, inv, None)
    path, form = _action_form(supervisor, reference, "approve")
    typed = "Dear resident, marker KP2 <and> this & that."
    refused = supervisor.post(path, data={**_fields(form), "message": typed})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    field = parse_page(refused.get_data(as_text=True)).find("textarea", name="message")
    assert field.raw_text == typed


SCREEN_OUT_WORDS = {
    ClosureReason.NO_TRUST_ACT_ALLEGATION: "is not something the",
    ClosureReason.OUTSIDE_JURISDICTION: "outside what our office can look into",
    ClosureReason.DUPLICATE: "already in another complaint",
    ClosureReason.REFERRED: "sent your complaint to another office",
}


@pytest.mark.parametrize("reason", list(SCREEN_OUT_WORDS))
def test_screen_out_tells_the_complainant_why_in_plain_words(
    app, db, filed_case, signed_in, reason
):
    reference, code = filed_case
    intake_browser, intake_user = signed_in(Role.INTAKE)
    complaint = _case_in(db, reference, Status.TRIAGE, intake_user)
    complaint.assignee_id = None
    db.session.commit()
    survivor = file_complaint(db)
    path, form = _action_form(intake_browser, reference, "screen_out")
    message = textarea(form, "message")
    for allegation in complaint.allegations:
        city = app.config["CITY_NAME"]
        assert allegation.clause.title.replace("{city}", city) in message

    data = {**_fields(form), "reason": reason.value, "message": message + "\nmarker SO9"}
    if reason == ClosureReason.DUPLICATE:
        data["duplicate_of"] = survivor.reference
    done = intake_browser.post(path, data=data)
    assert done.status_code == HTTPStatus.SEE_OTHER, done.get_data(as_text=True)[-2000:]
    assert complaint_by_reference(db, reference).closure_reason == reason

    page = _text(_tracked(app, reference, code))
    assert "marker SO9" in page
    assert SCREEN_OUT_WORDS[reason] in page
    assert "Your complaint was closed: " in page
    assert "The status changed" not in page
    # The surviving case may be someone else's: its reference is not shown.
    assert survivor.reference not in page


def test_screen_out_without_a_message_is_refused_at_the_field(db, filed_case, signed_in):
    reference, _code = filed_case
    intake_browser, intake_user = signed_in(Role.INTAKE)
    _case_in(db, reference, Status.TRIAGE, intake_user)
    path, form = _action_form(intake_browser, reference, "screen_out")
    refused = intake_browser.post(
        path, data={**_fields(form), "reason": ClosureReason.REFERRED.value, "message": " "}
    )
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    field = parse_page(refused.get_data(as_text=True)).find("textarea", name="message")
    assert field.get("aria-invalid") == "true"
    assert complaint_by_reference(db, reference).status == Status.TRIAGE


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.TRIAGE, Status.INVESTIGATION])
def test_withdrawal_recorded_by_staff_writes_to_the_complainant(
    app, db, filed_case, signed_in, status
):
    reference, code = filed_case
    supervisor, _ = signed_in(Role.SUPERVISOR)
    _investigator, inv = signed_in(Role.INVESTIGATOR)
    _case_in(db, reference, status, inv)
    path, form = _action_form(supervisor, reference, "withdraw")
    message = textarea(form, "message")
    assert reference in message and "withdraw" in message

    empty = supervisor.post(
        path, data={**_fields(form), "reason": "Phoned on Tuesday, note N4", "message": ""}
    )
    assert empty.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Phoned on Tuesday, note N4" in empty.get_data(as_text=True)
    assert complaint_by_reference(db, reference).status == status

    done = supervisor.post(
        path, data={**_fields(form), "reason": "Phoned on Tuesday, note N4", "message": message}
    )
    assert done.status_code == HTTPStatus.SEE_OTHER
    complaint = complaint_by_reference(db, reference)
    assert complaint.closure_reason == ClosureReason.WITHDRAWN
    page = _text(_tracked(app, reference, code))
    assert "Your complaint was closed: it was withdrawn." in page
    assert "You told us that you want to withdraw" in page
    # How the complainant withdrew is a staff note, not shown to them.
    assert "note N4" not in page
    assert "The status changed" not in page


def test_timeline_names_every_status_in_plain_words(app, db, filed_case, signed_in):
    """Through every step, including internal ones (findings submitted, returned, reopened):
    the complainant reads what each change means, never a bare "status changed"."""
    reference, code = filed_case
    intake_browser, _ = signed_in(Role.INTAKE)
    supervisor, _ = signed_in(Role.SUPERVISOR)
    investigator, inv = signed_in(Role.INVESTIGATOR)

    def act(browser, action, **data):
        path, form = _action_form(browser, reference, action)
        if "message" not in data and "<textarea" in form and 'name="message"' in form:
            data["message"] = textarea(form, "message")
        response = browser.post(path, data={**_fields(form), **data})
        assert response.status_code == HTTPStatus.SEE_OTHER, response.get_data(as_text=True)

    act(intake_browser, "acknowledge")
    complaint = complaint_by_reference(db, reference)
    for allegation in complaint.allegations:
        allegation.clause_confirmed = True
    db.session.commit()
    act(intake_browser, "screen_in", assignee=str(inv.id))
    complaint = complaint_by_reference(db, reference)
    for allegation in complaint.allegations:
        allegation.disposition = Disposition.UNFOUNDED
    db.session.commit()
    act(investigator, "submit_findings", summary="Nothing in the logs.")
    act(supervisor, "return_findings", reason="Check the jail log, internal R5.")
    act(investigator, "submit_findings", summary="Checked the jail log.")
    act(supervisor, "approve")
    act(supervisor, "reopen", reason="New evidence, internal R6.")

    page = _text(_tracked(app, reference, code))
    for words in [
        "You filed your complaint.",
        "The office received your complaint and is reviewing it.",
        "Your complaint is being investigated.",
        "The investigation is finished. A supervisor is checking the findings.",
        "your complaint is being investigated again.",
        "Your complaint was closed: the findings were approved.",
        "Your complaint was reopened. The office is reviewing it again.",
    ]:
        assert words in page, words
    assert "The status changed" not in page
    assert "internal R5" not in page and "internal R6" not in page
    statuses = _events(db, complaint.id, EventKind.STATUS_CHANGED)
    assert len(statuses) == 7
    assert len(re.findall(r"timeline__item--status_changed", _tracked(app, reference, code))) == 7
    assert any(e.visibility == Visibility.INTERNAL for e in statuses)


def test_every_closure_reason_and_disposition_has_plain_words(app):
    with app.test_request_context():
        for reason in ClosureReason:
            assert outcome.closure_plain(reason)
            assert "%(" not in outcome.closure_plain(reason)
        assert set(outcome.DISPOSITION_PLAIN) == set(Disposition)
