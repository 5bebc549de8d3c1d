"""Server-side session grants: open, check (with idle and absolute limits), revoke, purge.

A grant is what makes a signed session cookie worth anything. The cookie carries a random
token; the database keeps only its keyed hash. Every worker and every instance reads the same
table, so a grant revoked by one (sign-out, leaving a case) is refused by all of them at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from complaints_app.extensions import db
from complaints_app.models import Complaint, GrantKind, SessionGrant, User
from complaints_app.timeutil import utcnow

# How stale ``last_seen_at`` may get before a request writes it again: idle limits are
# minutes long, so a write at most every few seconds keeps them exact enough without a
# database write on every request.
TOUCH_SECONDS = 15
TOKEN_BYTES = 32


def limits(kind: GrantKind) -> tuple[timedelta, timedelta]:
    """The idle and the absolute limit of a kind of grant, from the settings."""
    cfg = current_app.config
    if kind == GrantKind.STAFF:
        return (
            timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]),
            timedelta(hours=cfg["SESSION_MAX_HOURS"]),
        )
    return (
        timedelta(minutes=cfg["TRACK_IDLE_MINUTES"]),
        timedelta(minutes=cfg["TRACK_MAX_MINUTES"]),
    )


def _hash(token: str) -> str:
    key = current_app.config["HASH_KEY"].encode()
    return hmac.new(key, b"session-grant\x1f" + token.encode(), hashlib.sha256).hexdigest()


def open_grant(
    kind: GrantKind, *, user: User | None = None, complaint: Complaint | None = None
) -> str:
    """Record a new grant for ``user`` (staff) or ``complaint`` (track) and return the token
    for the cookie. Expired and revoked grants are swept on the way. Flushes."""
    now = utcnow()
    _idle, absolute = limits(kind)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    purge_expired(now)
    db.session.add(
        SessionGrant(
            token_hash=_hash(token),
            kind=kind,
            user_id=user.id if user is not None else None,
            complaint_id=complaint.id if complaint is not None else None,
            created_at=now,
            last_seen_at=now,
            expires_at=now + absolute,
        )
    )
    db.session.flush()
    return token


def check(kind: GrantKind, token: object) -> SessionGrant | None:
    """The live grant of ``kind`` behind ``token``, or None when there is none, it was
    revoked, or it passed its idle or absolute limit. A live grant's last-seen time moves
    on (flushed, for the caller to commit)."""
    if not isinstance(token, str) or not token or len(token) > 2 * TOKEN_BYTES:
        return None
    grant = db.session.execute(
        select(SessionGrant).where(
            SessionGrant.token_hash == _hash(token), SessionGrant.kind == kind
        )
    ).scalar_one_or_none()
    if grant is None or grant.revoked_at is not None:
        return None
    now = utcnow()
    idle, _absolute = limits(kind)
    if now >= grant.expires_at or now - grant.last_seen_at > idle:
        return None
    if now - grant.last_seen_at > timedelta(seconds=TOUCH_SECONDS):
        grant.last_seen_at = now
        db.session.flush()
    return grant


def revoke(token: object) -> None:
    """Refuse ``token`` from now on, wherever it is replayed. Flushes."""
    if not isinstance(token, str) or not token:
        return
    db.session.execute(
        update(SessionGrant)
        .where(SessionGrant.token_hash == _hash(token), SessionGrant.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def purge_expired(now: datetime | None = None) -> int:
    """Delete every grant that can no longer open anything (revoked, past its absolute limit,
    or idle too long); returns how many. Flushes."""
    now = now or utcnow()
    idle_staff, _ = limits(GrantKind.STAFF)
    idle_track, _ = limits(GrantKind.TRACK)
    result = db.session.execute(
        delete(SessionGrant).where(
            or_(
                SessionGrant.revoked_at.is_not(None),
                SessionGrant.expires_at <= now,
                and_(
                    SessionGrant.kind == GrantKind.STAFF,
                    SessionGrant.last_seen_at < now - idle_staff,
                ),
                and_(
                    SessionGrant.kind == GrantKind.TRACK,
                    SessionGrant.last_seen_at < now - idle_track,
                ),
            )
        )
    )
    return result.rowcount or 0
