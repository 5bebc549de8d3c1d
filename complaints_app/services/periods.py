"""Reporting periods: six months from REPORTING_START, counted in the city's time zone.

Section 4 of the ordinance asks for a report "beginning on [date] and every six months
thereafter". A period is named by its first day (``2026-01-01``) and covers every instant from
midnight of that day in the city up to, not including, midnight of the next period's first day.
Statistics, the ledger and the semi-annual report all ask this module, so a case filed at
23:59 city time on the last day of June never lands in a different period on different pages.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from flask import current_app

from complaints_app.timeutil import city_today, city_tz

PERIOD_MONTHS = 6


def _add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: ``start`` inclusive, ``end`` exclusive, both city dates."""

    start: date
    end: date

    @property
    def name(self) -> str:
        """The stable name used in URLs and on the command line: the first day, ISO format."""
        return self.start.isoformat()

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def start_utc(self) -> datetime:
        """Midnight of the first day in the city, as UTC (for timestamp columns)."""
        return _city_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """Midnight after the last day in the city, as UTC (exclusive bound)."""
        return _city_midnight_utc(self.end)

    def contains_date(self, day: date) -> bool:
        return self.start <= day < self.end

    def contains(self, moment: datetime) -> bool:
        return self.start_utc <= moment.astimezone(UTC) < self.end_utc

    def __str__(self) -> str:
        return self.name


def _city_midnight_utc(day: date) -> datetime:
    # zoneinfo resolves the wall-clock midnight of that date, whatever the DST offset then.
    return datetime.combine(day, time.min, tzinfo=city_tz()).astimezone(UTC)


def reporting_start() -> date:
    return current_app.config["REPORTING_START"]


def period_number(day: date) -> int:
    """Which period (0 = the first) holds a city date; negative before REPORTING_START."""
    start = reporting_start()
    months = (day.year - start.year) * 12 + (day.month - start.month)
    index = months // PERIOD_MONTHS
    # The month arithmetic guesses; the day of month can push it one period either way.
    while _add_months(start, index * PERIOD_MONTHS) > day:
        index -= 1
    while _add_months(start, (index + 1) * PERIOD_MONTHS) <= day:
        index += 1
    return index


def period_at(index: int) -> Period:
    start = reporting_start()
    return Period(
        _add_months(start, index * PERIOD_MONTHS), _add_months(start, (index + 1) * PERIOD_MONTHS)
    )


def period_of(day: date) -> Period:
    """The period holding a city date."""
    return period_at(period_number(day))


def period_of_moment(moment: datetime) -> Period:
    """The period holding an instant, judged by the city's calendar."""
    return period_of(moment.astimezone(city_tz()).date())


def current_period() -> Period:
    return period_of(city_today())


def periods(until: date | None = None) -> list[Period]:
    """Every period from REPORTING_START to the one holding ``until`` (default today)."""
    last = period_number(until or city_today())
    return [period_at(index) for index in range(0, max(last, 0) + 1)]


def parse_period(name: str) -> Period | None:
    """The period a name stands for, or None when the name is not a period's first day."""
    try:
        day = date.fromisoformat(name)
    except (TypeError, ValueError):
        return None
    period = period_of(day)
    return period if period.start == day else None
