"""Staff and sign-in forms refused for their CSRF token come back with what was typed and a
clear message, and change nothing; a staff member signed out while writing gets the text
back to copy. A view that would act anyway is stopped by the guards of the retry."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from flask import request, session
from sqlalchemy import func, select, update

from complaints_app import create_app
from complaints_app.extensions import db as _db
from complaints_app.models import (
    CaseEvent,
    EventKind,
    Organisation,
    Role,
    SessionGrant,
    Status,
    User,
)
from complaints_app.public.forms import EmptyForm
from complaints_app.timeutil import utcnow
from config import TestingConfig
from tests.helpers import hidden_fields, parse_page
from tests.staff.conftest import complaint_by_reference, login

MESSAGE = "Nothing was sent: this form had expired or came from another page."
NOTE = "Called the jail records unit; they will send the I-247A copy next week.\n\nFollow up."


def _garble(token: str) -> str:
    return token[:-6] + "AAAAAA"


def _case_page(client, reference: str) -> str:
    return client.get(f"/staff/cases/{reference}").get_data(as_text=True)


def _events(db, kind: EventKind) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == kind)
    )


def _textareas(html: str, name: str) -> list[str]:
    return [t.raw_text.strip() for t in parse_page(html).find_all("textarea", name=name)]


@pytest.mark.parametrize("bad", ["garbled", "missing"])
def test_note_and_message_come_back_with_their_text(db, signed_in, filed_case, bad):
    reference, _ = filed_case
    client, _user = signed_in(Role.INTAKE)
    token = hidden_fields(_case_page(client, reference))["csrf_token"]
    data = {"text": NOTE}
    if bad == "garbled":
        data["csrf_token"] = _garble(token)

    for url, kind in (("notes", EventKind.NOTE), ("messages", EventKind.MESSAGE_TO_COMPLAINANT)):
        response = client.post(f"/staff/cases/{reference}/{url}", data=data)
        assert response.status_code == HTTPStatus.BAD_REQUEST
        html = response.get_data(as_text=True)
        assert MESSAGE in html
        assert NOTE.strip() in _textareas(html, "text")
        assert _events(db, kind) == 0


def test_workflow_action_comes_back_with_its_message_and_does_nothing(db, signed_in, filed_case):
    reference, _ = filed_case
    client, _user = signed_in(Role.INTAKE)
    page = _case_page(client, reference)
    version = parse_page(page).find("input", name="version").get("value")
    typed = "Thank you. We are looking at the jail's release records for that night."

    response = client.post(
        f"/staff/cases/{reference}/actions/acknowledge",
        data={
            "csrf_token": _garble(hidden_fields(page)["csrf_token"]),
            "version": version,
            "message": typed,
        },
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.get_data(as_text=True)
    assert MESSAGE in html
    assert typed in _textareas(html, "message")
    assert complaint_by_reference(db, reference).status == Status.SUBMITTED


@pytest.mark.parametrize("how", ["cookie-dropped", "idle-too-long"])
def test_signed_out_while_writing_gets_the_text_back_and_nothing_is_saved(
    db, signed_in, filed_case, how
):
    reference, _ = filed_case
    client, _user = signed_in(Role.INTAKE)
    token = hidden_fields(_case_page(client, reference))["csrf_token"]
    if how == "cookie-dropped":
        client.delete_cookie("session")
    else:
        db.session.execute(
            update(SessionGrant).values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        db.session.commit()

    response = client.post(
        f"/staff/cases/{reference}/notes", data={"csrf_token": token, "text": NOTE}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.get_data(as_text=True)
    assert "Nothing was sent" in html
    assert NOTE.strip() in [t.raw_text.strip() for t in parse_page(html).find_all("textarea")]
    assert _events(db, EventKind.NOTE) == 0


def test_sign_in_with_an_expired_form_keeps_the_email_and_signs_nobody_in(app, make_user):
    user = make_user(Role.INTAKE)
    client = app.test_client()
    token = hidden_fields(client.get("/login").get_data(as_text=True))["csrf_token"]
    client.delete_cookie("session")

    response = client.post(
        "/login", data={"csrf_token": token, "email": user.email, "password": "x" * 20}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.get_data(as_text=True)
    assert MESSAGE in html
    page = parse_page(html)
    assert page.find("input", name="email").get("value") == user.email
    assert "x" * 20 not in html
    assert client.get("/staff/cases").status_code == HTTPStatus.FOUND
    # The page's own token works.
    again = client.post(
        "/login",
        data={
            "csrf_token": hidden_fields(html)["csrf_token"],
            "email": user.email,
            "password": "correct horse battery staple",
        },
    )
    assert again.status_code == HTTPStatus.SEE_OTHER


def test_sign_out_with_a_bad_token_offers_the_button_again(db, signed_in):
    client, _user = signed_in(Role.INVESTIGATOR)
    token = hidden_fields(client.get("/login").get_data(as_text=True))["csrf_token"]

    response = client.post("/logout", data={"csrf_token": _garble(token)})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.get_data(as_text=True)
    assert parse_page(html).find("form", action="/logout") is not None
    assert client.get("/staff/cases").status_code == HTTPStatus.OK
    db.session.expire_all()
    assert db.session.execute(select(SessionGrant)).scalar_one().revoked_at is None
    done = client.post("/logout", data={"csrf_token": hidden_fields(html)["csrf_token"]})
    assert done.status_code == HTTPStatus.SEE_OTHER


def test_admin_forms_keep_what_was_typed_and_change_nothing(app, db, make_user):
    admin = make_user(Role.ADMIN)
    target = make_user(Role.INTAKE)
    client = app.test_client()
    assert login(client, admin.email).status_code == HTTPStatus.SEE_OTHER
    page = client.get("/admin/users/new").get_data(as_text=True)
    bad = _garble(hidden_fields(page)["csrf_token"])

    created = client.post(
        "/admin/users/new",
        data={
            "csrf_token": bad,
            "email": "new.person@office.example",
            "role": "intake",
            "display_name": "New Person",
            "password": "lantern orbit pickle meadow",
        },
    )
    assert created.status_code == HTTPStatus.BAD_REQUEST
    html = created.get_data(as_text=True)
    assert MESSAGE in html
    assert parse_page(html).find("input", name="email").get("value") == "new.person@office.example"
    assert (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.email == "new.person@office.example")
        )
        == 0
    )

    deactivated = client.post(f"/admin/users/{target.id}/deactivate", data={"csrf_token": bad})
    assert deactivated.status_code == HTTPStatus.BAD_REQUEST
    assert MESSAGE in deactivated.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).active


@pytest.fixture
def careless_app(tmp_path):
    """An app with views that act whether or not their form is valid: the flaw the retry's
    guards exist for."""
    from flask_migrate import upgrade

    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'careless.sqlite3'}",
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )

    @app.route("/careless/commit", methods=["GET", "POST"])
    def careless_commit():
        if request.method == "POST":
            EmptyForm().validate()  # result ignored
            # The request's commit would keep this: the refused request must not.
            _db.session.add(Organisation(slug="made", name=request.form["name"]))
        token = EmptyForm().csrf_token.current_token
        return f'<form method="post"><input name="csrf_token" value="{token}"></form>'

    @app.post("/careless/session")
    def careless_session():
        session["lang"] = "xx"
        return "switched"

    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        _db.engine.dispose()


def _organisations(app) -> int:
    with app.app_context():
        return _db.session.scalar(select(func.count()).select_from(Organisation))


def test_a_view_that_would_commit_anyway_is_stopped(careless_app):
    client = careless_app.test_client()
    token = hidden_fields(client.get("/careless/commit").get_data(as_text=True))["csrf_token"]

    refused = client.post(
        "/careless/commit", data={"csrf_token": _garble(token), "name": "Typed organisation"}
    )

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert _organisations(careless_app) == 0
    accepted = client.post("/careless/commit", data={"csrf_token": token, "name": "Real one"})
    assert accepted.status_code == HTTPStatus.OK
    assert _organisations(careless_app) == 1


def test_a_view_that_would_change_the_session_anyway_is_stopped(careless_app):
    client = careless_app.test_client()
    token = hidden_fields(client.get("/careless/commit").get_data(as_text=True))["csrf_token"]

    refused = client.post("/careless/session", data={"csrf_token": _garble(token)})

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    with client.session_transaction() as sess:
        assert "lang" not in sess
    assert client.post("/careless/session", data={"csrf_token": token}).status_code == 200
    with client.session_transaction() as sess:
        assert sess["lang"] == "xx"
