"""Public statistics: ``/stats``, its CSV files, ``/stats.json`` and ``/stats/about``.

No account, no personal data: every figure comes from ``services.public_statistics``, which
hides small counts the same way for every format. Responses may be cached for a few minutes.
"""

from __future__ import annotations

import csv
import io
import json
from http import HTTPStatus

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from complaints_app.charts import Bar, bar_chart
from complaints_app.public import bp
from complaints_app.services import statistics
from complaints_app.services.periods import Period, parse_period
from complaints_app.services.public_statistics import (
    PUBLIC_TABLES,
    as_of_label,
    cell_text,
    cell_words,
    default_period,
    is_complete,
    public_periods,
    public_statistics,
)
from complaints_app.templating import number

#: Seconds a browser may reuse a statistics response. Pages carry a form token, so only the
#: downloads may be kept by shared caches.
MAX_AGE = 300
#: The column each table's chart draws.
CHART_COLUMN = {
    "complaints_by_status": "complaints",
    "complaints_by_agency": "complaints",
    "complaints_by_channel": "complaints",
    "allegations_by_clause": "allegations",
    "allegations_by_disposition": "allegations",
    "sustained_share_by_clause": "share",
    "time_to_acknowledge": "median",
    "time_to_close": "median",
}


def _period_from_request() -> Period:
    """The period named by ``?period=``, or the default; 404 for anything the public may not
    ask for (not a period's first day, before the first period, in the future)."""
    name = request.args.get("period")
    if name is None or name == "":
        return default_period()
    period = parse_period(name)
    if period is None or period not in public_periods():
        abort(HTTPStatus.NOT_FOUND)
    return period


def _cached(response: Response, *, shared: bool) -> Response:
    scope = "public" if shared else "private"
    response.headers["Cache-Control"] = f"{scope}, max-age={MAX_AGE}"
    return response


def _chart(table: dict, limit: int):
    """The table's chart: hidden figures draw no bar and carry their words, not a number."""
    column = next(c for c in table["columns"] if c["key"] == CHART_COLUMN[table["key"]])
    bars = []
    for row in table["rows"]:
        cell = row["cells"][column["key"]]
        text = cell_words(cell, limit)
        if column["kind"] == statistics.PERCENT and cell["value"] is not None:
            text = _("%(value)s%%", value=number(cell["value"]))
        bars.append(Bar(row["label"], cell["value"], text))
    description = _(
        "%(column)s for each line of the table below, which holds the same figures.",
        column=column["label"],
    )
    return bar_chart(table["title"], description, bars)


@bp.get("/stats")
def stats():
    """One period's public statistics: a chart and a table for each, small counts hidden."""
    period = _period_from_request()
    data = public_statistics(period)
    limit = data["threshold"]
    charts = {t["key"]: _chart(t, limit) for t in data["tables"]}
    html = render_template(
        "public/stats.html",
        data=data,
        charts=charts,
        periods=public_periods(),
        selected=period,
        period_label=statistics.period_label,
        is_complete=is_complete,
        cell_text=cell_words,
        as_of=as_of_label(data),
    )
    return _cached(Response(html, mimetype="text/html"), shared=False)


@bp.get("/stats.json")
def stats_json():
    """The whole page as JSON: the same figures, hidden ones as null with ``suppressed``."""
    data = public_statistics(_period_from_request())
    body = json.dumps(data, ensure_ascii=False, indent=1)
    response = Response(body, mimetype="application/json")
    return _cached(response, shared=True)


@bp.get("/stats/<table_key>.csv")
def stats_csv(table_key: str):
    """One table as CSV, hidden figures written as the same words the page shows."""
    # Imported here: the staff package imports the public one while the app is built.
    from complaints_app.staff.reports import csv_cell

    if table_key not in PUBLIC_TABLES:
        abort(HTTPStatus.NOT_FOUND)
    period = _period_from_request()
    data = public_statistics(period)
    table = next(t for t in data["tables"] if t["key"] == table_key)
    out = io.StringIO()
    writer = csv.writer(out)
    columns = [c["key"] for c in table["columns"]]
    writer.writerow([csv_cell(v) for v in ("period", table["dimension"], "label", *columns)])
    rows = [*table["rows"], *([table["total"]] if table["total"] else [])]
    for row in rows:
        cells = [
            cell_text(row["cells"][c], data["threshold"]) if c in row["cells"] else ""
            for c in columns
        ]
        writer.writerow([csv_cell(v) for v in (period.name, row["key"], row["label"], *cells)])
    response = Response(out.getvalue(), mimetype="text/csv")
    filename = f"{table_key}-{period.name}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _cached(response, shared=True)


@bp.get("/stats/about")
def stats_about():
    """What every table and column means, and why some figures are hidden."""
    html = render_template(
        "public/stats_about.html",
        tables=[info for info in statistics.data_dictionary() if info.key in PUBLIC_TABLES],
        threshold=int(current_app.config["SUPPRESSION_THRESHOLD"]),
        kinds={
            statistics.COUNT: _("count"),
            statistics.PERCENT: _("percentage"),
            statistics.HOURS: _("hours"),
            statistics.DAYS: _("days"),
        },
    )
    return _cached(Response(html, mimetype="text/html"), shared=False)
