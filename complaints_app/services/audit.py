"""Appending to the case timeline, and checking that nobody edited it behind the app's back.

Events form one chain across all cases: each event's hash covers its own fields and the
previous event's hash, keyed with the server's hash key, so an edited, deleted or reordered
row breaks the chain at that point and cannot be re-forged without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from complaints_app.crypto import DecryptionError, keyed_hash
from complaints_app.extensions import db
from complaints_app.models import (
    ActorKind,
    AuditHead,
    CaseEvent,
    Complaint,
    EventKind,
    User,
    Visibility,
)
from complaints_app.timeutil import utcnow

GENESIS = "0" * 64


def _digest(event: CaseEvent) -> str:
    payload = json.dumps(
        [
            event.seq,
            event.complaint_id,
            event.kind.value,
            event.visibility.value,
            event.actor_kind.value,
            event.actor_id,
            event.created_at.isoformat(),
            event.data,
            event.body_digest,
            event.prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    key = hashlib.sha256(b"audit-chain:" + current_app.config["HASH_KEY"].encode()).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _locked_head() -> AuditHead:
    head = db.session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        db.session.add(head)
        db.session.flush()
    return head


def record(
    complaint: Complaint,
    kind: EventKind,
    *,
    actor: User | None = None,
    actor_kind: ActorKind | None = None,
    visibility: Visibility = Visibility.INTERNAL,
    data: dict | None = None,
    body: str | None = None,
) -> CaseEvent:
    """Append one event to ``complaint``'s timeline and to the chain. Flushes, never commits."""
    if complaint.id is None:
        db.session.flush()
    if actor_kind is None:
        actor_kind = ActorKind.STAFF if actor is not None else ActorKind.SYSTEM
    head = _locked_head()
    event = CaseEvent(
        seq=head.last_seq + 1,
        complaint_id=complaint.id,
        kind=kind,
        visibility=visibility,
        actor_kind=actor_kind,
        actor_id=actor.id if actor is not None else None,
        created_at=utcnow(),
        data=data or {},
        prev_hash=head.last_hash,
    )
    event.body = body
    event.body_digest = body_digest(body) if body is not None else None
    event.hash = _digest(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    db.session.add(event)
    db.session.flush()
    return event


def body_digest(body: str) -> str:
    """The keyed hash of an event's text that the chain covers."""
    return keyed_hash("event-body", body)


def _body_intact(event: CaseEvent) -> bool:
    if event.body_ct is None:
        return True  # purged after the retention period: the digest still stands
    try:
        body = event.body
    except DecryptionError:
        return False
    return event.body_digest is not None and hmac.compare_digest(
        body_digest(body), event.body_digest
    )


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    event_id: int | None
    reason: str


def verify() -> Iterator[ChainProblem]:
    """Walk the chain in order and yield every break found (stops at the first one)."""
    prev = GENESIS
    expected_seq = 1
    rows = db.session.execute(select(CaseEvent).order_by(CaseEvent.seq)).scalars()
    for event in rows:
        if event.seq != expected_seq:
            yield ChainProblem(expected_seq, None, "missing event (deleted or renumbered)")
            return
        if event.prev_hash != prev:
            yield ChainProblem(event.seq, event.id, "does not follow the previous event")
            return
        if not hmac.compare_digest(_digest(event), event.hash) or not _body_intact(event):
            yield ChainProblem(event.seq, event.id, "contents changed after it was written")
            return
        prev = event.hash
        expected_seq += 1
    head = db.session.get(AuditHead, 1)
    last = expected_seq - 1
    if head is not None and (head.last_seq != last or head.last_hash != prev):
        yield ChainProblem(last + 1, None, "events missing from the end of the chain")
