"""The statistics the public may see: one period's tables after small-count suppression.

``public_statistics(period)`` is the single source for the page ``/stats``, its CSV files, the
JSON download and ``/api/v1/stats``: each of them only formats this dict, so all of them hide
exactly the same figures. It takes no request: the caller picks the period and checks it is
one the public may ask for (``public_periods``).

Every figure of one period is linked to others by sums a reader can check: each table's total
row; the three complaint tables share their totals; the clause × finding table's rows add up
to its allegations, its columns are the findings table, its sustained column and the decided
findings make the sustained share table; the cases measured for time to close are the closed
complaints. All of these are handed to ``services/suppression.py`` at once, so no hidden
figure can be worked out from any table on the page, or from several together.

Cell convention (JSON): a shown figure is ``{"value": 12}``; a figure nothing was measured
for is ``{"value": null}``; a hidden one is ``{"value": null, "suppressed": true,
"reason": …}`` with reason ``small`` (a count from 1 to threshold − 1), ``complementary``
(hidden so that a small count cannot be worked out), ``withheld`` (a whole group of figures not
published, because even "fewer than 5" would give them away) or ``small_base`` (a time or a
share computed from fewer cases than the threshold, or from a hidden count). The value of a hidden
figure is never in the output.

No figure spans periods (no totals "since reporting began"), so one period's figures cannot be
subtracted from another's to expose a small count.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

from complaints_app.models import Disposition
from complaints_app.services import statistics
from complaints_app.services.periods import Period, current_period, periods
from complaints_app.services.statistics import PENDING, Table
from complaints_app.services.suppression import Figures, Reason, Sum, suppress
from complaints_app.templating import policy_text
from complaints_app.timeutil import city_today

COMPLAINT_TABLES = ("complaints_by_status", "complaints_by_agency", "complaints_by_channel")
CLAUSES = "allegations_by_clause"
FINDINGS = "allegations_by_disposition"
SHARES = "sustained_share_by_clause"
DURATIONS = ("time_to_acknowledge", "time_to_close")
PUBLIC_TABLES = (*COMPLAINT_TABLES, CLAUSES, FINDINGS, SHARES, *DURATIONS)
#: The key of the total row in every table that has one.
TOTAL = "all"
FINDING_COLUMNS = (*(d.value for d in Disposition), PENDING)
DECIDED = tuple(d.value for d in statistics.DECIDED)
#: Columns summed in a total row: rows of these tables never overlap.
ADDITIVE = {
    **{key: ("complaints", "allegations", "urgent") for key in COMPLAINT_TABLES},
    CLAUSES: ("allegations", *FINDING_COLUMNS),
    FINDINGS: ("allegations",),
}
SMALL_BASE = "small_base"


def threshold() -> int:
    return int(current_app.config["SUPPRESSION_THRESHOLD"])


def is_complete(period: Period) -> bool:
    """Whether the period has ended (its figures can still move as cases are decided)."""
    return period.end <= city_today()


def public_periods() -> list[Period]:
    """The periods the public may ask for, newest first: every one that has started."""
    return list(reversed(periods()))


def default_period() -> Period:
    """The newest complete period, or the current one before any has ended."""
    return next((p for p in public_periods() if is_complete(p)), current_period())


def _figures(tables: dict[str, Table]) -> Figures:
    """Every count on the page and every sum that links them."""
    figures = Figures()
    for table in tables.values():
        for row in table.rows:
            for column in table.count_columns:
                figures.values[(table.key, row.key, column.key)] = int(row[column.key] or 0)
        for column in ADDITIVE.get(table.key, ()):
            figures.values[(table.key, TOTAL, column)] = table.total(column)
            parts = tuple((table.key, row.key, column) for row in table.rows)
            figures.sums.append(Sum(parts, (table.key, TOTAL, column)))
    first = COMPLAINT_TABLES[0]
    for key in COMPLAINT_TABLES:
        if key != first:
            for column in ADDITIVE[key]:
                figures.same((first, TOTAL, column), (key, TOTAL, column))
        for row in tables[key].rows:
            urgent, complaints = (key, row.key, "urgent"), (key, row.key, "complaints")
            figures.orders.append(Sum((urgent,), complaints))
    for row in tables[CLAUSES].rows:
        cells = tuple((CLAUSES, row.key, column) for column in FINDING_COLUMNS)
        figures.sums.append(Sum(cells, (CLAUSES, row.key, "allegations")))
        figures.orders.append(
            Sum(((CLAUSES, row.key, "complaints"),), (CLAUSES, row.key, "allegations"))
        )
        figures.same(
            (CLAUSES, row.key, Disposition.SUSTAINED.value), (SHARES, row.key, "sustained")
        )
        decided = tuple((CLAUSES, row.key, column) for column in DECIDED)
        figures.sums.append(Sum(decided, (SHARES, row.key, "decided")))
    totals = tuple((CLAUSES, TOTAL, column) for column in FINDING_COLUMNS)
    figures.sums.append(Sum(totals, (CLAUSES, TOTAL, "allegations")))
    figures.same((first, TOTAL, "allegations"), (CLAUSES, TOTAL, "allegations"))
    figures.same((CLAUSES, TOTAL, "allegations"), (FINDINGS, TOTAL, "allegations"))
    for column in FINDING_COLUMNS:
        figures.same((CLAUSES, TOTAL, column), (FINDINGS, column, "allegations"))
    for key in DURATIONS:
        # Rows: "all" cases, and for some tables "urgent" ones (and maybe the others).
        cases = {row.key: (key, row.key, "cases") for row in tables[key].rows}
        figures.orders.append(Sum((cases["all"],), (first, TOTAL, "complaints")))
        if "urgent" in cases:
            figures.orders.append(Sum((cases["urgent"],), cases["all"]))
            figures.orders.append(Sum((cases["urgent"],), (first, TOTAL, "urgent")))
        if "urgent" in cases and "not_urgent" in cases:
            figures.sums.append(Sum((cases["urgent"], cases["not_urgent"]), cases["all"]))
    # Acknowledged cases have left "submitted"; closed cases are exactly the closed ones.
    acknowledged = ("time_to_acknowledge", "all", "cases")
    submitted = ("complaints_by_status", "submitted", "complaints")
    figures.orders.append(Sum((acknowledged, submitted), (first, TOTAL, "complaints")))
    figures.same(
        ("time_to_close", "all", "cases"), ("complaints_by_status", "closed", "complaints")
    )
    return figures


_memo: OrderedDict[tuple, dict] = OrderedDict()
_memo_lock = threading.Lock()
#: Results kept: a few periods times a few thresholds.
MEMO_SIZE = 32


def _suppressed(figures: Figures, limit: int) -> dict:
    """``suppress`` remembered by its input: the page, its CSV files and its JSON ask for the
    same figures in turn, and the audit is the costly part. Figures that change (a new case,
    a finding) make a new key, so nothing stale is ever served."""
    key = (limit, tuple(sorted((repr(k), v) for k, v in figures.values.items())))
    with _memo_lock:
        if key in _memo:
            _memo.move_to_end(key)
            return _memo[key]
    hidden = suppress(figures, limit)
    with _memo_lock:
        _memo[key] = hidden
        while len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    return hidden


def _cell(value: Any, reason: str | None = None) -> dict[str, Any]:
    if reason is not None:
        return {"value": None, "suppressed": True, "reason": reason}
    return {"value": value}


def _derived_cells(table: Table, row, hidden: dict, limit: int) -> dict[str, dict]:
    """Times and shares: hidden when the count behind them is below the threshold, and a
    share also when its sustained or decided count is hidden."""
    cells: dict[str, dict] = {}
    if table.key in DURATIONS:
        cases = int(row["cases"] or 0)
        for column in ("median", "p90"):
            small = 0 < cases < limit
            cells[column] = _cell(None if small else row[column], SMALL_BASE if small else None)
    elif table.key == SHARES:
        decided = int(row["decided"] or 0)
        behind = [(SHARES, row.key, "decided"), (SHARES, row.key, "sustained")]
        small = 0 < decided < limit or any(key in hidden for key in behind)
        cells["share"] = _cell(None if small else row["share"], SMALL_BASE if small else None)
    return cells


def _table_dict(table: Table, figures: Figures, hidden: dict, limit: int) -> dict[str, Any]:
    def count(key) -> dict:
        reason = hidden.get(key)
        return _cell(figures.values[key], None if reason is None else str(reason))

    rows = []
    for row in table.rows:
        cells = {c.key: count((table.key, row.key, c.key)) for c in table.count_columns}
        cells.update(_derived_cells(table, row, hidden, limit))
        # Clause titles are the ordinance's template text: "{city}" gets the city's name.
        rows.append({"key": row.key, "label": policy_text(row.label), "cells": cells})
    total = None
    if table.key in ADDITIVE:
        total = {
            "key": TOTAL,
            "label": _("All"),
            "cells": {c: count((table.key, TOTAL, c)) for c in ADDITIVE[table.key]},
        }
    return {
        "key": table.key,
        "title": table.title,
        "description": table.description,
        "dimension": table.dimension,
        "dimension_label": table.dimension_label,
        "columns": [
            {"key": c.key, "label": c.label, "kind": c.kind, "description": c.description}
            for c in table.columns
        ],
        "rows": rows,
        "total": total,
    }


def period_dict(period: Period) -> dict[str, Any]:
    return {
        "name": period.name,
        "first_day": period.start.isoformat(),
        "last_day": period.last_day.isoformat(),
        "label": statistics.period_label(period),
        "complete": is_complete(period),
    }


def public_statistics(period: Period) -> dict[str, Any]:
    """Every public table of ``period`` with small counts hidden, as plain data (see the
    module's docstring for the cell convention). The same dict feeds the page, the CSV files,
    the JSON download and the API."""
    limit = threshold()
    tables = {t.key: t for t in statistics.dashboard(period) if t.key in PUBLIC_TABLES}
    figures = _figures(tables)
    hidden = _suppressed(figures, limit)
    return {
        "period": period_dict(period),
        "as_of": city_today().isoformat(),
        "threshold": limit,
        "tables": [_table_dict(tables[key], figures, hidden, limit) for key in PUBLIC_TABLES],
    }


def cell_text(cell: dict[str, Any], limit: int) -> str:
    """The words a page or CSV file shows for a cell."""
    if cell.get("suppressed"):
        if cell["reason"] == Reason.SMALL:
            return _("fewer than %(n)s", n=limit)
        if cell["reason"] == SMALL_BASE:
            return _("fewer than %(n)s cases", n=limit)
        if cell["reason"] == Reason.WITHHELD:
            return _("not published")
        return _("hidden")
    value = cell["value"]
    if value is None:
        return "—"
    return str(value)


def cell_words(cell: dict[str, Any], limit: int) -> str:
    """The words a page shows for a cell: ``cell_text`` with the number written for the
    reader's language (CSV and JSON keep plain digits for machines)."""
    from complaints_app.templating import number

    if cell.get("suppressed") or cell["value"] is None:
        return cell_text(cell, limit)
    return number(cell["value"])


def as_of_label(data: dict[str, Any]) -> str:
    return format_date(date.fromisoformat(data["as_of"]), "long")


__all__ = [
    "PUBLIC_TABLES",
    "TOTAL",
    "cell_text",
    "cell_words",
    "default_period",
    "is_complete",
    "public_periods",
    "public_statistics",
]
