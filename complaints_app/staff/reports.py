"""The staff dashboard of statistics (/staff/reports): every table of the statistics service
for one reporting period or all of them, each as an SVG chart beside its data table, and each
downloadable as CSV. Supervisors and records officers (Permission.VIEW_REPORTS)."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

from flask import Response, abort, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from complaints_app.authz import Permission, requires
from complaints_app.charts import Bar, bar_chart
from complaints_app.services import statistics
from complaints_app.services.periods import Period, current_period, parse_period, periods
from complaints_app.services.statistics import COUNT, DAYS, HOURS, PERCENT, Table
from complaints_app.staff import bp

ALL = "all"
#: Which column each table's chart draws; every column is in the table beside it.
CHART_COLUMN = {
    "allegations_by_clause": "allegations",
    "allegations_by_disposition": "allegations",
    "sustained_share_by_clause": "share",
    "time_to_acknowledge": "median",
    "time_to_close": "median",
    "open_workload": "cases",
}
#: A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class PeriodForm(FlaskForm):
    """The period chooser: a GET form, nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    period = SelectField(_l("Reporting period"))


def _period_form() -> tuple[PeriodForm, Period | None, bool]:
    """The form, the period it names (None: all periods) and whether the choice was valid.
    No choice means the current period; a choice that is not a period is refused at the
    field and the current period is shown."""
    form = PeriodForm(request.args)
    form.period.choices = [(ALL, _("All periods"))] + [
        (p.name, statistics.period_label(p)) for p in reversed(periods())
    ]
    chosen = request.args.get("period")
    if chosen is None:
        form.period.data = current_period().name
        return form, current_period(), True
    if chosen == ALL:
        return form, None, True
    period = parse_period(chosen)
    if period is None or period.name not in {name for name, _label in form.period.choices}:
        form.period.errors = [_("Choose one of the reporting periods in the list.")]
        form.period.data = current_period().name
        return form, current_period(), False
    return form, period, True


def format_value(value: int | float | None, kind: str) -> str:
    """A figure as the page shows it: counts whole, the rest to one decimal, with its unit."""
    if value is None:
        return _("no data")
    if kind == COUNT:
        return format_decimal(int(value), format="#,##0")
    if kind == PERCENT:
        return _("%(value)s%%", value=format_decimal(value, format="#,##0.0"))
    if kind == HOURS:
        return _("%(value)s hours", value=format_decimal(value, format="#,##0.0"))
    if kind == DAYS:
        return _("%(value)s days", value=format_decimal(value, format="#,##0.0"))
    return str(value)


def chart_of(table: Table):
    """The SVG chart of one column of ``table``, described in words."""
    key = CHART_COLUMN.get(table.key, table.columns[0].key)
    column = next(c for c in table.columns if c.key == key)
    bars = [Bar(r.label, r[key], format_value(r[key], column.kind)) for r in table.rows]
    description = _(
        "Bar chart of %(column)s by %(dimension)s; the same figures are in the table beside it.",
        column=column.label.lower(),
        dimension=table.dimension_label.lower(),
    )
    return bar_chart(f"{table.title}: {column.label}", description, bars)


@bp.get("/reports")
@requires(Permission.VIEW_REPORTS)
def reports():
    """The dashboard: every statistics table for the chosen period (default: the current
    one), each as a chart with its data table and a CSV link."""
    form, period, valid = _period_form()
    tables = statistics.dashboard(period)
    return render_template(
        "staff/reports.html",
        form=form,
        period=period,
        period_arg=period.name if period else ALL,
        tables=tables,
        chart_of=chart_of,
        format_value=format_value,
        period_label=statistics.period_label,
    ), (HTTPStatus.OK if valid else HTTPStatus.UNPROCESSABLE_ENTITY)


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [csv_cell(v) for v in ("key", table.dimension_label, *[c.label for c in table.columns])]
    )
    for row in table.rows:
        writer.writerow([csv_cell(v) for v in (row.key, row.label, *row.values.values())])
    return out.getvalue()


@bp.get("/reports/<key>.csv")
@requires(Permission.VIEW_REPORTS)
def report_csv(key: str):
    """One table as CSV; the key must be one of the statistics service's tables, the period
    one of the periods (or ``all``), else 404."""
    chosen = request.args.get("period", "")
    period = None if chosen == ALL else parse_period(chosen)
    if chosen != ALL and (period is None or period not in periods()):
        abort(HTTPStatus.NOT_FOUND)
    try:
        table = statistics.table(key, period)
    except statistics.UnknownTable:
        abort(HTTPStatus.NOT_FOUND)
    filename = f"{table.key}-{period.name if period else ALL}.csv"
    return Response(
        table_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
