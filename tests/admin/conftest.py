"""Accounts and sign-in for the admin tests."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from flask.testing import FlaskClient

from complaints_app.models import Organisation, Role, User
from complaints_app.services import accounts
from tests.helpers import hidden_fields

PASSWORD = "violet harbour kettle mountain"


def make_user(db, role: Role, email: str, org_slug: str | None = None) -> User:
    """A committed account with PASSWORD."""
    user = accounts.create_user(email, role, PASSWORD, org_slug=org_slug, display_name=email)
    db.session.commit()
    return user


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    hidden = hidden_fields(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"csrf_token": hidden["csrf_token"], "email": email, "password": password}
    )
    assert response.status_code == HTTPStatus.SEE_OTHER, response.get_data(as_text=True)[-2000:]


def token(client: FlaskClient, url: str = "/admin/") -> str:
    """A CSRF token of this client's session, from a page with a form."""
    return hidden_fields(client.get(url).get_data(as_text=True))["csrf_token"]


@pytest.fixture
def organisation(db) -> Organisation:
    org = Organisation(slug="legal-aid-east", name="Legal Aid East")
    db.session.add(org)
    db.session.commit()
    return org


@pytest.fixture
def admin(db) -> User:
    return make_user(db, Role.ADMIN, "admin@example.org")


@pytest.fixture
def admin_client(app, admin) -> FlaskClient:
    client = app.test_client()
    sign_in(client, admin.email)
    return client
