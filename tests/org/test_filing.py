"""Filing on behalf of a client at /org/complaints/new: the case records the organisation,
the advocate, channel "advocate" and the client's consent; mistakes keep what was entered."""

from __future__ import annotations

import json
from datetime import date
from http import HTTPStatus

from sqlalchemy import func, select

from complaints_app.models import (
    ActorKind,
    CaseEvent,
    Channel,
    Complaint,
    ConsentMethod,
    EventKind,
    Role,
)
from tests.helpers import error_summary, hidden_fields, parse_page
from tests.org.conftest import CLIENT_CONTACT, advocate_complaint, file_as, filed


def test_the_case_records_organisation_advocate_channel_and_consent(db, orgs, east):
    client, advocate = east
    case = filed(client, db, consent_method="phone", consent_given_on="2026-02-03")
    assert case.channel == Channel.ADVOCATE
    assert case.organisation_id == orgs["east"].id
    assert case.filed_by_id == advocate.id
    assert case.consent_attested_at is not None
    assert case.consent_method == ConsentMethod.PHONE
    assert case.consent_given_on == date(2026, 2, 3)
    # The organisation is the contact: no client contact was given, and the case is not
    # anonymous (the organisation knows the client).
    assert case.contact_ct is None and case.anonymous is False
    submitted = db.session.execute(
        select(CaseEvent).where(
            CaseEvent.complaint_id == case.id, CaseEvent.kind == EventKind.SUBMITTED
        )
    ).scalar_one()
    assert (submitted.actor_kind, submitted.actor_id) == (ActorKind.ADVOCATE, advocate.id)


def test_the_clients_own_contact_is_optional_and_kept_sealed(db, orgs, east):
    client, _ = east
    case = filed(client, db, **CLIENT_CONTACT)
    assert json.loads(case.contact_json)["email"] == "ana.client@example.org"
    assert "ana.client" not in (case.contact_ct or "")


def test_the_form_names_the_organisation_as_the_contact(db, orgs, east):
    client, _ = east
    html = client.get("/org/complaints/new").get_data(as_text=True)
    assert "Legal Aid East" in html and "intake@east.example" in html
    page = parse_page(html)
    assert page.find("input", name="consent_method") is not None
    assert page.find("input", name="consent_given_on") is not None


def test_mistakes_are_shown_at_their_fields_and_nothing_entered_is_lost(db, orgs, east):
    client, _ = east
    response = file_as(
        client,
        advocate_complaint(
            consent_method=None,
            consent_given_on="2999-01-01",
            consent=None,
            narrative="The client was held two extra nights for an ICE detainer.",
        ),
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    hrefs = {href for href, _ in error_summary(page)}
    assert hrefs == {"#consent_method-0", "#consent_given_on", "#consent"}
    narrative = page.find("textarea", name="narrative")
    assert narrative.raw_text.strip() == "The client was held two extra nights for an ICE detainer."
    assert page.find("input", name="incident_place").get("value") == "Central police station"
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar_one() == 0


def test_posting_the_same_form_twice_files_one_case(db, orgs, east):
    client, _ = east
    page = client.get("/org/complaints/new")
    hidden = hidden_fields(page.get_data(as_text=True))
    data = {**hidden, **advocate_complaint()}
    first = client.post("/org/complaints/new", data=data, content_type="multipart/form-data")
    second = client.post("/org/complaints/new", data=data, content_type="multipart/form-data")
    assert first.status_code == second.status_code == HTTPStatus.OK
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar_one() == 1


def test_the_receipt_leads_to_the_case_on_the_dashboard(db, orgs, east):
    client, _ = east
    response = file_as(client)
    html = response.get_data(as_text=True)
    case = db.session.execute(select(Complaint)).scalar_one()
    assert f'href="/org/complaints/{case.reference}"' in html


def test_staff_see_which_organisation_filed_and_how_the_client_agreed(app, db, orgs, east, browser):
    case = filed(east[0], db, consent_method="video", consent_given_on="2026-03-04")
    staff, _ = browser(Role.INTAKE, "intake@office.example")
    html = staff.get(f"/staff/cases/{case.reference}").get_data(as_text=True)
    assert "Legal Aid East" in html and "intake@east.example" in html
    assert "the client agreed by video call on" in html


def test_the_advocate_records_the_language_the_client_reads(db, orgs, east):
    client, _ = east
    html = client.get("/org/complaints/new").get_data(as_text=True)
    assert "Which language does your client read?" in html
    case = filed(client, db, complainant_language="es")
    assert case.preferred_language == "es"
    # Left unanswered, the language the advocate used the form in is taken.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "pt"
    assert filed(client, db).preferred_language == "pt"
