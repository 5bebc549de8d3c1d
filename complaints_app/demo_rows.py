"""Rows for ``demo-data``: each batch of planned cases becomes the rows the real services
would have written, with free text sealed through the same keys and each timeline chained
exactly as ``audit.append`` chains it. Building needs the app's keys but never the database,
so batches can be built in worker processes while the parent inserts."""

from __future__ import annotations

import enum
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from complaints_app.crypto import keyed_hasher, text_sealer
from complaints_app.demo_ledger import LedgerRows
from complaints_app.demo_story import CaseStory, Deadlines, Event, Staff, tell
from complaints_app.demo_texts import FORCED, SCREEN_OUT_TEXT
from complaints_app.models import (
    Allegation,
    AuditChainHead,
    CaseAssignment,
    CaseEvent,
    ClosureReason,
    Complaint,
    EventKind,
    Status,
    Visibility,
)
from complaints_app.models.complaint import new_seal_key
from complaints_app.services import audit, tracking
from complaints_app.services.intake import email_hash, phone_hash

# The most allegations a demo case has: each case owns this many allegation ids.
MAX_ALLEGATIONS = 3


@dataclass(frozen=True)
class Planned:
    """One case before its story is told: when it arrived and the seed of its story."""

    received_at: datetime
    index: int
    seed: int


class ClauseVersions:
    """The complaint-eligible clause versions by code, to link each allegation to the
    version in force on its incident date."""

    def __init__(self, versions: dict[str, list[tuple[date, date | None, int]]]):
        self.versions = versions

    def in_force(self, code: str | None, day: date) -> int | None:
        if code is None or code not in self.versions:
            return None
        versions = self.versions[code]
        for start, end, clause_id in versions:
            if start <= day and (end is None or day < end):
                return clause_id
        return versions[0][2]


def _sealer(model: type, attribute: str) -> Callable[[str | int, str | None], str | None]:
    """Seal text exactly as the model's ``Sealed`` attribute would for a row."""
    descriptor = model.__dict__[attribute]
    table, name = model.__tablename__, descriptor.name
    seal_text = text_sealer()

    def seal(row: str | int, text: str | None) -> str | None:
        return seal_text(text, table, name, row) if text else None

    return seal


COMPLAINT_COLUMNS = (
    "id", "reference", "reference_year", "reference_number", "tracking_hash", "channel",
    "status", "closure_reason", "incident_date", "incident_time_ct", "incident_place_ct",
    "agency", "agency_detail_ct", "narrative_ct", "findings_summary_ct", "preferred_language",
    "anonymous", "contact_ct", "contact_method", "safe_to_contact", "contact_email_hash",
    "contact_phone_hash", "urgent", "organisation_id", "filed_by_id", "consent_attested_at",
    "assignee_id", "merged_into_id", "received_at", "ack_due_at", "acknowledged_at",
    "screened_in_at", "investigation_due_at", "waiting_since", "closed_at", "updated_at",
    "legal_hold", "version",
)  # fmt: skip
ALLEGATION_COLUMNS = (
    "id", "complaint_id", "clause_id", "suggested_by", "clause_confirmed", "seal_key",
    "subject_ct", "subject_agency", "summary_ct", "facts", "facts_text_ct", "disposition",
    "position", "created_at",
)  # fmt: skip
ASSIGNMENT_COLUMNS = ("complaint_id", "user_id", "assigned_at")
EVENT_COLUMNS = (
    "seq", "complaint_id", "kind", "visibility", "actor_kind", "actor_id", "created_at",
    "data", "body_ct", "body_digest", "prev_hash", "hash",
)  # fmt: skip
HEAD_COLUMNS = ("name", "last_seq", "last_hash", "mac", "updated_at")
# In the order they must be inserted.
TABLES = (
    (Complaint, COMPLAINT_COLUMNS),
    (Allegation, ALLEGATION_COLUMNS),
    (CaseAssignment, ASSIGNMENT_COLUMNS),
    (CaseEvent, EVENT_COLUMNS),
    (AuditChainHead, HEAD_COLUMNS),
)


def _value(member: enum.Enum | None) -> str | None:
    return member.value if member is not None else None


@dataclass(frozen=True)
class Job:
    """One batch to build: its planned cases, in arrival order, with the ids and references
    they take. Everything a batch needs is fixed before any is built, so batches can be
    built side by side and still give the same rows."""

    planned: list[Planned]
    first_id: int
    references: list[str]
    # Each case owns MAX_ALLEGATIONS allegation ids from here, used or not.
    first_allegation_id: int
    requests_seed: int


@dataclass
class Built:
    """The rows of one batch, ready to insert, and what they hold."""

    rows: dict[str, list[tuple]]
    requests: list[dict]
    by_status: dict[str, int]
    sample_tracking: tuple[str, str] | None
    allegations: int
    events: int


@dataclass(frozen=True)
class Setting:
    """What every batch of a run shares."""

    staff: Staff
    clauses: ClauseVersions
    now: datetime
    deadlines: Deadlines
    people: int
    postgres: bool
    prefix: str


class RowBuilder:
    """Turns batches of planned cases into rows. Needs an app context (keys), never the
    database, so it also runs in worker processes."""

    def __init__(self, setting: Setting):
        self.setting = setting
        self.staff = setting.staff
        self.clauses = setting.clauses
        self.chain = audit.bulk_linker()
        self.ledger = LedgerRows(setting.people, setting.staff.records)
        # Nobody knows the code of a demo case but the sample's: a hash of random bits
        # under the tracking-code purpose stands in, and matches no code anyone types.
        self.blank_tracking = keyed_hasher("tracking-code")
        self.seal_narrative = _sealer(Complaint, "narrative")
        self.seal_findings = _sealer(Complaint, "findings_summary")
        self.seal_contact = _sealer(Complaint, "contact_json")
        self.seal_time = _sealer(Complaint, "incident_time")
        self.seal_place = _sealer(Complaint, "incident_place")
        self.seal_detail = _sealer(Complaint, "agency_detail")
        self.seal_subject = _sealer(Allegation, "subject")
        self.seal_summary = _sealer(Allegation, "summary")
        self.seal_facts = _sealer(Allegation, "facts_text")
        self.seal_body = _sealer(CaseEvent, "body")

    def time(self, moment: datetime | None) -> datetime | str | None:
        """A UTC time as the column stores it (SQLite: SQLAlchemy's text form)."""
        if moment is None or self.setting.postgres:
            return moment
        if moment.tzinfo is not UTC:
            moment = moment.astimezone(UTC)
        # "YYYY-MM-DD HH:MM:SS.ffffff", as SQLAlchemy writes it; isoformat is the fast way.
        return moment.isoformat(" ", "microseconds")[:26]

    def _event_time(self, moment: datetime, iso: str) -> datetime | str:
        # Event times are whole UTC seconds ("...T10:00:00+00:00"): SQLite's text form comes
        # straight from the ISO text the chain hashes.
        if self.setting.postgres or len(iso) != 25 or not iso.endswith("+00:00"):
            return self.time(moment)
        return f"{iso[:10]} {iso[11:19]}.000000"

    def day(self, value: date) -> date | str:
        return value if self.setting.postgres else value.isoformat()

    def build(self, job: Job) -> Built:
        """The rows of one batch."""
        setting = self.setting
        self.sample: tuple[str, str] | None = None
        stories: list[tuple[int, str, CaseStory, random.Random]] = []
        for offset, planned in enumerate(job.planned):
            rng = random.Random(planned.seed)  # noqa: S311 — reproducible, never secret
            forced = FORCED[planned.index] if planned.index < len(FORCED) else None
            story = tell(
                rng,
                received_at=planned.received_at,
                now=setting.now,
                staff=self.staff,
                deadlines=setting.deadlines,
                forced=forced,
                forced_index=planned.index,
            )
            stories.append((job.first_id + offset, job.references[offset], story, rng))
        merged_into = self._merge_duplicates(stories)

        complaints, allegations, assignments, events, heads = [], [], [], [], []
        by_status: dict[str, int] = {}
        for offset, (complaint_id, reference, story, rng) in enumerate(stories):
            first_allegation = job.first_allegation_id + offset * MAX_ALLEGATIONS
            allegation_ids = self._allegations(complaint_id, first_allegation, story, allegations)
            complaints.append(self._complaint(complaint_id, reference, story, rng, merged_into))
            if story.screened_in_at is not None and story.assignee_id is not None:
                assignments.append(
                    (complaint_id, story.assignee_id, self.time(story.screened_in_at))
                )
            heads.append(self._chain(complaint_id, reference, story, allegation_ids, events))
            by_status[story.status.value] = by_status.get(story.status.value, 0) + 1
        requests_rng = random.Random(job.requests_seed)  # noqa: S311
        return Built(
            rows={
                "complaint": complaints,
                "allegation": allegations,
                "case_assignment": assignments,
                "case_event": events,
                "audit_chain_head": heads,
            },
            requests=self.ledger.rows(requests_rng, stories, len(job.planned)),
            by_status=by_status,
            sample_tracking=self.sample,
            allegations=len(allegations),
            events=len(events),
        )

    def _merge_duplicates(
        self, stories: list[tuple[int, str, CaseStory, random.Random]]
    ) -> dict[int, int]:
        """Name a surviving case for each duplicate: one received earlier in the batch and
        still open when the duplicate was closed, which records the merge on its timeline.
        A duplicate with no such case is recorded as referred instead."""
        merged: dict[int, int] = {}
        for position, (complaint_id, reference, story, rng) in enumerate(stories):
            if not story.duplicate:
                continue
            candidates = [
                entry
                for entry in stories[max(0, position - 200) : position]
                if not entry[2].duplicate
                and entry[2].received_at < story.closed_at
                and (entry[2].closed_at is None or entry[2].closed_at > story.closed_at)
            ]
            if not candidates:
                _as_referred(story)
                continue
            survivor_id, _reference, survivor, _rng = rng.choice(candidates)
            merged[complaint_id] = survivor_id
            closing = next(
                e
                for e in story.events
                if e.kind == EventKind.STATUS_CHANGED and e.at == story.closed_at
            )
            survivor.events.append(
                Event(
                    story.closed_at,
                    EventKind.MERGED,
                    Visibility.INTERNAL,
                    closing.actor_kind,
                    closing.actor_id,
                    {"merged": reference},
                )
            )
        return merged

    def _complaint(
        self,
        complaint_id: int,
        reference: str,
        story: CaseStory,
        rng: random.Random,
        merged_into: dict[int, int],
    ) -> tuple:
        if self.sample is None and story.status != Status.CLOSED and story.organisation_id is None:
            code = tracking.code_for_token(f"{reference}:{rng.getrandbits(128):032x}")
            self.sample = (reference, code)
            tracking_hash = tracking.hash_code(code)
        else:
            tracking_hash = self.blank_tracking(f"{rng.getrandbits(128):032x}")
        contact = story.contact
        _prefix, year, number = reference.rsplit("-", 2)
        version = 1 + sum(
            1 for e in story.events if e.kind in (EventKind.STATUS_CHANGED, EventKind.ASSIGNED)
        )
        t = self.time
        return (
            complaint_id,
            reference,
            int(year),
            int(number),
            tracking_hash,
            story.channel.value,
            story.status.value,
            _value(story.closure_reason),
            self.day(story.incident_date),
            self.seal_time(reference, story.incident_time),
            self.seal_place(reference, story.incident_place),
            story.agency.value,
            self.seal_detail(reference, story.agency_detail),
            self.seal_narrative(reference, story.narrative),
            self.seal_findings(reference, story.findings_summary),
            "en",
            story.anonymous,
            self.seal_contact(reference, json.dumps(contact) if contact else None),
            story.contact_method,
            story.safe_to_contact,
            email_hash(contact["email"]) if contact else None,
            phone_hash(contact["phone"]) if contact else None,
            story.urgent,
            story.organisation_id,
            story.filed_by_id,
            t(story.received_at) if story.organisation_id else None,
            story.assignee_id,
            merged_into.get(complaint_id),
            t(story.received_at),
            t(story.ack_due_at),
            t(story.acknowledged_at),
            t(story.screened_in_at),
            t(story.investigation_due_at),
            t(story.waiting_since),
            t(story.closed_at),
            t(story.updated_at),
            False,
            version,
        )

    def _allegations(
        self,
        complaint_id: int,
        first_id: int,
        story: CaseStory,
        rows: list[tuple],
    ) -> list[int]:
        ids = []
        created = self.time(story.received_at)
        for position, allegation in enumerate(story.allegations, start=1):
            allegation_id = first_id + position - 1
            ids.append(allegation_id)
            # Random, as in real filings: a row's seal key is never shown, and a second run
            # with the same seed must not repeat it.
            seal_key = new_seal_key()
            facts_text = allegation.facts_text
            rows.append(
                (
                    allegation_id,
                    complaint_id,
                    self.clauses.in_force(allegation.clause_code, story.incident_date),
                    allegation.suggested_by,
                    allegation.confirmed,
                    seal_key,
                    self.seal_subject(seal_key, allegation.subject),
                    story.agency.value,
                    self.seal_summary(seal_key, allegation.summary),
                    json.dumps(allegation.plain_facts),
                    self.seal_facts(
                        seal_key, json.dumps(facts_text, sort_keys=True) if facts_text else None
                    ),
                    _value(allegation.disposition),
                    position,
                    created,
                )
            )
        return ids

    def _chain(
        self,
        complaint_id: int,
        reference: str,
        story: CaseStory,
        allegation_ids: list[int],
        rows: list[tuple],
    ) -> tuple:
        """The case's timeline as a chain of links, exactly as ``audit.append`` makes them,
        and the chain's head."""
        name = f"{audit.CASES.prefix}:{complaint_id}"
        prev = audit.GENESIS
        story.events.sort(key=lambda e: e.at)
        for seq, event in enumerate(story.events, start=1):
            data = event.data
            if "allegation_id" in data:
                data = {**data, "allegation_id": allegation_ids[data["allegation_id"] - 1]}
            body = event.body.replace("{reference}", reference) if event.body else None
            digest = self.chain.body(body) if body is not None else None
            iso = event.at.isoformat()
            fields = [
                seq,
                complaint_id,
                event.kind.value,
                event.visibility.value,
                event.actor_kind.value,
                event.actor_id,
                iso,
                data,
                digest,
            ]
            link = self.chain.link(name, fields, prev)
            # The row holds what the link covers, the time and data as the columns store
            # them, and the sealed text.
            sealed = self.seal_body(f"{complaint_id}.{seq}", body)
            stored = (self._event_time(event.at, iso), json.dumps(data), sealed, digest, prev, link)
            rows.append((*fields[:6], *stored))
            prev = link
        last = len(story.events)
        return (name, last, prev, self.chain.head(name, last, prev), self.time(story.updated_at))


def _as_referred(story: CaseStory) -> None:
    story.duplicate = False
    story.closure_reason = ClosureReason.REFERRED
    for event in story.events:
        if event.kind == EventKind.STATUS_CHANGED and event.data.get("reason") == "duplicate":
            event.data["reason"] = ClosureReason.REFERRED.value
        if (
            event.body
            and event.kind == EventKind.MESSAGE_TO_COMPLAINANT
            and event.at == story.closed_at
        ):
            event.body = SCREEN_OUT_TEXT[ClosureReason.REFERRED]
