"""Fixtures for the API: organisations, advocates, tokens and a client that sends them."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from complaints_app.models import Complaint, Organisation, Role, TokenScope, User
from complaints_app.services import accounts, api_tokens
from tests.staff.conftest import PASSWORD, file_complaint, login

API = "/api/v1"
PROBLEM = "application/problem+json"


@pytest.fixture
def make_org(db) -> Callable[[str], Organisation]:
    def make(slug: str) -> Organisation:
        org = Organisation(slug=slug, name=slug.replace("-", " ").title())
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_advocate(db, make_org) -> Callable[..., User]:
    """An active advocate of organisation ``slug`` (made if missing), able to sign in."""
    counter = iter(range(1, 10_000))

    def make(slug: str = "legal-aid") -> User:
        if db.session.execute(select(Organisation).where(Organisation.slug == slug)).scalar():
            pass
        else:
            make_org(slug)
        user = accounts.create_user(
            f"advocate{next(counter)}@{slug}.example", Role.ADVOCATE, PASSWORD, org_slug=slug
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_token(db) -> Callable[..., str]:
    """A token's text for ``user``."""

    def make(user: User, scope: TokenScope = TokenScope.WRITE, days: int = 30) -> str:
        _token, text = api_tokens.issue(user, "tests", scope, days)
        db.session.commit()
        return text

    return make


class Api:
    """Calls the API with a bearer token, as a script would."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, **kwargs):
        return self.client.get(
            API + path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path: str, **kwargs):
        return self.client.post(
            API + path, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def request(self, method: str, path: str, **kwargs):
        return self.client.open(
            API + path, method=method, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )


@pytest.fixture
def api_as(app, make_token) -> Callable[..., Api]:
    def make(user: User | None = None, scope: TokenScope = TokenScope.WRITE) -> Api:
        return Api(app.test_client(), make_token(user, scope) if user else None)

    return make


@pytest.fixture
def org_case(db) -> Callable[[User], Complaint]:
    """A case filed by ``advocate``'s organisation (through the intake service)."""

    def make(advocate: User, **overrides) -> Complaint:
        from complaints_app.models import Channel

        return file_complaint(
            db,
            channel=Channel.API,
            filed_by=advocate,
            organisation=advocate.organisation,
            consent_attested=True,
            **overrides,
        )

    return make


def assert_problem(response, status: int, slug: str) -> dict:
    """The response is problem details of type ``slug``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["type"] == f"/api/v1/problems/{slug}"
    assert body["status"] == status
    return body


def sign_in(app, user: User) -> FlaskClient:
    client = app.test_client()
    response = login(client, user.email)
    assert response.status_code == HTTPStatus.SEE_OTHER
    return client
