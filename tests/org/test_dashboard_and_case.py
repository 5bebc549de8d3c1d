"""The organisation's dashboard and one case as the client sees it: only the organisation's
own cases, newest client-visible activity first, never an internal note; answering,
adding files and withdrawing for the client."""

from __future__ import annotations

import io
import re
from http import HTTPStatus

from sqlalchemy import select

from complaints_app.models import (
    ActorKind,
    Attachment,
    CaseEvent,
    ClosureReason,
    EventKind,
    Role,
    Status,
)
from complaints_app.services import casework, workflow
from tests.helpers import hidden_fields, png_with_text
from tests.org.conftest import filed
from tests.staff.conftest import complaint_by_reference

NOTE = "Internal: the sergeant's file says otherwise, keep this from the client"
REFS = re.compile(r'<th scope="row"[^>]*><a href="/org/complaints/([A-Z]+-\d{4}-\d+)"')


def _listed(client, query: str = "") -> list[str]:
    response = client.get("/org/" + query)
    assert response.status_code == HTTPStatus.OK
    return REFS.findall(response.get_data(as_text=True))


def test_dashboard_lists_only_the_organisations_cases(db, orgs, east, west, browser):
    mine = filed(east[0], db)
    _, colleague = browser(Role.ADVOCATE, "bo@east.example", "east")
    theirs = filed(west[0], db)
    assert _listed(east[0]) == [mine.reference]
    assert _listed(west[0]) == [theirs.reference]
    # A colleague of the same organisation sees the case too.
    assert colleague.organisation_id == mine.organisation_id


def test_newest_client_visible_activity_comes_first(db, orgs, east, make_account):
    client, _ = east
    older = filed(client, db)
    newer = filed(client, db)
    assert _listed(client) == [newer.reference, older.reference]
    intake = make_account(Role.INTAKE, "intake@office.example")
    older = complaint_by_reference(db, older.reference)
    workflow.message_complainant(older, intake, "Please send the release papers.")
    db.session.commit()
    assert _listed(client) == [older.reference, newer.reference]
    # An internal note is activity the organisation must not learn of: the order stays.
    newer = complaint_by_reference(db, newer.reference)
    casework.add_note(newer, intake, NOTE)
    db.session.commit()
    assert _listed(client) == [older.reference, newer.reference]


def test_filter_and_counts_by_status_and_waiting(db, orgs, east, make_account):
    client, _ = east
    first = filed(client, db)
    second = filed(client, db)
    intake = make_account(Role.INTAKE, "intake@office.example")
    case = complaint_by_reference(db, first.reference)
    workflow.acknowledge(case, intake, "We received it.")
    workflow.message_complainant(case, intake, "When was bail posted?", wait_for_reply=True)
    db.session.commit()

    assert _listed(client, "?status=triage") == [first.reference]
    assert _listed(client, "?status=submitted") == [second.reference]
    assert _listed(client, "?waiting=y") == [first.reference]
    html = client.get("/org/").get_data(as_text=True)
    # Counts and rows name each status in the words the client reads on /track.
    assert re.search(r"Being reviewed: <strong>1</strong>", html)
    assert re.search(r"Received: <strong>1</strong>", html)
    assert re.search(r"Being investigated: <strong>0</strong>", html)
    assert re.search(r"waiting for an answer: <strong>1</strong>", html)
    assert "Yes: the office asked a question" in html
    assert client.get("/org/?status=bogus").status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_case_page_shows_what_the_complainant_sees_and_never_internal_notes(
    db, orgs, east, make_account
):
    client, _ = east
    case = filed(client, db)
    intake = make_account(Role.INTAKE, "intake@office.example")
    case = complaint_by_reference(db, case.reference)
    workflow.acknowledge(case, intake, "Thank you, we are reviewing it.")
    casework.add_note(case, intake, NOTE)
    workflow.message_complainant(case, intake, "Could the client describe the officer?")
    db.session.commit()
    html = client.get(f"/org/complaints/{case.reference}").get_data(as_text=True)
    assert "Thank you, we are reviewing it." in html
    assert "Could the client describe the officer?" in html
    assert "Your organisation filed the complaint." in html
    assert NOTE not in html and "sergeant" not in html
    # Nor on the dashboard or in the export.
    assert "sergeant" not in client.get("/org/").get_data(as_text=True)
    assert "sergeant" not in client.get("/org/export.csv").get_data(as_text=True)


def test_the_advocate_answers_and_adds_a_file_for_the_client(db, orgs, east, make_account):
    client, advocate = east
    case = filed(client, db)
    intake = make_account(Role.INTAKE, "intake@office.example")
    case = complaint_by_reference(db, case.reference)
    workflow.message_complainant(case, intake, "Any papers?", wait_for_reply=True)
    db.session.commit()
    page = client.get(f"/org/complaints/{case.reference}")
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    sent = client.post(
        f"/org/complaints/{case.reference}/reply",
        data={
            "csrf_token": token,
            "message": "Here is the bail receipt.",
            "evidence": [(io.BytesIO(png_with_text()), "receipt.png")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == HTTPStatus.SEE_OTHER
    case = complaint_by_reference(db, case.reference)
    assert case.waiting_since is None  # the office's clock runs again
    message = db.session.execute(
        select(CaseEvent).where(
            CaseEvent.complaint_id == case.id,
            CaseEvent.kind == EventKind.MESSAGE_FROM_COMPLAINANT,
        )
    ).scalar_one()
    assert (message.actor_kind, message.actor_id) == (ActorKind.ADVOCATE, advocate.id)
    assert message.body == "Here is the bail receipt."
    attachment = db.session.execute(select(Attachment)).scalar_one()
    assert (attachment.complaint_id, attachment.added_by_id) == (case.id, advocate.id)
    html = client.get(f"/org/complaints/{case.reference}").get_data(as_text=True)
    assert "Message from your organisation" in html and "Here is the bail receipt." in html

    empty = client.post(
        f"/org/complaints/{case.reference}/reply", data={"csrf_token": token, "message": ""}
    )
    assert empty.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_the_advocate_withdraws_for_the_client_after_confirming(db, orgs, east):
    client, _ = east
    case = filed(client, db)
    token = hidden_fields(client.get(f"/org/complaints/{case.reference}").get_data(as_text=True))[
        "csrf_token"
    ]
    unconfirmed = client.post(
        f"/org/complaints/{case.reference}/withdraw", data={"csrf_token": token}
    )
    assert unconfirmed.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert complaint_by_reference(db, case.reference).status == Status.SUBMITTED
    done = client.post(
        f"/org/complaints/{case.reference}/withdraw", data={"csrf_token": token, "confirm": "y"}
    )
    assert done.status_code == HTTPStatus.SEE_OTHER
    case = complaint_by_reference(db, case.reference)
    assert (case.status, case.closure_reason) == (Status.CLOSED, ClosureReason.WITHDRAWN)
    html = client.get(f"/org/complaints/{case.reference}").get_data(as_text=True)
    assert "Withdraw the complaint" not in html and "Send a message" not in html
    late = client.post(
        f"/org/complaints/{case.reference}/reply", data={"csrf_token": token, "message": "Hi"}
    )
    assert late.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
