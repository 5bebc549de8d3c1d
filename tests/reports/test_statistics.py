"""Every statistic against figures worked out by hand: counts by each dimension, clause and
finding, sustained share, median and 90th percentile with odd and even counts, period
boundaries at the city's midnight (in winter and summer time), overdue and waiting cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from complaints_app.models import (
    Agency,
    Allegation,
    Channel,
    Complaint,
    Disposition,
    StatBasis,
    Status,
)
from complaints_app.services import periods, stat_summary, statistics
from complaints_app.services.periods import parse_period
from tests.reports.conftest import at

FIRST = "2026-01-01"


def tables(period: str | None = FIRST, **kwargs) -> dict[str, statistics.Table]:
    chosen = parse_period(period) if period else None
    return {t.key: t for t in statistics.dashboard(chosen, **kwargs)}


def test_complaints_and_allegations_by_status_agency_and_channel(city, make_case):
    make_case(at("2026-02-01 12:00"), urgent=True, allegations=[("2c", None), ("2b", None)])
    make_case(at("2026-02-02 12:00"), status=Status.TRIAGE, agency=Agency.JAIL)
    make_case(
        at("2026-02-03 12:00"),
        status=Status.TRIAGE,
        agency=Agency.JAIL,
        channel=Channel.PHONE,
        urgent=True,
        allegations=[("2d", None)],
    )
    make_case(at("2026-08-01 12:00"), allegations=[("2c", None)])  # the next period
    t = tables()
    status = t["complaints_by_status"]
    assert [r.key for r in status.rows] == [s.value for s in Status]
    assert status.row("submitted").values == {"complaints": 1, "allegations": 2, "urgent": 1}
    assert status.row("triage").values == {"complaints": 2, "allegations": 1, "urgent": 1}
    assert status.row("closed").values == {"complaints": 0, "allegations": 0, "urgent": 0}
    assert status.total("complaints") == 3
    assert t["complaints_by_agency"].row("jail").values == {
        "complaints": 2,
        "allegations": 1,
        "urgent": 1,
    }
    assert t["complaints_by_channel"].row("phone")["complaints"] == 1
    assert t["complaints_by_channel"].row("web").values == {
        "complaints": 2,
        "allegations": 2,
        "urgent": 1,
    }
    assert status.row("submitted").label == "Submitted"


def test_allegations_by_clause_and_finding_and_the_sustained_share(city, make_case):
    closed = {"status": Status.CLOSED, "closed": at("2026-03-01 12:00")}
    make_case(
        at("2026-02-01 12:00"),
        allegations=[("2c", Disposition.SUSTAINED), ("2c", Disposition.UNFOUNDED)],
        **closed,
    )
    make_case(
        at("2026-02-02 12:00"),
        allegations=[("2c", Disposition.NO_FINDING), ("2b", Disposition.POLICY_FAILURE)],
        **closed,
    )
    make_case(at("2026-02-03 12:00"), allegations=[("2c", None), (None, None)])
    t = tables()
    clause = t["allegations_by_clause"]
    c2 = clause.row("2c")
    assert c2["complaints"] == 3  # three complaints, four allegations under 2c
    assert c2["allegations"] == 4
    assert (c2["sustained"], c2["unfounded"], c2["no_finding"], c2["pending"]) == (1, 1, 1, 1)
    assert clause.row("2b")["policy_failure"] == 1
    assert clause.row("unclassified").values["allegations"] == 1
    assert clause.row("unclassified").values["complaints"] == 1
    assert clause.row("2d")["allegations"] == 0  # every eligible clause has a row
    assert clause.rows[-1].key == "unclassified"
    assert "2c — " in c2.label
    # 2a is not a clause complaints are filed under: no row unless an allegation names it.
    assert "2a" not in {r.key for r in clause.rows}

    share = t["sustained_share_by_clause"]
    # 2c: sustained and unfounded decided on their merits; "no finding" and undecided are not.
    assert share.row("2c").values == {"decided": 2, "sustained": 1, "share": 50.0}
    assert share.row("2b").values == {"decided": 1, "sustained": 0, "share": 0.0}
    assert share.row("2d").values == {"decided": 0, "sustained": 0, "share": None}

    findings = t["allegations_by_disposition"]
    assert findings.row("sustained")["allegations"] == 1
    assert findings.row("pending")["allegations"] == 2
    assert findings.total("allegations") == 6


@pytest.mark.parametrize(
    ("hours", "median", "p90"),
    [
        ([1, 2, 3, 4, 5], 3.0, 4.6),  # odd: the middle; p90 at rank 3.6 → 4 + 0.6 × 1
        ([1, 2, 3, 10], 2.5, 7.9),  # even: mean of the middle two; rank 2.7 → 3 + 0.7 × 7
        ([7], 7.0, 7.0),
        ([2, 2, 2, 9], 2.0, 6.9),  # ties: rank 2.7 → 2 + 0.7 × 7
    ],
)
def test_time_to_acknowledge_median_and_90th_percentile(city, make_case, hours, median, p90):
    for i, h in enumerate(hours):
        received = at(f"2026-02-0{i + 1} 12:00")
        make_case(received, status=Status.TRIAGE, acknowledged=received + timedelta(hours=h))
    make_case(at("2026-02-09 12:00"))  # not acknowledged yet: not measured
    row = tables()["time_to_acknowledge"].row("all")
    assert row.values == {"cases": len(hours), "median": median, "p90": p90}


def test_time_to_close_in_days(city, make_case):
    for days in (2, 4, 10):
        received = at("2026-03-01 10:00")
        make_case(
            received,
            status=Status.CLOSED,
            acknowledged=received + timedelta(hours=1),
            closed=received + timedelta(days=days),
        )
    make_case(at("2026-03-02 10:00"), status=Status.TRIAGE, acknowledged=at("2026-03-02 11:00"))
    close = tables()["time_to_close"]
    # Rank 1.8 of (2, 4, 10): 4 + 0.8 × 6.
    assert [r.key for r in close.rows] == ["all"]
    assert close.row("all").values == {"cases": 3, "median": 4.0, "p90": 8.8}
    empty = tables("2026-07-01")["time_to_close"].row("all")
    assert empty.values == {"cases": 0, "median": None, "p90": None}


def test_time_to_acknowledge_apart_for_urgent_cases(city, make_case):
    for hours, urgent in ((1, True), (3, True), (20, False)):
        received = at("2026-03-01 10:00")
        make_case(
            received,
            status=Status.TRIAGE,
            urgent=urgent,
            acknowledged=received + timedelta(hours=hours),
        )
    ack = tables()["time_to_acknowledge"]
    assert ack.row("urgent").values == {"cases": 2, "median": 2.0, "p90": 2.8}
    assert [r.key for r in ack.rows] == ["all", "urgent"]
    assert ack.row("all").values == {"cases": 3, "median": 3.0, "p90": 16.6}


def test_fractions_of_a_second_are_cut_before_the_difference(city, make_case):
    received = at("2026-02-01 12:00:00.900000")
    make_case(received, status=Status.TRIAGE, acknowledged=at("2026-02-01 15:00:00.100000"))
    assert tables()["time_to_acknowledge"].row("all")["median"] == 3.0


@pytest.mark.parametrize(
    ("start", "before", "first_instant"),
    [
        # 1 July: summer time (UTC-4), while the period began in winter time (UTC-5).
        (date(2026, 1, 1), "2026-07-01 03:59:59", "2026-07-01 04:00:00"),
        (date(2026, 1, 1), "2026-01-01 04:59:59", "2026-01-01 05:00:00"),
        # 2 November 2025: the clocks go back at 2 a.m., after the period's midnight (UTC-4).
        (date(2025, 11, 2), "2025-11-02 03:59:59", "2025-11-02 04:00:00"),
        # 8 March 2026: the clocks go forward at 2 a.m.; that midnight is still UTC-5.
        (date(2025, 9, 8), "2026-03-08 04:59:59", "2026-03-08 05:00:00"),
    ],
)
def test_a_case_counts_in_the_period_of_its_city_date(
    city, make_case, start, before, first_instant
):
    city.config["REPORTING_START"] = start
    make_case(at(before), allegations=[("2c", None)])
    make_case(at(first_instant), allegations=[("2b", None), ("2c", None)])
    later = periods.period_of_moment(at(first_instant))
    earlier = periods.period_of_moment(at(before))
    assert later.start_utc == at(first_instant)
    assert earlier.end == later.start
    late = {t.key: t for t in statistics.dashboard(later)}
    early = {t.key: t for t in statistics.dashboard(earlier)}
    assert late["complaints_by_status"].total("complaints") == 1
    assert late["allegations_by_disposition"].total("allegations") == 2
    assert early["complaints_by_status"].total("complaints") == 1
    assert early["allegations_by_clause"].row("2c")["allegations"] == 1


def test_all_periods_adds_a_row_per_period(city, make_case):
    make_case(at("2026-02-01 12:00"), allegations=[("2c", Disposition.SUSTAINED)])
    make_case(at("2026-08-01 12:00"), urgent=True, allegations=[("2b", None), ("2c", None)])
    everything = tables(None)
    by_period = everything["complaints_by_period"]
    assert [r.key for r in by_period.rows][:2] == ["2026-01-01", "2026-07-01"]
    assert by_period.row("2026-01-01").values == {
        "complaints": 1,
        "allegations": 1,
        "urgent": 0,
        "sustained": 1,
    }
    assert by_period.row("2026-07-01")["allegations"] == 2
    assert everything["complaints_by_status"].total("complaints") == 2
    assert "complaints_by_period" not in tables()


def test_overdue_and_waiting_cases_as_of_now(city, make_case):
    now = at("2026-05-01 12:00")
    day = timedelta(days=1)
    make_case(at("2026-04-01 12:00"), ack_due=now - day)  # acknowledgement overdue
    make_case(at("2026-04-30 12:00"), urgent=True, ack_due=now + day)  # not yet due
    make_case(at("2026-02-01 12:00"), status=Status.INVESTIGATION, investigation_due=now - day)
    make_case(  # past its date but waiting on the complainant: the clock is stopped
        at("2026-02-02 12:00"),
        status=Status.INVESTIGATION,
        investigation_due=now - day,
        waiting_since=now - 40 * day,
    )
    make_case(
        at("2026-02-03 12:00"),
        status=Status.INVESTIGATION,
        investigation_due=now + 30 * day,
        waiting_since=now - 2 * day,
    )
    make_case(at("2026-02-04 12:00"), status=Status.CLOSED, closed=now - day, ack_due=now - day)
    workload = tables(now=now)["open_workload"]
    assert {r.key: r["cases"] for r in workload.rows} == {
        "open": 5,
        "urgent_open": 1,
        "ack_overdue": 1,
        "investigation_overdue": 1,
        "waiting": 2,
        "waiting_long": 1,
    }
    assert not workload.public


def test_purged_cases_still_count(city, make_case):
    make_case(
        at("2026-02-01 12:00"), status=Status.CLOSED, closed=at("2026-03-01 12:00"), purged=True
    )
    assert tables()["complaints_by_status"].row("closed")["complaints"] == 1


def test_only_known_tables_can_be_asked_for(city):
    with pytest.raises(statistics.UnknownTable):
        statistics.table("complaint; DROP TABLE complaint", None)
    with pytest.raises(statistics.UnknownTable):
        statistics.table("complaints_by_period", parse_period(FIRST))
    assert statistics.table("complaints_by_period", None).key == "complaints_by_period"
    info = {i.key: i for i in statistics.data_dictionary()}
    assert set(info) == set(statistics.TABLE_KEYS)
    assert all(i.description and all(c.description for c in i.columns()) for i in info.values())


def _figures(period: str | None) -> list[tuple]:
    return [(t.key, t.rows) for t in tables(period, now=at("2026-12-01 00:00")).values()]


def test_stored_counts_follow_every_change_and_match_the_cases(city, db, make_case):
    """The counts kept at each flush give the same tables as counting the cases, after
    changes of status, clause, finding, an allegation removed and a case deleted."""
    a = make_case(at("2026-02-01 12:00"), allegations=[("2c", None), ("2b", None)])
    b = make_case(at("2026-06-30 12:00"), urgent=True, allegations=[("2d", None)])
    c = make_case(at("2026-08-01 12:00"), allegations=[(None, None)])
    assert stat_summary.is_current()
    a.status = Status.TRIAGE
    a.acknowledged_at = at("2026-02-02 12:00")
    a.allegations[0].disposition = Disposition.SUSTAINED
    a.allegations[1].clause_id = b.allegations[0].clause_id
    db.session.commit()
    b.allegations.pop()
    b.agency = Agency.JAIL
    db.session.commit()
    db.session.delete(c)
    extra = make_case(at("2026-03-01 12:00"), allegations=[("2e", Disposition.UNFOUNDED)])
    extra.allegations.append(Allegation(disposition=Disposition.NO_FINDING, position=1))
    db.session.commit()

    counted = {p: _figures(p) for p in (FIRST, "2026-07-01", None)}
    db.session.execute(delete(StatBasis))
    db.session.commit()
    assert not stat_summary.is_current()
    assert {p: _figures(p) for p in counted} == counted  # from the cases themselves
    stat_summary.rebuild()
    db.session.commit()
    assert stat_summary.is_current()
    assert {p: _figures(p) for p in counted} == counted
    assert tables()["complaints_by_agency"].row("jail")["complaints"] == 1
    assert db.session.scalar(select(Complaint.id).where(Complaint.id == c.id)) is None


def test_changed_period_settings_fall_back_to_the_cases_until_rebuilt(city, db, make_case):
    make_case(at("2026-02-01 12:00"), allegations=[("2c", None)])
    city.config["REPORTING_START"] = date(2025, 10, 1)
    assert not stat_summary.is_current()
    moved = tables("2025-10-01")
    assert moved["allegations_by_clause"].row("2c")["allegations"] == 1
    stat_summary.rebuild()
    db.session.commit()
    assert stat_summary.is_current()
    assert tables("2025-10-01")["allegations_by_clause"].row("2c")["allegations"] == 1


def test_the_rebuild_command_recounts_and_commits(app, city, db, make_case):
    make_case(at("2026-02-01 12:00"), allegations=[("2c", None), ("2c", None)])
    db.session.execute(delete(StatBasis))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "stat_allegation_count 1 rows" in result.output
    db.session.rollback()
    assert stat_summary.is_current()
    assert tables()["allegations_by_clause"].row("2c").values["complaints"] == 1
