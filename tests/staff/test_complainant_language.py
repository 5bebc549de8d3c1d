"""The complainant's language: recorded at filing (the resident's page language, or chosen
by staff at intake), shown to staff, and the language of everything the office writes to the
complainant, whatever language the staff member works in."""

from __future__ import annotations

from datetime import date
from http import HTTPStatus

from flask_babel import format_date
from sqlalchemy import select

from complaints_app.i18n import complainant_locale
from complaints_app.models import CaseEvent, ClosureReason, EventKind, Role, Status
from complaints_app.templating import policy_text
from tests.helpers import hidden_fields, parse_page, post_complaint, receipt_of, valid_complaint
from tests.staff.conftest import complaint_by_reference, file_complaint
from tests.staff.test_outcome import _action_form, _case_in
from tests.staff.test_workflow import _fields, textarea

SPANISH_2C = "Solicitudes de retención de ICE y órdenes administrativas"
SPANISH_2B = "Trato igualitario: no se pregunta por la situación migratoria"


def _file_in(app, language: str) -> tuple[str, str]:
    resident = app.test_client()
    resident.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    response = post_complaint(resident)
    assert response.status_code == HTTPStatus.OK, response.get_data(as_text=True)[-2000:]
    return receipt_of(response)


def test_a_resident_filing_in_spanish_is_recorded_as_reading_spanish(app, db):
    reference, _code = _file_in(app, "es")
    assert complaint_by_reference(db, reference).preferred_language == "es"
    reference, _code = _file_in(app, "pt-BR,pt;q=0.9")
    assert complaint_by_reference(db, reference).preferred_language == "pt"


def test_outcome_is_written_in_spanish_when_english_staff_screen_out(app, db, signed_in):
    reference, _code = _file_in(app, "es")
    staff, user = signed_in(Role.INTAKE)  # works in English: no Accept-Language
    complaint = _case_in(db, reference, Status.TRIAGE, user)
    complaint.assignee_id = None
    db.session.commit()
    english_titles = [a.clause.title for a in complaint.allegations]

    page = staff.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert "The complainant reads Español." in parse_page(page).text
    path, form = _action_form(staff, reference, "screen_out")
    message = textarea(form, "message")
    assert SPANISH_2C in message and SPANISH_2B in message
    assert "solicitud de retención de ICE" in message  # the Spanish summary, not the English
    assert not any(t.replace("{city}", app.config["CITY_NAME"]) in message for t in english_titles)
    # The page around the form stays in the staff member's language.
    assert "Screen out" in page

    done = staff.post(
        path,
        data={
            **_fields(form),
            "reason": ClosureReason.NO_TRUST_ACT_ALLEGATION.value,
            "message": message,
        },
    )
    assert done.status_code == HTTPStatus.SEE_OTHER, done.get_data(as_text=True)[-2000:]
    complaint = complaint_by_reference(db, reference)
    sent = db.session.execute(
        select(CaseEvent).where(
            CaseEvent.complaint_id == complaint.id,
            CaseEvent.kind == EventKind.MESSAGE_TO_COMPLAINANT,
        )
    ).scalar_one()
    assert SPANISH_2C in sent.body


def test_outcome_of_an_english_case_stays_english_for_staff_reading_spanish(app, db, signed_in):
    reference, _code = _file_in(app, "en")
    staff, user = signed_in(Role.INTAKE)
    _case_in(db, reference, Status.TRIAGE, user).assignee_id = None
    db.session.commit()
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    _path, form = _action_form(staff, reference, "screen_out")
    message = textarea(form, "message")
    assert "ICE holds and administrative warrants" in message
    assert SPANISH_2C not in message


def test_approval_message_is_in_the_complainants_language(app, db, signed_in):
    complaint = file_complaint(db, preferred_language="pt", answers=["held_for_ice"])
    supervisor, user = signed_in(Role.SUPERVISOR)
    from complaints_app.models import Disposition

    _case_in(db, complaint.reference, Status.REVIEW, user, Disposition.SUSTAINED)
    page = supervisor.get(f"/staff/cases/{complaint.reference}").get_data(as_text=True)
    assert "The complainant reads Português." in parse_page(page).text
    _path, form = _action_form(supervisor, complaint.reference, "approve")
    assert "Pedidos de retenção do ICE e mandados administrativos" in textarea(form, "message")


def test_dates_in_text_for_the_complainant_follow_their_language(app, db):
    complaint = file_complaint(db, preferred_language="es")
    start = app.config["REPORTING_START"]
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        english = policy_text("{reporting_start}")
        with complainant_locale(complaint):
            spanish = policy_text("{reporting_start}")
            assert spanish == format_date(start, "long")
        # Back on the staff member's page, dates are English again.
        assert policy_text("{reporting_start}") == english
    assert english != spanish
    # A Spanish reader's own page (a request of its own) writes the same date.
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "es"}):
        assert policy_text("{reporting_start}") == spanish
    assert str(start.year) in spanish and " de " in spanish


def test_pages_write_dates_for_the_readers_language(app, db, signed_in):
    staff, _user = signed_in(Role.INTAKE)
    complaint = file_complaint(db, incident_date=date(2026, 3, 4))
    # The office's pages come in English and Spanish.
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    page = parse_page(staff.get(f"/staff/cases/{complaint.reference}").get_data(as_text=True))
    assert "4 mar 2026" in page.text


def test_staff_intake_records_the_language_chosen_for_the_complainant(db, signed_in):
    client, _user = signed_in(Role.INTAKE)
    page = client.get("/staff/intake").get_data(as_text=True)
    choices = parse_page(page).find_all("input", name="complainant_language")
    assert [c.get("value") for c in choices] == ["en", "es", "pt"]
    hidden = hidden_fields(page)
    done = client.post(
        "/staff/intake",
        data={**hidden, **valid_complaint(), "channel": "phone", "complainant_language": "pt"},
    )
    reference, _code = receipt_of(done)
    assert complaint_by_reference(db, reference).preferred_language == "pt"


def test_staff_intake_refuses_a_language_not_offered_and_keeps_what_was_typed(db, signed_in):
    client, _user = signed_in(Role.INTAKE)
    hidden = hidden_fields(client.get("/staff/intake").get_data(as_text=True))
    narrative = "Typed by intake while the caller waited on the line, kept on error."
    refused = client.post(
        "/staff/intake",
        data={
            **hidden,
            **valid_complaint(narrative=narrative),
            "channel": "phone",
            "complainant_language": "xx",
        },
    )
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(refused.get_data(as_text=True))
    assert page.find(id="narrative").raw_text == narrative
    assert page.find(id="complainant_language-0") is not None
    assert "complainant_language" in refused.get_data(as_text=True)
