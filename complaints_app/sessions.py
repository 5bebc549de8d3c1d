"""The browser's side of server-side sessions: which key of the signed cookie holds which
kind of grant, and starting, checking and ending them for the current request."""

from __future__ import annotations

from flask import session

from complaints_app.models import Complaint, GrantKind, SessionGrant, User
from complaints_app.services import session_grants

KEYS = {GrantKind.STAFF: "staff_grant", GrantKind.TRACK: "tracked_case"}


def start(kind: GrantKind, *, user: User | None = None, complaint: Complaint | None = None) -> None:
    """Open a grant of ``kind`` for this browser, ending the one it had. Flushes."""
    end(kind)
    session[KEYS[kind]] = session_grants.open_grant(kind, user=user, complaint=complaint)


def current(kind: GrantKind) -> SessionGrant | None:
    """This browser's live grant of ``kind``; a dead one is forgotten. Flushes a touch."""
    token = session.get(KEYS[kind])
    if token is None:
        return None
    grant = session_grants.check(kind, token)
    if grant is None:
        session.pop(KEYS[kind], None)
    return grant


def end(kind: GrantKind) -> None:
    """Revoke this browser's grant of ``kind`` on the server and forget it. Flushes."""
    session_grants.revoke(session.pop(KEYS[kind], None))


def end_all() -> None:
    """Revoke every grant this browser holds (before its session is cleared). Flushes."""
    for kind in KEYS:
        end(kind)
