"""Password rules (length and a common-password list, no composition rules) and argon2id."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _

MIN_LENGTH = 15
MAX_LENGTH = 128
COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@cache
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    # Verified against when the account does not exist, so a wrong email costs as much time.
    return hasher, hasher.hash("not-a-real-password-for-timing")


def _hasher() -> tuple[PasswordHasher, str]:
    """argon2id with the configured cost (by default the library's recommended profile)."""
    cfg = current_app.config
    return _hasher_for(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_KIB"], cfg["ARGON2_PARALLELISM"])


@cache
def _common() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def _is_repetition(password: str) -> bool:
    lowered = password.lower()
    for size in range(1, len(lowered) // 2 + 1):
        if len(lowered) % size == 0 and lowered[:size] * (len(lowered) // size) == lowered:
            return True
    return False


def problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new password, in the user's language; empty when it is fine."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(
            _("Use at least %(n)s characters. A few unrelated words work well.", n=MIN_LENGTH)
        )
    if len(password) > MAX_LENGTH:
        found.append(_("Use at most %(n)s characters.", n=MAX_LENGTH))
    lowered = password.lower()
    local = email.split("@", 1)[0].lower()
    # A common word or a repetition padded with digits or symbols is no better on its own.
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?~ ")
    if (
        lowered in _common()
        or _is_repetition(password)
        or (core and (core in _common() or _is_repetition(core)))
        or any(lowered == word * 2 or lowered == word + word[::-1] for word in (local,) if word)
        or (local and len(local) >= 4 and local in lowered and len(lowered) - len(local) < 8)
    ):
        found.append(_("This password is too common or too easy to guess. Choose another."))
    return found


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher()[0].hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; takes the same time when there is no account."""
    try:
        hasher, dummy = _hasher()
        return hasher.verify(stored_hash or dummy, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with older parameters and should be replaced on sign-in."""
    return _hasher()[0].check_needs_rehash(stored_hash)
