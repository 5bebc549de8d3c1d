"""Which language a page speaks: the choice made on the site, then the browser's
Accept-Language, then English; the choice is kept in the signed session, never in a cookie of
its own, and survives signing in and out."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from flask import Flask
from flask_babel import force_locale, gettext

from tests.helpers import hidden_fields, parse_page
from tests.staff.conftest import login

pytestmark = pytest.mark.usefixtures("db")


def said(app: Flask, lang: str, msgid: str, **values) -> str:
    """``msgid`` as the catalogue of ``lang`` says it; it must really be translated."""
    with app.test_request_context(), force_locale(lang):
        text = gettext(msgid, **values)
    assert text != msgid % values if values else text != msgid, f"{msgid!r} untranslated in {lang}"
    return text


def page_language(response) -> str:
    return parse_page(response.get_data(as_text=True)).find("html").get("lang")


def choose(client, lang: str, next_path: str = "/", **kwargs):
    token = hidden_fields(client.get("/").get_data(as_text=True))["csrf_token"]
    return client.post(
        "/language", data={"csrf_token": token, "lang": lang, "next": next_path}, **kwargs
    )


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("es", "es"),
        ("es-MX,es;q=0.9,en;q=0.5", "es"),
        ("pt-BR", "pt"),
        ("pt;q=0.4, es;q=0.8", "es"),
        ("fr-FR,fr;q=0.9", "en"),
        ("", "en"),
    ],
)
def test_browser_language_is_followed(app, client, header, lang):
    response = client.get("/", headers={"Accept-Language": header})
    assert page_language(response) == lang
    if lang != "en":
        assert said(app, lang, "File a complaint") in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_a_choice_on_the_site_beats_the_browser(app, client, lang):
    response = choose(client, lang, "/stats?period=2026-01-01")
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/stats?period=2026-01-01"
    other = {"es": "pt", "pt": "es"}[lang]
    page = client.get("/track", headers={"Accept-Language": other})
    assert page_language(page) == lang
    assert said(app, lang, "Check your case") in page.get_data(as_text=True)


def test_the_choice_lives_in_the_session_cookie_only(client):
    response = choose(client, "es")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all(c.startswith("session=") for c in cookies)
    assert all("HttpOnly" in c and "SameSite=Strict" in c for c in cookies)
    assert "Expires" not in cookies[0]  # ends with the browser session: nothing lingers


@pytest.mark.parametrize("bad", ["xx", "", "es\r\n", "../en", "EN", "es-MX"])
def test_a_language_not_offered_changes_nothing(client, bad):
    choose(client, "pt")
    response = choose(client, bad, "/policy")
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert page_language(client.get("/", headers={"Accept-Language": "es"})) == "pt"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]
)
def test_the_switcher_only_returns_to_this_site(client, target):
    response = choose(client, "es", target)
    assert response.headers["Location"] == "/"


def test_a_forged_switch_is_ignored(client):
    response = client.post("/language", data={"lang": "pt", "next": "/"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert page_language(client.get("/")) == "en"


def test_the_switcher_names_each_language_in_itself(client):
    page = parse_page(client.get("/").get_data(as_text=True))
    options = {o.get("value"): (o.get("lang"), o.text) for o in page.find_all("option")}
    assert options["es"] == ("es", "Español")
    assert options["pt"] == ("pt", "Português")


def test_signing_in_and_out_keeps_the_language(app, client, make_user):
    from complaints_app.models import Role

    user = make_user(Role.INTAKE)
    choose(client, "es")
    assert login(client, user.email).status_code == HTTPStatus.SEE_OTHER
    cases = client.get("/staff/cases")
    assert page_language(cases) == "es"
    assert said(app, "es", "Cases") in cases.get_data(as_text=True)
    token = hidden_fields(cases.get_data(as_text=True))["csrf_token"]
    client.post("/logout", data={"csrf_token": token})
    assert page_language(client.get("/")) == "es"


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_error_pages_and_messages_speak_the_language(app, client, lang):
    missing = client.get("/no-such-page", headers={"Accept-Language": lang})
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert page_language(missing) == lang
    assert said(app, lang, "Go to the home page") in missing.get_data(as_text=True)

    form = client.get("/track", headers={"Accept-Language": lang}).get_data(as_text=True)
    refused = client.post(
        "/track",
        data={"csrf_token": hidden_fields(form)["csrf_token"], "reference": "", "code": ""},
        headers={"Accept-Language": lang},
    )
    text = refused.get_data(as_text=True)
    assert said(app, lang, "Enter your case reference.") in text
    assert said(app, lang, "Enter your tracking code.") in text
