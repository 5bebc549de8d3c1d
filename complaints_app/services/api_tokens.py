"""Personal access tokens: issued to an advocate, shown once, checked on every API request.

A token reads ``ta_<public id>_<secret>``. The public id (not secret) finds the row; the
secret is compared with its stored keyed hash in constant time. A revoked or expired token,
or one whose account was deactivated or is no longer an advocate's, opens nothing from the
very next request: nothing about a token is cached between requests.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from complaints_app.crypto import keyed_hash, keyed_hash_matches
from complaints_app.extensions import db
from complaints_app.models import ApiToken, Role, TokenScope, User
from complaints_app.timeutil import utcnow

PURPOSE = "api-token"
PREFIX = "ta"
DEFAULT_DAYS = 90
MAX_DAYS = 366
NAME_MAX = 80
# Writing the last use on every request would make each read a write: once a minute is enough.
TOUCH_EVERY = timedelta(minutes=1)
_TOKEN_RE = re.compile(r"^ta_([a-z0-9]{16})_([A-Za-z0-9_-]{40,64})$")
# Compared against when the public id names no token, so both failures take the same path.
_NO_TOKEN = "00000000$" + "0" * 64


class TokenError(ValueError):
    """A token that cannot be issued; the message is for the person asking."""


def issue(
    user: User, name: str, scope: TokenScope, days: int = DEFAULT_DAYS
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its text, which is shown once and never stored. Flushes."""
    name = " ".join((name or "").split())
    if user.role != Role.ADVOCATE or not user.active or user.organisation_id is None:
        raise TokenError(_("Only active advocates of an organisation can have API tokens."))
    if not name:
        raise TokenError(_("Give the token a name, such as the script that will use it."))
    if len(name) > NAME_MAX:
        raise TokenError(_("Please keep the name under %(n)s characters.", n=NAME_MAX))
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(_("A token lasts from 1 to %(n)s days.", n=MAX_DAYS))
    public_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        public_id=public_id,
        secret_hash=keyed_hash(PURPOSE, secret),
        user_id=user.id,
        name=name,
        scope=scope,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    return token, f"{PREFIX}_{public_id}_{secret}"


def authenticate(text: str) -> ApiToken | None:
    """The live token ``text`` names, or None: unknown, wrong secret, revoked, expired, or its
    account inactive or no longer an advocate of an organisation."""
    match = _TOKEN_RE.match(text or "")
    public_id, secret = match.groups() if match else ("", "")
    token = None
    if public_id:
        token = db.session.execute(
            select(ApiToken).where(ApiToken.public_id == public_id)
        ).scalar_one_or_none()
    stored = token.secret_hash if token is not None else _NO_TOKEN
    if not keyed_hash_matches(PURPOSE, secret, stored) or token is None:
        return None
    if token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    user = token.user
    if not user.active or user.role != Role.ADVOCATE or user.organisation_id is None:
        return None
    return token


def touch(token: ApiToken) -> None:
    """Record that ``token`` was used, at most once a minute. Flushes."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    # A plain UPDATE: two requests at once both succeed, whichever time lands is right.
    db.session.execute(
        update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now),
        execution_options={"synchronize_session": False},
    )


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included."""
    return list(
        db.session.execute(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        ).scalars()
    )


def token_of(user: User, token_id: int) -> ApiToken | None:
    """One of the user's own tokens; None for anyone else's."""
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None


def revoke(token: ApiToken) -> None:
    """Stop ``token`` working from the next request on. Flushes."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
