"""Two-step sign-in: enrolment with an app-drawn QR code, codes accepted once, recovery codes."""

from __future__ import annotations

import re
import time
from http import HTTPStatus

import pyotp
import pytest
from sqlalchemy import select

from complaints_app.models import AccountEvent, AccountEventKind, RecoveryCode, Role, User
from complaints_app.services import accounts, two_factor
from config import Config
from tests.admin.conftest import decide, link_path, open_link, pending_change
from tests.helpers import hidden_fields

PASSWORD = "a perfectly fine passphrase"
KEY_RE = re.compile(r'Key:\s*<code class="receipt__value">([A-Z2-7 ]+)</code>')


@pytest.fixture(autouse=True)
def production_two_factor_roles(app):
    previous = app.config["TOTP_REQUIRED_ROLES"]
    app.config["TOTP_REQUIRED_ROLES"] = list(Config.TOTP_REQUIRED_ROLES)
    yield
    app.config["TOTP_REQUIRED_ROLES"] = previous


def make_user(db, email: str, role: Role) -> User:
    user = accounts.create_user(email, role, PASSWORD)
    db.session.commit()
    return user


def password_step(client, email: str):
    hidden = hidden_fields(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={**hidden, "email": email, "password": PASSWORD})


def post_code(client, url: str, code: str):
    hidden = hidden_fields(client.get(url).get_data(as_text=True))
    return client.post(url, data={**hidden, "code": code})


def enroll(client) -> tuple[str, list[str]]:
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = KEY_RE.search(page).group(1).replace(" ", "")
    hidden = hidden_fields(page)
    done = client.post("/account/two-factor", data={**hidden, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == HTTPStatus.OK
    codes = re.findall(r'<code class="receipt__value">([A-Z0-9-]{11})</code>', done.get_data(True))
    return secret, codes


def test_default_roles_needing_a_second_factor():
    assert set(Config.TOTP_REQUIRED_ROLES) == {"supervisor", "records", "admin"}


def test_supervisor_must_enrol_before_any_staff_page(client, db):
    make_user(db, "sup@example.org", Role.SUPERVISOR)
    response = password_step(client, "sup@example.org")
    assert response.headers["Location"].endswith("/account/two-factor")
    blocked = client.get("/staff/cases")
    assert blocked.status_code == HTTPStatus.SEE_OTHER
    assert blocked.headers["Location"].endswith("/account/two-factor")


def test_enrolment_qr_is_drawn_by_the_app_and_secret_is_sealed(client, db):
    make_user(db, "sup@example.org", Role.SUPERVISOR)
    password_step(client, "sup@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="/account/two-factor/qr.svg"' in page
    secret = KEY_RE.search(page).group(1).replace(" ", "")
    qr = client.get("/account/two-factor/qr.svg")
    assert qr.status_code == HTTPStatus.OK and qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert b"<svg" in qr.data
    assert not any(ref in qr.data for ref in (b"href", b"<image", b"url(", b"<script"))
    assert secret not in page.replace(" ", "").split("Key:")[0]  # only shown as the key
    secret, codes = enroll(client)
    assert len(codes) == two_factor.RECOVERY_CODES
    assert client.get("/staff/cases").status_code == HTTPStatus.OK
    user = db.session.execute(select(User).where(User.email == "sup@example.org")).scalar_one()
    assert secret not in (user.totp_secret_ct or "")
    stored = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
    assert all(code.replace("-", "") not in h for code in codes for h in stored)


def test_second_sign_in_needs_a_code_and_a_code_works_once(app, client, db):
    make_user(db, "sup@example.org", Role.SUPERVISOR)
    password_step(client, "sup@example.org")
    secret, _ = enroll(client)

    later = app.test_client()
    step = password_step(later, "sup@example.org")
    assert step.headers["Location"].endswith("/login/two-factor")
    assert later.get("/staff/cases").status_code == HTTPStatus.FOUND  # not signed in yet
    # The enrolment code's time step is spent: wait for the next code rather than reuse.
    totp = pyotp.TOTP(secret)
    step_now = int(time.time() // 30)
    code = totp.at((step_now + 1) * 30)
    ok = post_code(later, "/login/two-factor", code)
    assert ok.status_code == HTTPStatus.SEE_OTHER
    assert later.get("/staff/cases").status_code == HTTPStatus.OK

    replay = app.test_client()
    password_step(replay, "sup@example.org")
    refused = post_code(replay, "/login/two-factor", code)
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "That code is not right" in refused.get_data(as_text=True)


def test_recovery_code_works_once(app, client, db):
    make_user(db, "rec@example.org", Role.RECORDS)
    password_step(client, "rec@example.org")
    _, codes = enroll(client)

    first = app.test_client()
    password_step(first, "rec@example.org")
    assert post_code(first, "/login/two-factor", codes[0].lower()).status_code == (
        HTTPStatus.SEE_OTHER
    )
    second = app.test_client()
    password_step(second, "rec@example.org")
    assert post_code(second, "/login/two-factor", codes[0]).status_code == (
        HTTPStatus.UNPROCESSABLE_ENTITY
    )
    kinds = db.session.execute(select(AccountEvent.kind)).scalars().all()
    assert AccountEventKind.RECOVERY_CODE_USED in kinds


def test_reset_ends_sessions_and_asks_to_enrol_again(app, client, db):
    admin = make_user(db, "admin@example.org", Role.ADMIN)
    make_user(db, "sup@example.org", Role.SUPERVISOR)
    password_step(client, "sup@example.org")
    enroll(client)
    assert client.get("/staff/cases").status_code == HTTPStatus.OK

    user = db.session.execute(select(User).where(User.email == "sup@example.org")).scalar_one()
    two_factor.reset(user, db.session.get(User, admin.id))
    db.session.commit()
    assert client.get("/staff/cases").status_code == HTTPStatus.FOUND  # signed out
    again = app.test_client()
    assert (
        password_step(again, "sup@example.org").headers["Location"].endswith("/account/two-factor")
    )
    event = db.session.execute(
        select(AccountEvent).where(AccountEvent.kind == AccountEventKind.TWO_FACTOR_RESET)
    ).scalar_one()
    assert event.actor_id == admin.id and event.data == {}


def test_intake_signs_in_with_password_only_by_default(client, db):
    make_user(db, "intake@example.org", Role.INTAKE)
    response = password_step(client, "intake@example.org")
    assert response.headers["Location"].endswith("/staff/")


def test_admin_resets_a_second_factor_without_seeing_it(app, client, db):
    make_user(db, "sup@example.org", Role.SUPERVISOR)
    password_step(client, "sup@example.org")
    secret, _ = enroll(client)
    admin = make_user(db, "admin@example.org", Role.ADMIN)
    admin_client = app.test_client()
    password_step(admin_client, "admin@example.org")
    admin_secret, _ = enroll(admin_client)
    user = db.session.execute(select(User).where(User.email == "sup@example.org")).scalar_one()
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Two-step sign in set up again" in page
    assert secret not in page.replace(" ", "")
    token = hidden_fields(page)["csrf_token"]
    done = admin_client.post(
        f"/admin/users/{user.id}/reset", data={"csrf_token": token, "two_factor": "y"}
    )
    assert done.status_code == HTTPStatus.OK
    assert secret not in done.get_data(as_text=True).replace(" ", "")
    path = link_path(done.get_data(as_text=True))
    db.session.expire_all()
    # Nothing changes before a second supervisor approves.
    assert db.session.get(User, user.id).totp_secret_ct is not None
    assert client.get("/staff/cases").status_code == HTTPStatus.OK
    other_sup = make_user(db, "sup2@example.org", Role.SUPERVISOR)
    approver = app.test_client()
    password_step(approver, other_sup.email)
    enroll(approver)
    change = pending_change(db, user)
    assert decide(approver, change.id).status_code == HTTPStatus.SEE_OTHER

    person = app.test_client()
    page = open_link(person, path)
    hidden = hidden_fields(page.get_data(as_text=True))
    used = person.post("/account/link", data={**hidden, "current_password": PASSWORD})
    assert used.status_code == HTTPStatus.SEE_OTHER
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret_ct is None
    assert client.get("/staff/cases").status_code == HTTPStatus.FOUND  # their session ended
    again = app.test_client()
    assert password_step(again, user.email).headers["Location"].endswith("/account/two-factor")
    event = db.session.execute(
        select(AccountEvent).where(AccountEvent.kind == AccountEventKind.TWO_FACTOR_RESET)
    ).scalar_one()
    assert event.actor_id == user.id and event.user_id == user.id
    assert event.data == {"requested_by": admin.id}
    assert admin_secret  # the admin signed in with their own second factor


def _replace_page(client):
    page = client.get("/account/two-factor")
    assert page.status_code == HTTPStatus.OK
    html = page.get_data(as_text=True)
    return KEY_RE.search(html).group(1).replace(" ", ""), hidden_fields(html), html


@pytest.mark.parametrize(
    ("password", "current", "accepted"),
    [
        (None, "current", False),
        ("wrong password entirely", "current", False),
        (PASSWORD, None, False),
        (PASSWORD, "000000", False),
        (PASSWORD, "AAAAA-BBBBB", False),
        (PASSWORD, "current", True),
        (PASSWORD, "recovery", True),
    ],
    ids=[
        "no-password",
        "wrong-password",
        "no-code",
        "wrong-code",
        "made-up-recovery-code",
        "password-and-code",
        "password-and-recovery-code",
    ],
)
def test_replacing_the_second_factor_needs_password_and_current_code(
    app, client, db, password, current, accepted
):
    make_user(db, "sup@example.org", Role.SUPERVISOR)
    password_step(client, "sup@example.org")
    old_secret, codes = enroll(client)
    new_secret, hidden, html = _replace_page(client)
    assert 'name="current_password"' in html and 'name="current_code"' in html
    # The old app's code for the next step (the enrolment spent the current one).
    step = int(time.time() // 30) + 1
    current_code = {
        "current": pyotp.TOTP(old_secret).at(step * 30),
        "recovery": codes[0],
        None: "",
    }.get(current, current)
    response = client.post(
        "/account/two-factor",
        data={
            **hidden,
            "current_password": password or "",
            "current_code": current_code,
            "code": pyotp.TOTP(new_secret).now(),
        },
    )
    db.session.expire_all()
    user = db.session.execute(select(User).where(User.email == "sup@example.org")).scalar_one()
    if accepted:
        assert response.status_code == HTTPStatus.OK
        assert "Two-step sign in is on" in response.get_data(as_text=True)
        assert user.totp_secret == new_secret
        kinds = (
            db.session.execute(select(AccountEvent.kind).where(AccountEvent.user_id == user.id))
            .scalars()
            .all()
        )
        assert AccountEventKind.TWO_FACTOR_REPLACED in kinds
    else:
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        assert user.totp_secret == old_secret
        # A refused attempt spends no recovery code.
        assert (
            db.session.execute(
                select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))
            ).first()
            is None
        )


@pytest.mark.parametrize("replacing", [False, True], ids=["first-enrolment", "replacement"])
def test_enrolment_ends_other_sessions_but_not_this_one(app, db, replacing):
    make_user(db, "rec@example.org", Role.RECORDS)
    here = app.test_client()
    password_step(here, "rec@example.org")
    if replacing:
        old_secret, recovery = enroll(here)
    elsewhere = app.test_client()
    step = password_step(elsewhere, "rec@example.org")
    if replacing:
        code = pyotp.TOTP(old_secret).at((int(time.time() // 30) + 1) * 30)
        assert post_code(elsewhere, "/login/two-factor", code).status_code == (HTTPStatus.SEE_OTHER)
    else:
        assert step.headers["Location"].endswith("/account/two-factor")
    assert elsewhere.get("/account/password").status_code == HTTPStatus.OK

    secret, hidden, _html = _replace_page(here)
    data = {**hidden, "code": pyotp.TOTP(secret).now()}
    if replacing:
        data["current_password"] = PASSWORD
        # The app's codes of this minute are spent by the two sign-ins: a recovery code.
        data["current_code"] = recovery[0]
    assert here.post("/account/two-factor", data=data).status_code == HTTPStatus.OK

    assert here.get("/account/password").status_code == HTTPStatus.OK  # still signed in
    gone = elsewhere.get("/account/password")
    assert gone.status_code == HTTPStatus.FOUND and "/login" in gone.headers["Location"]


def test_first_enrolment_from_an_old_session_asks_for_the_password(app, client, db):
    make_user(db, "intake@example.org", Role.INTAKE)
    password_step(client, "intake@example.org")
    with client.session_transaction() as sess:
        sess["auth_at"] = time.time() - 20 * 60
    secret, hidden, html = _replace_page(client)
    assert 'name="current_password"' in html and 'name="current_code"' not in html
    code = pyotp.TOTP(secret).now()
    refused = client.post("/account/two-factor", data={**hidden, "code": code})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    ok = client.post(
        "/account/two-factor", data={**hidden, "code": code, "current_password": PASSWORD}
    )
    assert ok.status_code == HTTPStatus.OK
