"""``flask --app wsgi report …``: the section 4 semi-annual report from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app, render_template

from complaints_app.extensions import db


def init_app(app: Flask) -> None:
    """Register the ``report`` commands."""
    report = click.Group("report", help="The section 4 semi-annual report.")
    app.cli.add_command(report)

    @report.command("periods")
    def report_periods() -> None:
        """List the reporting periods, newest first, with their state: open (still
        running), complete (over, ready to finalise) or finalised."""
        from complaints_app.services import semiannual

        for period, state in semiannual.all_periods():
            click.echo(f"{period.name}  {period.start} to {period.last_day}  {state.value}")
        db.session.rollback()

    @report.command("semiannual")
    @click.option("--period", "period_name", required=True, help="The period's first day.")
    @click.option(
        "--format",
        "kind",
        type=click.Choice(["html", "csv", "json"]),
        default="html",
        show_default=True,
    )
    @click.option(
        "--public",
        is_flag=True,
        help="The published version: small counts hidden, no amendment reasons.",
    )
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        help="Write to this file instead of standard output.",
    )
    def report_semiannual(period_name: str, kind: str, public: bool, output: str | None) -> None:
        """Print one period's report (the finalised snapshot and any amendment once it is
        finalised, else the figures as they stand)."""
        from complaints_app.services import periods, semiannual

        with current_app.test_request_context():
            valid = [p for p, _state in semiannual.all_periods()]
            period = periods.parse_period(period_name)
            if period is None or period not in valid:
                names = ", ".join(p.name for p in valid) or "none yet"
                raise click.BadParameter(
                    f"{period_name!r} is not a reporting period. Valid periods: {names}.",
                    param_hint="--period",
                )
            result = semiannual.report(period)
            text = _render(result, kind, public)
        db.session.rollback()
        if output is None:
            click.echo(text, nl=False)
            return
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote the {kind} report for {period.name} to {output}.", err=True)


def _render(result, kind: str, public: bool) -> str:
    from complaints_app.services import report_formats, semiannual

    if kind != "html":
        return report_formats.render(result, kind, public=public)
    show = semiannual.published if public else (lambda figures: figures)
    css = Path(current_app.static_folder or "", "css", "print.css").read_text(encoding="utf-8")
    return render_template(
        "reports/print.html",
        report=result,
        figures=show(result.figures),
        amended=show(result.amended) if result.amended else None,
        public=public,
        print_css=css,
    )
