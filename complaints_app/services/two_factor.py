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
from sqlalchemy import or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from complaints_app.crypto import keyed_hash, keyed_hash_candidates, open_text, seal_text
from complaints_app.extensions import db
from complaints_app.models import AccountEventKind, RecoveryCode, User
from complaints_app.services.accounts import record_event
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


def verify(user: User, code: str, *, now: float | None = None) -> bool:
    """Check a TOTP code against the enrolled secret; each time step is accepted once.

    The step is recorded with one conditional UPDATE that only succeeds while the stored
    step is older, so two sign-ins racing with the same code cannot both pass: on
    PostgreSQL the second UPDATE waits for the first transaction and then matches no row;
    on SQLite writers are serialised. The caller commits (or rolls back on failure)."""
    secret = user.totp_secret
    if not secret:
        return False
    step = _matching_step(secret, code, now)
    if step is None:
        return False
    result = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash_recovery(code: str) -> str:
    return keyed_hash("recovery-code", _normalise_recovery(code))


def _recovery_candidates(code: str) -> list[str]:
    # Codes handed out before a hash-key rotation still work while the old key is listed.
    return keyed_hash_candidates("recovery-code", _normalise_recovery(code))


def enroll(user: User, secret: str, code: str) -> list[str] | None:
    """Finish (re-)enrolment with a first valid code of the new secret: store the secret
    sealed, return new recovery codes (shown once) and end every other session of the
    account (the caller signs the current one in again). None when the code is wrong.

    Whoever replaces an existing factor must have proved the password and the old factor
    first (the view asks for both)."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    replacing = user.totp_secret_ct is not None
    user.totp_secret = secret
    # A step of the new secret: its enrolment code cannot be used again to sign in.
    user.totp_last_step = max(step, user.totp_last_step or 0)
    user.session_epoch += 1
    codes = _new_recovery_codes(user)
    kind = (
        AccountEventKind.TWO_FACTOR_REPLACED if replacing else AccountEventKind.TWO_FACTOR_ENROLLED
    )
    record_event(user, kind, actor=user)
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
    """Accept an unused recovery code once, even when two requests race with it (one
    conditional UPDATE marks it used)."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash.in_(_recovery_candidates(code)),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    record_event(user, AccountEventKind.RECOVERY_CODE_USED, actor=user)
    return True


def check_current_factor(user: User, code: str) -> bool:
    """A code of the enrolled secret or an unused recovery code (spent either way)."""
    code = (code or "").strip()
    return verify(user, code) or (
        len(code.replace("-", "")) == 10 and use_recovery_code(user, code)
    )


def reset(user: User, actor: User | None, *, data: dict | None = None) -> None:
    """Remove a user's second factor and recovery codes (they enrol again) and end every
    session; recorded. Only one-time links approved where needed call this."""
    user.totp_secret_ct = None
    user.totp_last_step = None
    for old in db.session.execute(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id)
    ).scalars():
        db.session.delete(old)
    user.session_epoch += 1
    record_event(user, AccountEventKind.TWO_FACTOR_RESET, actor=actor, data=data)


def code_matches(secret: str, code: str) -> bool:
    """Whether ``code`` is a current code of ``secret`` (records nothing)."""
    return _matching_step(secret, code) is not None
