"""Every API route, read from the app's URL map: another organisation's case answers exactly
as a case that does not exist, and nothing but the public endpoints answers without a token."""

from __future__ import annotations

import io
from http import HTTPStatus

import pytest

from complaints_app import create_app
from complaints_app.api import PUBLIC_ENDPOINTS
from config import TestingConfig
from tests.api.conftest import assert_problem
from tests.helpers import png_with_text


def _api_routes() -> list[tuple[str, str, str]]:
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, rule.rule))
    return routes


ROUTES = _api_routes()
CASE_ROUTES = [r for r in ROUTES if "<reference>" in r[2]]

# A valid request for each endpoint that takes one, so that only the case can be refused.
BODIES = {
    "api.post_message": lambda: {"json": {"body": "A message for the office."}},
    "api.post_attachment": lambda: {
        "data": {"file": (io.BytesIO(png_with_text()), "note.png")},
        "content_type": "multipart/form-data",
    },
}


def test_the_url_map_has_the_case_routes():
    assert {(e, m) for e, m, _ in CASE_ROUTES} >= {
        ("api.get_complaint", "GET"),
        ("api.list_messages", "GET"),
        ("api.post_message", "POST"),
        ("api.post_attachment", "POST"),
    }


@pytest.mark.parametrize(("endpoint", "method", "rule"), CASE_ROUTES)
def test_another_organisations_case_is_not_found(
    db, make_advocate, api_as, org_case, endpoint, method, rule
):
    owner, stranger = make_advocate("owners"), make_advocate("strangers")
    case = org_case(owner)
    api = api_as(stranger)
    body = BODIES.get(endpoint, dict)
    if method == "POST":
        assert endpoint in BODIES, f"give {endpoint} a valid request body here"
    theirs = api.request(
        method, rule.removeprefix("/api/v1").replace("<reference>", case.reference), **body()
    )
    nowhere = api.request(
        method, rule.removeprefix("/api/v1").replace("<reference>", "TA-2099-9999"), **body()
    )
    assert_problem(theirs, 404, "not-found")
    assert theirs.get_json() == nowhere.get_json()
    assert theirs.status_code == nowhere.status_code
    # The owner's own token does reach it.
    assert api_as(owner).request(
        method, rule.removeprefix("/api/v1").replace("<reference>", case.reference), **body()
    ).status_code in (HTTPStatus.OK, HTTPStatus.CREATED)


@pytest.mark.parametrize(("endpoint", "method", "rule"), ROUTES)
def test_every_endpoint_but_the_public_ones_needs_a_token(client, endpoint, method, rule):
    path = rule.replace("<reference>", "TA-2026-0001")
    response = client.open(path, method=method)
    if endpoint in PUBLIC_ENDPOINTS:
        assert response.status_code == HTTPStatus.OK
    else:
        assert_problem(response, 401, "missing-token")


@pytest.mark.parametrize(("endpoint", "method", "rule"), ROUTES)
def test_staff_accounts_get_no_token_and_a_cookie_is_no_token(app, db, endpoint, method, rule):
    from complaints_app.models import Role
    from complaints_app.services import accounts
    from tests.staff.conftest import PASSWORD, login

    user = accounts.create_user("supervisor7@office.example", Role.INTAKE, PASSWORD)
    db.session.commit()
    browser = app.test_client()
    login(browser, user.email)
    response = browser.open(rule.replace("<reference>", "TA-2026-0001"), method=method)
    if endpoint not in PUBLIC_ENDPOINTS:
        assert_problem(response, 401, "missing-token")
