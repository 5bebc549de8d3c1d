"""Accounts and sign-in for the admin tests."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from complaints_app.models import AccountChange, ChangeStatus, Organisation, Role, User
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


LINK_RE = re.compile(r'id="one-time-link">https?://[^/<]+(/account/link/[^<]+)<')


def link_path(html: str) -> str:
    """The path of the one-time link an admin page shows (the token is in it)."""
    match = LINK_RE.search(html)
    assert match, "no one-time link on the page"
    return match.group(1)


def open_link(client: FlaskClient, path: str):
    """Follow a one-time link the way a browser does: the token moves into the session."""
    opened = client.get(path)
    assert opened.status_code == HTTPStatus.SEE_OTHER
    assert opened.headers["Location"] == "/account/link"
    return client.get("/account/link")


def use_link(client: FlaskClient, path: str, new_password: str):
    """Open a link and choose ``new_password`` through it."""
    page = open_link(client, path)
    assert page.status_code == HTTPStatus.OK, page.status_code
    hidden = hidden_fields(page.get_data(as_text=True))
    return client.post(
        "/account/link",
        data={**hidden, "new_password": new_password, "confirm": new_password},
    )


def create_through_admin(
    client: FlaskClient, email: str, role: Role, org_slug: str = "", display_name: str = ""
):
    """Post the new-account form; returns the response (the link page on success)."""
    data = {
        "csrf_token": token(client, "/admin/users/new"),
        "email": email,
        "display_name": display_name,
        "role": role.value,
        "organisation": org_slug,
    }
    return client.post("/admin/users/new", data=data)


def request_reset(client: FlaskClient, user_id: int, *, password: bool = True, two_factor=False):
    data = {"csrf_token": token(client, f"/admin/users/{user_id}")}
    if password:
        data["password"] = "y"
    if two_factor:
        data["two_factor"] = "y"
    return client.post(f"/admin/users/{user_id}/reset", data=data)


def decide(client: FlaskClient, change_id: int, decision: str = "approve", confirm: bool = True):
    """Decide a change as a browser does: the button, then the confirmation page."""
    listing = client.get("/staff/account-changes")
    assert listing.status_code == HTTPStatus.OK
    first = client.post(
        f"/staff/account-changes/{change_id}",
        data={
            "csrf_token": hidden_fields(listing.get_data(as_text=True))["csrf_token"],
            "decision": decision,
        },
    )
    if not confirm or first.status_code != HTTPStatus.OK:
        return first
    hidden = hidden_fields(first.get_data(as_text=True))
    return client.post(
        f"/staff/account-changes/{change_id}",
        data={**hidden, "decision": decision, "confirm": "yes"},
    )


def pending_change(db, user: User | int) -> AccountChange:
    user_id = user if isinstance(user, int) else user.id
    db.session.expire_all()
    return db.session.execute(
        select(AccountChange).where(
            AccountChange.user_id == user_id, AccountChange.status == ChangeStatus.PENDING
        )
    ).scalar_one()


def signed_in_as(app, db, role: Role, email: str) -> tuple[FlaskClient, User]:
    user = make_user(db, role, email)
    client = app.test_client()
    sign_in(client, email)
    return client, user


@pytest.fixture
def supervisor_client(app, db) -> FlaskClient:
    return signed_in_as(app, db, Role.SUPERVISOR, "supervisor@example.org")[0]
