"""A form refused for its CSRF token (an expired session, a token from another page) is
shown again with everything typed in it, and a clear message; it is never acted on.

The refused request is handed back to its own view with a flag set. The view's form fails
validation on the same token (Flask-WTF checks it again inside every form), so the view
takes its "please correct the form" path and draws the form with the posted values. Two
guards make sure nothing happens that a valid token would have been needed for: any commit
of the database session raises, and any change to the signed session other than a fresh
CSRF token is undone. If either trips, or the view cannot draw its form, a plain page says
what happened and shows the text that was typed, so it can be copied.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, current_app, flash, g, has_request_context, request, session
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from complaints_app.extensions import db

MESSAGE = _l(
    "Nothing was sent: this form had expired or came from another page. Everything you typed "
    "is still here. Check it and send it again."
)
# Fields that are not what a person typed, or that must never be shown back.
NOT_TYPED = frozenset(
    {"csrf_token", "password", "code", "submission_token", "version", "seen_seq", "lang", "next"}
)


class CommitRefused(RuntimeError):
    """A view tried to commit while answering a request whose CSRF token was refused."""


def _refuse_commit(_session: Session) -> None:
    if has_request_context() and g.get("csrf_refused"):
        raise CommitRefused


def _guard_commits() -> None:
    if not event.contains(Session, "before_commit", _refuse_commit):
        event.listen(Session, "before_commit", _refuse_commit)


def typed_text() -> list[str]:
    """The non-empty text values of the posted form that a person typed (never passwords,
    codes or tokens)."""
    values: list[str] = []
    for key in request.form:
        if key in NOT_TYPED or key.endswith(("-version", "-seen_seq", "csrf_token")):
            continue
        values.extend(v for v in request.form.getlist(key) if len(v.strip()) > 1)
    return values


# A fresh CSRF token, the message, and Flask-Login's note that nobody is freshly signed in
# are what drawing any page may add to a session; everything else is a change of state.
BOOKKEEPING = frozenset({"csrf_token", "_flashes", "_fresh"})


def _state() -> dict:
    return {k: v for k, v in session.items() if k not in BOOKKEEPING}


def replay() -> Response | None:
    """The refused request's own page, drawn by its view without acting on it, or None when
    the view could not draw it safely (the caller then shows :func:`typed_text`)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.method != "POST":
        return None
    _guard_commits()
    saved = dict(session)
    before = _state()
    g.csrf_refused = True
    flash(str(MESSAGE))
    try:
        response = current_app.make_response(view(**(request.view_args or {})))
    except Exception:
        response = None
    finally:
        g.csrf_refused = False
    db.session.rollback()
    if response is not None and response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR:
        from complaints_app.services import casework

        casework.record_reads_again()
    unsafe = (
        response is None
        or response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR
        or _state() != before
        or (300 <= response.status_code < 400 and typed_text())
    )
    if unsafe:
        session.clear()
        session.update(saved)
        request_ctx.flashes = None  # the message drawn into the discarded page goes with it
        return None
    if not 300 <= response.status_code < 400:
        # The page is the form again, but the request itself was refused.
        response.status_code = HTTPStatus.BAD_REQUEST
    return response
