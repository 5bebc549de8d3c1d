"""Case references and tracking codes.

A tracking code is 120 random bits written as 24 characters of Crockford's base32 in groups of
four (no I, L, O or U, so it reads aloud without confusion). It is shown once and stored only as
a keyed hash. It is derived from the form's one-time submission token, so posting the same form
twice shows the same receipt without the code ever being stored.
"""

from __future__ import annotations

import logging
import re
import secrets

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from complaints_app.crypto import (
    hash_key_configured,
    keyed_digest,
    keyed_hash,
    keyed_hash_candidates,
    keyed_hash_matches,
    keyed_hash_version,
)
from complaints_app.extensions import db
from complaints_app.models import Complaint, ReferenceCounter
from complaints_app.references import REFERENCE_RE, normalise_reference  # also read from here

log = logging.getLogger(__name__)

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 24
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Compared against when the reference names no case, so both failures take the same path.
_NO_CASE = "00000000$" + "0" * 64


def new_submission_token() -> str:
    """A one-time token for a blank form (256 random bits)."""
    return secrets.token_urlsafe(32)


def _encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(CODE_CHARS):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def code_for_token(token: str, version: str | None = None) -> str:
    """The tracking code belonging to a submission token, grouped for reading aloud; derived
    under the hash key ``version`` (the newest by default), the key that filed the case."""
    raw = keyed_digest("tracking-code", token, version)[:15]
    code = _encode(raw)
    return "-".join(code[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalise_code(text: str) -> str:
    """What the resident typed, without spaces or dashes, with look-alike letters mapped."""
    return re.sub(r"[\s\-]", "", text or "").upper().translate(_CONFUSABLE)


def hash_code(code: str) -> str:
    """The keyed hash stored instead of the code."""
    return keyed_hash("tracking-code", normalise_code(code))


def hash_submission_token(token: str) -> str:
    """The keyed hash of a submission token, unique per case."""
    return keyed_hash("submission-token", token)


def submission_hash_candidates(token: str) -> list[str]:
    """What a case filed with ``token`` may have stored, under each configured hash key."""
    return keyed_hash_candidates("submission-token", token)


def next_reference(year: int) -> tuple[str, int]:
    """Hand out the next case number of ``year``.

    The counter row is created if missing (a no-op when another request just made it) and
    then incremented in one UPDATE … RETURNING, whose row lock (PostgreSQL) or write lock
    (SQLite) holds until commit, so concurrent submissions never get the same number.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ReferenceCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    number = db.session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    ).scalar_one()
    prefix = current_app.config["REFERENCE_PREFIX"]
    return f"{prefix}-{year}-{number:04d}", number


def find_case(reference: str, code: str) -> Complaint | None:
    """The case named by ``reference`` if ``code`` is its tracking code, else None.

    Both wrong-reference and wrong-code take the same path to a constant-time comparison, so
    the answer does not tell which one was wrong.
    """
    ref = normalise_reference(reference)
    code = normalise_code(code)
    complaint = None
    if REFERENCE_RE.match(ref):
        complaint = db.session.execute(
            select(Complaint).where(Complaint.reference == ref)
        ).scalar_one_or_none()
    stored = complaint.tracking_hash if complaint is not None else _NO_CASE
    if keyed_hash_matches("tracking-code", code, stored) and complaint is not None:
        return complaint
    if complaint is not None and not hash_key_configured(stored):
        # The resident cannot be let in: say why to whoever runs the app (no reference, no
        # code: only the key id, which is not personal).
        log.warning(
            "A tracking code was checked against a case whose code was made under hash key "
            "%s, which is no longer in HASH_KEYS; no tracking code of such a case can match.",
            keyed_hash_version(stored),
        )
    return None
