"""The published section 4 reports: finalised periods only, small counts hidden."""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, abort, render_template, request

from complaints_app.public import bp
from complaints_app.services import ledger, periods, report_formats, semiannual


@bp.get("/reports")
def reports():
    """Every finalised semi-annual report, newest first."""
    return render_template("public/reports.html", periods=semiannual.finalised_periods())


@bp.get("/reports/<period_name>")
def report(period_name: str):
    """One finalised report as the public sees it, printable; ``?format=csv|json`` to
    download. A period that is not finalised does not exist here."""
    period = periods.parse_period(period_name)
    if period is None or ledger.finalised(period) is None:
        abort(HTTPStatus.NOT_FOUND)
    result = semiannual.report(period)
    wanted = request.args.get("format", "html")
    if wanted in ("csv", "json"):
        body = report_formats.render(result, wanted, public=True)
        response = Response(body, mimetype="text/csv" if wanted == "csv" else "application/json")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="section-4-report-{period.name}.{wanted}"'
        )
        return response
    return render_template(
        "public/report.html",
        report=result,
        figures=semiannual.published(result.figures),
        amended=semiannual.published(result.amended) if result.amended else None,
        public=True,
    )
