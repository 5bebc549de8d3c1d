"""Staff pages: the queue, a case, and every action on it."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from complaints_app.authz import Permission, can, requires
from complaints_app.extensions import db
from complaints_app.models import (
    Agency,
    Attachment,
    CaseEvent,
    Channel,
    ClosureReason,
    Complaint,
    Disposition,
    Role,
    Status,
    User,
)
from complaints_app.services import casework, queue, uploads, workflow
from complaints_app.services.workflow import TransitionRefused, VersionConflict
from complaints_app.staff import bp
from complaints_app.staff.forms import (
    AcknowledgeForm,
    AllegationForm,
    ApproveForm,
    AssignForm,
    FindingsForm,
    LegalHoldForm,
    MessageForm,
    NoteForm,
    QueueFilterForm,
    ReasonForm,
    RevealForm,
    ScreenInForm,
    ScreenOutForm,
    StaffIntakeForm,
)


def _staff_users() -> list[User]:
    return list(
        db.session.execute(
            select(User).where(User.role != Role.ADVOCATE).order_by(User.email)
        ).scalars()
    )


def _investigators(users: list[User]) -> list[tuple[str, str]]:
    return [
        (str(u.id), u.display_name or u.email)
        for u in users
        if u.active and can(u, Permission.INVESTIGATE)
    ]


@bp.get("/")
@requires(Permission.VIEW_CASES)
def index():
    """Staff home: straight to the queue."""
    return redirect(url_for("staff.cases"))


@bp.get("/cases")
@requires(Permission.VIEW_CASES)
def cases():
    """The queue: filters, urgent then oldest first, pages, counts per status, overdue marked."""
    form = QueueFilterForm(request.args)
    users = _staff_users()
    form.clause.choices = [("", _("Any")), *casework.clause_choices()]
    form.assignee.choices = [("", _("Anyone")), ("me", _("Mine")), ("none", _("Unassigned"))] + [
        (str(u.id), u.display_name or u.email) for u in users if can(u, Permission.INVESTIGATE)
    ]
    valid = form.validate()
    filters = queue.QueueFilters()
    if valid:
        filters = queue.QueueFilters(
            status=Status(form.status.data) if form.status.data else None,
            clause=form.clause.data or None,
            agency=Agency(form.agency.data) if form.agency.data else None,
            assignee_id=current_user.id
            if form.assignee.data == "me"
            else _user_id(form.assignee.data),
            unassigned=form.assignee.data == "none",
            urgent=form.urgent.data,
            overdue=form.overdue.data,
            received_from=form.received_from.data,
            received_to=form.received_to.data,
            reference=form.reference.data or "",
            page=form.page.data or 1,
        )
    result = queue.load(filters)
    names = {u.id: u.display_name or u.email for u in users}
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "staff/queue.html",
        form=form,
        result=result,
        names=names,
        is_overdue=queue.is_overdue,
        page_args=args,
    ), (HTTPStatus.OK if valid else HTTPStatus.UNPROCESSABLE_ENTITY)


def _user_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _case_or_404(reference: str) -> Complaint:
    complaint = db.session.execute(
        select(Complaint).where(Complaint.reference == reference.upper())
    ).scalar_one_or_none()
    if complaint is None or complaint.purged_at is not None:
        abort(HTTPStatus.NOT_FOUND)
    return complaint


def _render_case(
    complaint: Complaint,
    *,
    typed: list | None = None,
    forms: dict | None = None,
    conflict=None,
    contact=None,
    status: int = HTTPStatus.OK,
):
    users = _staff_users()
    investigators = _investigators(users)
    clause_choices = [("", _("Not chosen")), *casework.clause_choices()]
    forms = forms or {}
    base = {"version": complaint.version}
    events = list(
        db.session.execute(
            select(CaseEvent)
            .where(CaseEvent.complaint_id == complaint.id)
            .order_by(CaseEvent.seq.desc())
        ).scalars()
    )
    last_seq = events[0].seq if events else 0
    base["seen_seq"] = last_seq

    def make(cls, key, **data):
        form = forms.get(key) or cls(formdata=None, **base, **data)
        return form

    screen_in = make(ScreenInForm, "screen_in")
    screen_in.assignee.choices = [("", _("Choose")), *investigators]
    assign = make(AssignForm, "assign")
    assign.assignee.choices = [("", _("Nobody")), *investigators]
    allegation_forms = []
    for allegation in complaint.allegations:
        form = forms.get(f"allegation-{allegation.id}") or AllegationForm(
            formdata=None,
            prefix=f"a{allegation.id}",
            **base,
            clause=allegation.clause.code if allegation.clause else "",
            confirmed=allegation.clause_confirmed,
            subject=allegation.subject,
            disposition=allegation.disposition.value if allegation.disposition else "",
            warrant_presented=allegation.facts.get("warrant_presented", ""),
            custody_extended_hours=allegation.facts.get("custody_extended_hours"),
            ice_access=allegation.facts.get("ice_access", ""),
            copy_given=allegation.facts.get("copy_given", ""),
        )
        form.clause.choices = clause_choices
        allegation_forms.append((allegation, form))
    template_message = _(
        "Thank you for your complaint %(ref)s. We have received it and will review it. "
        "We will write to you here when there is news.",
        ref=complaint.reference,
    )
    return render_template(
        "staff/case.html",
        complaint=complaint,
        events=events,
        names={u.id: u.display_name or u.email for u in users},
        actions=workflow.allowed_actions(complaint, current_user),
        overdue=queue.is_overdue(complaint),
        allegation_forms=allegation_forms,
        acknowledge_form=make(AcknowledgeForm, "acknowledge", message=template_message),
        screen_in_form=screen_in,
        screen_out_form=make(ScreenOutForm, "screen_out"),
        findings_form=make(FindingsForm, "submit_findings"),
        return_form=make(ReasonForm, "return_findings"),
        reopen_form=make(ReasonForm, "reopen"),
        withdraw_form=make(ReasonForm, "withdraw"),
        approve_form=make(ApproveForm, "approve"),
        assign_form=assign,
        note_form=forms.get("note") or NoteForm(formdata=None),
        message_form=forms.get("message") or MessageForm(formdata=None),
        reveal_form=forms.get("reveal") or RevealForm(formdata=None),
        conflict=conflict,
        typed=typed or [],
        contact=contact,
        duplicates=casework.duplicate_hints(complaint),
        merged_into=db.session.get(Complaint, complaint.merged_into_id)
        if complaint.merged_into_id
        else None,
        merged_here=casework.merged_into(complaint),
        can_supervise=can(current_user, Permission.SUPERVISE),
        can_hold=can(current_user, Permission.LEGAL_HOLD),
        hold_form=make(LegalHoldForm, "legal_hold", hold=complaint.legal_hold),
    ), status


@bp.get("/cases/<reference>")
@requires(Permission.VIEW_CASES)
def case(reference: str):
    """One case: details (contact hidden), allegations, evidence, timeline and actions.
    Every view is recorded in the case's audit trail."""
    complaint = _case_or_404(reference)
    casework.record_view(complaint, current_user)
    db.session.commit()
    return _render_case(complaint)


def _conflict(complaint: Complaint, key: str, form):
    """Someone else saved first: show what changed, keep what this person typed."""
    db.session.rollback()
    complaint = _case_or_404(complaint.reference)
    changes = casework.events_since(
        complaint, form.seen_seq.data if hasattr(form, "seen_seq") else None
    )
    if hasattr(form, "version"):
        form.version.data = complaint.version
    # The form may no longer be offered in the case's new state, so what was typed is also
    # shown in the conflict notice itself.
    typed = [
        (field.label.text, field.data)
        for field in form
        if field.type in ("TextAreaField", "StringField") and (field.data or "").strip()
    ]
    return _render_case(
        complaint, forms={key: form}, conflict=changes, typed=typed, status=HTTPStatus.CONFLICT
    )


def _refused(complaint: Complaint, key: str, form, message: str):
    db.session.rollback()
    complaint = _case_or_404(complaint.reference)
    flash(message)
    return _render_case(complaint, forms={key: form}, status=HTTPStatus.UNPROCESSABLE_ENTITY)


def _user_or_none(value: str | None) -> User | None:
    user_id = _user_id(value)
    return db.session.get(User, user_id) if user_id is not None else None


def _case_by_reference(reference: str | None) -> Complaint | None:
    if not reference:
        return None
    return db.session.execute(
        select(Complaint).where(Complaint.reference == reference.strip().upper())
    ).scalar_one_or_none()


def _back_to_case(complaint: Complaint):
    return redirect(url_for("staff.case", reference=complaint.reference), code=HTTPStatus.SEE_OTHER)


@dataclass(frozen=True)
class Action:
    """One workflow action as the case page offers it: its form, how the form's values reach
    the workflow function, and what the person is told once it is done."""

    form: type
    run: Callable[[Complaint, User, object, int], None]
    done: str


ACTIONS: dict[str, Action] = {
    "acknowledge": Action(
        AcknowledgeForm,
        lambda c, u, f, v: workflow.acknowledge(c, u, f.message.data, version=v),
        _l("Acknowledged. The complainant can read your message."),
    ),
    "screen_in": Action(
        ScreenInForm,
        lambda c, u, f, v: workflow.screen_in(c, u, _user_or_none(f.assignee.data), version=v),
        _l("Screened in and assigned."),
    ),
    "screen_out": Action(
        ScreenOutForm,
        lambda c, u, f, v: workflow.screen_out(
            c,
            u,
            ClosureReason(f.reason.data),
            note=f.note.data or "",
            merged_into=_case_by_reference(f.duplicate_of.data),
            version=v,
        ),
        _l("Screened out. The case is closed."),
    ),
    "submit_findings": Action(
        FindingsForm,
        lambda c, u, f, v: workflow.submit_findings(c, u, f.summary.data or "", version=v),
        _l("Findings submitted for review."),
    ),
    "return_findings": Action(
        ReasonForm,
        lambda c, u, f, v: workflow.return_findings(c, u, f.reason.data or "", version=v),
        _l("Findings returned to the investigator."),
    ),
    "approve": Action(
        ApproveForm,
        lambda c, u, f, v: workflow.approve(c, u, version=v),
        _l("Findings approved. The case is closed."),
    ),
    "withdraw": Action(
        ReasonForm,
        lambda c, u, f, v: workflow.withdraw_by_staff(c, u, f.reason.data or "", version=v),
        _l("Withdrawal recorded. The case is closed."),
    ),
    "reopen": Action(
        ReasonForm,
        lambda c, u, f, v: workflow.reopen(c, u, f.reason.data or "", version=v),
        _l("Reopened. The case is back in triage."),
    ),
}


@bp.post("/cases/<reference>/actions/<action>")
@requires(Permission.VIEW_CASES)
def case_action(reference: str, action: str):
    """Run one workflow action; refusals say what is missing, conflicts show what changed."""
    complaint = _case_or_404(reference)
    spec = ACTIONS.get(action)
    if spec is None:
        abort(HTTPStatus.NOT_FOUND)
    form = spec.form()
    if isinstance(form, ScreenInForm):
        form.assignee.choices = [("", ""), *_investigators(_staff_users())]
    if not form.validate():
        return _refused(complaint, action, form, _("Please correct the form."))
    version = int(form.version.data) if (form.version.data or "").isdigit() else -1
    try:
        spec.run(complaint, current_user, form, version)
        db.session.commit()
    except (VersionConflict, StaleDataError):
        return _conflict(complaint, action, form)
    except TransitionRefused as exc:
        return _refused(complaint, action, form, exc.message)
    flash(str(spec.done))
    return _back_to_case(complaint)


@bp.post("/cases/<reference>/allegations/<int:allegation_id>")
@requires(Permission.VIEW_CASES)  # clause changes need TRIAGE, dispositions INVESTIGATE
def allegation(reference: str, allegation_id: int):
    """Confirm or change an allegation's clause, facts and disposition, with a reason."""
    complaint = _case_or_404(reference)
    target = next((a for a in complaint.allegations if a.id == allegation_id), None)
    if target is None:
        abort(HTTPStatus.NOT_FOUND)
    form = AllegationForm(prefix=f"a{allegation_id}")
    form.clause.choices = [("", ""), *casework.clause_choices()]
    key = f"allegation-{allegation_id}"
    if not form.validate():
        return _refused(complaint, key, form, _("Please correct the allegation form."))
    try:
        casework.check_version(complaint, form.version.data)
        casework.update_allegation(
            target,
            current_user,
            clause_code=form.clause.data or None,
            confirmed=form.confirmed.data,
            subject=(form.subject.data or "").strip(),
            disposition=Disposition(form.disposition.data) if form.disposition.data else None,
            facts={
                "warrant_presented": form.warrant_presented.data,
                "custody_extended_hours": form.custody_extended_hours.data,
                "ice_access": (form.ice_access.data or "").strip(),
                "copy_given": form.copy_given.data,
            },
            reason=form.reason.data,
        )
        db.session.commit()
    except (VersionConflict, StaleDataError):
        return _conflict(complaint, key, form)
    except TransitionRefused as exc:
        return _refused(complaint, key, form, exc.message)
    flash(_("Allegation saved."))
    return _back_to_case(complaint)


@bp.post("/cases/<reference>/notes")
@requires(Permission.VIEW_CASES)
def note(reference: str):
    """Add an internal note."""
    complaint = _case_or_404(reference)
    form = NoteForm()
    if not form.validate():
        return _refused(complaint, "note", form, _("Please correct the note."))
    casework.add_note(complaint, current_user, form.text.data)
    db.session.commit()
    return _back_to_case(complaint)


@bp.post("/cases/<reference>/messages")
@requires(Permission.VIEW_CASES)
def message(reference: str):
    """Send a message the complainant reads on /track."""
    complaint = _case_or_404(reference)
    form = MessageForm()
    if not form.validate():
        return _refused(complaint, "message", form, _("Please correct the message."))
    workflow.message_complainant(
        complaint, current_user, form.text.data, wait_for_reply=form.wait_for_reply.data
    )
    db.session.commit()
    flash(_("Message sent."))
    return _back_to_case(complaint)


@bp.post("/cases/<reference>/assign")
@requires(Permission.SUPERVISE)
def assign(reference: str):
    """Reassign the case (supervisors)."""
    complaint = _case_or_404(reference)
    form = AssignForm()
    form.assignee.choices = [("", ""), *_investigators(_staff_users())]
    if not form.validate():
        return _refused(complaint, "assign", form, _("Please correct the form."))
    try:
        casework.check_version(complaint, form.version.data)
        casework.assign(complaint, current_user, _user_or_none(form.assignee.data))
        db.session.commit()
    except (VersionConflict, StaleDataError):
        return _conflict(complaint, "assign", form)
    except TransitionRefused as exc:
        return _refused(complaint, "assign", form, exc.message)
    return _back_to_case(complaint)


@bp.post("/cases/<reference>/contact")
@requires(Permission.REVEAL_CONTACT)
def reveal(reference: str):
    """Show the contact details once, after a stated reason that is audited."""
    complaint = _case_or_404(reference)
    form = RevealForm()
    if not form.validate():
        return _refused(complaint, "reveal", form, _("Say why you need the contact details."))
    contact = casework.reveal_contact(complaint, current_user, form.reason.data)
    db.session.commit()
    return _render_case(complaint, contact=contact or {})


@bp.get("/cases/<reference>/attachments/<int:attachment_id>")
@requires(Permission.DOWNLOAD_EVIDENCE)
def attachment(reference: str, attachment_id: int):
    """Download one evidence file; never shown inline, and every download is recorded."""
    complaint = _case_or_404(reference)
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.complaint_id != complaint.id or item.purged_at is not None:
        abort(HTTPStatus.NOT_FOUND)
    data = uploads.read(item.storage_key)
    casework.record_download(item, current_user)
    db.session.commit()
    response = send_file(
        io.BytesIO(data),
        mimetype=item.content_type,
        as_attachment=True,
        download_name=uploads.download_name(
            item.original_name, f"evidence-{item.id}", item.content_type
        ),
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/intake", methods=["GET", "POST"])
@requires(Permission.STAFF_INTAKE)
def intake():
    """Enter a complaint received by phone, walk-in or mail; the receipt is shown to read out
    or print."""
    from complaints_app.public.routes import complaint_form_flow

    return complaint_form_flow(
        StaffIntakeForm(),
        channel=lambda form: Channel(form.channel.data),
        filed_by=current_user._get_current_object(),
    )


@bp.post("/cases/<reference>/legal-hold")
@requires(Permission.LEGAL_HOLD, Permission.VIEW_CASES)
def legal_hold(reference: str):
    """Put the case on legal hold or lift it, with a reason."""
    complaint = _case_or_404(reference)
    form = LegalHoldForm()
    if not form.validate():
        return _refused(complaint, "legal_hold", form, _("Say why."))
    try:
        casework.check_version(complaint, form.version.data)
        casework.set_legal_hold(complaint, current_user, form.hold.data, form.reason.data)
        db.session.commit()
    except (VersionConflict, StaleDataError):
        return _conflict(complaint, "legal_hold", form)
    except TransitionRefused as exc:
        return _refused(complaint, "legal_hold", form, exc.message)
    return _back_to_case(complaint)
