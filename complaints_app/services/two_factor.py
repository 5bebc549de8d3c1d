"""Second factor: TOTP (RFC 6238) with codes accepted once, and one-time recovery codes.

The secret is encrypted at rest; nobody, admin included, can read it back after enrolment.
The QR code is drawn by the app itself, so the secret never leaves the server.
"""

from __future__ import annotations

import io
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import select

from complaints_app.crypto import keyed_hash, open_text, seal_text
from complaints_app.extensions import db
from complaints_app.models import AccountEvent, AccountEventKind, RecoveryCode, User
from complaints_app.services import audit
from complaints_app.timeutil import utcnow

RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def required_for(user: User) -> bool:
    """Whether this user's role must use a second factor."""
    return user.role.value in current_app.config["TOTP_REQUIRED_ROLES"] or user.totp_required


def new_secret() -> str:
    """A fresh 160-bit TOTP secret (base32)."""
    return pyotp.random_base32(32)


def seal_pending(user: User, secret: str) -> str:
    """The secret being enrolled, sealed for the session until the first code confirms it."""
    return seal_text(secret, "user", "pending_totp", user.id)


def open_pending(user: User, sealed: str) -> str:
    return open_text(sealed, "user", "pending_totp", user.id)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    issuer = f"{current_app.config['CITY_NAME']} {current_app.config['OFFICE_NAME']}"
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg(uri: str) -> bytes:
    """The QR code as an SVG document, drawn here: no outside service sees the secret."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=True)
    return out.getvalue()


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    code = "".join(ch for ch in code or "" if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = now or time.time()
    current = int(now // totp.interval)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def verify(user: User, code: str, *, secret: str | None = None, now: float | None = None) -> bool:
    """Check a TOTP code; a code (time step) already used is refused, so each works once."""
    secret = secret or user.totp_secret
    if not secret:
        return False
    step = _matching_step(secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def _hash_recovery(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return keyed_hash("recovery-code", normalised)


def enroll(user: User, secret: str, code: str) -> list[str] | None:
    """Finish enrolment with a first valid code: store the secret sealed and return new
    recovery codes (shown once). None when the code is wrong."""
    if not verify(user, code, secret=secret):
        return None
    user.totp_secret = secret
    codes = _new_recovery_codes(user)
    audit.seal_account_event(
        AccountEvent(user_id=user.id, actor_id=user.id, kind=AccountEventKind.TWO_FACTOR_ENROLLED)
    )
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    for old in db.session.execute(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id)
    ).scalars():
        db.session.delete(old)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(raw)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Accept an unused recovery code once."""
    row = db.session.execute(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery(code),
            RecoveryCode.used_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = utcnow()
    audit.seal_account_event(
        AccountEvent(user_id=user.id, actor_id=user.id, kind=AccountEventKind.RECOVERY_CODE_USED)
    )
    return True


def reset(user: User, actor: User) -> None:
    """Remove a user's second factor (they enrol again at next sign-in); recorded."""
    user.totp_secret_ct = None
    user.totp_last_step = None
    for old in db.session.execute(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id)
    ).scalars():
        db.session.delete(old)
    user.session_epoch += 1
    audit.seal_account_event(
        AccountEvent(user_id=user.id, actor_id=actor.id, kind=AccountEventKind.TWO_FACTOR_RESET)
    )
