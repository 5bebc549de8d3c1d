"""Fixtures for the section 4 ledger: reporting periods placed around today (the first one
over, the second still running), accounts, and requests entered through the form."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from http import HTTPStatus

import pytest
from flask.testing import FlaskClient

from complaints_app.models import Role
from complaints_app.services.periods import _add_months
from complaints_app.timeutil import city_today
from tests.helpers import hidden_fields
from tests.reports.conftest import make_case  # noqa: F401 — a fixture, re-exported
from tests.staff.conftest import login, make_user  # noqa: F401 — make_user: a fixture


@dataclass(frozen=True)
class Calendar:
    """``first`` is a period that is over (can be finalised), ``second`` is running."""

    first: date
    second: date

    def day(self, offset: int, period: str = "first") -> date:
        return getattr(self, period) + timedelta(days=offset)


@pytest.fixture
def calendar(app, db) -> Iterator[Calendar]:
    """REPORTING_START eight months before this month: whatever today is, the first
    period ended about two months ago and the second one holds today."""
    this_month = city_today().replace(day=1)
    start = _add_months(this_month, -8)
    old = app.config["REPORTING_START"]
    app.config["REPORTING_START"] = start
    yield Calendar(start, _add_months(start, 6))
    app.config["REPORTING_START"] = old


@pytest.fixture
def staff_client(app, make_user) -> Callable[[Role], FlaskClient]:  # noqa: F811
    """A browser signed in as a new account of ``role``; ``client.user`` is the account."""

    def make(role: Role) -> FlaskClient:
        user = make_user(role)
        client = app.test_client()
        response = login(client, user.email)
        assert response.status_code == HTTPStatus.SEE_OTHER
        client.user = user  # type: ignore[attr-defined]
        return client

    return make


def form_fields(**overrides) -> dict:
    """A valid request as the form posts it, with ``overrides``; a value None leaves the
    field out."""
    fields: dict = {
        "received_on": "",
        "kind": "hold",
        "form": "I-247A",
        "reasons": ["final_order"],
        "judicial_warrant_presented": "no",
        "booking_number": "B-1001",
        "outcome": "declined",
        "detained_hours": "",
        "reimbursement_amount": "",
        "reimbursement_case": "",
        "complaint_reference": "",
        "notes": "",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v is not None}


def post_entry(client: FlaskClient, url: str = "/staff/federal-requests/new", **overrides):
    """Open the form for its CSRF token and post a request to ``url``."""
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK, page.status_code
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    return client.post(url, data={"csrf_token": token, **form_fields(**overrides)})


@pytest.fixture
def enter(calendar) -> Callable[..., object]:
    """Enter a request through the form as ``client``; received on day 10 of the first
    period unless ``received_on`` says otherwise. Asserts it was accepted."""

    def enter_(client: FlaskClient, **overrides):
        overrides.setdefault("received_on", calendar.day(10).isoformat())
        response = post_entry(client, **overrides)
        assert response.status_code == HTTPStatus.SEE_OTHER, response.get_data(as_text=True)
        return response

    return enter_
