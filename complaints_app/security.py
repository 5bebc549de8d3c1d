"""Response headers that hold on every page, redirect targets that stay on the site, and
proxy handling."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from flask import Flask, Response, current_app, g
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

PERMISSIONS = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), "
    "browsing-topics=()"
)


def no_store() -> None:
    """Mark the current response as holding personal data: never cached anywhere."""
    g.no_store = True


MAX_REDIRECT_LENGTH = 2048
# Control characters (CR/LF split headers), any whitespace (browsers strip or ignore some of
# it: " //evil" and "/\t/evil" become "//evil") and backslashes (read as slashes).
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def _decoded(path: str) -> str:
    """``path`` percent-decoded until it no longer changes (bounded): what a proxy, a server
    or a browser that decodes once more might act on."""
    for _ in range(4):
        once = unquote(path)
        if once == path:
            break
        path = once
    return path


def safe_next(target: object) -> str | None:
    """``target`` as a local path (with its query) that a GET on this site answers, or None.

    The one check for every redirect whose target comes from a request (sign-in ``next``, the
    language switcher): only a single leading slash followed by a path of this app's routes
    passes. Schemes, hosts, protocol-relative and backslash forms, whitespace and control
    characters, non-ASCII look-alikes (full-width slashes), dot segments and encoded slashes
    are refused, raw or percent-encoded, and so is anything longer than MAX_REDIRECT_LENGTH."""
    if not isinstance(target, str) or not target or len(target) > MAX_REDIRECT_LENGTH:
        return None
    if not target.isascii() or _UNSAFE.search(target):
        return None
    path, _, query = target.partition("#")[0].partition("?")
    plain = _decoded(path)
    if not plain.startswith("/") or "//" in plain or _UNSAFE.search(plain):
        return None
    if not plain.isascii() or any(part in (".", "..") for part in plain.split("/")):
        return None
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(plain, method="GET")
    except RequestRedirect:
        pass  # e.g. a missing trailing slash: still a page of this site
    except HTTPException:
        return None
    return f"{path}?{query}" if query else path


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # Every asset is served by the app itself, so nothing from elsewhere may be embedded.
    headers["Cross-Origin-Embedder-Policy"] = "require-corp"
    headers["Permissions-Policy"] = PERMISSIONS
    headers["X-Frame-Options"] = "DENY"
    if g.get("no_store"):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response; trust one proxy hop only when told to. The
    development server's request log names client addresses, so it is kept quiet."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app.after_request(_headers)
    if app.config.get("ENV_NAME") == "production":

        @app.after_request
        def _hsts(response: Response) -> Response:
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
            return response

    if app.config.get("TRUST_PROXY"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
