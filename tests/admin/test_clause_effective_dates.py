"""An amendment takes effect on its date: before it, the form, /policy and staff pickers
show the version in force; from it, the new one."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest

from complaints_app.services import casework, catalogue
from complaints_app.timeutil import city_today
from tests.admin.test_clauses import NEW_TEXT, _amendment

HELD_PROMPT = "Amended prompt for held_for_ice?"


def _public(app, path: str) -> str:
    response = app.test_client().get(path, follow_redirects=True)
    assert response.status_code == HTTPStatus.OK
    return response.get_data(as_text=True)


@pytest.mark.parametrize("days_ahead", [1, 60, 400])
def test_future_amendment_waits_for_its_date(app, admin_client, db, days_ahead):
    today = city_today()
    starts = today + timedelta(days=days_ahead)
    # The amendment makes 2c ineligible from its date: today it must still be on the form.
    data = _amendment(admin_client, "2c", starts)
    del data["complaint_eligible"]
    response = admin_client.post("/admin/clauses/2c", data=data)
    assert response.status_code == HTTPStatus.SEE_OTHER, response.get_data(as_text=True)[-1500:]

    form = _public(app, "/complaints/new")
    assert 'value="held_for_ice"' in form or "held_for_ice" in form
    assert HELD_PROMPT not in form
    policy = _public(app, "/policy")
    assert NEW_TEXT not in policy
    assert "Amended title" not in policy

    with app.test_request_context():
        in_force = {c.code: c for c in catalogue.current_clauses()}
        assert in_force["2c"].version == 1
        assert "held_for_ice" in {q.key for q in catalogue.current_questions()}
        assert all("Amended title" not in name for _code, name in casework.clause_choices())
        # On its date (and the day after) the new version is the one in force.
        for day in (starts, starts + timedelta(days=1)):
            later = {c.code: c for c in catalogue.current_clauses(day)}
            assert later["2c"].version == 2 and later["2c"].full_text == NEW_TEXT
            assert "held_for_ice" not in {q.key for q in catalogue.current_questions(day)}
        # The day before, still the old one.
        before = {c.code: c for c in catalogue.current_clauses(starts - timedelta(days=1))}
        assert before["2c"].version == 1


@pytest.mark.parametrize("days_ago", [0, 1, 30])
def test_amendment_dated_today_or_earlier_is_in_force_now(app, admin_client, db, days_ago):
    starts = city_today() - timedelta(days=days_ago)
    response = admin_client.post("/admin/clauses/2c", data=_amendment(admin_client, "2c", starts))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert NEW_TEXT in _public(app, "/policy")
    assert HELD_PROMPT in _public(app, "/complaints/new")
