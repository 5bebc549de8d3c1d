"""Which hash keys the stored keyed hashes were made under, and moving contact hashes onto
the newest key.

Keyed hashes of secrets the app never keeps (tracking codes, form tokens, recovery codes)
can only be matched, never remade: they stay under the key that made them, and stop matching
when that key leaves HASH_KEYS. Contact hashes can be remade from the sealed contact, so a
rotation moves them onto the newest key and duplicate hints keep finding the same person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from complaints_app.crypto import HASH_SEPARATOR, hash_keys
from complaints_app.extensions import db
from complaints_app.models import Complaint, FederalRequest, RecoveryCode

# (what it is, column): every stored keyed hash that a look-up depends on.
STORED = [
    ("tracking codes", Complaint.tracking_hash),
    ("form tokens", Complaint.submission_hash),
    ("contact emails", Complaint.contact_email_hash),
    ("contact phones", Complaint.contact_phone_hash),
    ("recovery codes", RecoveryCode.code_hash),
    # Never remade (the booking number is not kept); a new request about the same person
    # finds their key under any configured hash key (services.ledger.person_key).
    ("booking numbers", FederalRequest.person_key),
]


@dataclass(frozen=True)
class KeyUse:
    """How many stored hashes of one kind name one key id, and whether it is configured."""

    kind: str
    key_id: str
    count: int
    configured: bool
    newest: bool


def key_uses() -> list[KeyUse]:
    """Stored keyed hashes counted by kind and key id (a hash naming no key counts under
    "none"). Reads only the ids, never a hash."""
    ids = [key.id for key in hash_keys()]
    uses = []
    for kind, column in STORED:
        head = func.substr(column, 1, 8)
        labelled = column.contains(HASH_SEPARATOR)
        rows = db.session.execute(
            select(head, func.count()).where(column.is_not(None), labelled).group_by(head)
        ).all()
        unlabelled = db.session.execute(
            select(func.count()).where(column.is_not(None), ~labelled)
        ).scalar_one()
        counted = [(key_id, n) for key_id, n in rows]
        if unlabelled:
            counted.append(("none", unlabelled))
        for key_id, n in sorted(counted):
            uses.append(KeyUse(kind, key_id, n, key_id in ids, key_id == ids[0]))
    return uses


def _contact_hashes(complaint: Complaint) -> tuple[str | None, str | None]:
    from complaints_app.services.intake import email_hash, phone_hash

    contact = json.loads(complaint.contact_json or "{}")
    return email_hash(contact.get("email", "")), phone_hash(contact.get("phone", ""))


def stale_contact_hashes() -> list[Complaint]:
    """Cases whose contact hashes were made under an older hash key."""
    newest = hash_keys()[0].id + HASH_SEPARATOR
    return list(
        db.session.execute(
            select(Complaint)
            .where(Complaint.contact_ct.is_not(None))
            .where(
                or_(
                    Complaint.contact_email_hash.not_like(newest + "%"),
                    Complaint.contact_phone_hash.not_like(newest + "%"),
                )
            )
            .order_by(Complaint.id)
        ).scalars()
    )


def rehash_contacts(complaints: list[Complaint]) -> int:
    """Remake the contact hashes of ``complaints`` under the newest key from their sealed
    contact. Flushes, never commits. Returns how many cases changed."""
    changed = 0
    for complaint in complaints:
        email, phone = _contact_hashes(complaint)
        if (email, phone) != (complaint.contact_email_hash, complaint.contact_phone_hash):
            complaint.contact_email_hash, complaint.contact_phone_hash = email, phone
            changed += 1
    db.session.flush()
    return changed


def unmatchable(uses: list[KeyUse]) -> list[KeyUse]:
    """The uses whose key is no longer configured: those hashes match nothing any more."""
    return [use for use in uses if not use.configured]
