"""Appending to the audit chains, and checking that nobody edited them behind the app's back.

Every case's timeline is a chain of its own (``case:<complaint id>``); account events form
the ``accounts`` chain. Each link's hash covers its own fields, the chain's name and the
previous link's hash, keyed with a key derived from the server's hash key, so an edited,
deleted or reordered row breaks the chain at that point and cannot be re-forged without the
key. Each chain has a head row (``AuditChainHead``) holding its last position and hash, and a
MAC over both: deleting the newest links and moving the head back is caught too, because the
MAC cannot be recomputed from the database alone. A chain that vanished whole — head, links
and the case itself — is caught against a checkpoint shipped elsewhere (``checkpoint()``).

Appending locks only the chain's own head (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite
every transaction takes the write lock at ``BEGIN IMMEDIATE``, see ``database.py``), so two
cases' events are written side by side.

A new kind of chain (the section 4 ledger, say) is one ``ChainKind`` added to ``KINDS`` and
one ``append(kind, row)`` call where rows are created; the model needs ``seq``, ``prev_hash``
and ``hash`` columns.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from complaints_app.crypto import (
    DecryptionError,
    hash_key,
    hash_keys,
    keyed_digest,
    keyed_hash,
    keyed_hash_matches,
    keyed_hash_version,
    keyed_hasher,
)
from complaints_app.extensions import db
from complaints_app.models import (
    AccountEvent,
    ActorKind,
    AuditChainHead,
    CaseEvent,
    Complaint,
    EventKind,
    LedgerEvent,
    User,
    Visibility,
)
from complaints_app.timeutil import utcnow

GENESIS = "0" * 64


def _mac(purpose: str, payload: bytes, version: str | None = None) -> str:
    # The key is derived per purpose from a hash key (the newest unless ``version`` names
    # another): a MAC made for one use never checks out for another.
    return hmac.new(hash_key(purpose, version), payload, hashlib.sha256).hexdigest()


def _mac_matches(purpose: str, payload: bytes, stored: str | None) -> bool:
    """Whether ``stored`` is the MAC of ``payload`` under any hash key still configured: links
    and heads written before a hash-key rotation keep checking out while their key is listed,
    and nothing made without a key does."""
    return any(
        hmac.compare_digest(_mac(purpose, payload, key.id), stored or "") for key in hash_keys()
    )


# One encoder, made once: building it per link costs more than the encoding.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def _canonical(values: list) -> bytes:
    return _CANONICAL.encode(values).encode()


def _link_payload(chain: str, fields: list, prev_hash: str) -> bytes:
    return _canonical([chain, *fields, prev_hash])


def _head_payload(chain: str, last_seq: int, last_hash: str) -> bytes:
    return f"{chain}\x1f{last_seq}\x1f{last_hash}".encode()


def link_hash(chain: str, fields: list, prev_hash: str) -> str:
    """The keyed hash of one link: its chain's name, its fields and its predecessor's hash."""
    return _mac("audit-chain", _link_payload(chain, fields, prev_hash))


def link_intact(chain: str, fields: list, prev_hash: str, stored: str | None) -> bool:
    """Whether a stored link hash belongs to these fields, under any configured hash key."""
    return _mac_matches("audit-chain", _link_payload(chain, fields, prev_hash), stored)


def head_mac(chain: str, last_seq: int, last_hash: str) -> str:
    """The MAC a chain's head carries over its name, last position and last hash."""
    return _mac("audit-head", _head_payload(chain, last_seq, last_hash))


def head_intact(chain: str, last_seq: int, last_hash: str, stored: str | None) -> bool:
    """Whether a head's (or a checkpoint entry's) MAC is right, under any configured key."""
    return _mac_matches("audit-head", _head_payload(chain, last_seq, last_hash), stored)


def _case_fields(event: CaseEvent) -> list:
    return [
        event.seq,
        event.complaint_id,
        event.kind.value,
        event.visibility.value,
        event.actor_kind.value,
        event.actor_id,
        event.created_at.isoformat(),
        event.data,
        event.body_digest,
    ]


def _account_fields(event: AccountEvent) -> list:
    return [
        event.seq,
        event.user_id,
        event.actor_id,
        event.kind.value,
        event.created_at.isoformat(),
        event.data,
    ]


def _ledger_fields(event: LedgerEvent) -> list:
    return [
        event.seq,
        event.federal_request_id,
        event.period_start.isoformat() if event.period_start else None,
        event.actor_id,
        event.kind.value,
        event.created_at.isoformat(),
        event.data,
    ]


BODY_PURPOSE = "event-body"


def body_digest(body: str) -> str:
    """The keyed hash of an event's text that the chain covers."""
    return keyed_hash(BODY_PURPOSE, body)


@dataclass(frozen=True)
class BulkLinker:
    """``link_hash``, ``head_mac`` and ``body_digest`` with their keys derived once, for
    writing many chains at a time (demo data): the same values, without the per-call key
    look-ups."""

    link: Callable[[str, list, str], str]
    head: Callable[[str, int, str], str]
    body: Callable[[str], str]


def bulk_linker() -> BulkLinker:
    """The chain's hash functions bound to the newest hash key."""
    link_key, head_key = hash_key("audit-chain"), hash_key("audit-head")

    def link(chain: str, fields: list, prev_hash: str) -> str:
        payload = _link_payload(chain, fields, prev_hash)
        return hmac.new(link_key, payload, hashlib.sha256).hexdigest()

    def head(chain: str, last_seq: int, last_hash: str) -> str:
        payload = _head_payload(chain, last_seq, last_hash)
        return hmac.new(head_key, payload, hashlib.sha256).hexdigest()

    return BulkLinker(link, head, keyed_hasher(BODY_PURPOSE))


def _body_intact(event: CaseEvent) -> bool:
    if event.body_ct is None:
        return True  # purged after the retention period: the digest still stands
    try:
        body = event.body
    except DecryptionError:
        return False
    stored = event.body_digest
    if stored is not None and keyed_hash_version(stored) is None:
        # Written before keyed hashes named their key: bare hex under one of the keys.
        return any(
            hmac.compare_digest(keyed_digest(BODY_PURPOSE, body, key.id).hex(), stored)
            for key in hash_keys()
        )
    return keyed_hash_matches(BODY_PURPOSE, body, stored)


@dataclass(frozen=True)
class ChainKind:
    """One kind of chained rows.

    ``split_by`` names the attribute that gives each value a chain of its own
    (``case:<complaint_id>``); without it every row is in the one chain called ``prefix``.
    With ``owner``, every row of that model must have a chain (a case without one lost it).
    """

    prefix: str
    model: type
    fields: Callable[[Any], list]
    split_by: str | None = None
    owner: type | None = None
    intact: Callable[[Any], bool] = field(default=lambda row: True)

    def chain_name(self, row: Any) -> str:
        if self.split_by is None:
            return self.prefix
        return f"{self.prefix}:{getattr(row, self.split_by)}"

    def owns(self, chain: str) -> bool:
        if self.split_by is None:
            return chain == self.prefix
        return chain.startswith(self.prefix + ":")


CASES = ChainKind(
    "case", CaseEvent, _case_fields, split_by="complaint_id", owner=Complaint, intact=_body_intact
)
ACCOUNTS = ChainKind("accounts", AccountEvent, _account_fields)
LEDGER = ChainKind("ledger", LedgerEvent, _ledger_fields)
KINDS: tuple[ChainKind, ...] = (CASES, ACCOUNTS, LEDGER)


def case_chain(complaint: Complaint) -> str:
    """The name of a case's chain."""
    return f"{CASES.prefix}:{complaint.id}"


def _locked_head(name: str) -> AuditChainHead:
    """The chain's head, locked until commit; created (empty) on the chain's first link."""
    query = (
        select(AuditChainHead)
        .where(AuditChainHead.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = db.session.execute(query).scalar_one_or_none()
    if head is not None:
        return head
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Two first links at once (the accounts chain on a new server): one inserts, the other
    # waits on that row and then locks it, instead of failing on the primary key.
    db.session.execute(
        insert(AuditChainHead)
        .values(
            name=name,
            last_seq=0,
            last_hash=GENESIS,
            mac=head_mac(name, 0, GENESIS),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return db.session.execute(query).scalar_one()


def lock(kind: ChainKind) -> None:
    """Take a single chain's lock now, until commit, so that what a caller reads before
    appending (is this period finalised?) cannot change under it."""
    _locked_head(kind.prefix)


def append(kind: ChainKind, row: Any) -> None:
    """Give ``row`` the next place in its chain (``seq``, ``prev_hash``, ``hash``), move the
    chain's head and add the row to the session. Every field the hash covers must be set
    before the call. Holds the chain's lock until commit; does not flush."""
    name = kind.chain_name(row)
    head = _locked_head(name)
    row.seq = head.last_seq + 1
    row.prev_hash = head.last_hash
    row.hash = link_hash(name, kind.fields(row), row.prev_hash)
    head.last_seq = row.seq
    head.last_hash = row.hash
    head.mac = head_mac(name, head.last_seq, head.last_hash)
    head.updated_at = utcnow()
    db.session.add(row)


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
    """Append one event to ``complaint``'s timeline, which is its own chain. Waits only for
    other appends to the same case. Flushes, never commits."""
    if complaint.id is None:
        db.session.flush()
    if actor_kind is None:
        actor_kind = ActorKind.STAFF if actor is not None else ActorKind.SYSTEM
    event = CaseEvent(
        complaint_id=complaint.id,
        kind=kind,
        visibility=visibility,
        actor_kind=actor_kind,
        actor_id=actor.id if actor is not None else None,
        created_at=utcnow(),
        data=data or {},
        body_digest=body_digest(body) if body is not None else None,
    )
    append(CASES, event)
    # Sealed to the event's place in the chain, which append has just given it.
    event.body = body
    db.session.flush()
    return event


def seal_account_event(event: AccountEvent) -> None:
    """Give a new account event (already added to the session or not) its place and hash in
    the ``accounts`` chain. Set every field first; ``created_at`` and ``data`` default to now
    and ``{}``. Flushes, never commits."""
    if event.created_at is None:
        event.created_at = utcnow()
    if event.data is None:
        event.data = {}
    append(ACCOUNTS, event)
    db.session.flush()


@dataclass(frozen=True)
class ChainProblem:
    """The first thing wrong with one chain. ``seq`` and ``event_id`` say where, when known."""

    chain: str
    seq: int | None
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class CheckpointEntry:
    """One chain's head as it stood when a checkpoint was written."""

    chain: str
    seq: int
    last_hash: str
    mac: str
    at: str = ""

    def as_json(self) -> str:
        return json.dumps(
            {
                "chain": self.chain,
                "seq": self.seq,
                "last_hash": self.last_hash,
                "mac": self.mac,
                "at": self.at,
            },
            sort_keys=True,
        )


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read; the message names the line."""


def checkpoint() -> list[CheckpointEntry]:
    """Every chain's head now, in name order, to be written down and kept elsewhere."""
    return [
        CheckpointEntry(
            head.name,
            head.last_seq,
            head.last_hash,
            head.mac,
            head.updated_at.isoformat() if head.updated_at else "",
        )
        for head in db.session.execute(
            select(AuditChainHead).order_by(AuditChainHead.name)
        ).scalars()
    ]


def read_checkpoint(lines: Iterable[str]) -> list[CheckpointEntry]:
    """Parse what ``checkpoint()`` wrote as JSON lines; raise ``CheckpointError`` naming the
    first line that is not an entry."""
    entries = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            entry = CheckpointEntry(
                str(raw["chain"]),
                int(raw["seq"]),
                str(raw["last_hash"]),
                str(raw["mac"]),
                str(raw.get("at", "")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(
                _("line %(number)s is not a checkpoint entry", number=number)
            ) from exc
        entries.append(entry)
    return entries


def _walk(
    kind: ChainKind, name: str, rows: Iterable[Any], head: AuditChainHead | None, want: int | None
) -> tuple[ChainProblem | None, str | None]:
    """Check one chain's links in order and against its head. Returns the first problem and
    the hash of the link at position ``want`` (for comparing with a checkpoint)."""
    prev = GENESIS
    expected = 1
    wanted_hash = GENESIS if want == 0 else None
    for row in rows:
        if row.seq != expected:
            return ChainProblem(
                name, expected, None, _("event missing (deleted or renumbered)")
            ), wanted_hash
        if row.prev_hash != prev:
            return ChainProblem(
                name, row.seq, row.id, _("does not follow the previous event")
            ), wanted_hash
        if not link_intact(name, kind.fields(row), row.prev_hash, row.hash) or not kind.intact(row):
            return ChainProblem(
                name, row.seq, row.id, _("contents changed after it was written")
            ), wanted_hash
        if row.seq == want:
            wanted_hash = row.hash
        prev = row.hash
        expected += 1
    last = expected - 1
    if head is None:
        return ChainProblem(name, None, None, _("the chain's head is missing")), wanted_hash
    if head.last_seq > last:
        return ChainProblem(
            name, last + 1, None, _("events missing from the end of the chain")
        ), wanted_hash
    if head.last_seq != last or head.last_hash != prev:
        return ChainProblem(
            name, last, None, _("the head does not point at the last event")
        ), wanted_hash
    return None, wanted_hash


def _mac_intact(head: AuditChainHead) -> bool:
    return head_intact(head.name, head.last_seq, head.last_hash, head.mac)


def verify(against: Iterable[CheckpointEntry] = ()) -> Iterator[ChainProblem]:
    """Check every chain link by link, every head's MAC, that every case has its chain, and
    that no chain in the checkpoint ``against`` went backwards or vanished. Yields the first
    problem of each broken chain; yields nothing when everything holds."""
    checkpoint_entries = list(against)
    heads = {head.name: head for head in db.session.execute(select(AuditChainHead)).scalars().all()}
    wanted = {entry.chain: entry.seq for entry in checkpoint_entries}
    hashes_at: dict[str, str | None] = {}
    found: dict[str, ChainProblem] = {}

    def note(problem: ChainProblem | None) -> None:
        if problem is not None and problem.chain not in found:
            found[problem.chain] = problem

    for kind in KINDS:
        order = (
            [kind.model.seq]
            if kind.split_by is None
            else [
                getattr(kind.model, kind.split_by),
                kind.model.seq,
            ]
        )
        rows = db.session.execute(
            select(kind.model).order_by(*order).execution_options(yield_per=500)
        ).scalars()
        seen: set[str] = set()
        for name, links in groupby(rows, key=kind.chain_name):
            seen.add(name)
            problem, hashes_at[name] = _walk(kind, name, links, heads.get(name), wanted.get(name))
            note(problem)
        for name, head in heads.items():
            if kind.owns(name) and name not in seen:
                problem, hashes_at[name] = _walk(kind, name, (), head, wanted.get(name))
                note(problem)
        if kind.owner is not None:
            for owner_id in db.session.execute(select(kind.owner.id)).scalars():
                name = f"{kind.prefix}:{owner_id}"
                if name not in heads and name not in seen:
                    note(
                        ChainProblem(
                            name, None, None, _("the whole chain is missing (events and head)")
                        )
                    )
    for name, head in sorted(heads.items()):
        if not any(kind.owns(name) for kind in KINDS):
            note(ChainProblem(name, None, None, _("a head that belongs to no known chain")))
        elif not _mac_intact(head):
            note(
                ChainProblem(
                    name,
                    head.last_seq,
                    None,
                    _("the head was changed outside the app (its MAC does not match)"),
                )
            )
    for entry in checkpoint_entries:
        note(_against_checkpoint(entry, heads.get(entry.chain), hashes_at.get(entry.chain)))
    yield from sorted(found.values(), key=lambda p: p.chain)


def _against_checkpoint(
    entry: CheckpointEntry, head: AuditChainHead | None, hash_then: str | None
) -> ChainProblem | None:
    name = entry.chain
    if not head_intact(name, entry.seq, entry.last_hash, entry.mac):
        return ChainProblem(name, None, None, _("the checkpoint entry does not match its MAC"))
    if head is None:
        return ChainProblem(
            name,
            entry.seq,
            None,
            _("the chain vanished since the checkpoint (it had %(seq)s events)", seq=entry.seq),
        )
    if head.last_seq < entry.seq:
        return ChainProblem(
            name,
            head.last_seq + 1,
            None,
            _(
                "the chain went backwards: %(then)s events at the checkpoint, %(now)s now",
                then=entry.seq,
                now=head.last_seq,
            ),
        )
    if hash_then is None or not hmac.compare_digest(hash_then, entry.last_hash):
        return ChainProblem(
            name, entry.seq, None, _("the event at the checkpoint differs from the one recorded")
        )
    return None
