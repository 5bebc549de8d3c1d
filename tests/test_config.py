"""Settings and the headers every response carries.

Production refuses to start with a missing or weak secret, debug on, or SQLite; development
makes its secrets once and keeps them; every page is served under a strict Content Security
Policy and nothing on a page needs inline code or another site.

Config class attributes are read from the environment when ``config`` is imported, so the
tests pass values to ``create_app`` as keyword overrides, as the environment would have.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator
from html.parser import HTMLParser
from http import HTTPStatus
from pathlib import Path

import pytest
from flask import Flask

import complaints_app
from complaints_app import create_app, instance_keys
from complaints_app.crypto import new_key
from complaints_app.extensions import db
from config import DevelopmentConfig, ProductionConfig, config_from_env
from tests.helpers import post_complaint

# Never connected to: the production app below serves only pages that need no database.
PRODUCTION_DATABASE = "postgresql+psycopg://complaints@127.0.0.1:1/complaints"
REDIS = "redis://127.0.0.1:6379"
PAGES = ["/", "/policy", "/complaints/new", "/track", "/healthz", "/no-such-page"]
SCHEME_OR_HOST = re.compile(r"^\s*([a-z][a-z0-9+.\-]*:|//|\\\\)", re.IGNORECASE)


def _good_settings() -> dict:
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "HASH_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": [new_key()],
        "DEBUG": False,
        "SQLALCHEMY_DATABASE_URI": PRODUCTION_DATABASE,
        "RATELIMIT_STORAGE_URI": REDIS,
    }


@pytest.fixture
def production_env(monkeypatch) -> None:
    """No escape hatch set in the environment of the test run."""
    monkeypatch.delenv("ALLOW_SQLITE_IN_PRODUCTION", raising=False)
    monkeypatch.setenv("APP_ENV", "production")


@pytest.fixture
def production_app(production_env, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(ProductionConfig, **_good_settings(), UPLOAD_FOLDER=str(tmp_path))
    yield app
    with app.app_context():
        db.engine.dispose()


# --- Production refuses to start without its secrets -------------------------------------


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("SECRET_KEY", "", "SECRET_KEY"),
        ("SECRET_KEY", None, "SECRET_KEY"),
        ("SECRET_KEY", "dev", "SECRET_KEY"),
        ("SECRET_KEY", "x" * 31, "SECRET_KEY"),
        ("HASH_KEY", "", "HASH_KEY"),
        ("HASH_KEY", "change-me", "HASH_KEY"),
        ("ENCRYPTION_KEYS", [], "ENCRYPTION_KEYS"),
        ("ENCRYPTION_KEYS", ["not a key"], "ENCRYPTION_KEYS"),
        # An AES-128 key is not the AES-256 the app promises.
        ("ENCRYPTION_KEYS", [base64.urlsafe_b64encode(bytes(16)).decode()], "ENCRYPTION_KEYS"),
        ("DEBUG", True, "DEBUG"),
        ("SQLALCHEMY_DATABASE_URI", "sqlite:///instance/complaints.sqlite3", "DATABASE_URL"),
        ("SQLALCHEMY_DATABASE_URI", "sqlite://", "DATABASE_URL"),
    ],
)
def test_production_refuses_to_start_with_missing_or_weak_setting(
    production_env, setting, value, named
):
    settings = {**_good_settings(), setting: value}

    with pytest.raises(RuntimeError, match=named) as refused:
        create_app(ProductionConfig, **settings)

    # The message says what is wrong but never echoes a secret back into the logs.
    secrets_given = [settings["SECRET_KEY"], settings["HASH_KEY"], *settings["ENCRYPTION_KEYS"]]
    for secret in secrets_given:
        if secret:
            assert secret not in str(refused.value)


def test_production_names_every_missing_setting_at_once(production_env):
    with pytest.raises(RuntimeError) as refused:
        create_app(
            ProductionConfig,
            SECRET_KEY="",
            HASH_KEY="",
            ENCRYPTION_KEYS=[],
            SQLALCHEMY_DATABASE_URI="sqlite:///complaints.sqlite3",
        )

    message = str(refused.value)
    for name in ("SECRET_KEY", "HASH_KEY", "ENCRYPTION_KEYS", "DATABASE_URL"):
        assert name in message


def test_app_env_production_picks_the_refusing_configuration(production_env):
    assert config_from_env() is ProductionConfig

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(None, SECRET_KEY="", HASH_KEY="", ENCRYPTION_KEYS=[])


def test_unknown_app_env_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "prod")

    with pytest.raises(RuntimeError, match="APP_ENV"):
        config_from_env()


def test_production_starts_when_every_setting_is_given(production_app):
    assert production_app.config["ENV_NAME"] == "production"
    assert not production_app.debug
    assert production_app.config["SESSION_COOKIE_SECURE"]


def test_production_accepts_sqlite_only_when_explicitly_allowed(production_env, monkeypatch):
    monkeypatch.setenv("ALLOW_SQLITE_IN_PRODUCTION", "1")
    settings = {**_good_settings(), "SQLALCHEMY_DATABASE_URI": "sqlite://"}

    app = create_app(ProductionConfig, **settings)

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


# --- Production responses ---------------------------------------------------------------


def test_production_responses_demand_https(production_app):
    response = production_app.test_client().get("/", base_url="https://localhost")

    assert response.status_code == HTTPStatus.OK
    hsts = response.headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 365 * 24 * 3600
    assert "includeSubDomains" in hsts


def test_production_session_cookie_is_host_only_and_secure(production_app):
    response = production_app.test_client().get("/track", base_url="https://localhost")

    assert response.status_code == HTTPStatus.OK
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1, cookies
    cookie = cookies[0]
    assert cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert "domain" not in attributes
    assert "Path=/;" in cookie + ";"
    assert "SameSite=Strict" in cookie


def test_non_production_responses_do_not_pin_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


# --- Development secrets ----------------------------------------------------------------


def test_development_secrets_are_made_once_readable_by_owner_only(tmp_path):
    instance = tmp_path / "instance" / "not-yet-there"

    made = instance_keys.load_or_create(str(instance))

    path = instance / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == made
    assert len(made["SECRET_KEY"]) >= 32 and len(made["HASH_KEY"]) >= 32
    assert made["SECRET_KEY"] != made["HASH_KEY"]
    (key,) = made["ENCRYPTION_KEYS"]
    assert len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))) == 32
    # Strong enough that production itself would accept them.
    ProductionConfig.validate({**made, "SQLALCHEMY_DATABASE_URI": PRODUCTION_DATABASE})


def test_development_secrets_are_reused_not_regenerated(tmp_path):
    first = instance_keys.load_or_create(str(tmp_path))
    written = (tmp_path / "secrets.json").read_bytes()

    second = instance_keys.load_or_create(str(tmp_path))

    assert second == first
    assert (tmp_path / "secrets.json").read_bytes() == written
    assert instance_keys.load_or_create(str(tmp_path / "elsewhere")) != first


def test_development_app_takes_its_secrets_from_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(complaints_app, "INSTANCE_DIR", tmp_path)
    database = f"sqlite:///{tmp_path / 'dev.sqlite3'}"

    first = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=database)
    second = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=database)

    kept = json.loads((tmp_path / "secrets.json").read_text())
    for app in (first, second):
        assert app.config["SECRET_KEY"] == kept["SECRET_KEY"]
        assert app.config["HASH_KEY"] == kept["HASH_KEY"]
        assert app.config["ENCRYPTION_KEYS"] == kept["ENCRYPTION_KEYS"]
        with app.app_context():
            db.engine.dispose()


# --- Headers and page markup on every response ------------------------------------------


class _Markup(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> and <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: str | None = None
        self.inline_code: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in ("script", "style") else None

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._open = None

    def handle_data(self, data):
        if self._open and data.strip():
            self.inline_code.append(data)


def _assert_strict_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";")}
    assert directives["default-src"] == "default-src 'none'"
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    # Cross-origin isolation: the app embeds nothing from elsewhere and lends nothing out.
    assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"


def _assert_self_contained_markup(html: str) -> None:
    page = _Markup()
    page.feed(html)
    page.close()
    assert page.tags, "not an HTML page"
    assert page.inline_code == [], "inline <script> or <style> content"
    for tag, attrs in page.tags:
        assert tag != "style", "<style> element"
        assert "style" not in attrs, f"style= attribute on <{tag}>"
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"inline event handler {handlers} on <{tag}>"
        if tag == "script":
            assert attrs.get("src"), "inline <script>"
        if tag in ("link", "script", "img"):
            for name in ("src", "href", "srcset"):
                value = attrs.get(name)
                if value is not None:
                    assert not SCHEME_OR_HOST.match(value), f"<{tag} {name}={value!r}>"


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_strict_headers(client, path):
    # The complaint form's address starts a form and sends the browser to its first page.
    response = client.get(path, follow_redirects=True)

    expected = HTTPStatus.NOT_FOUND if path == "/no-such-page" else HTTPStatus.OK
    assert response.status_code == expected
    _assert_strict_headers(response)


@pytest.mark.parametrize("path", ["/static/css/app.css", "/static/favicon.svg"])
def test_assets_are_same_origin_and_loadable_under_require_corp(client, path):
    """Under COEP require-corp a page may load only same-origin resources or those that
    opt in; every asset the pages link to is served by the app itself with the headers."""
    response = client.get(path)

    assert response.status_code == HTTPStatus.OK
    _assert_strict_headers(response)


@pytest.mark.parametrize("path", [p for p in PAGES if p != "/healthz"])
def test_pages_use_no_inline_code_and_nothing_from_other_sites(client, path):
    response = client.get(path, follow_redirects=True)

    assert response.mimetype == "text/html"
    _assert_self_contained_markup(response.get_data(as_text=True))


def test_receipt_and_form_with_mistakes_meet_the_same_rules(client):
    mistakes = post_complaint(client, {"narrative": ""})
    receipt = post_complaint(client)

    assert mistakes.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert receipt.status_code == HTTPStatus.OK
    for response in (mistakes, receipt):
        _assert_strict_headers(response)
        _assert_self_contained_markup(response.get_data(as_text=True))


def test_production_pages_carry_the_strict_headers(production_app):
    response = production_app.test_client().get("/", base_url="https://localhost")

    _assert_strict_headers(response)
    _assert_self_contained_markup(response.get_data(as_text=True))


@pytest.mark.database_independent
def test_behind_a_trusted_proxy_limits_apply_per_forwarded_client(tmp_path):
    """With TRUST_PROXY the client is the one the proxy names; without it, the proxy itself."""
    from config import TestingConfig as Testing

    def wrong_guesses(trust: bool) -> list[int]:
        app = create_app(
            Testing,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / f'proxy-{trust}.sqlite3'}",
            TRUST_PROXY=trust,
            TRACK_LIMIT_PER_CLIENT="2 per hour",
        )
        from flask_migrate import upgrade

        from complaints_app.extensions import limiter

        with app.app_context():
            upgrade()
            limiter.reset()
        statuses = []
        for forwarded in ("192.0.2.1", "192.0.2.1", "192.0.2.2"):
            client = app.test_client()
            page = client.get("/track").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            statuses.append(
                client.post(
                    "/track",
                    data={"csrf_token": token, "reference": "TA-2026-0001", "code": "X" * 24},
                    headers={"X-Forwarded-For": forwarded},
                ).status_code
            )
        with app.app_context():
            limiter.reset()
        return statuses

    assert wrong_guesses(trust=True) == [422, 422, 422]
    assert wrong_guesses(trust=False) == [422, 422, 429]


def test_sqlite_overwrites_deleted_data(app, db):
    """Purged personal data does not linger in free pages of the SQLite file."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


# --- Guessable or shared keys ------------------------------------------------------------

WEAK_KEYS = [
    "a" * 32,
    "a" * 64,
    "ab" * 16,
    "abababababababababababababababab" + "c",
    "0123456789" * 4,
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "abcdefghijklmnopqrstuvwxyzabcdefghijkl",
    "qwertyuiopasdfghjklzxcvbnm1234567890",
    "password" * 4,
    "changeme-changeme-changeme-changeme",
    "secretkeysecretkey1secretkey2secretkey3",
    "thisismysupersecretkeyforproduction",
    "Tr0ub4dor&3Tr0ub4dor&3Tr0ub4dor&3",
    "correcthorsebatterystaplecorrecthorse",
]


@pytest.mark.parametrize("setting", ["SECRET_KEY", "HASH_KEY"])
@pytest.mark.parametrize("weak", WEAK_KEYS)
def test_production_refuses_guessable_keys(production_env, setting, weak):
    with pytest.raises(RuntimeError, match=setting) as refused:
        create_app(ProductionConfig, **{**_good_settings(), setting: weak})
    assert weak not in str(refused.value)


def test_production_refuses_a_guessable_entry_of_hash_keys(production_env):
    strong = secrets.token_urlsafe(48)
    with pytest.raises(RuntimeError, match="entry 2 of HASH_KEYS"):
        create_app(ProductionConfig, **{**_good_settings(), "HASH_KEYS": [strong, "ab" * 20]})


@pytest.mark.parametrize(
    "strong",
    [
        secrets.token_urlsafe(48),
        secrets.token_urlsafe(24),
        secrets.token_hex(16),
        secrets.token_hex(32),
        base64.b64encode(secrets.token_bytes(32)).decode(),
    ],
)
def test_production_accepts_random_keys(production_env, tmp_path, strong):
    for setting in ("SECRET_KEY", "HASH_KEY"):
        app = create_app(
            ProductionConfig, **{**_good_settings(), setting: strong}, UPLOAD_FOLDER=str(tmp_path)
        )
        assert app.config[setting] == strong


@pytest.mark.database_independent
def test_generated_keys_are_always_accepted():
    from config import secret_weakness

    for _ in range(200):
        assert secret_weakness(secrets.token_urlsafe(48)) is None
        assert secret_weakness(secrets.token_hex(16)) is None
        assert secret_weakness(new_key()) is None


def _reuse(settings: dict, kind: str) -> dict:
    key = settings["ENCRYPTION_KEYS"][0]
    other = secrets.token_urlsafe(48)
    return {
        "secret=hash": {"HASH_KEY": settings["SECRET_KEY"]},
        "secret=encryption": {"SECRET_KEY": key},
        "hash=encryption": {"HASH_KEY": key},
        "hash keys list=secret": {"HASH_KEYS": [other, settings["SECRET_KEY"]]},
        "hash key twice": {"HASH_KEYS": [other, other]},
        "encryption key twice": {"ENCRYPTION_KEYS": [key, key]},
        "padding and spaces": {"HASH_KEY": " " + settings["SECRET_KEY"] + " "},
    }[kind]


@pytest.mark.parametrize(
    "kind",
    [
        "secret=hash",
        "secret=encryption",
        "hash=encryption",
        "hash keys list=secret",
        "hash key twice",
        "encryption key twice",
        "padding and spaces",
    ],
)
def test_production_refuses_one_value_used_as_two_keys(production_env, kind):
    settings = _good_settings()
    settings.update(_reuse(settings, kind))
    with pytest.raises(RuntimeError, match="the same value is used as two keys") as refused:
        create_app(ProductionConfig, **settings)
    for secret in [settings["SECRET_KEY"], *settings["ENCRYPTION_KEYS"]]:
        assert secret.strip() not in str(refused.value)


# --- Rate-limit storage in production ----------------------------------------------------


@pytest.mark.parametrize("workers", [0, 2, 4])
def test_production_refuses_memory_rate_limits_unless_one_worker(production_env, workers):
    settings = {**_good_settings(), "RATELIMIT_STORAGE_URI": "memory://"}
    with pytest.raises(RuntimeError, match=r"RATELIMIT_STORAGE_URI.*WEB_CONCURRENCY=1"):
        create_app(ProductionConfig, **settings, WEB_CONCURRENCY=workers)


def test_production_accepts_memory_rate_limits_with_one_worker(production_env, tmp_path):
    app = create_app(
        ProductionConfig,
        **{**_good_settings(), "RATELIMIT_STORAGE_URI": "memory://"},
        WEB_CONCURRENCY=1,
        UPLOAD_FOLDER=str(tmp_path),
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_web_concurrency_is_read_from_the_environment(monkeypatch):
    import importlib

    import config

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    try:
        assert importlib.reload(config).Config.WEB_CONCURRENCY == 3
    finally:
        monkeypatch.delenv("WEB_CONCURRENCY")
        importlib.reload(config)


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


# One process of the app: builds a production app with the given storage, makes the
# schema, posts ``n`` tracking attempts and prints their status codes.
_TRACKING_PROCESS = """
import json, sys
from flask_migrate import upgrade
from complaints_app import create_app
from config import ProductionConfig
settings = json.loads(sys.argv[1])
app = create_app(ProductionConfig, **settings)
with app.app_context():
    upgrade()
client = app.test_client()
codes = [
    client.post("/track", data={"reference": "TA-2026-0001", "code": "X" * 24}).status_code
    for _ in range(int(sys.argv[2]))
]
print(json.dumps(codes))
"""


def _attempts_in_own_process(settings: dict, n: int) -> list[int]:
    import subprocess
    import sys

    env = {**os.environ, "ALLOW_SQLITE_IN_PRODUCTION": "1", "APP_ENV": "production"}
    out = subprocess.run(
        [sys.executable, "-c", _TRACKING_PROCESS, json.dumps(settings), str(n)],
        cwd=Path(complaints_app.__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.database_independent
@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
@pytest.mark.parametrize(
    ("storage", "workers", "second_process_refused"),
    [("redis://127.0.0.1:6379/13", 0, True), ("memory://", 1, False)],
)
def test_limits_are_shared_between_processes_only_through_redis(
    tmp_path, storage, workers, second_process_refused
):
    """Two processes (two workers or two instances) count tracking attempts together when
    RATELIMIT_STORAGE_URI names Redis; with memory:// each counts alone."""
    import redis

    settings = {
        **_good_settings(),
        "RATELIMIT_STORAGE_URI": storage,
        "WEB_CONCURRENCY": workers,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "TRACK_LIMIT_PER_CLIENT": "3 per hour",
        "WTF_CSRF_ENABLED": False,
    }
    # A Redis database of its own, emptied first, so nothing else's counts mix in.
    store = redis.Redis(host="127.0.0.1", port=6379, db=13)
    store.flushdb()
    try:
        first = _attempts_in_own_process(settings, 2)
        second = _attempts_in_own_process(settings, 2)
    finally:
        store.flushdb()
    assert HTTPStatus.TOO_MANY_REQUESTS not in first
    assert second[0] != HTTPStatus.TOO_MANY_REQUESTS
    assert (second[1] == HTTPStatus.TOO_MANY_REQUESTS) is second_process_refused


# --- Files that only the app's user can read --------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_database_and_its_folders_are_owner_only(tmp_path, monkeypatch):
    monkeypatch.setattr(complaints_app, "INSTANCE_DIR", tmp_path / "instance")
    database = tmp_path / "data" / "deeper" / "dev.sqlite3"
    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    assert _mode(database) == 0o600
    assert _mode(database.parent) == 0o700 and _mode(database.parent.parent) == 0o700
    # SQLite gives its write-ahead log the database file's mode.
    for side in database.parent.glob("dev.sqlite3-*"):
        assert _mode(side) == 0o600, side.name
    # The secrets generated for development, and their folder.
    assert _mode(tmp_path / "instance" / "secrets.json") == 0o600
    assert _mode(tmp_path / "instance") == 0o700


def test_uploaded_and_pending_files_are_owner_only(app, client, upload_dir):
    from tests.helpers import jpeg_with_gps, open_form, valid_complaint

    hidden = open_form(client)
    # A form with a mistake keeps its file aside for the corrected post...
    kept = post_complaint(
        client, valid_complaint(consent=None), files=[(jpeg_with_gps(), "a.jpg")], hidden=hidden
    )
    assert kept.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    pending = list((upload_dir / "pending").rglob("*"))
    assert pending
    for path in pending:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
    # ...and the filed case stores its evidence (the kept files go once it is filed).
    post_complaint(client, files=[(jpeg_with_gps(), "b.jpg")])
    stored = [p for p in upload_dir.rglob("*") if "pending" not in p.parts]
    assert any(p.is_file() for p in stored)
    for path in [upload_dir, *stored]:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path
