"""Response headers that hold on every page, and proxy handling."""

from __future__ import annotations

import logging

from flask import Flask, Response, g
from werkzeug.middleware.proxy_fix import ProxyFix

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


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
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
