"""Changing one's own password: the current one is required, weak ones are refused with
advice on choosing better, and every other session ends while this one stays."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import select

from complaints_app.models import AccountEvent, AccountEventKind, Role, User
from complaints_app.services import accounts, passwords
from tests.helpers import hidden_fields

PASSWORD = "a perfectly fine passphrase"
EMAIL = "maria.gonzalez@office.example"
NAME = "Maria Gonzalez"
STRONG = "orchard violet pebble tramline"


@pytest.fixture
def staff(db) -> User:
    user = accounts.create_user(EMAIL, Role.INVESTIGATOR, PASSWORD, display_name=NAME)
    db.session.commit()
    return user


def _sign_in(app, email: str = EMAIL, password: str = PASSWORD):
    client = app.test_client()
    hidden = hidden_fields(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={**hidden, "email": email, "password": password})
    assert response.status_code == HTTPStatus.SEE_OTHER
    return client


def _change(client, current: str, new: str, confirm: str | None = None):
    hidden = hidden_fields(client.get("/account/password").get_data(as_text=True))
    return client.post(
        "/account/password",
        data={
            **hidden,
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )


def _hash(db, user: User) -> str:
    db.session.expire_all()
    return db.session.get(User, user.id).password_hash


@pytest.mark.parametrize(
    ("weak", "advice"),
    [
        ("1234567890123456", "similar to a commonly used password"),
        ("qwertyuiopasdfgh", "Add another word or two"),
        ("asdfghjklzxcvbnm", "Add another word or two"),
        ("zxcvbnmasdfghjkl1", "Add another word or two"),
        ("1111111111111111", "Repeats like"),
        ("9876543210987654", "easy to guess"),
        ("maria.gonzalez@office.example1234", "from your name, your email address"),
        ("mariagonzalez2024123", "from your name, your email address"),
        ("maria.gonzalez19870512", "from your name, your email address"),
        ("Maria Gonzalez Maria Gonzalez", "from your name, your email address"),
        ("gonzalezmaria!!!!2024", "from your name, your email address"),
        ("springfield1234567", "office"),
    ],
)
def test_weak_passwords_are_refused_with_advice(app, db, staff, weak, advice):
    client = _sign_in(app)
    before = _hash(db, staff)
    response = _change(client, PASSWORD, weak)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert 'id="new_password-error"' in html
    assert advice in html.replace("&#34;", '"').replace("&#39;", "'")
    assert weak not in html
    assert _hash(db, staff) == before


@pytest.mark.parametrize(
    "strong",
    [
        STRONG,
        "correct horse battery staple",
        "my cat sleeps on the warm radiator every winter",
        "Zebra-Kettle-Umbrella-Quartz",
        ("lantern orbit pickle meadow " * 5)[:128],
    ],
)
def test_strong_passwords_are_accepted(app, db, staff, strong):
    client = _sign_in(app)
    response = _change(client, PASSWORD, strong)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert passwords.verify(_hash(db, staff), strong)
    _sign_in(app, password=strong)


@pytest.mark.parametrize(
    "current", ["", "not my password at all", PASSWORD.upper(), PASSWORD + " "]
)
def test_current_password_is_required(app, db, staff, current):
    client = _sign_in(app)
    before = _hash(db, staff)
    response = _change(client, current, STRONG)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="current_password-error"' in response.get_data(as_text=True)
    assert _hash(db, staff) == before


def test_confirmation_must_match_and_new_must_differ(app, db, staff):
    client = _sign_in(app)
    mismatch = _change(client, PASSWORD, STRONG, STRONG + "x")
    assert mismatch.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "not the same" in mismatch.get_data(as_text=True)
    same = _change(client, PASSWORD, PASSWORD)
    assert same.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "different from the current one" in same.get_data(as_text=True)


def test_change_ends_other_sessions_and_keeps_this_one(app, db, staff):
    here = _sign_in(app)
    elsewhere = _sign_in(app)
    assert elsewhere.get("/staff/cases").status_code == HTTPStatus.OK
    assert _change(here, PASSWORD, STRONG).status_code == HTTPStatus.SEE_OTHER
    assert here.get("/staff/cases").status_code == HTTPStatus.OK
    gone = elsewhere.get("/staff/cases")
    assert gone.status_code == HTTPStatus.FOUND and "/login" in gone.headers["Location"]
    event = db.session.execute(
        select(AccountEvent).where(AccountEvent.kind == AccountEventKind.PASSWORD_CHANGED)
    ).scalar_one()
    assert event.actor_id == staff.id and event.user_id == staff.id and event.data == {}


def test_wrong_current_passwords_are_throttled(app, db, staff):
    client = _sign_in(app)
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit):
        assert _change(client, "wrong guess number one", STRONG).status_code == (
            HTTPStatus.UNPROCESSABLE_ENTITY
        )
    assert _change(client, PASSWORD, STRONG).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == HTTPStatus.FOUND
    assert "/login" in response.headers["Location"]
