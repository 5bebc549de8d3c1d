"""Redirect targets that come from a request (sign-in ``next``, the language switcher's
``next``) never leave the site and never break the response, whatever trick they use; ordinary
paths of the site, with their query strings, still work."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import quote, urljoin, urlsplit

import pytest

from complaints_app.models import Role
from complaints_app.security import MAX_REDIRECT_LENGTH, safe_next
from tests.helpers import hidden_fields
from tests.staff.conftest import login

SITE = "http://localhost"

OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%252F%252Fevil.example",
    "/%09/evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example",
    "/%0a/evil.example",
    "%0d%0aLocation: http://evil",
    "/%0d%0aLocation:%20http://evil",
    "/\r\nLocation: http://evil",
    "/staff/\r\nSet-Cookie: a=b",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example",
    "HTTPS://EVIL.EXAMPLE/staff/",
    "http:/evil.example",
    "https:evil.example",
    " //evil.example",
    "\t//evil.example",
    "\x00//evil.example",
    "/.//evil.example",
    "/./evil.example/..//x",
    "/staff/..//evil.example",
    "/%2e%2e//evil.example",
    "\uff0f\uff0fevil.example",
    "/\uff0fevil.example",
    "\uff3c\uff3cevil.example",
    "/%EF%BC%8F%EF%BC%8Fevil.example",
    "/\u3000/evil.example",
    "//evil.example/" + "x" * 3000,
    "/staff/cases?" + "a" * (MAX_REDIRECT_LENGTH + 1),
    "/" + "%" * 500,
    "/no-such-page",
    "",
    "?next=//evil.example",
]

ON_SITE = [
    "/staff/cases",
    "/staff/cases?status=triage&page=2",
    "/staff/cases?reference=TA-2026-0001&assignee=me",
    "/staff/cases/TA-2026-0001",
    "/policy",
    "/track",
    "/complaints/new?lang=en",
]


def _stays_on_site(location: str) -> None:
    resolved = urlsplit(urljoin(f"{SITE}/login", location))
    assert resolved.netloc == "localhost", location
    assert resolved.scheme == "http", location
    assert not resolved.path.startswith("//"), location


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_every_off_site_or_malformed_target(app, target):
    with app.test_request_context():
        assert safe_next(target) is None


@pytest.mark.parametrize("target", ON_SITE)
def test_safe_next_keeps_paths_of_the_site_with_their_query(app, target):
    with app.test_request_context():
        assert safe_next(target) == target


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_sends_anyone_off_site(app, make_user, target):
    user = make_user(Role.INTAKE)
    client = app.test_client()
    response = login(client, user.email, query_string="next=" + quote(target, safe=""))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/staff/"
    _stays_on_site(response.headers["Location"])


@pytest.mark.parametrize(
    "raw_query",
    [
        "next=/%09/evil.example/",
        "next=//evil.example",
        "next=/%5Cevil.example",
        "next=%0d%0aLocation:%20http://evil",
        "next=/%0D%0ASet-Cookie:%20a=b",
        "next=%EF%BC%8F%EF%BC%8Fevil.example",
        "next=/%2F%2Fevil.example",
    ],
)
def test_sign_in_with_raw_attack_queries_stays_on_site(app, make_user, raw_query):
    """The query strings exactly as an attacker would write them in a link."""
    user = make_user(Role.INTAKE)
    response = login(app.test_client(), user.email, query_string=raw_query)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/staff/"


@pytest.mark.parametrize("target", ON_SITE)
def test_sign_in_returns_to_the_page_asked_for(app, make_user, target):
    user = make_user(Role.INTAKE)
    response = login(app.test_client(), user.email, query_string={"next": target})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == target


def test_sign_in_page_reached_from_a_protected_page_returns_there(app, make_user):
    user = make_user(Role.INTAKE)
    client = app.test_client()
    sent = client.get("/staff/cases?status=triage")
    next_value = sent.headers["Location"].split("next=", 1)[1]
    response = login(client, user.email, query_string="next=" + next_value)
    assert response.headers["Location"] == "/staff/cases?status=triage"


def _switch_language(client, target: str):
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    return client.post("/language", data={"csrf_token": token, "lang": "en", "next": target})


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switcher_never_sends_anyone_off_site(client, target):
    response = _switch_language(client, target)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/policy", "/track", "/complaints/new?lang=en"])
def test_language_switcher_returns_to_the_page(client, target):
    response = _switch_language(client, target)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == target
