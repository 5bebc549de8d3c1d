"""Browser fixtures: the app served by a real HTTP server on a free port, on the database the
suite uses, and Debian's Chromium driven by Playwright (one browser for the whole run, a
fresh context per visitor). Every page visited is photographed at 375 and 1280 pixels.

`make test` runs these in its SQLite run only: they check what a browser sees (markup,
styles, focus, forms), which does not depend on the database, and the PostgreSQL run already
covers every query through the test client. They work on PostgreSQL too
(``TEST_POSTGRES_SERVER=… pytest tests/browser``).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from complaints_app import PROJECT_ROOT
from complaints_app.models import Role, User
from tests.staff.conftest import PASSWORD, make_user  # noqa: F401 — a fixture used here

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Playwright must never look for a browser of its own: every launch names Debian's.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", PROJECT_ROOT / "instance" / "screenshots"))
WIDTHS = (375, 1280)
DESKTOP = {"width": 1280, "height": 800}


def in_ci() -> bool:
    return bool(os.environ.get("REQUIRE_POSTGRES")) or os.environ.get("CI") == "true"


@pytest.hookimpl(tryfirst=True)  # before `-m "not browser"` selects
def pytest_collection_modifyitems(items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _missing(what: str) -> None:
    message = f"{what}: run `make test` (it installs what the browser tests need)"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """Requests are not logged: the suite's output stays readable."""


@dataclass
class LiveServer:
    url: str
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The app behind a threaded HTTP server on 127.0.0.1 and a free port. Answers of 500 and
    above are recorded, so a test fails on a server error even if the page looked fine."""
    live = LiveServer(url="")

    def recording(environ, start_response):
        def start(status, headers, exc_info=None):
            if int(status.split(" ", 1)[0]) >= 500:
                live.failures.append(
                    f"{status} for {environ['REQUEST_METHOD']} {environ['PATH_INFO']}"
                )
            return start_response(status, headers, exc_info)

        try:
            return app.wsgi_app(environ, start)
        except Exception as exc:
            live.failures.append(f"{exc!r} for {environ['PATH_INFO']}")
            raise

    server = make_server("127.0.0.1", 0, recording, threaded=True, request_handler=_QuietHandler)
    live.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, launched once for the whole run."""
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        _missing(f"axe-core is not installed at {AXE_JS}")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session", autouse=True)
def _fresh_screenshots() -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)


class Screenshots:
    """Full-page pictures of each page visited, at a phone's width and a desktop's."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def take(self, page, name: str, widths: tuple[int, ...] = WIDTHS) -> None:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80]
        before = page.viewport_size or DESKTOP
        for width in widths:
            page.set_viewport_size({"width": width, "height": before["height"]})
            page.screenshot(
                path=str(self.folder / f"{self.count:03d}-{slug}-{width}.png"), full_page=True
            )
        page.set_viewport_size(before)


@pytest.fixture
def shots(request) -> Screenshots:
    return Screenshots(SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name))


@pytest.fixture
def new_context(browser, live_server, db) -> Iterator[Callable[..., object]]:
    """Open a browser context (its own cookies) on the live server; all closed afterwards.
    Closed before the tables are emptied, so no request is still running then."""
    opened = []

    def open_context(**options):
        # On SQLite a transaction the test left open would hold the write lock the server
        # needs: end it before the browser starts.
        db.session.rollback()
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    live_server.failures.clear()
    yield open_context
    for context in opened:
        context.close()
    assert not live_server.failures, "the server failed: " + "; ".join(live_server.failures)


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form, as a person would."""
    page.goto("/login")
    # By the fields' ids, not their labels: the page may be in any language.
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{email} could not sign in: {page.url}"


@pytest.fixture
def staff_page(new_context, make_user, db) -> Callable[..., tuple[object, User]]:  # noqa: F811
    """A page signed in as a new account of ``role`` (or as ``user``)."""

    def open_as(role: Role | None = None, user: User | None = None, **options):
        user = user or make_user(role)
        email = user.email
        db.session.rollback()  # SQLite: hold no lock while the server works
        page = new_context(**options).new_page()
        sign_in(page, email)
        return page, user

    return open_as
