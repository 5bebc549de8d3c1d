"""Complaint forms filled in one step at a time: the answers kept on the server between steps.

The browser's signed session holds only a random draft key; the database keeps a keyed hash
of it and the answers sealed to that hash (``FormDraft``). Nothing typed goes into a URL or
the cookie. A draft idle for ``FORM_DRAFT_IDLE_HOURS`` is treated as gone and deleted by the
next draft started on any worker, and by ``flask sessions purge``; a sent draft is deleted in
the same transaction that files the case. Everything here flushes; the request commits.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from complaints_app.crypto import DecryptionError, keyed_hash, keyed_hash_candidates
from complaints_app.extensions import db
from complaints_app.models import FormDraft
from complaints_app.services import tracking
from complaints_app.timeutil import utcnow

log = logging.getLogger(__name__)

KEY_BYTES = 32
HASH_PURPOSE = "form-draft"


@dataclass
class Draft:
    """The answers of one unsent form, as posted (field name to the list of values sent),
    the steps already completed, the kept files still wanted, and the form's one-time token."""

    row: FormDraft
    token: str
    answers: dict[str, list[str]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)
    keep: list[str] = field(default_factory=list)

    def value(self, name: str) -> str:
        values = self.answers.get(name) or []
        return values[0] if values else ""


def idle_limit() -> timedelta:
    return timedelta(hours=float(current_app.config["FORM_DRAFT_IDLE_HOURS"]))


def start(token: str | None = None) -> tuple[str, Draft]:
    """A new empty draft with ``token`` (the one the form was opened with) or a fresh
    submission token: the key for the browser's session, and the draft. Drafts idle too long
    are purged on the way. Flushes."""
    purge_expired()
    key = secrets.token_urlsafe(KEY_BYTES)
    now = utcnow()
    row = FormDraft(key_hash=keyed_hash(HASH_PURPOSE, key), created_at=now, updated_at=now)
    draft = Draft(row=row, token=token or tracking.new_submission_token())
    _seal(draft)
    db.session.add(row)
    db.session.flush()
    return key, draft


def load(key: object) -> Draft | None:
    """The live draft behind ``key``, or None: no such draft, idle too long, or sealed under a
    key no longer configured. Reads only: an expired draft is left for the purge."""
    if not isinstance(key, str) or not key or len(key) > 2 * KEY_BYTES:
        return None
    row = db.session.execute(
        select(FormDraft).where(FormDraft.key_hash.in_(keyed_hash_candidates(HASH_PURPOSE, key)))
    ).scalar_one_or_none()
    if row is None or utcnow() - row.updated_at > idle_limit():
        return None
    try:
        stored = json.loads(row.answers)
    except (DecryptionError, ValueError) as exc:
        log.warning("form draft unreadable: %s", type(exc).__name__)
        return None
    return Draft(
        row=row,
        token=stored["token"],
        answers=stored.get("answers", {}),
        done=stored.get("done", []),
        keep=stored.get("keep", []),
    )


def _seal(draft: Draft) -> None:
    draft.row.answers = json.dumps(
        {"token": draft.token, "answers": draft.answers, "done": draft.done, "keep": draft.keep}
    )


def save(draft: Draft) -> None:
    """Store the draft's answers (sealed again) and move its idle clock on. Flushes."""
    _seal(draft)
    draft.row.updated_at = utcnow()
    db.session.flush()


def discard(draft: Draft) -> None:
    """Delete the draft (it was sent). Flushes."""
    db.session.delete(draft.row)
    db.session.flush()


def purge_expired(now: datetime | None = None) -> int:
    """Delete every draft idle for longer than ``FORM_DRAFT_IDLE_HOURS``; returns how many.
    One DELETE by time: any number of workers may run it at once. Flushes."""
    cutoff = (now or utcnow()) - idle_limit()
    result = db.session.execute(delete(FormDraft).where(FormDraft.updated_at < cutoff))
    return result.rowcount or 0
