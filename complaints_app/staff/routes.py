"""Staff pages: the queue, a case, and every action on it."""

from __future__ import annotations

import io
from collections.abc import Callable
from http import HTTPStatus

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from complaints_app import uow
from complaints_app.authz import (
    CaseAction,
    Permission,
    Refused,
    can,
    can_be_assigned,
    has_permission,
    requires,
)
from complaints_app.extensions import db
from complaints_app.i18n import complainant_locale
from complaints_app.labels import label
from complaints_app.models import (
    Agency,
    Channel,
    Complaint,
    Disposition,
    Role,
    Status,
    User,
)
from complaints_app.services import casework, outcome, queue, uploads, workflow
from complaints_app.services.workflow import VersionConflict
from complaints_app.staff import bp
from complaints_app.staff.forms import (
    AddAllegationForm,
    AllegationForm,
    AssignForm,
    LegalHoldForm,
    MessageForm,
    NoteForm,
    QueueFilterForm,
    RemoveAllegationForm,
    RevealForm,
    StaffIntakeForm,
)


def _staff_users() -> list[User]:
    return list(
        db.session.execute(
            select(User).where(User.role != Role.ADVOCATE).order_by(User.email)
        ).scalars()
    )


def _investigators(users: list[User]) -> list[tuple[str, str]]:
    return [(str(u.id), u.display_name or u.email) for u in users if can_be_assigned(u)]


@bp.get("/")
@requires(Permission.STAFF_HOME)
def index():
    """Staff home: case roles go straight to the queue, records officers to the section 4
    ledger; every role that may open /staff/ lands somewhere it may open."""
    if has_permission(current_user, Permission.VIEW_CASES):
        return redirect(url_for("staff.cases"))
    if has_permission(current_user, Permission.READ_LEDGER):
        return redirect(url_for("staff.federal_requests"))
    abort(HTTPStatus.FORBIDDEN)


@bp.get("/cases")
@requires(Permission.VIEW_CASES)
def cases():
    """The queue: open cases, due work first (overdue, urgent, nearest due date); filters,
    sortable columns whose links keep the filters, pages, counts per status."""
    form = QueueFilterForm(request.args)
    users = _staff_users()
    form.clause.choices = [("", _("Any")), *casework.clause_choices()]
    form.assignee.choices = [("", _("Anyone")), ("me", _("Mine")), ("none", _("Unassigned"))] + [
        (str(u.id), u.display_name or u.email) for u in users if can_be_assigned(u)
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
            show=form.show.data or "open",
            sort=form.sort.data or "priority",
            direction=form.dir.data or "asc",
            page=form.page.data or 1,
        )
    result = queue.load(filters, current_user._get_current_object())
    names = {u.id: u.display_name or u.email for u in users}
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "staff/queue.html",
        form=form,
        result=result,
        names=names,
        is_overdue=queue.is_overdue,
        describe_due=queue.describe_due,
        sorting=_sort_links(args, filters),
        page_args=args,
    ), (HTTPStatus.OK if valid else HTTPStatus.UNPROCESSABLE_ENTITY)


def _sort_links(args: dict[str, str], filters: queue.QueueFilters) -> dict[str, dict]:
    """For each sortable column: the link that sorts by it (keeping every filter, back to
    page 1) and its aria-sort value. A second click on the sorted column reverses it."""
    links = {}
    for column in ("reference", "status", "received", "due"):
        active = filters.sort == column
        direction = "desc" if active and filters.direction == "asc" else "asc"
        links[column] = {
            "url": url_for("staff.cases", **{**args, "sort": column, "dir": direction}),
            "aria": ("ascending" if filters.direction == "asc" else "descending")
            if active
            else None,
        }
    default_args = {k: v for k, v in args.items() if k not in ("sort", "dir")}
    links["priority"] = {"url": url_for("staff.cases", **default_args), "aria": None}
    return links


def _user_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _case_or_404(reference: str) -> Complaint:
    complaint = workflow.case_by_reference(reference)
    if complaint is None or not can(current_user, complaint, CaseAction.READ):
        # A case the person may not read does not exist for them.
        abort(HTTPStatus.NOT_FOUND)
    return complaint


# The messages that close a case start from plain words the staff member can edit.
OUTCOME_PREFILLS = {
    "approve": outcome.approval_message,
    "screen_out": outcome.screen_out_message,
    "withdraw": outcome.withdrawal_message,
}


def _render_case(
    complaint: Complaint,
    *,
    typed: list | None = None,
    forms: dict | None = None,
    conflict=None,
    contact=None,
    status: int = HTTPStatus.OK,
):
    """Draw the case page. Whatever the answer (a refusal, a conflict, a revealed contact),
    showing the case's contents is a read, recorded in its audit trail."""
    actor = current_user._get_current_object()
    try:
        casework.open_case(complaint, actor)
    except Refused:
        abort(HTTPStatus.NOT_FOUND)
    users = _staff_users()
    investigators = _investigators(users)
    clause_choices = [("", _("Not chosen")), *casework.clause_choices()]
    forms = forms or {}
    base = {"version": complaint.version}
    timeline = casework.timeline_page(
        complaint,
        page=request.args.get("page", 1, type=int) or 1,
        with_views=request.args.get("views") == "1",
    )
    events = timeline.events
    base["seen_seq"] = timeline.last_seq

    def make(cls, key, **data):
        return forms.get(key) or cls(formdata=None, **base, **data)

    actions = workflow.allowed_actions(complaint, actor)
    action_forms = {}
    for spec in actions:
        data = {}
        # What the complainant will read is prefilled in their language, not the page's.
        with complainant_locale(complaint):
            if spec.name == "acknowledge":
                data["message"] = _(
                    "Thank you for your complaint %(ref)s. We have received it and will review "
                    "it. We will write to you here when there is news.",
                    ref=complaint.reference,
                )
            elif spec.name in OUTCOME_PREFILLS:
                data["message"] = OUTCOME_PREFILLS[spec.name](complaint)
        form = make(spec.form_class, spec.name, **data)
        if hasattr(form, "assignee"):
            form.assignee.choices = [("", _("Choose")), *investigators]
        action_forms[spec.name] = form
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
    add_allegation_form = make(AddAllegationForm, "add_allegation")
    add_allegation_form.clause.choices = clause_choices
    assign = make(AssignForm, "assign")
    assign.assignee.choices = [("", _("Nobody")), *investigators]
    note_form = forms.get("note") or NoteForm(formdata=None)
    message_form = forms.get("message") or MessageForm(formdata=None)
    reveal_form = forms.get("reveal") or RevealForm(formdata=None)
    hold_form = make(LegalHoldForm, "legal_hold", hold=complaint.legal_hold)
    for key, form in [
        *action_forms.items(),
        ("add_allegation", add_allegation_form),
        ("assign", assign),
        ("note", note_form),
        ("message", message_form),
        ("reveal", reveal_form),
        ("legal_hold", hold_form),
    ]:
        _own_ids(form, key)
    return render_template(
        "staff/case.html",
        complaint=complaint,
        events=events,
        timeline=timeline,
        names={u.id: u.display_name or u.email for u in users},
        actions=actions,
        action_groups=_action_groups(complaint, actions),
        action_forms=action_forms,
        overdue=queue.is_overdue(complaint),
        allegation_forms=allegation_forms,
        add_allegation_form=add_allegation_form,
        remove_allegation_form=make(RemoveAllegationForm, "remove_allegation"),
        assign_form=assign,
        note_form=note_form,
        message_form=message_form,
        reveal_form=reveal_form,
        conflict=conflict,
        typed=typed or [],
        contact=contact,
        duplicates=casework.duplicate_hints(complaint, actor),
        merged_into=db.session.get(Complaint, complaint.merged_into_id)
        if complaint.merged_into_id
        else None,
        merged_here=casework.merged_into(complaint, actor),
        hold_form=hold_form,
    ), status


def _own_ids(form, key: str) -> None:
    """Forms on the case page share field names (a reason, a message, a text): each field
    gets an id of its own, so every label, hint and error link names the right field (the
    internal note's label must never lead to the message the complainant reads). Only ids
    change; the names posted stay the same."""
    for field in form:
        if not field.id.startswith(f"{key}-"):
            field.id = f"{key}-{field.name}"


def _action_groups(complaint: Complaint, actions: list) -> list[tuple[str, list]]:
    """The steps offered, under headings: those of the case's current status, then those
    open at any stage (withdraw). Empty groups are left out."""
    own = [a for a in actions if len(a.sources) == 1]
    general = [a for a in actions if len(a.sources) != 1]
    groups = [
        (_("In %(status)s", status=label(complaint.status)), own),
        (_("At any open stage"), general),
    ]
    return [(heading, group) for heading, group in groups if group]


@bp.get("/cases/<reference>")
@requires(Permission.VIEW_CASES)
def case(reference: str):
    """One case: details (contact hidden), allegations, evidence, timeline and what the
    person may do. Every view is recorded in the case's audit trail."""
    return _render_case(_case_or_404(reference))


def _conflict(complaint: Complaint, key: str, form):
    """Someone else saved first: show what changed, keep what this person typed."""
    uow.discard()
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
    uow.discard()
    complaint = _case_or_404(complaint.reference)
    flash(message)
    return _render_case(complaint, forms={key: form}, status=HTTPStatus.UNPROCESSABLE_ENTITY)


def _back_to_case(complaint: Complaint):
    return redirect(url_for("staff.case", reference=complaint.reference), code=HTTPStatus.SEE_OTHER)


def _operate(
    reference: str,
    key: str,
    form,
    operation: Callable[[Complaint], object],
    *,
    done: str | None = None,
    invalid: str | None = None,
    versioned: bool = True,
):
    """Run one operation on a case from a posted form: a form error, a refusal or a
    conflict draws the case again with what was typed; success goes back to the case."""
    complaint = _case_or_404(reference)
    if not form.validate():
        return _refused(complaint, key, form, invalid or _("Please correct the form."))
    try:
        if versioned:
            casework.check_version(complaint, form.version.data)
        result = operation(complaint)
    except (VersionConflict, StaleDataError):
        return _conflict(complaint, key, form)
    except Refused as exc:
        if exc.hidden:
            abort(HTTPStatus.NOT_FOUND)
        return _refused(complaint, key, form, exc.message)
    if done:
        flash(done)
    return result if result is not None else _back_to_case(complaint)


@bp.post("/cases/<reference>/actions/<action>")
@requires(Permission.VIEW_CASES)
def case_action(reference: str, action: str):
    """Run one workflow step; refusals say what is missing, conflicts show what changed."""
    spec = workflow.ACTIONS.get(action)
    if spec is None:
        abort(HTTPStatus.NOT_FOUND)
    form = spec.form_class()
    if hasattr(form, "assignee"):
        form.assignee.choices = [("", ""), *_investigators(_staff_users())]
    return _operate(
        reference,
        action,
        form,
        lambda c: spec.perform(c, current_user, form, c.version),
        done=str(spec.done),
    )


def _allegation_of(complaint: Complaint, allegation_id: int):
    target = next((a for a in complaint.allegations if a.id == allegation_id), None)
    if target is None:
        abort(HTTPStatus.NOT_FOUND)
    return target


@bp.post("/cases/<reference>/allegations/<int:allegation_id>")
@requires(Permission.VIEW_CASES)
def allegation(reference: str, allegation_id: int):
    """Confirm or change an allegation's clause, facts and disposition, with a reason."""
    form = AllegationForm(prefix=f"a{allegation_id}")
    form.clause.choices = [("", ""), *casework.clause_choices()]

    def update(complaint: Complaint) -> None:
        try:
            _update(complaint)
        except casework.ReasonRequired as exc:
            form.reason.errors = [exc.message]
            raise

    def _update(complaint: Complaint) -> None:
        casework.update_allegation(
            _allegation_of(complaint, allegation_id),
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

    return _operate(
        reference,
        f"allegation-{allegation_id}",
        form,
        update,
        done=_("Allegation saved."),
        invalid=_("Please correct the allegation form."),
    )


@bp.post("/cases/<reference>/allegations")
@requires(Permission.VIEW_CASES)
def add_allegation(reference: str):
    """Add an allegation the form did not suggest, under a clause, with a reason."""
    form = AddAllegationForm()
    form.clause.choices = [("", ""), *casework.clause_choices()]

    def add(complaint: Complaint) -> None:
        casework.add_allegation(
            complaint,
            current_user,
            form.clause.data,
            form.reason.data,
            subject=form.subject.data,
            summary=form.summary.data,
        )

    return _operate(reference, "add_allegation", form, add, done=_("Allegation added."))


@bp.post("/cases/<reference>/allegations/<int:allegation_id>/remove")
@requires(Permission.VIEW_CASES)
def remove_allegation(reference: str, allegation_id: int):
    """Remove an allegation that does not belong, with a reason."""
    form = RemoveAllegationForm()
    return _operate(
        reference,
        "remove_allegation",
        form,
        lambda c: casework.remove_allegation(
            _allegation_of(c, allegation_id), current_user, form.reason.data
        ),
        done=_("Allegation removed."),
    )


@bp.post("/cases/<reference>/notes")
@requires(Permission.VIEW_CASES)
def note(reference: str):
    """Add an internal note."""
    form = NoteForm()
    return _operate(
        reference,
        "note",
        form,
        lambda c: casework.add_note(c, current_user, form.text.data),
        invalid=_("Please correct the note."),
        versioned=False,
    )


@bp.post("/cases/<reference>/messages")
@requires(Permission.VIEW_CASES)
def message(reference: str):
    """Send a message the complainant reads on /track."""
    form = MessageForm()
    return _operate(
        reference,
        "message",
        form,
        lambda c: workflow.message_complainant(
            c, current_user, form.text.data, wait_for_reply=form.wait_for_reply.data
        ),
        done=_("Message sent."),
        invalid=_("Please correct the message."),
        versioned=False,
    )


@bp.post("/cases/<reference>/assign")
@requires(Permission.VIEW_CASES)
def assign(reference: str):
    """Reassign the case (supervisors)."""
    form = AssignForm()
    form.assignee.choices = [("", ""), *_investigators(_staff_users())]
    return _operate(
        reference,
        "assign",
        form,
        lambda c: casework.assign(c, current_user, workflow.user_from_choice(form.assignee.data)),
        done=_("Assignment saved."),
    )


@bp.post("/cases/<reference>/contact")
@requires(Permission.VIEW_CASES)
def reveal(reference: str):
    """Show the contact details once, after a stated reason that is audited."""
    form = RevealForm()
    return _operate(
        reference,
        "reveal",
        form,
        lambda c: _render_case(
            c, contact=casework.reveal_contact(c, current_user, form.reason.data) or {}
        ),
        invalid=_("Say why you need the contact details."),
        versioned=False,
    )


@bp.get("/cases/<reference>/attachments/<int:attachment_id>")
@requires(Permission.VIEW_CASES)
def attachment(reference: str, attachment_id: int):
    """Download one evidence file; never shown inline, and every download is recorded."""
    complaint = _case_or_404(reference)
    try:
        item, data = casework.download(complaint, attachment_id, current_user)
    except Refused:
        abort(HTTPStatus.NOT_FOUND)
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
@requires(Permission.VIEW_CASES)
def legal_hold(reference: str):
    """Put the case on legal hold or lift it, with a reason."""
    form = LegalHoldForm()
    return _operate(
        reference,
        "legal_hold",
        form,
        lambda c: casework.set_legal_hold(c, current_user, form.hold.data, form.reason.data),
        invalid=_("Say why."),
    )
