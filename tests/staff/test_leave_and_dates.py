"""Leaving a tracked case says what it does, and the incident date offers no future day in the
city's time zone, on the public form and on staff intake."""

from __future__ import annotations

from datetime import datetime, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest

from complaints_app.models import Role
from tests.helpers import (
    hidden_fields,
    parse_page,
    post_complaint,
    receipt_of,
    sign_in_to_case,
    step_page,
    valid_complaint,
)


def test_tracked_case_page_says_it_stays_open_until_closed_here(app, client, db):
    reference, code = receipt_of(post_complaint(client))
    resident = app.test_client()
    assert sign_in_to_case(resident, reference, code).status_code == HTTPStatus.SEE_OTHER
    html = resident.get("/track").get_data(as_text=True)
    page = parse_page(html)
    buttons = [b.text for b in page.find_all("button")]
    assert "Close my case on this device" in buttons
    assert "Leave my case on this device" not in buttons
    text = page.text
    assert "Your case stays open on this device until you close it here" in text
    assert f"{app.config['TRACK_IDLE_MINUTES']} minutes" in text
    assert app.config["TRACK_IDLE_MINUTES"] == 10

    left = resident.post("/track/leave", data={"csrf_token": hidden_fields(html)["csrf_token"]})
    assert left.status_code == HTTPStatus.SEE_OTHER
    after = resident.get("/track").get_data(as_text=True)
    assert "Your case is no longer open on this device." in after
    assert reference not in parse_page(after).find("main").text


# Kiritimati is UTC+14 and Pago Pago UTC-11: at any moment their dates differ, so a max that
# followed the server's or UTC's date would be wrong for at least one of them.
ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York", "UTC"]


def _date_input(html: str):
    return parse_page(html).find("input", name="incident_date")


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("url", ["/complaints/new", "/staff/intake"])
def test_incident_date_max_is_today_in_the_city(app, db, make_user, monkeypatch, zone, url):
    monkeypatch.setitem(app.config, "TIMEZONE", zone)
    browser = app.test_client()
    if url.startswith("/staff"):
        from tests.staff.conftest import login

        login(browser, make_user(Role.INTAKE).email)
    shown = step_page(browser, "when-and-where") if url == "/complaints/new" else browser.get(url)
    field = _date_input(shown.get_data(as_text=True))
    assert field.get("type") == "date"
    assert field.get("max") == datetime.now(ZoneInfo(zone)).date().isoformat()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_tomorrow_in_the_city_is_refused_and_today_accepted(app, client, db, monkeypatch, zone):
    monkeypatch.setitem(app.config, "TIMEZONE", zone)
    today = datetime.now(ZoneInfo(zone)).date()
    refused = post_complaint(
        client, valid_complaint(incident_date=(today + timedelta(days=1)).isoformat())
    )
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "The date cannot be in the future." in refused.get_data(as_text=True)
    accepted = post_complaint(client, valid_complaint(incident_date=today.isoformat()))
    assert accepted.status_code == HTTPStatus.OK
