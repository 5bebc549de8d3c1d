"""Organisation pages: the dashboard, filing for a client, one case as the client sees it,
the CSV export, and the lead advocate's page of the organisation's advocates.

A case of another organisation answers exactly as a case that does not exist (404). What an
advocate may do to a case is asked of ``authz`` and nothing else.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from complaints_app import uow
from complaints_app.authz import (
    CaseAction,
    Permission,
    Refused,
    check,
    may_manage_advocate,
    requires,
)
from complaints_app.extensions import db
from complaints_app.models import Channel, Complaint, ConsentMethod, Status, User
from complaints_app.org import bp
from complaints_app.org.forms import AddAdvocateForm, AdvocateComplaintForm, DashboardFilterForm
from complaints_app.public.forms import EmptyForm, ReplyForm, WithdrawForm
from complaints_app.public.routes import client_view, complaint_form_flow, send_reply
from complaints_app.services import complainant, org_cases, organisations, workflow
from complaints_app.services.accounts import AccountError


def _advocate() -> User:
    return current_user._get_current_object()


@bp.get("/")
@requires(Permission.ORG_CASES)
def index():
    """Every case the organisation filed: status in plain words, last update, whether the
    office waits on an answer, due dates; filter by status, counts by status; newest
    activity first."""
    form = DashboardFilterForm(request.args)
    valid = form.validate()
    status = Status(form.status.data) if valid and form.status.data else None
    board = org_cases.dashboard(
        _advocate(),
        status=status,
        waiting=bool(valid and form.waiting.data),
        page=(form.page.data or 1) if valid else 1,
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "org/index.html",
        form=form,
        board=board,
        page_args=args,
        columns=org_cases.EXPORT_COLUMNS,
        status_text=complainant.status_text,
        status_names={s: name for s, (name, _sentence) in complainant.STATUS_TEXT.items()},
    ), (HTTPStatus.OK if valid else HTTPStatus.UNPROCESSABLE_ENTITY)


def _filing(form: AdvocateComplaintForm) -> dict:
    advocate = _advocate()
    return {
        "organisation": advocate.organisation,
        "consent_attested": bool(form.consent.data),
        "consent_method": ConsentMethod(form.consent_method.data),
        "consent_given_on": form.consent_given_on.data,
    }


@bp.route("/complaints/new", methods=["GET", "POST"])
@requires(Permission.ORG_CASES)
def new_complaint():
    """The guided form, filed on behalf of a client: the organisation is the contact for
    follow-up, the client's own contact is optional, and the advocate attests how and when
    the client agreed. The case records the organisation, the advocate and channel
    "advocate"; a form with mistakes keeps everything entered."""
    advocate = _advocate()
    return complaint_form_flow(
        AdvocateComplaintForm(),
        channel=lambda form: Channel.ADVOCATE,
        filed_by=advocate,
        more=_filing,
        page={"organisation": advocate.organisation, "for_advocate": True},
    )


def _case_or_404(reference: str) -> Complaint:
    """The organisation's case, if the advocate may follow it; anything else is 404, whether
    the case does not exist or belongs to another organisation."""
    complaint = org_cases.case_for(_advocate(), reference)
    if complaint is None:
        abort(HTTPStatus.NOT_FOUND)
    try:
        check(_advocate(), complaint, CaseAction.TRACK)
    except Refused:
        abort(HTTPStatus.NOT_FOUND)
    return complaint


def _case_page(
    complaint: Complaint,
    *,
    reply_form: ReplyForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = HTTPStatus.OK,
):
    filed_by = db.session.get(User, complaint.filed_by_id) if complaint.filed_by_id else None
    return render_template(
        "org/case.html",
        **client_view(complaint, _advocate()),
        filed_by=filed_by,
        reply_form=reply_form or ReplyForm(),
        withdraw_form=withdraw_form or WithdrawForm(),
    ), status


@bp.get("/complaints/<reference>")
@requires(Permission.ORG_CASES)
def case(reference: str):
    """One of the organisation's cases as the complainant would see it on /track: never an
    internal note or a staff-only event. The advocate can answer, add files and withdraw."""
    return _case_page(_case_or_404(reference))


@bp.post("/complaints/<reference>/reply")
@requires(Permission.ORG_CASES)
def reply(reference: str):
    """Answer the office or add information and files for the client."""
    complaint = _case_or_404(reference)
    form = ReplyForm()
    if not send_reply(complaint, _advocate(), form):
        return _case_page(complaint, reply_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    flash(_("Your message was sent to the office."))
    return redirect(url_for("org.case", reference=complaint.reference), code=HTTPStatus.SEE_OTHER)


@bp.post("/complaints/<reference>/withdraw")
@requires(Permission.ORG_CASES)
def withdraw(reference: str):
    """Withdraw the complaint for the client, after an explicit confirmation."""
    complaint = _case_or_404(reference)
    form = WithdrawForm()
    if not form.validate():
        return _case_page(complaint, withdraw_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        workflow.withdraw(complaint, _advocate())
    except Refused as exc:
        uow.discard()
        flash(exc.message)
    else:
        flash(_("The complaint was withdrawn. You can still read it here."))
    return redirect(url_for("org.case", reference=complaint.reference), code=HTTPStatus.SEE_OTHER)


@bp.get("/export.csv")
@requires(Permission.ORG_CASES)
def export():
    """The organisation's cases as CSV, one line per case, streamed. Columns are listed on
    the dashboard and in the README; no narrative, no contact data."""
    lines = org_cases.export_lines(org_cases.export_condition(_advocate()))
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="cases.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# ---------------------------------------------------------------------------------------------
# The lead advocate: the organisation's advocates


def _people_page(form: AddAdvocateForm | None = None, status: int = HTTPStatus.OK):
    return render_template(
        "org/people.html",
        form=form or AddAdvocateForm(formdata=None),
        people=organisations.advocates_of(_advocate()),
        action_form=EmptyForm(formdata=None),
        may_manage=lambda member: may_manage_advocate(_advocate(), member),
    ), status


@bp.get("/people")
@requires(Permission.ORG_PEOPLE)
def people():
    """The organisation's advocates, and a form to add one."""
    return _people_page()


@bp.post("/people")
@requires(Permission.ORG_PEOPLE)
def people_add():
    """Add an advocate to the lead's own organisation: the new advocate gets a one-time link
    to choose their password, shown here once."""
    form = AddAdvocateForm()
    if not form.validate():
        return _people_page(form, HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        issued = organisations.add_advocate(
            _advocate(), form.email.data, form.display_name.data or ""
        )
    except AccountError as exc:
        uow.discard()
        form.email.errors = [*form.email.errors, str(exc)]
        return _people_page(form, HTTPStatus.UNPROCESSABLE_ENTITY)
    return render_template(
        "org/link_issued.html",
        user=issued.user,
        link=url_for("auth.account_link_open", token=issued.token, _external=True),
    )


@bp.post("/people/<int:user_id>/deactivate")
@requires(Permission.ORG_PEOPLE)
def people_deactivate(user_id: int):
    """Deactivate an advocate of the lead's own organisation; anyone else is 404."""
    member = db.session.get(User, user_id)
    if not may_manage_advocate(_advocate(), member):
        abort(HTTPStatus.NOT_FOUND)
    if not EmptyForm().validate():
        return _people_page(status=HTTPStatus.BAD_REQUEST)
    organisations.deactivate_advocate(_advocate(), member)
    flash(_("%(email)s is deactivated and signed out everywhere.", email=member.email))
    return redirect(url_for("org.people"), code=HTTPStatus.SEE_OTHER)
