"""The resident's journey through the test client: file, receipt, track, reply, withdraw."""

from __future__ import annotations

from http import HTTPStatus

from sqlalchemy import func, select

from complaints_app.models import Allegation, Attachment, CaseEvent, Complaint, Status
from tests.helpers import (
    jpeg_with_gps,
    post_complaint,
    receipt_of,
    sign_in_to_case,
    small_pdf,
    valid_complaint,
)


def test_resident_files_complaint_with_file_and_finds_it_later(client, db):
    response = post_complaint(
        client, files=[(jpeg_with_gps(), "photo.jpg"), (small_pdf(), "a.pdf")]
    )
    assert response.status_code == HTTPStatus.OK
    assert response.headers["Cache-Control"] == "no-store"
    reference, code = receipt_of(response)
    assert reference.startswith("TA-")

    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.reference == reference
    assert complaint.status == Status.SUBMITTED
    assert len(complaint.attachments) == 2
    assert complaint.narrative.startswith("I was kept overnight")
    clauses = sorted(a.clause.code for a in complaint.allegations)
    assert clauses == ["2b", "2c"]

    other = client.application.test_client()
    found = sign_in_to_case(other, reference.lower(), code.replace("-", " ").lower())
    assert found.status_code == HTTPStatus.SEE_OTHER, found.get_data(as_text=True)[-3000:]
    page = other.get("/track")
    html = page.get_data(as_text=True)
    assert reference in html
    assert "Received" in html
    assert page.headers["Cache-Control"] == "no-store"


def test_same_form_posted_twice_files_one_case_and_same_receipt(client, db):
    from tests.helpers import open_form

    hidden = open_form(client)
    first = post_complaint(client, hidden=hidden)
    second = post_complaint(client, hidden=hidden)
    assert receipt_of(first) == receipt_of(second)
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_something_else_only_gives_unclassified_allegation(client, db):
    response = post_complaint(client, valid_complaint(what_happened=["something_else"]))
    assert response.status_code == HTTPStatus.OK
    allegation = db.session.execute(select(Allegation)).scalar_one()
    assert allegation.clause_id is None
    assert allegation.suggested_by == "something_else"


def test_urgent_receipt_shows_hotline(client, db):
    response = post_complaint(client, valid_complaint(urgent="yes"))
    html = response.get_data(as_text=True)
    assert "555-0100" in html
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.urgent
    assert (complaint.ack_due_at - complaint.received_at).total_seconds() == 4 * 3600


def test_anonymous_complaint_keeps_no_contact(client, db):
    response = post_complaint(
        client, valid_complaint(contact_choice="anonymous", contact_email="ana@example.org")
    )
    assert response.status_code == HTTPStatus.OK
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.anonymous
    assert complaint.contact_ct is None and complaint.contact_email_hash is None


def test_complainant_replies_and_withdraws(client, db):
    reference, code = receipt_of(post_complaint(client))
    sign_in_to_case(client, reference, code)
    page = client.get("/track").get_data(as_text=True)
    from tests.helpers import hidden_fields

    token = hidden_fields(page)["csrf_token"]
    reply = client.post(
        "/track/reply", data={"csrf_token": token, "message": "The officer's name was on a tag."}
    )
    assert reply.status_code == HTTPStatus.SEE_OTHER
    assert "The officer&#39;s name was on a tag." in client.get("/track").get_data(as_text=True)

    refused = client.post("/track/withdraw", data={"csrf_token": token})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Tick the box to confirm" in refused.get_data(as_text=True)

    done = client.post("/track/withdraw", data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == HTTPStatus.SEE_OTHER
    complaint = db.session.execute(select(Complaint)).scalar_one()
    db.session.refresh(complaint)
    assert complaint.status == Status.CLOSED
    assert complaint.closure_reason.value == "withdrawn"
    kinds = [
        e.kind.value for e in db.session.execute(select(CaseEvent).order_by(CaseEvent.id)).scalars()
    ]
    assert kinds == ["submitted", "message_from_complainant", "status_changed"]


def test_wrong_pair_gets_one_generic_message(client, db):
    reference, code = receipt_of(post_complaint(client))
    wrong_code = sign_in_to_case(client, reference, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    wrong_ref = sign_in_to_case(client, "TA-2020-9999", code)
    assert wrong_code.status_code == wrong_ref.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "We could not find that case" in wrong_code.get_data(as_text=True)
    assert "We could not find that case" in wrong_ref.get_data(as_text=True)
    assert code not in wrong_ref.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
