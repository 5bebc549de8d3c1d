"""Personal access tokens: made on the tokens page or the command line, shown once, kept as a
keyed hash, refused once expired, revoked or their account deactivated, limited per token."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from sqlalchemy import select, update

from complaints_app.extensions import db as _db
from complaints_app.models import ApiToken, TokenScope
from complaints_app.services import accounts
from complaints_app.timeutil import utcnow
from tests.api.conftest import Api, assert_problem, sign_in
from tests.helpers import hidden_fields, parse_page

TOKEN_RE = re.compile(r"^ta_[a-z0-9]{16}_[A-Za-z0-9_-]{40,64}$")


def test_create_token_prints_the_token_on_its_last_line(app, db, make_advocate):
    advocate = make_advocate()
    result = app.test_cli_runner().invoke(
        args=["create-token", advocate.email, "--name", "sync", "--scope", "write", "--days", "7"]
    )
    assert result.exit_code == 0, result.output
    text = result.output.strip().splitlines()[-1]
    assert TOKEN_RE.match(text)
    response = Api(app.test_client(), text).get("/complaints")
    assert response.status_code == HTTPStatus.OK
    stored = db.session.execute(select(ApiToken)).scalar_one()
    assert stored.scope == TokenScope.WRITE
    assert text.split("_", 2)[2] not in stored.secret_hash  # only a keyed hash is kept
    assert timedelta(days=6) < stored.expires_at - stored.created_at <= timedelta(days=7)


def test_create_token_refuses_staff_and_unknown_accounts(app, db, make_advocate):
    from complaints_app.models import Role
    from tests.staff.conftest import quick_user

    staff = quick_user(db, Role.INTAKE)
    runner = app.test_cli_runner()
    for email in (staff.email, "nobody@example.org"):
        result = runner.invoke(args=["create-token", email, "--name", "x"])
        assert result.exit_code != 0
        assert db.session.execute(select(ApiToken)).first() is None


def test_an_advocate_creates_lists_and_revokes_a_token_on_the_page(app, db, make_advocate):
    advocate = make_advocate()
    browser = sign_in(app, advocate)
    page = browser.get("/org/tokens/")
    assert page.status_code == HTTPStatus.OK
    csrf = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    created = browser.post(
        "/org/tokens/",
        data={"csrf_token": csrf, "name": "case sync", "scope": "read", "days": "30"},
    )
    assert created.status_code == HTTPStatus.CREATED
    shown = parse_page(created.get_data(as_text=True)).find(id="new-token").text
    assert TOKEN_RE.match(shown)
    assert Api(app.test_client(), shown).get("/complaints").status_code == HTTPStatus.OK

    listing = browser.get("/org/tokens/").get_data(as_text=True)
    assert "case sync" in listing
    assert shown not in listing  # shown once only
    row = parse_page(listing).find("tbody").find("tr")
    assert "Never" not in row.text  # its use above is listed

    token = db.session.execute(select(ApiToken)).scalar_one()
    revoked = browser.post(f"/org/tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == HTTPStatus.SEE_OTHER
    assert_problem(Api(app.test_client(), shown).get("/complaints"), 401, "invalid-token")


def test_revoking_needs_the_csrf_token_and_ones_own_token(app, db, make_advocate, make_token):
    owner, other = make_advocate(), make_advocate("other-group")
    make_token(owner)
    token = db.session.execute(select(ApiToken)).scalar_one()
    browser = sign_in(app, other)
    csrf = hidden_fields(browser.get("/org/tokens/").get_data(as_text=True))["csrf_token"]
    assert browser.post(f"/org/tokens/{token.id}/revoke", data={}).status_code == 400
    response = browser.post(f"/org/tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == HTTPStatus.NOT_FOUND
    db.session.expire_all()
    assert token.revoked_at is None


def test_a_blank_name_is_refused_at_the_field(app, db, make_advocate):
    browser = sign_in(app, make_advocate())
    csrf = hidden_fields(browser.get("/org/tokens/").get_data(as_text=True))["csrf_token"]
    response = browser.post(
        "/org/tokens/", data={"csrf_token": csrf, "name": "  ", "scope": "write", "days": "90"}
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Give the token a name." in response.get_data(as_text=True)
    assert db.session.execute(select(ApiToken)).first() is None


def test_staff_cannot_open_the_tokens_page(app, db):
    from complaints_app.models import Role
    from tests.staff.conftest import PASSWORD, login

    user = accounts.create_user("intake9@office.example", Role.INTAKE, PASSWORD)
    db.session.commit()
    browser = app.test_client()
    login(browser, user.email)
    assert browser.get("/org/tokens/").status_code == HTTPStatus.FORBIDDEN
    assert app.test_client().get("/org/tokens/").status_code == HTTPStatus.FOUND


@pytest.mark.parametrize(
    ("header", "slug"),
    [
        (None, "missing-token"),
        ("Basic dXNlcjpwYXNz", "missing-token"),
        ("Bearer ", "missing-token"),
        ("Bearer nonsense", "invalid-token"),
        ("Bearer ta_0123456789abcdef_" + "x" * 43, "invalid-token"),
    ],
)
def test_no_token_or_a_bad_one_is_a_401_problem(client, header, slug):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/complaints", headers=headers)
    body = assert_problem(response, 401, slug)
    assert body["title"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_for_a_real_token_is_refused(app, db, make_advocate, make_token):
    text = make_token(make_advocate())
    forged = text[:-4] + ("AAAA" if not text.endswith("AAAA") else "BBBB")
    assert_problem(Api(app.test_client(), forged).get("/complaints"), 401, "invalid-token")


def test_an_expired_token_is_refused(app, db, make_advocate, make_token):
    api = Api(app.test_client(), make_token(make_advocate()))
    assert api.get("/complaints").status_code == HTTPStatus.OK
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert_problem(api.get("/complaints"), 401, "invalid-token")


def test_revocation_takes_effect_on_the_next_request(app, db, make_advocate, make_token):
    api = Api(app.test_client(), make_token(make_advocate()))
    assert api.get("/complaints").status_code == HTTPStatus.OK
    from complaints_app.services import api_tokens

    api_tokens.revoke(db.session.execute(select(ApiToken)).scalar_one())
    db.session.commit()
    assert_problem(api.get("/complaints"), 401, "invalid-token")


def test_a_deactivated_advocates_tokens_stop_working(app, db, make_advocate, make_token):
    advocate = make_advocate()
    api = Api(app.test_client(), make_token(advocate))
    assert api.get("/complaints").status_code == HTTPStatus.OK
    accounts.set_active(advocate, False)
    db.session.commit()
    assert_problem(api.get("/complaints"), 401, "invalid-token")


def test_a_read_token_cannot_write(app, db, make_advocate, make_token, org_case):
    advocate = make_advocate()
    case = org_case(advocate)
    api = Api(app.test_client(), make_token(advocate, TokenScope.READ))
    assert api.get(f"/complaints/{case.reference}").status_code == HTTPStatus.OK
    assert_problem(api.post("/complaints", json={}), 403, "insufficient-scope")
    assert_problem(
        api.post(f"/complaints/{case.reference}/messages", json={"body": "hello there"}),
        403,
        "insufficient-scope",
    )


def test_last_use_is_recorded_at_most_once_a_minute(app, db, make_advocate, make_token):
    api = Api(app.test_client(), make_token(make_advocate()))
    api.get("/complaints")
    db.session.expire_all()
    first = db.session.execute(select(ApiToken.last_used_at)).scalar_one()
    assert first is not None
    api.get("/complaints")
    db.session.expire_all()
    assert db.session.execute(select(ApiToken.last_used_at)).scalar_one() == first


def test_token_use_is_limited_per_token(app, db, make_advocate, make_token):
    advocate = make_advocate()
    busy, calm = (Api(app.test_client(), make_token(advocate)) for _ in range(2))
    previous = app.config["API_LIMIT_PER_TOKEN"]
    app.config["API_LIMIT_PER_TOKEN"] = "3 per minute"
    try:
        for _ in range(3):
            assert busy.get("/complaints").status_code == HTTPStatus.OK
        assert_problem(busy.get("/complaints"), 429, "rate-limited")
        assert calm.get("/complaints").status_code == HTTPStatus.OK
    finally:
        app.config["API_LIMIT_PER_TOKEN"] = previous
    _db.session.rollback()
