"""Two legal aid organisations with advocates, signing in, and filing through /org."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from complaints_app.models import Complaint, Organisation, Role, User
from complaints_app.services import accounts, organisations
from tests.helpers import hidden_fields, receipt_of, valid_complaint

PASSWORD = "violet harbour kettle mountain"


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):
    hidden = hidden_fields(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"csrf_token": hidden["csrf_token"], "email": email, "password": password}
    )


@pytest.fixture
def orgs(db) -> dict[str, Organisation]:
    """Two organisations: "east" (the one under test) and "west" (the other one)."""
    east = organisations.create_organisation("east", "Legal Aid East", "intake@east.example")
    west = organisations.create_organisation("west", "Legal Aid West")
    db.session.commit()
    return {"east": east, "west": west}


@pytest.fixture
def make_account(db) -> Callable[..., User]:
    def make(role: Role, email: str, org: str | None = None, lead: bool = False) -> User:
        user = accounts.create_user(email, role, PASSWORD, org_slug=org, display_name=email)
        if lead:
            organisations.set_lead(None, user, True)
        db.session.commit()
        return user

    return make


@pytest.fixture
def browser(app, make_account) -> Callable[..., tuple[FlaskClient, User]]:
    """A fresh browser signed in as a new account."""

    def open_as(role: Role, email: str, org: str | None = None, lead: bool = False):
        user = make_account(role, email, org, lead)
        client = app.test_client()
        response = sign_in(client, email)
        assert response.status_code == HTTPStatus.SEE_OTHER, response.get_data(as_text=True)
        return client, user

    return open_as


@pytest.fixture
def east(orgs, browser) -> tuple[FlaskClient, User]:
    return browser(Role.ADVOCATE, "ana@east.example", "east")


@pytest.fixture
def west(orgs, browser) -> tuple[FlaskClient, User]:
    return browser(Role.ADVOCATE, "wes@west.example", "west")


# The client's own contact details, which an advocate may add (they are optional).
CLIENT_CONTACT = {
    "contact_choice": "contact",
    "contact_name": "Ana Client",
    "contact_method": "email",
    "contact_email": "ana.client@example.org",
    "safe_to_contact": "yes",
}


def advocate_complaint(**overrides) -> dict:
    """Form data for a complete filing on behalf of a client."""
    data = valid_complaint(
        contact_choice="organisation",
        contact_name="",
        contact_method=None,
        contact_email="",
        safe_to_contact=None,
        consent_method="in_person",
        consent_given_on="2026-01-05",
    )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def file_as(client: FlaskClient, data: dict | None = None):
    page = client.get("/org/complaints/new")
    assert page.status_code == HTTPStatus.OK
    hidden = hidden_fields(page.get_data(as_text=True))
    return client.post(
        "/org/complaints/new",
        data={**hidden, **(data if data is not None else advocate_complaint())},
        content_type="multipart/form-data",
    )


def filed(client: FlaskClient, db, **overrides) -> Complaint:
    """File through /org and return the case."""
    response = file_as(client, advocate_complaint(**overrides))
    assert response.status_code == HTTPStatus.OK, response.get_data(as_text=True)[-3000:]
    reference, _code = receipt_of(response)
    db.session.expire_all()
    return db.session.execute(
        select(Complaint).where(Complaint.reference == reference)
    ).scalar_one()
