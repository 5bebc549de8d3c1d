"""Median and other percentiles computed in the database, the same on PostgreSQL and SQLite.

Definition: PostgreSQL's ``percentile_cont`` — linear interpolation between the two closest
ranks (Hyndman and Fan's type 7, the one spreadsheets call PERCENTILE.INC). For ``n`` sorted
values ``v[0] … v[n-1]`` and a fraction ``p``::

    h = p * (n - 1);  lo = floor(h);  hi = ceil(h)
    result = v[lo] + (h - lo) * (v[hi] - v[lo])

So the median of an even count is the mean of the two middle values, and the 90th percentile
of 1…11 is 10. On PostgreSQL the query is ``percentile_cont(p) WITHIN GROUP (ORDER BY v)``.
SQLite has no such aggregate, so the values are ranked with window functions (``row_number``
and ``count`` over each group) and the two ranks are picked and interpolated in SQL with the
same floating-point steps as PostgreSQL's own code (``floor``, ``ceil``, then
``lo + (h - lo) * (hi - lo)`` on doubles), so both databases give the same float, bit for bit.

Durations are whole seconds between two instants, each cut to its second first
(``floor(epoch)`` on PostgreSQL, ``strftime('%s', first 19 characters)`` on SQLite), then
whole units of them rounded down (``units_between``): both databases see the same integers,
whatever fractions of a second the rows hold.

``percentiles_from_bands`` gives the same figures from counts of equal values (the stored
duration counts of services/stat_summary.py) without reading every one: the counts by band
(a range of values) say which band holds each wanted rank, then that band's counts say which
value: the smallest whose running count passes the rank. The interpolation is the same
arithmetic on doubles, done in Python, so the float is the same.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement

from complaints_app.extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def epoch_seconds(column) -> ColumnElement:
    """Whole seconds since 1970 of a UTC timestamp column, the fraction dropped."""
    if dialect_name() == "postgresql":
        # date_part gives a double, exact to the microsecond at today's epoch values, and is
        # far cheaper than EXTRACT's numeric.
        return func.floor(func.date_part("epoch", column))
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: the first 19 characters are the second.
    return cast(func.strftime("%s", func.substr(column, 1, 19)), Integer)


def seconds_between(start, end) -> ColumnElement:
    """``end - start`` in whole seconds (see the module docstring), as a double."""
    return cast(epoch_seconds(end) - epoch_seconds(start), Float)


def units_between(start, end, unit: timedelta) -> ColumnElement:
    """``end - start`` in whole ``unit``s (minutes, hours), rounded down, as an integer."""
    seconds = int(unit.total_seconds())
    if dialect_name() == "postgresql":
        return cast(func.floor((epoch_seconds(end) - epoch_seconds(start)) / seconds), Integer)
    return floor_divide(epoch_seconds(end) - epoch_seconds(start), seconds)


def floor_divide(x, n: int) -> ColumnElement:
    """``x // n`` for an integer expression, rounded down as Python rounds it: SQL's integer
    division (``//`` on integers; ``/`` would be true division) truncates towards zero."""
    return case((x >= 0, x // n), else_=-((n - 1 - x) // n))


def units_between_values(start: datetime, end: datetime, unit: timedelta) -> int:
    """The same as ``units_between`` for two loaded values."""
    return (end.replace(microsecond=0) - start.replace(microsecond=0)) // unit


@dataclass(frozen=True)
class Spread:
    """How many values a group had, and its percentiles by fraction (None when empty)."""

    count: int
    values: dict[float, float | None]


#: A figure: the name of a value column of the rows, and which rows count (None: all).
Figure = tuple[str, Callable[[object], ColumnElement] | None]


def spreads(
    rows: Select, figures: dict[str, Figure], fractions: Sequence[float]
) -> dict[str, Spread]:
    """Percentiles of several figures over ``rows`` (a SELECT of labelled value and condition
    columns), in one query. A figure counts the rows where its value is not NULL and its
    condition (a function of the rows' columns) holds. Figures with no value are absent.

    On PostgreSQL one pass: the rows are computed once (``OFFSET 0`` keeps the planner from
    repeating each value's expression in every aggregate) and each figure is an ordered-set
    aggregate with a FILTER. On SQLite each figure is a branch of a UNION ALL ranked by
    window functions."""
    if dialect_name() == "postgresql":
        sub = rows.offset(0).subquery("measured")
        # The fractions are this module's callers' constants, never input: written into the
        # SQL as one array so that each sort serves every fraction.
        wanted = literal_column(
            "ARRAY[" + ", ".join(repr(float(f)) for f in fractions) + "]::float8[]"
        )
        columns = []
        for value_name, condition in figures.values():
            value = sub.c[value_name]
            counted = func.count(value)
            spread = func.percentile_cont(wanted).within_group(value)
            if condition is not None:
                counted, spread = counted.filter(condition(sub.c)), spread.filter(condition(sub.c))
            columns += [counted, spread]
        row = db.session.execute(select(*columns)).one()
        result = {}
        for i, name in enumerate(figures):
            count, values = row[2 * i], row[2 * i + 1]
            if count:
                found = (float(v) for v in values)
                result[name] = Spread(count, dict(zip(fractions, found, strict=True)))
        return result
    sub = rows.cte("measured")
    branches = []
    for name, (value_name, condition) in figures.items():
        value = sub.c[value_name]
        where = [value.is_not(None)]
        if condition is not None:
            where.append(condition(sub.c))
        branches.append(select(literal(name, String).label("grp"), value.label("v")).where(*where))
    return _percentiles_by_rank(union_all(*branches).subquery(), fractions)


def _percentiles_by_rank(sub, fractions: Sequence[float]) -> dict[str, Spread]:
    ranked = select(
        sub.c.grp,
        sub.c.v,
        (func.row_number().over(partition_by=sub.c.grp, order_by=sub.c.v) - 1).label("i"),
        func.count().over(partition_by=sub.c.grp).label("n"),
    ).subquery("ranked")
    wanted = union_all(*[select(literal(p, Float).label("p")) for p in fractions]).subquery("q")
    h = wanted.c.p * (ranked.c.n - 1)
    first = cast(h, Integer)  # h >= 0, so truncation is floor
    second = first + case((h > first, 1), else_=0)
    picked = (
        select(
            ranked.c.grp,
            wanted.c.p,
            func.max(ranked.c.n).label("n"),
            func.min(ranked.c.v).label("lo"),
            func.max(ranked.c.v).label("hi"),
            func.max(h - first).label("frac"),
        )
        .select_from(ranked.join(wanted, or_(ranked.c.i == first, ranked.c.i == second)))
        .group_by(ranked.c.grp, wanted.c.p)
        .subquery("picked")
    )
    stmt = select(
        picked.c.grp,
        picked.c.p,
        picked.c.n,
        picked.c.lo + picked.c.frac * (picked.c.hi - picked.c.lo),
    )
    result: dict[str, Spread] = {}
    for grp, p, n, value in db.session.execute(stmt):
        spread = result.setdefault(grp, Spread(n, dict.fromkeys(fractions)))
        # The fraction comes back as the same double that was sent.
        spread.values[min(fractions, key=lambda f: abs(f - p))] = float(value)
    return result


def _ranks(total: int, fractions: Sequence[float]) -> dict[float, tuple[float, int, int]]:
    """For each fraction: h, and the two 0-based ranks interpolated between, as
    ``percentile_cont`` computes them (on doubles)."""
    found = {}
    for p in fractions:
        h = p * (total - 1)
        first = math.floor(h)
        found[p] = (h, first, first + 1 if h > first else first)
    return found


def percentiles_from_bands(
    bands: Select,
    values_in: Callable[[str, int], Select],
    fractions: Sequence[float],
) -> dict[str, Spread]:
    """The same percentiles from ``bands``, a SELECT of ``grp``, ``band`` and ``n`` (how many
    values fall in the band; bands ordered as their values are), and ``values_in(grp, band)``,
    a SELECT of ``v`` and ``n`` for the values of one band (a value may come in several
    rows). Two queries whatever the data: the bands of every group, then the values of the
    few bands that hold a wanted rank."""
    per_group: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for grp, band, n in db.session.execute(bands):
        if n:
            per_group[grp].append((int(band), int(n)))
    wanted: dict[str, dict[float, tuple[float, int, int]]] = {}
    # (grp, band) -> how many values lie in lower bands, and in this one
    held: dict[tuple[str, int], tuple[int, int]] = {}
    for grp, found in per_group.items():
        found.sort()
        total = sum(n for _band, n in found)
        wanted[grp] = _ranks(total, fractions)
        ranks = {r for _h, first, second in wanted[grp].values() for r in (first, second)}
        below = 0
        for band, n in found:
            if any(below <= r < below + n for r in ranks):
                held[(grp, band)] = (below, n)
            below += n
    if not held:
        return {}
    parts = []
    for grp, band in sorted(held):
        sub = values_in(grp, band).subquery()
        parts.append(
            select(
                literal(grp, String).label("grp"),
                literal(band, Integer).label("band"),
                sub.c.v,
                sub.c.n,
            )
        )
    read = union_all(*parts).subquery("read")
    # Summed in SQL: a band's value comes in a row per period (and more) otherwise.
    grouped = select(read.c.grp, read.c.band, read.c.v, func.sum(read.c.n)).group_by(
        read.c.grp, read.c.band, read.c.v
    )
    values: dict[tuple[str, int], list[tuple[float, int]]] = defaultdict(list)
    for grp, band, v, n in db.session.execute(grouped):
        if n:
            values[(grp, int(band))].append((float(v), int(n)))

    def value_at(grp: str, rank: int) -> float:
        for (g, band), (below, n) in held.items():
            if g == grp and below <= rank < below + n:
                running = below
                for v, count in sorted(values[(g, band)]):
                    running += count
                    if running > rank:
                        return v
        # The band's values disagree with its count: the stored counts are broken.
        raise LookupError(f"rank {rank} of {grp} is in no band read")

    result = {}
    for grp, ranks in wanted.items():
        total = sum(n for _band, n in per_group[grp])
        spread = {}
        for p, (h, first, second) in ranks.items():
            lo, hi = value_at(grp, first), value_at(grp, second)
            # lo + frac * (hi - lo) on doubles, as PostgreSQL's percentile_cont computes it.
            spread[p] = lo + (h - first) * (hi - lo)
        result[grp] = Spread(total, spread)
    return result
