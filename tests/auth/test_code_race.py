"""A second-factor code is accepted once even when two sign-ins send it at the same moment:
a live threaded server, two browsers posting the same code behind a barrier, many rounds,
on whichever database the suite runs on (SQLite or PostgreSQL)."""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from http import HTTPStatus
from urllib.parse import urlencode

import pyotp
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from complaints_app.models import Role, User
from complaints_app.services import accounts, two_factor

PASSWORD = "a perfectly fine passphrase"
EMAIL = "racer@example.org"
SECRET = pyotp.random_base32(32)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ROUNDS = 25


class Browser:
    """A minimal browser over one HTTP connection: keeps the session cookie."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def csrf(self, path: str) -> str:
        status, _, html = self.request("GET", path)
        assert status == HTTPStatus.OK, (path, status)
        return CSRF_RE.search(html).group(1)

    def password_step(self) -> None:
        token = self.csrf("/login")
        status, location, _ = self.request(
            "POST", "/login", {"csrf_token": token, "email": EMAIL, "password": PASSWORD}
        )
        assert status == HTTPStatus.SEE_OTHER and location.endswith("/login/two-factor")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def live_server(app, db, monkeypatch) -> Iterator[int]:
    """The app served by a threaded werkzeug server on a free loopback port."""
    # Each round has one refused code by design: keep the guessing limits out of the way.
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "100000 per minute")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_CLIENT", "100000 per minute")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def racer(db) -> tuple[int, list[str]]:
    """An account with a known TOTP secret and ten recovery codes."""
    user = accounts.create_user(EMAIL, Role.SUPERVISOR, PASSWORD)
    user.totp_secret = SECRET
    codes = two_factor._new_recovery_codes(user)
    user_id = user.id
    # Read nothing after the commit: on SQLite every transaction holds the write lock.
    db.session.commit()
    return user_id, codes


def _race(port: int, code: str) -> list[int]:
    """Two browsers past the password step post ``code`` at the same moment."""
    browsers = [Browser(port), Browser(port)]
    try:
        tokens = []
        for browser in browsers:
            browser.password_step()
            tokens.append(browser.csrf("/login/two-factor"))
        barrier = threading.Barrier(len(browsers))
        statuses: list[int] = [0] * len(browsers)

        def post(i: int) -> None:
            barrier.wait()
            statuses[i] = browsers[i].request(
                "POST", "/login/two-factor", {"csrf_token": tokens[i], "code": code}
            )[0]

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(browsers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return statuses
    finally:
        for browser in browsers:
            browser.close()


def test_one_totp_step_signs_in_once_under_concurrent_sign_ins(db, live_server, racer):
    user_id, _codes = racer
    for round_no in range(ROUNDS):
        # Each round starts with no step used, so the same current code is fresh again.
        with db.engine.begin() as conn:
            conn.execute(sa.update(User).where(User.id == user_id).values(totp_last_step=None))
        statuses = _race(live_server, pyotp.TOTP(SECRET).now())
        assert sorted(statuses) == [HTTPStatus.SEE_OTHER, HTTPStatus.UNPROCESSABLE_ENTITY], (
            round_no,
            statuses,
        )


def test_one_recovery_code_signs_in_once_under_concurrent_sign_ins(db, live_server, racer):
    _user_id, codes = racer
    for round_no, code in enumerate(codes):
        statuses = _race(live_server, code)
        assert sorted(statuses) == [HTTPStatus.SEE_OTHER, HTTPStatus.UNPROCESSABLE_ENTITY], (
            round_no,
            statuses,
        )
