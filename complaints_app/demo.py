"""Synthetic cases for demonstrations and benchmarks: ``flask --app wsgi demo-data``.

``generate(cases, seed)`` writes realistic cases spread over the reporting periods from
REPORTING_START up to the as-of day: every channel, agency, status, closure reason and
disposition, urgent cases, advocates' filings, timelines with messages and notes, and section 4
ledger entries. The rows are what the real services would have written: free text sealed
with the same keys and the same binding to its row, each case's timeline a valid audit chain
(``audit verify`` passes), references taken from the same yearly counter as real filings.

It is fast because it writes in bulk: worker processes build each batch's rows (stories,
seals, chain hashes) while this process inserts the batches already built, with COPY on
PostgreSQL and ``executemany`` on SQLite, one commit per batch. Complaint and allegation ids
are given out as one block when the run begins (timelines are bound to the case id), so a run
must not share the database with live filings.

The same seed, number of cases, as-of day and batch size give the same cases (references,
dates, texts, choices), however many workers build them; only ciphertexts and keyed hashes
differ between databases with different keys, and every seal takes a fresh nonce. The as-of
day defaults to the city's today, so two runs on different days differ: pass ``as_of`` (or
``--as-of``) to repeat one exactly. The stories run from REPORTING_START (the first reporting
period) to noon of the as-of day, so they cover every period up to it.

A database holding cases that no demo run made is refused unless ``force`` is given: demo data
must never be mixed into real casework by accident. Each run is recorded in ``demo_run`` with
the block of complaint ids it took; a second run adds more cases after the first.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from complaints_app import uow
from complaints_app.demo_ledger import REQUESTS_PER_CASE
from complaints_app.demo_rows import (
    MAX_ALLEGATIONS,
    TABLES,
    Built,
    ClauseVersions,
    Job,
    Planned,
    RowBuilder,
    Setting,
)
from complaints_app.demo_story import Deadlines, Staff, city_noon_utc
from complaints_app.demo_texts import FORCED
from complaints_app.extensions import db
from complaints_app.models import (
    Allegation,
    Clause,
    Complaint,
    DemoRun,
    FederalRequest,
    Organisation,
    ReferenceCounter,
    Role,
    Status,
    User,
)
from complaints_app.services import accounts, stat_summary
from complaints_app.services.periods import period_at
from complaints_app.timeutil import city_today, city_tz

BATCH_SIZE = 2000
# How many requests each person in the ledger gets on average.
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

    def add(self, built: Built, job: Job) -> None:
        """Count one inserted batch."""
        self.cases += len(job.planned)
        self.allegations += built.allegations
        self.events += built.events
        self.federal_requests += len(built.requests)
        self.first_reference = self.first_reference or job.references[0]
        self.last_reference = job.references[-1]
        self.sample_tracking = self.sample_tracking or built.sample_tracking
        for status, count in built.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + count


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
    workers: int | None = None,
) -> Summary:
    """Write ``cases`` synthetic cases (and ledger entries beside them), committing once per
    batch and calling ``progress(n)`` after each with the number of cases it held.

    Raises ``DemoRefused`` before writing anything when the database holds real cases (unless
    ``force``), when the catalogue is not seeded, or when the as-of day leaves no room after
    REPORTING_START."""
    started = time.perf_counter()
    if workers is None:
        workers = min(os.cpu_count() or 1, 4)
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
    setting = Setting(
        staff=_staff(),
        clauses=_clause_versions(),
        now=now,
        deadlines=Deadlines(
            ack=timedelta(days=current_app.config["ACK_DAYS"]),
            urgent_ack=timedelta(hours=current_app.config["URGENT_ACK_HOURS"]),
            investigation=timedelta(days=current_app.config["INVESTIGATION_DAYS"]),
        ),
        people=max(1, round(cases * REQUESTS_PER_CASE / REQUESTS_PER_PERSON)),
        postgres=db.session.get_bind().dialect.name == "postgresql",
        prefix=current_app.config["REFERENCE_PREFIX"],
    )
    # Reproducible on purpose: demo data is made from a seed and never holds a secret.
    rng = random.Random(seed)  # noqa: S311
    plan = _plan(rng, cases, now=now, start=span_start)
    references = _take_references(plan, setting.prefix)

    first_id = _next_id(Complaint)
    first_allegation_id = _next_id(Allegation)
    _reserve_ids(Complaint, first_id + cases - 1)
    _reserve_ids(Allegation, first_allegation_id + MAX_ALLEGATIONS * cases - 1)
    run = DemoRun(
        seed=seed,
        cases=cases,
        as_of=as_of,
        first_complaint_id=first_id,
        last_complaint_id=first_id + cases - 1,
    )
    db.session.add(run)
    db.session.flush()
    jobs = [
        Job(
            planned=plan[begin : begin + batch_size],
            first_id=first_id + begin,
            references=references[begin : begin + batch_size],
            first_allegation_id=first_allegation_id + begin * MAX_ALLEGATIONS,
            requests_seed=rng.getrandbits(64),
        )
        for begin in range(0, cases, batch_size)
    ]
    summary = Summary(run_id=run.id, seed=seed, as_of=as_of)
    bulk = _Bulk(setting.postgres)
    for job, built in zip(jobs, _built(setting, jobs, workers), strict=True):
        bulk.insert(built)
        uow.commit()
        summary.add(built, job)
        if progress is not None:
            progress(len(job.planned))
    # The bulk rows went around the ORM, so the statistics' stored counts never saw them.
    stat_summary.rebuild()
    uow.commit()
    summary.seconds = time.perf_counter() - started
    return summary


def _built(setting: Setting, jobs: list[Job], workers: int) -> Iterator[Built]:
    """Each job's rows, in order: built here, or by worker processes while this one
    inserts the batches already built."""
    if workers <= 1 or len(jobs) == 1 or "fork" not in mp.get_all_start_methods():
        builder = RowBuilder(setting)
        yield from (builder.build(job) for job in jobs)
        return
    global _WORKER_SETTING
    _WORKER_SETTING = (current_app._get_current_object(), setting)
    # Forked children share the parent's memory (the app, its keys, the setting) and
    # never touch the database; each builds whole batches.
    with mp.get_context("fork").Pool(workers, initializer=_start_worker) as pool:
        # A few batches ahead, no more: built rows wait in memory until inserted.
        waiting: deque = deque()
        ahead = iter(jobs)
        for job in islice(ahead, workers + 1):
            waiting.append(pool.apply_async(_build_in_worker, (job,)))
        while waiting:
            built = waiting.popleft().get()
            job = next(ahead, None)
            if job is not None:
                waiting.append(pool.apply_async(_build_in_worker, (job,)))
            yield built


_WORKER_SETTING: tuple[Flask, Setting] | None = None
_WORKER_BUILDER: RowBuilder | None = None


def _start_worker() -> None:
    global _WORKER_BUILDER
    app, setting = _WORKER_SETTING  # set by the parent before it forked
    # The parent's pooled connections are its own: forget them without closing them.
    with app.app_context():
        db.engine.dispose(close=False)
    app.app_context().push()
    _WORKER_BUILDER = RowBuilder(setting)


def _build_in_worker(job: Job) -> Built:
    return _WORKER_BUILDER.build(job)


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


def _take_references(plan: list[Planned], prefix: str) -> list[str]:
    """Each planned case's reference, taken year by year as one block from the counter real
    filings use, so a case filed after the run gets the next number."""
    per_year: dict[int, int] = {}
    years = [_city_year(planned.received_at) for planned in plan]
    for year in years:
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
    return [f"{prefix}-{year}-{next(numbers[year]):04d}" for year in years]


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


def _clause_versions() -> ClauseVersions:
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
    return ClauseVersions(versions)


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


class _Bulk:
    """Inserts a batch's rows on the session's connection, inside its transaction: COPY on
    PostgreSQL, ``executemany`` on SQLite. The rows hold what the columns store (enum
    values, JSON text, SQLite's text times), so no type conversion runs here."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres

    def insert(self, built: Built) -> None:
        connection = db.session.connection()
        for model, columns in TABLES:
            rows = built.rows[model.__tablename__]
            if not rows:
                continue
            names = ", ".join(f'"{c}"' for c in columns)
            if self.postgres:
                cursor = connection.connection.driver_connection.cursor()
                with cursor.copy(f'COPY "{model.__tablename__}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                continue
            marks = ", ".join("?" * len(columns))
            # Table and column names come from the models, never from input.
            connection.exec_driver_sql(
                f'INSERT INTO "{model.__tablename__}" ({names}) VALUES ({marks})',  # noqa: S608 # nosec B608
                rows,
            )
        if built.requests:
            # Few rows, and the ledger's columns may grow: through SQLAlchemy's own insert,
            # which fills in column defaults.
            db.session.execute(sa.insert(FederalRequest.__table__), built.requests)
