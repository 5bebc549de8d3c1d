"""Idempotent POSTs: a retry carrying the same ``Idempotency-Key`` gets the first answer.

The first request inserts its row (user, key) and flushes before it files anything, so the
unique constraint orders two concurrent requests with one key: on PostgreSQL the second
INSERT waits for the first transaction and then fails, and the second request answers with
what the first stored; on SQLite every writing transaction begins IMMEDIATE, so the second
request starts only after the first has committed and finds the row at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy import select

from complaints_app.crypto import hash_key
from complaints_app.extensions import db
from complaints_app.models import IdempotentRequest, User


def fingerprint(method: str, path: str, body: object) -> str:
    """What makes two requests the same: method, path and the body as parsed (so key order
    and spacing do not matter)."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def submission_token(user: User, key: str) -> str:
    """The filing's one-time submission token, derived from the user and the key: a retry
    finds the same case and is shown the same tracking code, which is never stored. Keyed, so
    nobody without the hash key can compute it."""
    digest = hmac.new(hash_key("api-idempotency"), f"{user.id}\x1f{key}".encode(), "sha256")
    return "api-" + digest.hexdigest()


def find(user: User, key: str) -> IdempotentRequest | None:
    return db.session.execute(
        select(IdempotentRequest).where(
            IdempotentRequest.user_id == user.id, IdempotentRequest.key == key
        )
    ).scalar_one_or_none()


def begin(user: User, key: str, request_fingerprint: str) -> IdempotentRequest:
    """Claim ``key`` for this request. Flushes: raises IntegrityError if another request
    holds it (on PostgreSQL, once that request has committed)."""
    record = IdempotentRequest(
        user_id=user.id, key=key, fingerprint=request_fingerprint, status_code=0, response={}
    )
    db.session.add(record)
    db.session.flush()
    return record


def finish(record: IdempotentRequest, status_code: int, response: dict, complaint_id: int) -> None:
    """Keep the answer given (without anything secret). Flushes."""
    record.status_code = status_code
    record.response = response
    record.complaint_id = complaint_id
    db.session.flush()
