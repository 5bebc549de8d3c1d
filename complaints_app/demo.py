"""Synthetic cases for demonstrations and benchmarks: ``flask --app wsgi demo-data``.

``generate(cases, seed)`` writes realistic cases spread over the reporting periods from
REPORTING_START up to the as-of day: every channel, agency, status, closure reason and
disposition, urgent cases, advocates' filings, timelines with messages and notes, and section 4
ledger entries. The rows are what the real services would have written: free text sealed
with the same keys and the same binding to its row, each case's timeline a valid audit chain
(``audit verify`` passes), references taken from the same yearly counter as real filings.

It is fast because it writes in bulk: rows are built in Python and inserted a batch at a time
with ``executemany``, one commit per batch. Complaint and allegation ids are given out as one
block when the run begins (timelines are bound to the case id), so a run must not share the
database with live filings.

The same seed, number of cases and as-of day give the same cases (references, dates, texts,
choices); only ciphertexts differ, since every seal takes a fresh nonce. The as-of day
defaults to the city's today, so two runs on different days differ: pass ``as_of`` (or
``--as-of``) to repeat one exactly.

A database holding cases that no demo run made is refused unless ``force`` is given: demo data
must never be mixed into real casework by accident. Each run is recorded in ``demo_run`` with
the block of complaint ids it took; a second run adds more cases after the first.
"""

from __future__ import annotations

import enum
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from complaints_app import uow
from complaints_app.crypto import keyed_digest, keyed_hasher, text_sealer
from complaints_app.demo_story import (
    FORCED,
    SCREEN_OUT_TEXT,
    CaseStory,
    Deadlines,
    Event,
    Staff,
    city_noon_utc,
    tell,
)
from complaints_app.extensions import db
from complaints_app.models import (
    Allegation,
    AuditChainHead,
    CaseAssignment,
    CaseEvent,
    Clause,
    ClosureReason,
    Complaint,
    DemoRun,
    EventKind,
    FederalRequest,
    Organisation,
    ReferenceCounter,
    RequestForm,
    RequestKind,
    RequestOutcome,
    Role,
    Status,
    User,
    Visibility,
)
from complaints_app.models.complaint import new_seal_key
from complaints_app.services import accounts, audit, tracking
from complaints_app.services.intake import email_hash, phone_hash
from complaints_app.services.periods import period_at
from complaints_app.timeutil import city_today, city_tz

# The ledger's person key is this keyed hash of the booking number.
PERSON_KEY_PURPOSE = "booking-number"
BATCH_SIZE = 2000
# Ledger entries per case, and how many requests each person gets on average.
REQUESTS_PER_CASE = 0.35
REQUESTS_PER_PERSON = 1.6
MIN_SPAN = timedelta(days=30)


class DemoRefused(Exception):
    """The run cannot go ahead; the message says why and what to do."""


@dataclass
class Summary:
    """What one run wrote."""

    run_id: int
    seed: int
    as_of: date
    cases: int = 0
    allegations: int = 0
    events: int = 0
    federal_requests: int = 0
    first_reference: str = ""
    last_reference: str = ""
    # One open case's reference and tracking code, to try /track with.
    sample_tracking: tuple[str, str] | None = None
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)


def cases_not_made_here() -> int:
    """How many cases lie outside every demo run's block of ids: real cases."""
    run = DemoRun.__table__
    inside = sa.exists().where(
        Complaint.id.between(run.c.first_complaint_id, run.c.last_complaint_id)
    )
    return db.session.execute(sa.select(sa.func.count(Complaint.id)).where(~inside)).scalar_one()


def generate(
    cases: int,
    seed: int = 0,
    *,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
    as_of: date | None = None,
    batch_size: int = BATCH_SIZE,
) -> Summary:
    """Write ``cases`` synthetic cases (and ledger entries beside them), committing once per
    batch and calling ``progress(n)`` after each with the number of cases it held.

    Raises ``DemoRefused`` before writing anything when the database holds real cases (unless
    ``force``), when the catalogue is not seeded, or when the as-of day leaves no room after
    REPORTING_START."""
    started = time.perf_counter()
    if cases < 1:
        raise DemoRefused(_("Give a number of cases of at least 1."))
    as_of = as_of or city_today()
    now = city_noon_utc(as_of, city_tz())
    span_start = period_at(0).start_utc
    if now - span_start < MIN_SPAN:
        raise DemoRefused(
            _(
                "The as-of day must be at least 30 days after REPORTING_START (%(start)s).",
                start=period_at(0).name,
            )
        )
    real = cases_not_made_here()
    if real and not force:
        raise DemoRefused(
            _(
                "This database holds %(n)s cases that demo-data did not make. Demo cases must "
                "not be mixed into real casework; use an empty database, or --force if you "
                "mean it.",
                n=real,
            )
        )
    clauses = _Clauses.load()
    staff = _staff()
    # Reproducible on purpose: demo data is made from a seed and never holds a secret.
    rng = random.Random(seed)  # noqa: S311
    plan = _plan(rng, cases, now=now, start=span_start)
    request_seeds = [rng.getrandbits(64) for _batch in range(0, cases, batch_size)]

    first_id = _next_id(Complaint)
    first_allegation_id = _next_id(Allegation)
    _reserve_ids(Complaint, first_id + cases - 1)
    _reserve_ids(Allegation, first_allegation_id + 3 * cases - 1)
    numbers = _take_reference_numbers(plan)
    run = DemoRun(
        seed=seed,
        cases=cases,
        as_of=as_of,
        first_complaint_id=first_id,
        last_complaint_id=first_id + cases - 1,
    )
    db.session.add(run)
    db.session.flush()
    summary = Summary(run_id=run.id, seed=seed, as_of=as_of)
    writer = _Writer(
        clauses=clauses,
        staff=staff,
        now=now,
        deadlines=Deadlines(
            ack=timedelta(days=current_app.config["ACK_DAYS"]),
            urgent_ack=timedelta(hours=current_app.config["URGENT_ACK_HOURS"]),
            investigation=timedelta(days=current_app.config["INVESTIGATION_DAYS"]),
        ),
        people=max(1, round(cases * REQUESTS_PER_CASE / REQUESTS_PER_PERSON)),
        summary=summary,
        numbers=numbers,
        next_allegation_id=first_allegation_id,
    )
    for number, begin in enumerate(range(0, cases, batch_size)):
        chunk = plan[begin : begin + batch_size]
        requests_rng = random.Random(request_seeds[number])  # noqa: S311
        writer.write_batch(chunk, first_id + begin, requests_rng)
        uow.commit()
        if progress is not None:
            progress(len(chunk))
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass(frozen=True)
class Planned:
    """One case before its story is told: when it arrived and the seed of its story."""

    received_at: datetime
    index: int
    seed: int


def _plan(rng: random.Random, cases: int, *, now: datetime, start: datetime) -> list[Planned]:
    """Every case's arrival, in arrival order (ids and references follow it). The first
    cases of a run cover every state; each is placed where its state is plausible now."""
    span = (now - start).total_seconds()
    recent = {
        Status.SUBMITTED: timedelta(days=1),
        Status.TRIAGE: timedelta(days=10),
        Status.INVESTIGATION: timedelta(days=40),
        Status.REVIEW: timedelta(days=150),
    }
    plan = []
    for index in range(cases):
        if index < len(FORCED):
            _ending, state, _disposition = FORCED[index]
            back = recent.get(state) or timedelta(days=rng.uniform(200, 330))
            received = max(start, now - back)
        else:
            received = start + timedelta(seconds=rng.uniform(0, span))
        plan.append(Planned(received.replace(microsecond=0), index, rng.getrandbits(64)))
    plan.sort(key=lambda p: (p.received_at, p.index))
    return plan


def _city_year(moment: datetime) -> int:
    return moment.astimezone(city_tz()).year


def _take_reference_numbers(plan: list[Planned]) -> dict[int, Iterator[int]]:
    """Take each year's block of case numbers from the counter real filings use, so a case
    filed after the run gets the next number."""
    per_year: dict[int, int] = {}
    for planned in plan:
        year = _city_year(planned.received_at)
        per_year[year] = per_year.get(year, 0) + 1
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    numbers = {}
    for year, count in sorted(per_year.items()):
        db.session.execute(
            insert(ReferenceCounter)
            .values(year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        last = db.session.execute(
            sa.update(ReferenceCounter)
            .where(ReferenceCounter.year == year)
            .values(last_number=ReferenceCounter.last_number + count)
            .returning(ReferenceCounter.last_number)
        ).scalar_one()
        numbers[year] = iter(range(last - count + 1, last + 1))
    return numbers


def _next_id(model: type) -> int:
    return (db.session.execute(sa.select(sa.func.max(model.id))).scalar_one() or 0) + 1


def _reserve_ids(model: type, last: int) -> None:
    # On PostgreSQL rows inserted with explicit ids leave the sequence behind: move it past
    # the block, so rows inserted later get fresh ids. SQLite takes max(id) + 1 by itself.
    if db.session.get_bind().dialect.name == "postgresql":
        table = model.__tablename__
        db.session.execute(
            sa.text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"), {"t": table, "v": last}
        )


class _Clauses:
    """The complaint-eligible clause versions, to link each allegation to the version in
    force on its incident date."""

    def __init__(self, versions: dict[str, list[tuple[date, date | None, int]]]):
        self.versions = versions

    @classmethod
    def load(cls) -> _Clauses:
        rows = db.session.execute(
            sa.select(Clause.code, Clause.effective_from, Clause.effective_to, Clause.id)
            .where(Clause.complaint_eligible.is_(True))
            .order_by(Clause.code, Clause.version)
        ).all()
        if not rows:
            raise DemoRefused(_("The clause catalogue is empty: run `flask seed` first."))
        versions: dict[str, list[tuple[date, date | None, int]]] = {}
        for code, start, end, clause_id in rows:
            versions.setdefault(code, []).append((start, end, clause_id))
        return cls(versions)

    def in_force(self, code: str | None, day: date) -> int | None:
        if code is None or code not in self.versions:
            return None
        versions = self.versions[code]
        for start, end, clause_id in versions:
            if start <= day and (end is None or day < end):
                return clause_id
        return versions[0][2]


# Accounts the demo makes when the database has none of a role: unusable passwords, so
# nobody signs in as them; real staff make their own with ``create-user``.
DEMO_STAFF = (
    (Role.INTAKE, 2),
    (Role.INVESTIGATOR, 5),
    (Role.SUPERVISOR, 2),
    (Role.RECORDS, 1),
)
DEMO_ORGANISATIONS = (
    ("demo-riverside-legal-aid", "Riverside Legal Aid (demo)"),
    ("demo-immigrant-defense-project", "Immigrant Defense Project (demo)"),
    ("demo-community-law-center", "Community Law Center (demo)"),
)


def _active(role: Role) -> list[int]:
    return list(
        db.session.execute(
            sa.select(User.id).where(User.role == role, User.active.is_(True)).order_by(User.id)
        ).scalars()
    )


def _staff() -> Staff:
    """The accounts the demo's casework is done by: the active ones of each role, or a few
    made for the purpose; and organisations with an advocate each."""
    ids = {}
    for role, count in DEMO_STAFF:
        ids[role] = _active(role)
        if not ids[role]:
            for n in range(1, count + 1):
                user = accounts.new_account(
                    f"demo-{role.value}-{n}@example.org",
                    role,
                    actor=None,
                    display_name=f"Demo {role.value} {n}",
                )
                ids[role].append(user.id)
    organisations = [
        (org_id, advocate_id)
        for org_id, advocate_id in db.session.execute(
            sa.select(User.organisation_id, sa.func.min(User.id))
            .join(Organisation, Organisation.id == User.organisation_id)
            .where(User.role == Role.ADVOCATE, User.active.is_(True), Organisation.active)
            .group_by(User.organisation_id)
            .order_by(User.organisation_id)
        ).all()
    ]
    if not organisations:
        for n, (slug, name) in enumerate(DEMO_ORGANISATIONS, start=1):
            organisation = Organisation(slug=slug, name=name)
            db.session.add(organisation)
            db.session.flush()
            advocate = accounts.new_account(
                f"demo-advocate-{n}@example.org",
                Role.ADVOCATE,
                actor=None,
                org_slug=slug,
                display_name=f"Demo advocate {n}",
            )
            organisations.append((organisation.id, advocate.id))
    # Supervisors investigate too; intake covers the phone and counter.
    return Staff(
        intake=ids[Role.INTAKE] or ids[Role.SUPERVISOR],
        investigators=ids[Role.INVESTIGATOR] or ids[Role.SUPERVISOR],
        supervisors=ids[Role.SUPERVISOR],
        records=ids[Role.RECORDS],
        organisations=organisations,
    )


def _sealer(model: type, attribute: str) -> Callable[[str | int, str | None], str | None]:
    """Seal text exactly as the model's ``Sealed`` attribute would for a row."""
    descriptor = model.__dict__[attribute]
    table, name = model.__tablename__, descriptor.name
    seal_text = text_sealer()

    def seal(row: str | int, text: str | None) -> str | None:
        return seal_text(text, table, name, row) if text else None

    return seal


class _Bulk:
    """Inserts many rows at once, on the session's connection and inside its transaction:
    COPY on PostgreSQL, ``executemany`` on SQLite. Rows are tuples of the values the columns
    store: enum values, JSON text, and times through ``time``."""

    def __init__(self) -> None:
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"

    def time(self, moment: datetime | None) -> datetime | str | None:
        """A UTC time as the column stores it (SQLite: SQLAlchemy's text form)."""
        if moment is None or self.postgres:
            return moment
        if moment.tzinfo is not UTC:
            moment = moment.astimezone(UTC)
        # "YYYY-MM-DD HH:MM:SS.ffffff", as SQLAlchemy writes it; isoformat is the fast way.
        return moment.isoformat(" ", "microseconds")[:26]

    def day(self, value: date) -> date | str:
        return value if self.postgres else value.isoformat()

    def insert(self, table: sa.Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            cursor = self.connection.connection.driver_connection.cursor()
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * len(columns))
        # Table and column names come from the models, never from input.
        self.connection.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',  # noqa: S608
            rows,
        )


def person_hasher() -> Callable[[str], str]:
    """The ledger's pseudonymous key for a person: a keyed hash of the booking number."""
    column = FederalRequest.__table__.c.person_key
    if column.type.length is not None and column.type.length < 80:
        # A column too narrow for "<key id>$<hex>" holds the bare digest.
        return lambda booking: keyed_digest(PERSON_KEY_PURPOSE, booking).hex()
    return keyed_hasher(PERSON_KEY_PURPOSE)


# Why ICE said it asked, as the request forms give reasons.
REQUEST_REASONS = (
    "final_order",
    "removal_proceedings",
    "biometric_match",
    "statements_or_evidence",
    "other",
    "none_given",
)
FORMS_FOR = {
    RequestKind.HOLD: ((RequestForm.I_247A, 0.9), (RequestForm.OTHER, 0.1)),
    RequestKind.ADMINISTRATIVE_WARRANT: (
        (RequestForm.I_200, 0.55),
        (RequestForm.I_205, 0.35),
        (RequestForm.I_203, 0.1),
    ),
    RequestKind.NOTIFICATION: ((RequestForm.I_247A, 0.7), (RequestForm.OTHER, 0.3)),
}
KIND_WEIGHTS = (
    (RequestKind.HOLD, 0.55),
    (RequestKind.ADMINISTRATIVE_WARRANT, 0.2),
    (RequestKind.NOTIFICATION, 0.25),
)
OUTCOMES_FOR = {
    RequestKind.HOLD: (
        (RequestOutcome.DECLINED, 0.7),
        (RequestOutcome.DETAINED, 0.15),
        (RequestOutcome.TRANSFERRED, 0.15),
    ),
    RequestKind.ADMINISTRATIVE_WARRANT: (
        (RequestOutcome.DECLINED, 0.6),
        (RequestOutcome.DETAINED, 0.2),
        (RequestOutcome.TRANSFERRED, 0.2),
    ),
    RequestKind.NOTIFICATION: (
        (RequestOutcome.DECLINED, 0.75),
        (RequestOutcome.INFORMATION_GIVEN, 0.25),
    ),
}


def _pick(rng: random.Random, pairs: tuple) -> object:
    return rng.choices([v for v, _ in pairs], [w for _, w in pairs])[0]


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


def _value(member: enum.Enum | None) -> str | None:
    return member.value if member is not None else None


class _Writer:
    """Turns a batch of planned cases into rows and inserts them."""

    def __init__(
        self,
        *,
        clauses: _Clauses,
        staff: Staff,
        now: datetime,
        deadlines: Deadlines,
        people: int,
        summary: Summary,
        numbers: dict[int, Iterator[int]],
        next_allegation_id: int,
    ):
        self.clauses = clauses
        self.staff = staff
        self.now = now
        self.deadlines = deadlines
        self.people = people
        self.summary = summary
        self.numbers = numbers
        self.next_allegation_id = next_allegation_id
        self.prefix = current_app.config["REFERENCE_PREFIX"]
        self.chain = audit.bulk_linker()
        self.person_hash = person_hasher()
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

    def write_batch(self, chunk: list[Planned], first_id: int, requests_rng: random.Random) -> None:
        bulk = _Bulk()
        stories: list[tuple[int, str, CaseStory, random.Random]] = []
        for offset, planned in enumerate(chunk):
            rng = random.Random(planned.seed)  # noqa: S311
            forced = FORCED[planned.index] if planned.index < len(FORCED) else None
            story = tell(
                rng,
                received_at=planned.received_at,
                now=self.now,
                staff=self.staff,
                deadlines=self.deadlines,
                forced=forced,
                forced_index=planned.index,
            )
            year = _city_year(story.received_at)
            reference = f"{self.prefix}-{year}-{next(self.numbers[year]):04d}"
            stories.append((first_id + offset, reference, story, rng))
        merged_into = self._merge_duplicates(stories)

        complaints, allegations, assignments, events, heads = [], [], [], [], []
        for complaint_id, reference, story, rng in stories:
            allegation_ids = self._allegations(bulk, complaint_id, story, rng, allegations)
            complaints.append(
                self._complaint(bulk, complaint_id, reference, story, rng, merged_into)
            )
            if story.screened_in_at is not None and story.assignee_id is not None:
                assignments.append(
                    (complaint_id, story.assignee_id, bulk.time(story.screened_in_at))
                )
            heads.append(self._chain(bulk, complaint_id, reference, story, allegation_ids, events))
            self._count(story, reference)

        for model, columns, rows in (
            (Complaint, COMPLAINT_COLUMNS, complaints),
            (Allegation, ALLEGATION_COLUMNS, allegations),
            (CaseAssignment, ASSIGNMENT_COLUMNS, assignments),
            (CaseEvent, EVENT_COLUMNS, events),
            (AuditChainHead, HEAD_COLUMNS, heads),
        ):
            bulk.insert(model.__table__, columns, rows)
        # Few rows, and the ledger's columns may grow: through SQLAlchemy's own insert.
        requests = self._requests(requests_rng, stories, len(chunk))
        if requests:
            db.session.execute(sa.insert(FederalRequest.__table__), requests)
        self.summary.cases += len(complaints)
        self.summary.allegations += len(allegations)
        self.summary.events += len(events)
        self.summary.federal_requests += len(requests)

    def _count(self, story: CaseStory, reference: str) -> None:
        summary = self.summary
        summary.first_reference = summary.first_reference or reference
        summary.last_reference = reference
        summary.by_status[story.status.value] = summary.by_status.get(story.status.value, 0) + 1

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
        bulk: _Bulk,
        complaint_id: int,
        reference: str,
        story: CaseStory,
        rng: random.Random,
        merged_into: dict[int, int],
    ) -> tuple:
        code = tracking.code_for_token(f"{reference}:{rng.getrandbits(128):032x}")
        if (
            self.summary.sample_tracking is None
            and story.status != Status.CLOSED
            and story.organisation_id is None
        ):
            self.summary.sample_tracking = (reference, code)
        contact = story.contact
        _prefix, year, number = reference.rsplit("-", 2)
        version = 1 + sum(
            1 for e in story.events if e.kind in (EventKind.STATUS_CHANGED, EventKind.ASSIGNED)
        )
        t = bulk.time
        return (
            complaint_id,
            reference,
            int(year),
            int(number),
            tracking.hash_code(code),
            story.channel.value,
            story.status.value,
            _value(story.closure_reason),
            bulk.day(story.incident_date),
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
        bulk: _Bulk,
        complaint_id: int,
        story: CaseStory,
        rng: random.Random,
        rows: list[tuple],
    ) -> list[int]:
        ids = []
        created = bulk.time(story.received_at)
        for position, allegation in enumerate(story.allegations, start=1):
            allegation_id = self.next_allegation_id
            self.next_allegation_id += 1
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
        bulk: _Bulk,
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
            kind, visibility, actor_kind = (
                event.kind.value,
                event.visibility.value,
                event.actor_kind.value,
            )
            fields = [
                seq,
                complaint_id,
                kind,
                visibility,
                actor_kind,
                event.actor_id,
                event.at.isoformat(),
                data,
                digest,
            ]
            link = self.chain.link(name, fields, prev)
            rows.append(
                (
                    seq,
                    complaint_id,
                    kind,
                    visibility,
                    actor_kind,
                    event.actor_id,
                    bulk.time(event.at),
                    json.dumps(data),
                    self.seal_body(f"{complaint_id}.{seq}", body),
                    digest,
                    prev,
                    link,
                )
            )
            prev = link
        last = len(story.events)
        return (name, last, prev, self.chain.head(name, last, prev), bulk.time(story.updated_at))

    def _requests(
        self,
        rng: random.Random,
        stories: list[tuple[int, str, CaseStory, random.Random]],
        count: int,
    ) -> list[dict]:
        """Section 4 ledger entries received over the same days as the batch's cases; some
        people get several requests; a few entries are linked to a complaint about custody."""
        wanted = int(count * REQUESTS_PER_CASE + rng.random())
        custody = [
            (complaint_id, story)
            for complaint_id, _reference, story, _rng in stories
            if any(a.clause_code in ("2c", "2e") for a in story.allegations)
        ]
        records = self.staff.records
        rows = []
        for _request in range(wanted):
            linked = None
            if custody and rng.random() < 0.08:
                linked, story = rng.choice(custody)
                received_on = story.incident_date
            else:
                story = rng.choice(stories)[2]
                received_on = (story.received_at - timedelta(days=rng.randint(0, 20))).date()
            kind = _pick(rng, KIND_WEIGHTS)
            outcome = _pick(rng, OUTCOMES_FOR[kind])
            held = outcome in (RequestOutcome.DETAINED, RequestOutcome.TRANSFERRED)
            reasons = sorted(set(rng.sample(REQUEST_REASONS, rng.choice((1, 1, 2)))))
            reimbursed = held and rng.random() < 0.2
            hours = rng.choice((0, 0, 2, 6, 12, 24, 48)) + rng.choice((0, 0.5))
            rows.append(
                {
                    "received_on": received_on,
                    "kind": kind,
                    "form": _pick(rng, FORMS_FOR[kind]),
                    "reason_given": ",".join(reasons),
                    "judicial_warrant_presented": rng.random() < 0.03,
                    "person_key": self.person_hash(f"BK-{rng.randrange(self.people):07d}"),
                    "outcome": outcome,
                    "detained_hours": Decimal(str(hours)) if held else None,
                    "reimbursement_amount": Decimal(rng.randrange(50, 900)) if reimbursed else None,
                    "reimbursement_case": (
                        f"ICE-R-{received_on.year}-{rng.randrange(1000):03d}"
                        if reimbursed
                        else None
                    ),
                    "complaint_id": linked,
                    "created_by_id": records[0] if records else None,
                    "created_at": datetime.combine(received_on, datetime.min.time(), UTC)
                    + timedelta(hours=rng.randint(12, 40)),
                }
            )
        return rows


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
