"""Statistics at scale: 1,000,000 allegations, then the staff dashboard and the public figures
timed against their targets.

Builds a scratch database (a SQLite file in a temporary folder, and a new PostgreSQL database
that is dropped afterwards), migrated to head with the clause catalogue seeded, then bulk
loads --complaints cases of two allegations each (COPY on PostgreSQL, executemany on SQLite),
spread evenly over three years of six-month reporting periods, with every status, finding,
agency and channel, urgent cases, acknowledgement and closure times. ANALYZE runs after the
load, as autovacuum would, then ``stats rebuild`` fills the stored counts (bulk SQL is seen by
no flush), and its time is printed too.

Timed, each the median of --repeat runs after one warm-up:
- the staff dashboard (``statistics.dashboard``) for the last complete period and for all
  periods together: target at most 300 ms on PostgreSQL;
- the public figures: the same aggregates, one period at a time, for every period.

    .venv/bin/python benchmarks/stats.py [--complaints 500000] [--repeat 5]
        [--sqlite-only | --postgres-only]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics as stats
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from scratch_db import scratch_database  # noqa: E402

TARGET_MS = 300.0
START = date(2023, 7, 1)
SPAN_DAYS = 3 * 365
NOW = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)

COMPLAINT_COLUMNS = (
    "id, reference, reference_year, reference_number, tracking_hash, channel, status, "
    "closure_reason, incident_date, agency, preferred_language, anonymous, urgent, "
    "received_at, ack_due_at, acknowledged_at, screened_in_at, investigation_due_at, "
    "waiting_since, closed_at, updated_at, legal_hold, version"
)
ALLEGATION_COLUMNS = (
    "id, complaint_id, clause_id, clause_confirmed, seal_key, facts, disposition, position, "
    "created_at"
)
CHANNELS = ["web"] * 6 + ["advocate"] * 2 + ["phone", "walk_in", "mail", "api"]
AGENCIES = ["police"] * 5 + ["jail"] * 3 + ["other_city", "unknown"]
DISPOSITIONS = ["sustained", "not_sustained", "exonerated", "unfounded", "policy_failure"] * 3 + [
    "no_finding"
]
CLOSURES = ["findings_approved"] * 6 + [
    "no_trust_act_allegation",
    "outside_jurisdiction",
    "referred",
    "withdrawn",
]


def generate(n: int, clause_ids: list[int], seed: int = 7):
    """Yield (complaint row, [allegation rows]) with plain Python values, in received order."""
    rng = random.Random(seed)
    allegation_id = 0
    base = datetime.combine(START, datetime.min.time(), tzinfo=UTC) + timedelta(hours=5)
    step = SPAN_DAYS * 86400 / n
    for i in range(1, n + 1):
        received = base + timedelta(seconds=i * step + rng.random() * step)
        age = (NOW - received).days
        urgent = rng.random() < 0.08
        ack_due = received + (timedelta(hours=4) if urgent else timedelta(days=5))
        # Older cases are further along: most of them closed.
        roll = rng.random() * min(1.0, age / 200)
        status = (
            "closed"
            if roll > 0.2
            else rng.choice(["submitted", "triage", "investigation", "investigation", "review"])
        )
        acknowledged = screened = inv_due = waiting = closed = None
        if status != "submitted":
            acknowledged = received + timedelta(seconds=rng.randint(600, 9 * 86400))
        if status in ("investigation", "review") or (status == "closed" and rng.random() < 0.7):
            screened = acknowledged + timedelta(days=rng.randint(1, 20))
            inv_due = screened + timedelta(days=90)
        if status == "investigation" and rng.random() < 0.3:
            waiting = NOW - timedelta(days=rng.randint(1, 60))
        closure = None
        if status == "closed":
            closure = rng.choice(CLOSURES)
            closed = (screened or acknowledged or received) + timedelta(
                seconds=rng.randint(3600, 150 * 86400)
            )
        complaint = (
            i,
            f"TA-{received.year}-{i:07d}",
            received.year,
            i,
            secrets.token_hex(8),
            rng.choice(CHANNELS),
            status,
            closure,
            received.date() - timedelta(days=rng.randint(0, 30)),
            rng.choice(AGENCIES),
            "en",
            rng.random() < 0.3,
            urgent,
            received,
            ack_due,
            acknowledged,
            screened,
            inv_due,
            waiting,
            closed,
            closed or acknowledged or received,
            False,
            1,
        )
        allegations = []
        for position in range(2):
            allegation_id += 1
            unclassified = rng.random() < 0.05
            decided = status == "closed" and closure == "findings_approved"
            allegations.append(
                (
                    allegation_id,
                    i,
                    None if unclassified else rng.choice(clause_ids),
                    not unclassified and status != "submitted",
                    secrets.token_hex(16),
                    "{}",
                    rng.choice(DISPOSITIONS) if decided else None,
                    position,
                    received,
                )
            )
        yield complaint, allegations


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_sqlite(path: Path, n: int, clause_ids: list[int]) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    c_marks = ", ".join("?" * len(COMPLAINT_COLUMNS.split(",")))
    a_marks = ", ".join("?" * len(ALLEGATION_COLUMNS.split(",")))
    complaints, allegations = [], []

    def flush():
        # Column lists are the constants above, never input.
        insert_complaint = f"INSERT INTO complaint ({COMPLAINT_COLUMNS}) VALUES ({c_marks})"  # noqa: S608
        insert_allegation = f"INSERT INTO allegation ({ALLEGATION_COLUMNS}) VALUES ({a_marks})"  # noqa: S608
        conn.executemany(insert_complaint, complaints)
        conn.executemany(insert_allegation, allegations)
        complaints.clear()
        allegations.clear()

    for complaint, rows in generate(n, clause_ids):
        complaints.append(tuple(_sqlite_value(v) for v in complaint))
        allegations.extend(tuple(_sqlite_value(v) for v in row) for row in rows)
        if len(complaints) >= 20_000:
            flush()
    flush()
    conn.commit()
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def load_postgres(url: str, n: int, clause_ids: list[int]) -> None:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            with cur.copy(f"COPY complaint ({COMPLAINT_COLUMNS}) FROM STDIN") as copy:
                pending = []
                for complaint, rows in generate(n, clause_ids):
                    copy.write_row(complaint)
                    pending.extend(rows)
            with cur.copy(f"COPY allegation ({ALLEGATION_COLUMNS}) FROM STDIN") as copy:
                for row in pending:
                    copy.write_row(row)
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE complaint")
        conn.execute("VACUUM ANALYZE allegation")


def _timed(fn, repeat: int) -> float:
    fn()  # warm-up: caches, plans
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - began) * 1000)
    return stats.median(runs)


def run(kind: str, url: str, n: int, repeat: int, loader) -> list[str]:
    from flask_migrate import upgrade
    from sqlalchemy import event, func, select

    from complaints_app import create_app
    from complaints_app.extensions import db
    from complaints_app.models import Allegation, Clause, Complaint
    from complaints_app.services import catalogue, stat_summary, statistics
    from complaints_app.services.periods import periods
    from config import TestingConfig

    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=url,
        REPORTING_START=START,
        TIMEZONE="America/New_York",
    )
    lines = []
    with app.app_context():
        upgrade()
        catalogue.seed()
        db.session.commit()
        clause_ids = list(
            db.session.execute(select(Clause.id).where(Clause.complaint_eligible)).scalars()
        )
        db.session.remove()
        began = time.perf_counter()
        loader(n, clause_ids)
        loaded = time.perf_counter() - began
        n_complaints = db.session.scalar(select(func.count()).select_from(Complaint))
        n_allegations = db.session.scalar(select(func.count()).select_from(Allegation))
        lines.append(
            f"{kind}: loaded {n_complaints:,} complaints, {n_allegations:,} allegations "
            f"in {loaded:.1f} s"
        )
        began = time.perf_counter()
        stat_summary.rebuild()
        db.session.commit()
        lines.append(
            f"{kind}: counts rebuilt from the cases (stats rebuild) in "
            f"{time.perf_counter() - began:.1f} s"
        )
        queries = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
        with app.test_request_context("/"):
            spanned = [p for p in periods(NOW.date()) if p.end_utc <= NOW]
            last = spanned[-1]

            def check(name: str, ms: float, target: float | None) -> None:
                verdict = ""
                if target is not None:
                    verdict = f"  target ≤ {target:.0f} ms: {'met' if ms <= target else 'MISSED'}"
                lines.append(f"  {name:<44} {ms:8.1f} ms{verdict}")

            target = TARGET_MS if kind == "postgresql" else None
            queries.clear()
            statistics.dashboard(last, now=NOW)
            per_page = len(queries)
            check(
                f"dashboard, period {last.name} ({per_page} queries)",
                _timed(lambda: statistics.dashboard(last, now=NOW), repeat),
                target,
            )
            check(
                "dashboard, all periods",
                _timed(lambda: statistics.dashboard(None, now=NOW), repeat),
                target,
            )
            for period in spanned:
                check(
                    f"public figures, period {period.name}",
                    _timed(
                        lambda p=period: [t for t in statistics.dashboard(p, now=NOW) if t.public],
                        repeat,
                    ),
                    target,
                )
        db.session.remove()
        db.engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=5)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sqlite-only", action="store_true")
    group.add_argument("--postgres-only", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database and print its name"
    )
    args = parser.parse_args()
    os.environ.setdefault("APP_ENV", "testing")
    report = []
    if not args.postgres_only:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "stats.sqlite3"
            report += run(
                "sqlite",
                f"sqlite:///{path}",
                args.complaints,
                args.repeat,
                lambda n, ids: load_sqlite(path, n, ids),
            )
    if not args.sqlite_only:
        with scratch_database("complaints_bench", keep=args.keep) as url:
            report += run(
                "postgresql",
                url,
                args.complaints,
                args.repeat,
                lambda n, ids: load_postgres(url, n, ids),
            )
            if args.keep:
                report.append(f"kept database {url.rsplit('/', 1)[1]}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    report.append(f"machine: {os.cpu_count()} cores, load average at the end {load}")
    print("\n".join(report))


if __name__ == "__main__":
    main()
