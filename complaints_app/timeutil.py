"""Time: stored as timezone-aware UTC, shown in the city's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (used as a column default, so it is a callable)."""
    return datetime.now(UTC)


def city_tz() -> ZoneInfo:
    """The configured city time zone."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def city_today() -> date:
    """Today's date in the city, which is what residents mean by 'today'."""
    return utcnow().astimezone(city_tz()).date()
