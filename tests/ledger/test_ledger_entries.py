"""Entering, editing, listing and filtering federal requests, with the rules said at each
field; who may open the ledger; the person counted by a booking number that is never kept."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from sqlalchemy import select, text

from complaints_app.models import FederalRequest, RequestOutcome, RequestReason, Role
from complaints_app.services import ledger
from complaints_app.timeutil import city_today
from tests.ledger.conftest import post_entry
from tests.staff.conftest import login


def _requests(db) -> list[FederalRequest]:
    db.session.expire_all()
    return list(db.session.execute(select(FederalRequest).order_by(FederalRequest.id)).scalars())


def test_records_officer_enters_a_request_and_sees_it_listed(db, staff_client, enter, calendar):
    records = staff_client(Role.RECORDS)
    response = enter(
        records,
        kind="administrative_warrant",
        form="I-200",
        reasons=["biometric_match", "removal_proceedings"],
        judicial_warrant_presented="no",
        outcome="detained",
        detained_hours="6.5",
        reimbursement_amount="120.50",
        reimbursement_case="INV-77",
        notes="Held after bail was posted.",
    )
    assert response.headers["Location"] == "/staff/federal-requests"
    (entry,) = _requests(db)
    assert entry.received_on == calendar.day(10)
    assert entry.reasons == [RequestReason.REMOVAL_PROCEEDINGS, RequestReason.BIOMETRIC_MATCH]
    assert entry.outcome is RequestOutcome.DETAINED
    assert entry.detained_hours == Decimal("6.5")
    assert entry.reimbursement_amount == Decimal("120.50")
    assert entry.notes == "Held after bail was posted."
    assert entry.created_by_id == records.user.id
    page = records.get("/staff/federal-requests").get_data(as_text=True)
    assert "Administrative warrant" in page
    assert "Removal proceedings under way; A fingerprint match with federal records" in page
    assert "Detained on it" in page and "past release" in page
    assert "1 request" in page and "1 individual" in page


def test_booking_number_is_never_stored_only_its_keyed_hash(db, staff_client, enter):
    records = staff_client(Role.RECORDS)
    enter(records, booking_number="SECRET-BOOKING-4242", notes="note words")
    (entry,) = _requests(db)
    key_id, digest = entry.person_key.split("$")
    assert len(key_id) == 8 and len(digest) == 64
    assert ledger.person_key("secret booking 4242") == entry.person_key  # same person
    db.session.rollback()
    with db.engine.connect() as conn:
        for table in ("federal_request", "ledger_event"):
            dump = " ".join(str(row) for row in conn.execute(text(f"SELECT * FROM {table}")))
            assert "4242" not in dump and "SECRET" not in dump.upper()
            assert "note words" not in dump  # notes are sealed


def test_two_requests_for_one_booking_number_count_one_individual(db, staff_client, enter):
    records = staff_client(Role.RECORDS)
    enter(records, booking_number="X-1")
    enter(records, booking_number="x 1", kind="notification", form="other")
    enter(records, booking_number="Y-2")
    entries = _requests(db)
    assert entries[0].person_key == entries[1].person_key != entries[2].person_key
    page = records.get("/staff/federal-requests").get_data(as_text=True)
    assert "3 requests" in page and "2 individuals" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"received_on": "FUTURE"}, "received_on", "cannot be in the future"),
        ({"received_on": ""}, "received_on", "Enter the date it was received."),
        ({"received_on": "BEFORE"}, "received_on", "requests received before then are not"),
        (
            {"reimbursement_amount": "-5", "reimbursement_case": "C-1"},
            "reimbursement_amount",
            "A reimbursement cannot be negative.",
        ),
        (
            {"outcome": "declined", "detained_hours": "3"},
            "detained_hours",
            "only when the person was detained on the request or transferred",
        ),
        ({"outcome": "detained", "detained_hours": "-2"}, "detained_hours", "cannot be negative"),
        ({"outcome": "detained", "detained_hours": ""}, "detained_hours", "Enter how many hours"),
        (
            {"detained_hours": "lots", "outcome": "detained"},
            "detained_hours",
            "Enter a number, like 12 or 12.50.",
        ),
        ({"reasons": None}, "reasons", "Choose the reason or reasons given"),
        ({"reasons": ["none_given", "final_order"]}, "reasons", "cannot be chosen with other"),
        ({"booking_number": ""}, "booking_number", "Enter the booking number"),
        ({"reimbursement_amount": "50"}, "reimbursement_case", "Name the case"),
        (
            {"complaint_reference": "TA-2020-9999"},
            "complaint_reference",
            "There is no complaint with this reference.",
        ),
        ({"kind": None}, "kind", "Choose the kind of request."),
    ],
)
def test_bad_input_is_refused_at_its_field_and_keeps_what_was_typed(
    db, staff_client, calendar, overrides, field, message
):
    records = staff_client(Role.RECORDS)
    if overrides.get("received_on") == "FUTURE":
        overrides["received_on"] = (city_today() + timedelta(days=1)).isoformat()
    elif overrides.get("received_on") == "BEFORE":
        overrides["received_on"] = (calendar.first - timedelta(days=1)).isoformat()
    else:
        overrides.setdefault("received_on", calendar.day(3).isoformat())
    overrides.setdefault("notes", "typed notes stay")
    response = post_entry(records, **overrides)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = response.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page
    assert "typed notes stay" in page
    assert _requests(db) == []


def test_several_problems_are_all_said_at_once(db, staff_client, calendar):
    records = staff_client(Role.RECORDS)
    response = post_entry(
        records,
        received_on=calendar.day(3).isoformat(),
        outcome="declined",
        detained_hours="4",
        reimbursement_amount="-1",
        reimbursement_case="C",
    )
    page = response.get_data(as_text=True)
    assert 'id="detained_hours-error"' in page and 'id="reimbursement_amount-error"' in page


def test_editing_keeps_the_person_unless_the_booking_number_is_given_again(db, staff_client, enter):
    records = staff_client(Role.RECORDS)
    enter(records, booking_number="P-1")
    (entry,) = _requests(db)
    key = entry.person_key
    url = f"/staff/federal-requests/{entry.id}"
    page = records.get(url).get_data(as_text=True)
    assert 'name="booking_number" type="text" class="input input--medium" value=""' in page
    response = post_entry(
        records,
        url,
        received_on=entry.received_on.isoformat(),
        booking_number="",
        outcome="transferred",
        detained_hours="0",
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    (entry,) = _requests(db)
    assert entry.person_key == key and entry.outcome is RequestOutcome.TRANSFERRED
    post_entry(records, url, received_on=entry.received_on.isoformat(), booking_number="P-2")
    (entry,) = _requests(db)
    assert entry.person_key != key


def test_filters_by_period_kind_and_outcome(db, staff_client, enter, calendar):
    records = staff_client(Role.RECORDS)
    enter(records, kind="hold", outcome="declined", reimbursement_case="", notes="first-hold")
    enter(
        records,
        kind="notification",
        form="other",
        outcome="information_given",
        booking_number="N-1",
    )
    enter(
        records,
        kind="hold",
        outcome="detained",
        detained_hours="2",
        received_on=calendar.day(5, "second").isoformat(),
        booking_number="H-2",
    )

    def numbers(**args) -> int:
        page = records.get("/staff/federal-requests", query_string=args).get_data(as_text=True)
        return page.count("(open)")

    assert numbers() == 3
    assert numbers(period=calendar.first.isoformat()) == 2
    assert numbers(period=calendar.second.isoformat()) == 1
    assert numbers(kind="hold") == 2
    assert numbers(kind="hold", outcome="declined") == 1
    assert numbers(outcome="information_given", period=calendar.second.isoformat()) == 0


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.RECORDS, HTTPStatus.OK, HTTPStatus.OK),
        (Role.SUPERVISOR, HTTPStatus.OK, HTTPStatus.OK),
        (Role.INTAKE, HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN),
        (Role.INVESTIGATOR, HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN),
        (Role.ADMIN, HTTPStatus.FORBIDDEN, HTTPStatus.FORBIDDEN),
    ],
)
def test_who_may_open_the_ledger_and_its_reports(staff_client, calendar, role, read, write):
    client = staff_client(role)
    assert client.get("/staff/federal-requests").status_code == read
    assert client.get(f"/staff/reports/semiannual/{calendar.first}").status_code == read
    assert client.get("/staff/reports/semiannual").status_code == read
    assert client.get("/staff/federal-requests/new").status_code == write


def test_advocates_and_anonymous_visitors_are_kept_out(app, db, make_user, calendar):
    advocate = make_user(Role.ADVOCATE)
    client = app.test_client()
    login(client, advocate.email)
    for url in ("/staff/federal-requests", "/staff/federal-requests/new"):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    anonymous = app.test_client()
    for url in ("/staff/federal-requests", f"/staff/reports/semiannual/{calendar.first}"):
        response = anonymous.get(url)
        assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.SEE_OTHER)
        assert response.headers["Location"].startswith("/login")


def test_supervisor_reads_but_cannot_enter_into_an_open_period(db, staff_client, enter, calendar):
    records = staff_client(Role.RECORDS)
    enter(records)
    supervisor = staff_client(Role.SUPERVISOR)
    page = supervisor.get("/staff/federal-requests").get_data(as_text=True)
    assert "(open)" in page and "Enter a request" not in page
    (entry,) = _requests(db)
    detail = supervisor.get(f"/staff/federal-requests/{entry.id}").get_data(as_text=True)
    assert "Records officers keep the ledger" in detail and "Save changes" not in detail
    response = post_entry(supervisor, received_on=calendar.day(4).isoformat())
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Records officers keep the ledger" in response.get_data(as_text=True)
    assert len(_requests(db)) == 1


def test_unknown_request_is_404(staff_client):
    records = staff_client(Role.RECORDS)
    assert records.get("/staff/federal-requests/999999").status_code == HTTPStatus.NOT_FOUND
