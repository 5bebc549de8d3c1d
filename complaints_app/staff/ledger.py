"""The section 4 ledger and the semi-annual report, for records officers and supervisors.

Records officers enter and edit requests of periods not yet finalised; supervisors read
everything, finalise a period's report, and change a finalised period's entries with a
reason. Which of these a person may do is decided in ``authz`` (``ledger_change``).
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from complaints_app.authz import Permission, ledger_change, may_write_ledger, requires
from complaints_app.extensions import db
from complaints_app.models import FederalRequest, RequestKind, RequestOutcome
from complaints_app.services import ledger, periods, report_formats, semiannual
from complaints_app.services.periods import Period
from complaints_app.staff import bp
from complaints_app.staff.ledger_forms import FederalRequestForm, FinaliseForm, LedgerFilterForm
from complaints_app.timeutil import city_today


@bp.app_template_global("period_words")
def _period_words(period: Period) -> str:
    return report_formats.period_words(period)


@bp.app_template_global("report_threshold")
def _report_threshold() -> int:
    return semiannual.threshold()


def _period_choices() -> list[tuple[str, str]]:
    return [("", _("All periods"))] + [
        (p.name, report_formats.period_words(p)) for p, _state in semiannual.all_periods()
    ]


@bp.get("/federal-requests")
@requires(Permission.READ_LEDGER)
def federal_requests():
    """The ledger: every request, newest first, filtered by period, kind and outcome."""
    form = LedgerFilterForm(request.args)
    form.period.choices = _period_choices()
    filters = ledger.LedgerFilters()
    if form.validate():
        filters = ledger.LedgerFilters(
            period=periods.parse_period(form.period.data or ""),
            kind=RequestKind(form.kind.data) if form.kind.data else None,
            outcome=RequestOutcome(form.outcome.data) if form.outcome.data else None,
        )
    rows = ledger.load(filters)
    individuals = len({r.person_key for r in rows})
    return render_template(
        "staff/ledger/list.html",
        form=form,
        rows=rows,
        individuals=individuals,
        filters=filters,
        may_write=may_write_ledger(current_user),
        may_enter=ledger_change(current_user, locked=False).allowed,
    )


def _form_page(form: FederalRequestForm, entry: FederalRequest | None, status: int = 200):
    locked = bool(entry is not None and ledger.finalised(periods.period_of(entry.received_on)))
    return (
        render_template(
            "staff/ledger/form.html",
            form=form,
            entry=entry,
            locked=locked,
            history=ledger.events_of(entry) if entry is not None else [],
            decision=ledger_change(current_user, locked=locked) if entry is not None else None,
            max_date=city_today().isoformat(),
            ask_reason=not ledger_change(current_user, locked=False).allowed,
        ),
        status,
    )


@bp.route("/federal-requests/new", methods=["GET", "POST"])
@requires(Permission.READ_LEDGER)
def federal_request_new():
    """Enter a request. Each broken rule is said at its field and nothing typed is lost."""
    if not may_write_ledger(current_user):
        abort(HTTPStatus.FORBIDDEN)
    form = FederalRequestForm()
    if not form.validate_on_submit():
        status = HTTPStatus.UNPROCESSABLE_ENTITY if request.method == "POST" else HTTPStatus.OK
        return _form_page(form, None, status)
    try:
        entry = ledger.create(form.entry(), current_user._get_current_object())
    except ledger.LedgerError as error:
        form.show_errors(error)
        return _form_page(form, None, HTTPStatus.UNPROCESSABLE_ENTITY)
    flash(_("Request entered (number %(id)s).", id=entry.id))
    return redirect(url_for("staff.federal_requests"), code=HTTPStatus.SEE_OTHER)


@bp.route("/federal-requests/<int:request_id>", methods=["GET", "POST"])
@requires(Permission.READ_LEDGER)
def federal_request_edit(request_id: int):
    """One request: its details and history, and the form to change it for whoever may."""
    entry = db.session.get(FederalRequest, request_id)
    if entry is None:
        abort(HTTPStatus.NOT_FOUND)
    form = FederalRequestForm()
    if request.method == "GET":
        form.fill(entry)
        return _form_page(form, entry)
    if not may_write_ledger(current_user):
        abort(HTTPStatus.FORBIDDEN)
    if not form.validate_on_submit():
        return _form_page(form, entry, HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        changed = ledger.update(entry, form.entry(), current_user._get_current_object())
    except ledger.LedgerError as error:
        db.session.rollback()
        entry = db.session.get(FederalRequest, request_id)
        form.show_errors(error)
        return _form_page(form, entry, HTTPStatus.UNPROCESSABLE_ENTITY)
    flash(_("Saved.") if changed else _("Nothing was changed."))
    return redirect(url_for("staff.federal_request_edit", request_id=entry.id), code=303)


def _period_or_404(name: str) -> Period:
    period = periods.parse_period(name)
    if period is None or period.start < periods.reporting_start() or period.start > city_today():
        abort(HTTPStatus.NOT_FOUND)
    return period


@bp.get("/reports/semiannual")
@requires(Permission.READ_LEDGER)
def semiannual_reports():
    """Every reporting period with its state, each linked to its report."""
    return render_template(
        "staff/ledger/periods.html", periods=semiannual.all_periods(), form=FinaliseForm()
    )


@bp.get("/reports/semiannual/<period_name>")
@requires(Permission.READ_LEDGER)
def semiannual_report(period_name: str):
    """One period's report for the office: the figures (the snapshot once finalised, with
    any amendment), the cross-check to follow up; ``?format=csv|json`` to download."""
    period = _period_or_404(period_name)
    result = semiannual.report(period)
    wanted = request.args.get("format", "html")
    if wanted in ("csv", "json"):
        body = report_formats.render(result, wanted, public=False)
        return _download(body, wanted, f"section-4-report-{period.name}")
    return render_template(
        "staff/ledger/report.html",
        report=result,
        figures=result.figures,
        amended=result.amended,
        cross_check=semiannual.cross_check(period),
        form=FinaliseForm(),
        public=False,
    )


def _download(body: str, kind: str, name: str) -> Response:
    mimetype = "text/csv" if kind == "csv" else "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@bp.post("/reports/semiannual/<period_name>/finalise")
@requires(Permission.READ_LEDGER, Permission.FINALISE_REPORTS)
def semiannual_finalise(period_name: str):
    """Finalise a period: its figures are kept as they stand and published."""
    period = _period_or_404(period_name)
    if not FinaliseForm().validate_on_submit():
        abort(HTTPStatus.BAD_REQUEST)
    try:
        semiannual.finalise(period, current_user._get_current_object())
    except semiannual.ReportError as error:
        flash(str(error))
    else:
        flash(_("The report is finalised and published."))
    return redirect(url_for("staff.semiannual_report", period_name=period.name), code=303)
