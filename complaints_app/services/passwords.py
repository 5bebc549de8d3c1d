"""Password rules (length, a common-password list and zxcvbn's guess estimate; no
composition rules) and argon2id."""

from __future__ import annotations

import re
import threading
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

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


# zxcvbn's advice, in English in the library, offered to translators here.
_TRANSLATED = {
    "Use a few words, avoid common phrases.": _l("Use a few words, avoid common phrases."),
    "No need for symbols, digits, or uppercase letters.": _l(
        "No need for symbols, digits, or uppercase letters."
    ),
    "Add another word or two. Uncommon words are better.": _l(
        "Add another word or two. Uncommon words are better."
    ),
    "Straight rows of keys are easy to guess.": _l("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.": _l("Short keyboard patterns are easy to guess."),
    "Use a longer keyboard pattern with more turns.": _l(
        "Use a longer keyboard pattern with more turns."
    ),
    'Repeats like "aaa" are easy to guess.': _l('Repeats like "aaa" are easy to guess.'),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': _l(
        'Repeats like "abcabcabc" are only slightly harder to guess than "abc".'
    ),
    "Avoid repeated words and characters.": _l("Avoid repeated words and characters."),
    'Sequences like "abc" or "6543" are easy to guess.': _l(
        'Sequences like "abc" or "6543" are easy to guess.'
    ),
    "Avoid sequences.": _l("Avoid sequences."),
    "Recent years are easy to guess.": _l("Recent years are easy to guess."),
    "Avoid recent years.": _l("Avoid recent years."),
    "Avoid years that are associated with you.": _l("Avoid years that are associated with you."),
    "Dates are often easy to guess.": _l("Dates are often easy to guess."),
    "Avoid dates and years that are associated with you.": _l(
        "Avoid dates and years that are associated with you."
    ),
    "This is a top-10 common password.": _l("This is a top-10 common password."),
    "This is a top-100 common password.": _l("This is a top-100 common password."),
    "This is a very common password.": _l("This is a very common password."),
    "This is similar to a commonly used password.": _l(
        "This is similar to a commonly used password."
    ),
    "A word by itself is easy to guess.": _l("A word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.": _l(
        "Names and surnames by themselves are easy to guess."
    ),
    "Common names and surnames are easy to guess.": _l(
        "Common names and surnames are easy to guess."
    ),
    "Capitalization doesn't help very much.": _l("Capitalization doesn't help very much."),
    "All-uppercase is almost as easy to guess as all-lowercase.": _l(
        "All-uppercase is almost as easy to guess as all-lowercase."
    ),
    "Reversed words aren't much harder to guess.": _l(
        "Reversed words aren't much harder to guess."
    ),
    "Predictable substitutions like '@' instead of 'a' don't help very much.": _l(
        "Predictable substitutions like '@' instead of 'a' don't help very much."
    ),
}
# zxcvbn keeps the user's own words in a module-level dictionary: one check at a time.
_ZXCVBN_LOCK = threading.Lock()


def _personal_words(email: str, display_name: str) -> list[str]:
    """The account's own words (email, its parts, the name) that a password must not lean on."""
    words: set[str] = set()
    for text in (email, display_name):
        text = text.strip().lower()
        if not text:
            continue
        words.add(text)
        local = text.split("@", 1)[0]
        parts = [p for p in re.split(r"[^0-9a-z]+", local) if p]
        words.update({local, "".join(parts), *parts})
        if "@" in text:
            # Domain parts, but not endings like "org" that hide inside ordinary words.
            words.update(p for p in re.split(r"[^0-9a-z]+", text.split("@", 1)[1]) if len(p) > 3)
    return sorted(w for w in words if len(w) >= 3)


def _mostly_personal(password: str, words: list[str]) -> bool:
    """Whether the password is little more than the account's own words: what is left after
    removing them (and digits, punctuation) is too short to matter."""
    rest = password.lower()
    for word in sorted(words, key=len, reverse=True):
        rest = rest.replace(word, " ")
    return len(re.sub(r"[^a-z]", "", rest)) < 10


def _strength_problems(password: str, email: str, display_name: str) -> list[str]:
    cfg = current_app.config
    personal = _personal_words(email, display_name)
    inputs = personal + [
        w.lower() for w in (cfg["CITY_NAME"], cfg["OFFICE_NAME"], cfg["POLICY_TITLE"]) if w
    ]
    with _ZXCVBN_LOCK:
        result = zxcvbn(password, user_inputs=inputs, max_length=MAX_LENGTH)
    leans_on_own_words = any(
        m.get("dictionary_name") == "user_inputs" for m in result["sequence"]
    ) or (personal and _mostly_personal(password, personal))
    if result["score"] >= cfg["PASSWORD_MIN_SCORE"] and not leans_on_own_words:
        return []
    found = []
    if leans_on_own_words:
        found.append(_("Do not build it from your name, your email address or the office's name."))
    feedback = result["feedback"]
    for message in [feedback.get("warning"), *feedback.get("suggestions", [])]:
        if message:
            found.append(str(_TRANSLATED.get(message, message)))
    if len(found) <= 1:
        found.append(_("Use a few words, avoid common phrases."))
    return found


def problems(password: str, email: str = "", display_name: str = "") -> list[str]:
    """What is wrong with a new password, in the user's language; empty when it is fine.

    Beside length and the common list, zxcvbn must estimate it at least
    ``PASSWORD_MIN_SCORE`` (0–4) knowing the account's email and name; its advice is passed
    on so that people can choose better, not just try again."""
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
    if len(password) <= MAX_LENGTH:
        advice = _strength_problems(password, email, display_name)
        if advice and not found:
            found.append(_("This password would be easy to guess."))
        found.extend(advice)
    return found


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher()[0].hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; takes the same time when there is no account or the
    account has no password yet."""
    if stored_hash is not None and not stored_hash.startswith("$argon2"):
        stored_hash = None
    try:
        hasher, dummy = _hasher()
        return hasher.verify(stored_hash or dummy, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with older parameters and should be replaced on sign-in."""
    return _hasher()[0].check_needs_rehash(stored_hash)
