"""Error pages: generic, in the user's language, never a stack trace; failures roll back."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from complaints_app import form_retry
from complaints_app.api import problems
from complaints_app.extensions import db
from complaints_app.security import no_store

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Something in the request was not right"), _l("Please go back and try again.")),
    403: (_l("You cannot open this page"), _l("Your account does not allow this.")),
    404: (
        _l("Page not found"),
        _l("The address may be mistyped, or the page may have moved."),
    ),
    405: (_l("Something in the request was not right"), _l("Please go back and try again.")),
    413: (
        _l("The files are too large"),
        _l("Please go back and attach fewer or smaller files."),
    ),
    429: (
        _l("Too many attempts"),
        _l("For your safety we paused this for a while. Please try again later."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you sent was saved. Please try again in a few minutes."),
    ),
}


def render_error(code: int, detail: str | None = None, typed: list[str] | None = None):
    """An error page in the user's language with the given status; ``typed`` is text the
    person sent, shown back so that it can be copied."""
    title, text = MESSAGES.get(code, MESSAGES[500])
    return render_template(
        "errors/error.html", code=code, title=title, text=detail or text, typed=typed or []
    ), code


def init_app(app: Flask) -> None:
    """Register handlers; every failure rolls back the session before the page is drawn."""

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError):
        """The form again, with what was typed and a message; never the action itself."""
        db.session.rollback()
        if request.path.startswith("/api/"):
            return problems.problem_response("bad-request")
        response = form_retry.replay()
        if response is not None:
            return response
        no_store()
        return render_error(
            400,
            str(
                _l(
                    "Nothing was sent: this form had expired or was sent from another page. "
                    "Please go back, reload the page and send it again."
                )
            ),
            typed=form_retry.typed_text(),
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        db.session.rollback()
        if request.path.startswith("/api/"):
            return problems.from_exception(error)
        code = error.code or 500
        if code not in MESSAGES:
            return error
        return render_error(code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        # The exception type only: messages and tracebacks can carry personal data.
        log.error("unhandled %s on %s %s", type(error).__name__, request.method, request.url_rule)
        if request.path.startswith("/api/"):
            return problems.problem_response("internal-error")
        return render_error(500)
