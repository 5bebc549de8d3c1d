"""Complaints entered by staff, and the deadlines the office works to."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

from sqlalchemy import select

from complaints_app.models import Channel, Complaint, Role, Status
from complaints_app.services import workflow
from complaints_app.timeutil import utcnow
from tests.helpers import hidden_fields, receipt_of, sign_in_to_case, valid_complaint


def test_intake_enters_a_phone_complaint_and_reads_out_the_receipt(db, signed_in):
    client, user = signed_in(Role.INTAKE)
    page = client.get("/staff/intake")
    assert page.status_code == HTTPStatus.OK
    hidden = hidden_fields(page.get_data(as_text=True))
    missing_channel = client.post("/staff/intake", data={**hidden, **valid_complaint()})
    assert missing_channel.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Choose how the complaint arrived." in missing_channel.get_data(as_text=True)
    done = client.post("/staff/intake", data={**hidden, **valid_complaint(), "channel": "phone"})
    reference, code = receipt_of(done)
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.channel == Channel.PHONE and complaint.filed_by_id == user.id
    # The resident can use the code read out to them.
    assert sign_in_to_case(client.application.test_client(), reference, code).status_code == (
        HTTPStatus.SEE_OTHER
    )


def test_waiting_on_the_complainant_pauses_the_investigation_clock(app, db, signed_in, filed_case):
    reference, code = filed_case
    _client, investigator = signed_in(Role.SUPERVISOR)
    complaint = db.session.execute(
        select(Complaint).where(Complaint.reference == reference)
    ).scalar_one()
    complaint.status = Status.INVESTIGATION
    due = utcnow() + timedelta(days=app.config["INVESTIGATION_DAYS"])
    complaint.investigation_due_at = due
    db.session.commit()

    workflow.message_complainant(complaint, investigator, "Which day was it?", wait_for_reply=True)
    complaint.waiting_since = utcnow() - timedelta(days=10)  # they took ten days to answer
    db.session.commit()

    resident = app.test_client()
    sign_in_to_case(resident, reference, code)
    token = hidden_fields(resident.get("/track").get_data(as_text=True))["csrf_token"]
    resident.post("/track/reply", data={"csrf_token": token, "message": "It was Tuesday."})
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert complaint.waiting_since is None
    extension = complaint.investigation_due_at - due
    assert timedelta(days=10) <= extension < timedelta(days=10, minutes=5)
