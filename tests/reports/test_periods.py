"""Reporting periods: six-month steps from REPORTING_START, bounded at city midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from complaints_app.services import periods


@pytest.fixture
def city(app):
    with app.app_context():
        old = (app.config["REPORTING_START"], app.config["TIMEZONE"])
        app.config["REPORTING_START"] = date(2026, 1, 1)
        app.config["TIMEZONE"] = "America/New_York"
        yield app
        app.config["REPORTING_START"], app.config["TIMEZONE"] = old


@pytest.mark.parametrize(
    ("day", "first"),
    [
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 6, 30), date(2026, 1, 1)),
        (date(2026, 7, 1), date(2026, 7, 1)),
        (date(2026, 12, 31), date(2026, 7, 1)),
        (date(2027, 1, 1), date(2027, 1, 1)),
        (date(2025, 12, 31), date(2025, 7, 1)),
    ],
)
def test_a_day_belongs_to_the_six_months_that_hold_it(city, day, first):
    period = periods.period_of(day)
    assert period.start == first
    assert period.contains_date(day)
    assert period.name == first.isoformat()


def test_period_ends_at_city_midnight_not_utc_midnight(city):
    first = periods.parse_period("2026-01-01")
    # 30 June 23:30 in New York (summer time, UTC-4) is 1 July 03:30 UTC: still the first period.
    late_june = datetime(2026, 7, 1, 3, 30, tzinfo=UTC)
    assert first.contains(late_june)
    assert periods.period_of_moment(late_june).name == "2026-01-01"
    # Five minutes after New York midnight belongs to the second period.
    assert periods.period_of_moment(datetime(2026, 7, 1, 4, 5, tzinfo=UTC)).name == "2026-07-01"
    # The first period starts at midnight Eastern Standard Time (UTC-5).
    assert first.start_utc == datetime(2026, 1, 1, 5, 0, tzinfo=UTC)
    assert first.end_utc == datetime(2026, 7, 1, 4, 0, tzinfo=UTC)


def test_period_names_must_be_a_first_day(city):
    assert periods.parse_period("2026-07-01").end == date(2027, 1, 1)
    assert periods.parse_period("2026-07-02") is None
    assert periods.parse_period("not-a-date") is None


def test_a_start_on_the_31st_clamps_to_the_months_last_day(city):
    city.config["REPORTING_START"] = date(2025, 8, 31)
    second = periods.period_at(1)
    assert second.start == date(2026, 2, 28)
    assert periods.period_of(date(2026, 2, 27)).start == date(2025, 8, 31)
    assert periods.period_of(date(2026, 2, 28)) == second


def test_periods_lists_from_the_start_to_the_one_holding_today(city):
    listed = periods.periods(until=date(2027, 3, 4))
    assert [p.name for p in listed] == ["2026-01-01", "2026-07-01", "2027-01-01"]
