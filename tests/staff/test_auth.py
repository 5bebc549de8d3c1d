"""Signing in and out, throttling, session time limits, sessions ended by account changes,
password hashing and password rules."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from complaints_app.models import GrantKind, Role, SessionGrant, User
from complaints_app.services import accounts, passwords
from complaints_app.timeutil import utcnow
from tests.staff.conftest import PASSWORD, fresh_token, login

FAILED = "The email address or password is not right"


def _signed_in(client) -> bool:
    response = client.get("/staff/cases")
    return response.status_code == HTTPStatus.OK


def test_login_lands_on_staff_home_with_a_fresh_session(app, make_user):
    user = make_user(Role.INTAKE)
    client = app.test_client()
    response = login(client, user.email.upper())
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/staff/"
    assert _signed_in(client)


def test_admin_lands_on_admin_home(app, make_user):
    client = app.test_client()
    response = login(client, make_user(Role.ADMIN).email)
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("known@office.example", "the wrong password here"),
        ("nobody@office.example", PASSWORD),
    ],
    ids=["wrong-password", "unknown-email"],
)
def test_failed_login_gives_one_message(app, make_user, email, password):
    make_user(Role.INTAKE, email="known@office.example")
    client = app.test_client()
    response = login(client, email, password)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert FAILED in html
    assert password not in html
    assert not _signed_in(client)


def test_deactivated_account_cannot_sign_in(app, db, make_user):
    user = make_user(Role.INTAKE)
    accounts.set_active(user, False)
    db.session.commit()
    response = login(app.test_client(), user.email)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert FAILED in response.get_data(as_text=True)


def test_logout_is_post_only_and_ends_the_session(signed_in):
    client, _user = signed_in(Role.INVESTIGATOR)
    assert client.get("/logout").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert _signed_in(client)
    response = client.post("/logout", data={"csrf_token": fresh_token(client)})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/login"
    after = client.get("/staff/cases")
    assert after.status_code == HTTPStatus.FOUND
    assert after.headers["Location"].startswith("/login")


def _limit(app, key: str) -> int:
    return int(app.config[key].split()[0])


def test_throttle_is_per_account_not_per_client(app, make_user):
    make_user(Role.INTAKE, email="a@x.example")
    make_user(Role.INTAKE, email="b@x.example")
    attacker = app.test_client()
    for _ in range(_limit(app, "LOGIN_LIMIT_PER_ACCOUNT")):
        failed = login(attacker, "a@x.example", "not the right password")
        assert failed.status_code == HTTPStatus.UNPROCESSABLE_ENTITY

    elsewhere = app.test_client()
    other_addr = {"environ_base": {"REMOTE_ADDR": "203.0.113.99"}}
    blocked = login(elsewhere, "a@x.example", PASSWORD, **other_addr)
    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS

    # Another account, from the client that made all those failures, still signs in.
    ok = login(attacker, "b@x.example", PASSWORD)
    assert ok.status_code == HTTPStatus.SEE_OTHER


def test_throttle_is_per_client_and_never_global(app, make_user):
    make_user(Role.INTAKE, email="target@x.example")
    noisy = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    attacker = app.test_client()
    limit = _limit(app, "LOGIN_LIMIT_PER_CLIENT")
    for n in range(limit):
        # Different accounts each time, so only the per-client limit counts them all.
        failed = login(attacker, f"guess{n}@x.example", "not the right password", **noisy)
        assert failed.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    blocked = login(attacker, "fresh@x.example", "whatever it may be", **noisy)
    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS

    colleague = app.test_client()
    quiet = {"environ_base": {"REMOTE_ADDR": "198.51.100.8"}}
    assert login(colleague, "target@x.example", PASSWORD, **quiet).status_code == (
        HTTPStatus.SEE_OTHER
    )


def test_successful_logins_are_not_throttled(app, make_user):
    user = make_user(Role.INTAKE)
    for _ in range(_limit(app, "LOGIN_LIMIT_PER_ACCOUNT") + 2):
        assert login(app.test_client(), user.email).status_code == HTTPStatus.SEE_OTHER


def _age_staff_grants(db, *, idle: timedelta, opened: timedelta | None = None) -> None:
    values: dict = {"last_seen_at": utcnow() - idle}
    if opened is not None:
        values["created_at"] = utcnow() - opened
        values["expires_at"] = values["created_at"] + timedelta(hours=12)
    db.session.execute(
        update(SessionGrant).where(SessionGrant.kind == GrantKind.STAFF).values(**values)
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("idle", "opened"),
    [(timedelta(minutes=31), None), (timedelta(minutes=1), timedelta(hours=12, minutes=1))],
    ids=["idle-31-minutes", "absolute-12-hours"],
)
def test_session_time_limits_are_enforced_on_the_server(app, db, signed_in, idle, opened):
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    assert app.config["SESSION_MAX_HOURS"] == 12
    client, _user = signed_in(Role.INTAKE)
    _age_staff_grants(db, idle=idle, opened=opened)
    response = client.get("/staff/cases")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"].startswith("/login")
    assert client.get("/staff/cases").status_code == HTTPStatus.FOUND


def test_activity_within_idle_limit_keeps_session(db, signed_in):
    client, _user = signed_in(Role.INTAKE)
    _age_staff_grants(db, idle=timedelta(minutes=29))
    assert _signed_in(client)
    db.session.expire_all()
    grant = db.session.execute(select(SessionGrant)).scalar_one()
    assert utcnow() - grant.last_seen_at < timedelta(minutes=1)


def test_a_copied_session_cookie_is_refused_after_sign_out(app, db, signed_in):
    client, _user = signed_in(Role.INVESTIGATOR)
    copied = client.get_cookie("session").value
    # The copy works while the session is live: it is the same session.
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert _signed_in(thief)

    client.post("/logout", data={"csrf_token": fresh_token(client)})

    replay = app.test_client()
    replay.set_cookie("session", copied)
    response = replay.get("/staff/cases")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"].startswith("/login")
    assert not _signed_in(thief)


def test_signing_in_again_does_not_revive_an_old_cookie(app, db, signed_in):
    client, user = signed_in(Role.INTAKE)
    old = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": fresh_token(client)})
    assert login(client, user.email).status_code == HTTPStatus.SEE_OTHER
    replay = app.test_client()
    replay.set_cookie("session", old)
    assert not _signed_in(replay)
    assert _signed_in(client)


def test_sessions_purge_command_removes_only_dead_grants(app, db, signed_in):
    live, _ = signed_in(Role.INTAKE)
    ended, _ = signed_in(Role.INTAKE)
    _idle, idle_user = signed_in(Role.INVESTIGATOR)
    ended.post("/logout", data={"csrf_token": fresh_token(ended)})
    db.session.execute(
        update(SessionGrant)
        .where(SessionGrant.user_id == idle_user.id)
        .values(last_seen_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["sessions", "purge"])

    assert result.exit_code == 0, result.output
    assert "Removed 2 expired or revoked session grant(s)." in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SessionGrant)) == 1
    assert _signed_in(live)


def test_signing_in_sweeps_dead_grants(app, db, make_user, signed_in):
    ended, _ = signed_in(Role.INTAKE)
    ended.post("/logout", data={"csrf_token": fresh_token(ended)})
    signed_in(Role.INTAKE)
    db.session.expire_all()
    grants = db.session.execute(select(SessionGrant)).scalars().all()
    assert len(grants) == 1 and grants[0].revoked_at is None


def test_the_database_holds_no_usable_session_token(app, db, signed_in):
    client, _user = signed_in(Role.INTAKE)
    with client.session_transaction() as sess:
        token = sess["staff_grant"]
    grant = db.session.execute(select(SessionGrant)).scalar_one()
    assert token not in grant.token_hash and len(grant.token_hash) == 64


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_account_change_ends_existing_sessions(db, signed_in, change):
    client, user = signed_in(Role.INVESTIGATOR)
    assert _signed_in(client)
    user = db.session.get(User, user.id)
    if change == "password":
        accounts.set_password(user, "a brand new passphrase for work")
    else:
        accounts.set_active(user, False)
    db.session.commit()
    response = client.get("/staff/cases")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"].startswith("/login")


def test_passwords_are_hashed_with_argon2id(db, make_user):
    user = make_user(Role.INTAKE)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_old_hash_parameters_are_upgraded_on_login(app, db, make_user):
    user = make_user(Role.INTAKE)
    # A hash made with cheaper parameters than the configured ones (say, before an upgrade).
    cfg = app.config
    weak = PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_KIB"] // 2,
        parallelism=cfg["ARGON2_PARALLELISM"],
    ).hash(PASSWORD)
    assert passwords.needs_rehash(weak)
    user.password_hash = weak
    db.session.commit()

    assert login(app.test_client(), user.email).status_code == HTTPStatus.SEE_OTHER
    db.session.expire_all()
    stored = db.session.execute(select(User).where(User.id == user.id)).scalar_one()
    assert stored.password_hash != weak
    assert stored.password_hash.startswith("$argon2id$")
    assert not passwords.needs_rehash(stored.password_hash)
    assert login(app.test_client(), user.email).status_code == HTTPStatus.SEE_OTHER


@pytest.mark.parametrize(
    ("password", "accepted", "message"),
    [
        ("short but ok", False, "at least 15 characters"),
        ("x" * 60 + "y" * 69, False, "at most 128 characters"),
        ("passwordpassword123", False, "too common"),
        ("aaaaaaaaaaaaaaaaaaaa", False, "too common"),
        ("1234567890123456", False, "easy to guess"),
        ("qwertyuiopasdfgh", False, "commonly used password"),
        ("z" * 64 + "q" * 64, False, "Repeats like"),
        ("new@office.example1234567890", False, "your email address"),
        ("lantern orbit pickle meadow", True, None),
        (("lantern orbit pickle meadow " * 5)[:128], True, None),
    ],
    ids=[
        "too-short",
        "too-long",
        "common",
        "repetition",
        "digit-run",
        "keyboard-walk",
        "long-repeats",
        "email-and-digits",
        "passphrase",
        "exactly-128",
    ],
)
def test_password_rules_through_create_user_cli(app, db, password, accepted, message):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "new@office.example", "--role", "intake", "--password-stdin"],
        input=password + "\n",
    )
    db.session.expire_all()
    created = db.session.execute(
        select(User).where(User.email == "new@office.example")
    ).scalar_one_or_none()
    if accepted:
        assert result.exit_code == 0, result.output
        assert "Created new@office.example (intake)" in result.output
        assert created is not None and created.password_hash.startswith("$argon2id$")
    else:
        assert result.exit_code != 0
        assert message in result.output
        assert created is None
