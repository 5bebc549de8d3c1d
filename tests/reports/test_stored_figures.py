"""The stored statistics (services/stat_summary.py) — the counts, and the duration counts by
band that percentiles start from — equal a recount from the cases after every kind of change
the office makes, one at a time through the workflow and from two processes at once; and the
figures read through the bands equal those computed from the cases, band edges included."""

from __future__ import annotations

import multiprocessing
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from complaints_app import create_app
from complaints_app.extensions import db as _db
from complaints_app.models import (
    Allegation,
    ClosureReason,
    Complaint,
    Disposition,
    Role,
    StatBasis,
    Status,
)
from complaints_app.services import stat_summary, statistics, workflow
from complaints_app.services.periods import parse_period, period_of_moment
from complaints_app.timeutil import utcnow
from config import TestingConfig
from tests.reports.conftest import at
from tests.staff.conftest import file_complaint, quick_user

SECRETS = ("SECRET_KEY", "HASH_KEY", "ENCRYPTION_KEYS")


def stored() -> dict[str, dict[tuple, int]]:
    """Every stored count that is not zero (a count that fell to zero keeps its row)."""
    found = {}
    for table, keys in stat_summary.TABLES:
        rows = _db.session.execute(select(*[table.c[k] for k in keys], table.c.n)).all()
        found[table.name] = {tuple(row[:-1]): row[-1] for row in rows if row[-1]}
    return found


def recounted() -> dict[str, dict[tuple, int]]:
    """The counts ``stats rebuild`` makes from the cases, the stored ones left as they were."""
    _db.session.commit()
    stat_summary.rebuild()
    counts = stored()
    _db.session.rollback()
    return counts


def assert_exact() -> None:
    _db.session.commit()
    assert stat_summary.is_current()
    kept = stored()
    assert kept == recounted()
    assert kept["stat_duration_band"] == {
        key: n
        for key, n in _bands_of(kept["stat_duration_count"]).items()
        if n  # every band is the sum of its amounts
    }


def _bands_of(durations: dict[tuple, int]) -> dict[tuple, int]:
    bands: dict[tuple, int] = {}
    for (period, measure, urgent, amount), n in durations.items():
        key = (period, measure, urgent, amount // stat_summary.BAND_WIDTH[measure])
        bands[key] = bands.get(key, 0) + n
    return bands


def figures(period: str | None, now) -> list[tuple]:
    chosen = parse_period(period) if period else None
    return [(t.key, t.rows) for t in statistics.dashboard(chosen, now=now)]


def assert_stored_figures_equal_the_cases(periods: tuple, now) -> None:
    assert stat_summary.is_current()
    counted = {p: figures(p, now) for p in periods}
    _db.session.execute(delete(StatBasis))
    assert not stat_summary.is_current()
    assert {p: figures(p, now) for p in periods} == counted
    _db.session.rollback()


def _age(complaint: Complaint, by: timedelta) -> None:
    """Move a freshly filed case back in time, as if it had been received ``by`` ago."""
    complaint.received_at -= by
    complaint.ack_due_at -= by


def test_stored_figures_follow_the_workflow_and_match_a_recount(app, city, db, make_case):
    supervisor = quick_user(db, Role.SUPERVISOR)
    investigator = quick_user(db, Role.INVESTIGATOR, "investigator@svc.example")
    cases = [file_complaint(db) for _ in range(4)]
    a, b, c, d = cases
    # Ages that put the times to acknowledge and to close in several bands, and the cases
    # in two periods.
    for case, by in zip(
        cases,
        (
            timedelta(days=200, minutes=7),
            timedelta(minutes=59),
            timedelta(hours=1),
            timedelta(days=3),
        ),
        strict=True,
    ):
        _age(case, by)
    d.urgent = True
    assert_exact()

    for case in (a, b, c, d):
        workflow.acknowledge(case, supervisor, "We received your complaint.")
    assert_exact()

    for case in (a, b):
        for allegation in case.allegations:
            allegation.clause_confirmed = True
        workflow.screen_in(case, supervisor, investigator)
    workflow.screen_out(c, supervisor, ClosureReason.REFERRED, "Sent to the DA.")
    assert_exact()

    a.waiting_since = utcnow() - timedelta(days=40)
    assert_exact()
    a.waiting_since = None
    for allegation in a.allegations:
        allegation.disposition = Disposition.SUSTAINED
    a.allegations[-1].disposition = Disposition.EXONERATED
    workflow.submit_findings(a, investigator, "The hold was unlawful.")
    assert_exact()
    workflow.approve(a, supervisor, "Your complaint was upheld.")
    assert_exact()

    workflow.reopen(a, supervisor, "New evidence arrived.")
    assert_exact()
    workflow.withdraw_by_staff(b, supervisor, "Phoned to withdraw.", "We closed it.")
    a.allegations.append(Allegation(position=len(a.allegations)))
    assert_exact()

    app.config["RETENTION_DAYS"], keep = 0, app.config["RETENTION_DAYS"]
    try:
        result = app.test_cli_runner().invoke(args=["retention", "purge"])
    finally:
        app.config["RETENTION_DAYS"] = keep
    assert result.exit_code == 0, result.output
    assert "Purged 2 case(s)" in result.output
    db.session.expire_all()
    assert_exact()

    gone = make_case(  # another year's reference, apart from the numbers intake took
        at("2025-12-01 12:00"),
        status=Status.CLOSED,
        acknowledged=at("2025-12-01 12:59"),
        closed=at("2025-12-09 12:00"),
        allegations=[("2c", Disposition.UNFOUNDED)],
    )
    assert_exact()
    db.session.delete(gone)
    assert_exact()

    spanned = {period_of_moment(case.received_at).name for case in (a, b, c, d)}
    assert len(spanned) == 2
    assert_stored_figures_equal_the_cases((None, *sorted(spanned)), utcnow())


@pytest.mark.parametrize(
    ("minutes", "median", "p90"),
    [
        # The two middle ranks in two bands (59 and 60 minutes): 59 + 0.5 × 1.
        ([59, 60], 0.99, 1.0),
        # Ranks 1.8 → between 61 (band 1) and 125 (band 2): 61 + 0.8 × 64 = 112.2 minutes.
        ([0, 61, 125], 1.02, 1.87),
        # Ties: rank 2.5 → 120.5 minutes; rank 4.5 → 179.5, across the edge of 180.
        ([120, 120, 120, 121, 179, 180], 2.01, 2.99),
    ],
)
def test_percentiles_across_band_edges_equal_the_cases(city, db, make_case, minutes, median, p90):
    for i, m in enumerate(minutes):
        received = at(f"2026-02-{i + 1:02d} 12:00")
        make_case(received, status=Status.TRIAGE, acknowledged=received + timedelta(minutes=m))
    row = statistics.table("time_to_acknowledge", parse_period("2026-01-01")).row("all")
    assert row.values == {"cases": len(minutes), "median": median, "p90": p90}
    now = at("2026-12-01 00:00")
    assert_stored_figures_equal_the_cases(("2026-01-01", None), now)


def test_many_cases_give_the_same_figures_from_the_bands_and_from_the_cases(city, db, make_case):
    """Hundreds of times with ties, spread over many bands and two periods."""
    for i in range(240):
        received = at("2026-02-01 12:00") + timedelta(days=(i * 7) % 300, minutes=i)
        acknowledged = received + timedelta(minutes=(i * 37) % 1500)
        closed = acknowledged + timedelta(hours=(i * 13) % 700) if i % 3 else None
        make_case(
            received,
            status=Status.CLOSED if closed else Status.TRIAGE,
            urgent=i % 4 == 0,
            acknowledged=acknowledged,
            closed=closed,
        )
    assert_exact()
    assert_stored_figures_equal_the_cases(("2026-01-01", "2026-07-01", None), utcnow())


# --- two writers at once ------------------------------------------------------------------

ROUNDS = 12


def _change_many(settings: dict, cases: list[int], start, results) -> None:
    """One worker process: every round changes each of its cases in its own transaction, as
    requests do — acknowledge, close, reopen, make urgent, add an allegation, decide it —
    with the same times as the other worker, so that both move the same counts."""
    app = create_app(TestingConfig, **settings)
    errors: list[str] = []
    with app.app_context():
        start.wait(30)
        for n in range(ROUNDS):
            for complaint_id in cases:
                try:
                    complaint = _db.session.get(Complaint, complaint_id)
                    step = n % 4
                    if step == 0:
                        complaint.status = Status.TRIAGE
                        complaint.acknowledged_at = complaint.received_at + timedelta(
                            minutes=30 + 17 * n
                        )
                    elif step == 1:
                        complaint.status = Status.CLOSED
                        complaint.closure_reason = ClosureReason.REFERRED
                        complaint.closed_at = complaint.received_at + timedelta(hours=20 + n)
                    elif step == 2:
                        complaint.status = Status.TRIAGE
                        complaint.closure_reason = None
                        complaint.closed_at = None
                        complaint.urgent = not complaint.urgent
                    else:
                        complaint.allegations.append(
                            Allegation(
                                disposition=Disposition.NOT_SUSTAINED,
                                position=len(complaint.allegations),
                            )
                        )
                    _db.session.commit()
                except Exception as exc:  # every failure is reported to the test, none hidden
                    _db.session.rollback()
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
        _db.engine.dispose()
    results.put(errors)


def test_two_processes_changing_cases_at_once_keep_the_counts_exact(app, city, db, make_case):
    cases = [
        make_case(at("2026-02-01 12:00") + timedelta(days=i % 2 * 180, minutes=i)).id
        for i in range(6)
    ]
    assert_exact()
    db.session.remove()  # hold no transaction while the workers run
    settings = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "REPORTING_START": date(2026, 1, 1),
        "TIMEZONE": "America/New_York",
        **{key: app.config[key] for key in SECRETS},
    }
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Event(), spawn.Queue()
    workers = [
        spawn.Process(target=_change_many, args=(settings, mine, start, results))
        for mine in (cases[0::2], cases[1::2])
    ]
    for worker in workers:
        worker.start()
    start.set()
    errors = [results.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert errors == [[], []]
    assert_exact()
    total = stored()["stat_allegation_count"]
    assert sum(total.values()) == len(cases) * (ROUNDS // 4)
