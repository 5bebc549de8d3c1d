"""Admin pages: accounts, organisations and the clause catalogue. Admin reads no case contents."""

from __future__ import annotations

from http import HTTPStatus

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from complaints_app import uow
from complaints_app.admin import bp
from complaints_app.admin.forms import (
    ActionForm,
    LeadForm,
    LegalHoldForm,
    MoveCaseForm,
    OrganisationForm,
    ResetForm,
    RoleForm,
    UserCreateForm,
    clause_form_class,
    clause_translation_form_class,
)
from complaints_app.authz import Permission, Refused, requires
from complaints_app.extensions import db
from complaints_app.models import AccountEvent, Clause, Complaint, Organisation, Role, User
from complaints_app.services import (
    account_changes,
    accounts,
    casework,
    catalogue,
    clause_texts,
    workflow,
)
from complaints_app.services import organisations as organisation_service
from complaints_app.services.accounts import AccountError
from complaints_app.services.catalogue import CatalogueError
from complaints_app.timeutil import city_today

# ---------------------------------------------------------------------------------------------
# Accounts


@bp.get("/")
@requires(Permission.MANAGE_USERS)
def index():
    """Every account, staff then advocates, with its role, organisation and last sign-in."""
    users = list(
        db.session.execute(
            select(User).options(selectinload(User.organisation)).order_by(User.email)
        ).scalars()
    )
    return render_template("admin/index.html", users=users)


def _organisation_choices() -> list[tuple[str, str]]:
    orgs = db.session.execute(
        select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
    ).scalars()
    return [("", _("None (staff)"))] + [(o.slug, o.name) for o in orgs]


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def user_new():
    """Create an account. Nobody types a password here: the person gets a one-time set-up
    link. An account with a case role cannot be used until a second person approves it.
    Refused values are shown beside their fields and everything typed is kept."""
    form = UserCreateForm()
    form.organisation.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            issued = account_changes.create_account(
                current_user._get_current_object(),
                form.email.data,
                Role(form.role.data),
                org_slug=form.organisation.data or None,
                display_name=form.display_name.data or "",
            )
        except AccountError as exc:
            db.session.rollback()
            field = form[exc.field] if exc.field in ("email", "organisation") else form.email
            field.errors = [*field.errors, str(exc)]
        else:
            return _link_issued(issued, created=True)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.is_submitted() else HTTPStatus.OK
    return render_template("admin/user_new.html", form=form), status


def _link_issued(issued: account_changes.Issued, *, created: bool):
    """The one-time link, shown this once (it is stored only as a keyed hash)."""
    link = url_for("auth.account_link_open", token=issued.token, _external=True)
    return render_template(
        "admin/link_issued.html",
        user=issued.user,
        link=link,
        change=issued.change,
        created=created,
        hours=current_app.config["ACCOUNT_LINK_HOURS"],
        approver_role=accounts.approver_role().value,
    )


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(HTTPStatus.NOT_FOUND)
    return user


def _render_user(
    user: User,
    *,
    role_form: RoleForm | None = None,
    reset_form: ResetForm | None = None,
    error: str | None = None,
    status: int = HTTPStatus.OK,
):
    if role_form is None:
        role_form = RoleForm(formdata=None, role=user.role.value)
    events = db.session.execute(
        select(AccountEvent)
        .where(AccountEvent.user_id == user.id)
        .options(selectinload(AccountEvent.actor))
        .order_by(AccountEvent.id.desc())
        .limit(20)
    ).scalars()
    return render_template(
        "admin/user.html",
        user=user,
        role_form=role_form,
        reset_form=reset_form or ResetForm(formdata=None),
        lead_form=LeadForm(formdata=None, lead="yes" if user.is_lead else "no"),
        action_form=ActionForm(formdata=None),
        pending=account_changes.pending_changes(user),
        events=list(events),
        event_labels=account_changes.EVENT_LABELS,
        change_labels=account_changes.CHANGE_LABELS,
        error=error,
        is_self=user.id == current_user.id,
    ), status


@bp.get("/users/<int:user_id>")
@requires(Permission.MANAGE_USERS)
def user(user_id: int):
    """One account, its pending changes and history, and what an admin can ask for."""
    return _render_user(_user_or_404(user_id))


@bp.post("/users/<int:user_id>/role")
@requires(Permission.MANAGE_USERS)
def user_role(user_id: int):
    """Change a role. Granting a case role waits for a second person's approval and the old
    role stays until then; otherwise the change applies at once and sessions end."""
    target = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate():
        return _render_user(target, role_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        pending = account_changes.request_role(
            current_user._get_current_object(), target, Role(form.role.data)
        )
    except AccountError as exc:
        db.session.rollback()
        return _render_user(
            _user_or_404(user_id), error=str(exc), status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    if pending is not None:
        flash(
            _(
                "The role change for %(email)s waits for approval by a %(role)s. "
                "Until then the account keeps its current role.",
                email=target.email,
                role=accounts.approver_role().value,
            )
        )
    else:
        flash(_("Role saved. %(email)s must sign in again.", email=target.email))
    return redirect(url_for("admin.user", user_id=target.id), code=HTTPStatus.SEE_OTHER)


def _set_active(user_id: int, active: bool):
    target = _user_or_404(user_id)
    if not ActionForm().validate():
        return _render_user(target, status=HTTPStatus.BAD_REQUEST)
    if not active and target.id == current_user.id:
        return _render_user(
            target,
            error=_("You cannot deactivate your own account. Ask another administrator."),
            status=HTTPStatus.UNPROCESSABLE_ENTITY,
        )
    try:
        account_changes.set_active(current_user._get_current_object(), target, active)
    except AccountError as exc:
        db.session.rollback()
        return _render_user(
            _user_or_404(user_id), error=str(exc), status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    if active:
        flash(_("%(email)s can sign in again.", email=target.email))
    else:
        flash(_("%(email)s is deactivated and signed out everywhere.", email=target.email))
    return redirect(url_for("admin.user", user_id=target.id), code=HTTPStatus.SEE_OTHER)


@bp.post("/users/<int:user_id>/deactivate")
@requires(Permission.MANAGE_USERS)
def user_deactivate(user_id: int):
    """Deactivate an account, ending every session of it; never one's own."""
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
@requires(Permission.MANAGE_USERS)
def user_reactivate(user_id: int):
    """Let a deactivated account sign in again."""
    return _set_active(user_id, True)


@bp.post("/users/<int:user_id>/reset")
@requires(Permission.MANAGE_USERS)
def user_reset(user_id: int):
    """Issue a one-time link through which the person sets a new password and/or sets up
    two-step sign in again. The admin never chooses or sees a password; for an account with
    a case role the link works only once a second person approves."""
    target = _user_or_404(user_id)
    form = ResetForm()
    if not form.validate():
        return _render_user(target, reset_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        issued = account_changes.request_reset(
            current_user._get_current_object(),
            target,
            password=form.password.data,
            two_factor_reset=form.two_factor.data,
        )
    except AccountError as exc:
        db.session.rollback()
        return _render_user(
            _user_or_404(user_id), error=str(exc), status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    return _link_issued(issued, created=False)


# ---------------------------------------------------------------------------------------------
# Legal holds


@bp.route("/legal-holds", methods=["GET", "POST"])
@requires(Permission.LEGAL_HOLD, Permission.MANAGE_SETTINGS)
def legal_holds():
    """Cases exempt from the retention purge, and a form to put one on hold or lift it by
    reference. Admins see references and reasons only, never case contents."""
    form = LegalHoldForm()
    status = HTTPStatus.OK
    if form.validate_on_submit():
        complaint = db.session.execute(
            select(Complaint).where(
                Complaint.reference == form.reference.data.strip().upper(),
                Complaint.purged_at.is_(None),
            )
        ).scalar_one_or_none()
        if complaint is None:
            form.reference.errors = [_("No case with that reference.")]
            status = HTTPStatus.UNPROCESSABLE_ENTITY
        else:
            try:
                casework.set_legal_hold(
                    complaint,
                    current_user._get_current_object(),
                    form.hold.data == "on",
                    form.reason.data,
                )
            except Refused as exc:
                uow.discard()
                form.reference.errors = [exc.message]
                status = HTTPStatus.UNPROCESSABLE_ENTITY
            else:
                flash(_("Legal hold saved for %(ref)s.", ref=complaint.reference))
                return redirect(url_for("admin.legal_holds"), code=HTTPStatus.SEE_OTHER)
    elif request.method == "POST":
        status = HTTPStatus.UNPROCESSABLE_ENTITY
    # The reason is sealed: read whole rows so it can be opened.
    held = list(
        db.session.execute(
            select(Complaint).where(Complaint.legal_hold.is_(True)).order_by(Complaint.reference)
        ).scalars()
    )
    return render_template("admin/legal_holds.html", form=form, held=held), status


# ---------------------------------------------------------------------------------------------
# Organisations


@bp.post("/users/<int:user_id>/lead")
@requires(Permission.MANAGE_USERS)
def user_lead(user_id: int):
    """Make an advocate their organisation's lead advocate, or no longer; recorded on the
    account."""
    target = _user_or_404(user_id)
    form = LeadForm()
    if not form.validate():
        return _render_user(target, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        organisation_service.set_lead(
            current_user._get_current_object(), target, form.lead.data == "yes"
        )
    except AccountError as exc:
        uow.discard()
        return _render_user(
            _user_or_404(user_id), error=str(exc), status=HTTPStatus.UNPROCESSABLE_ENTITY
        )
    flash(_("Lead advocate saved for %(email)s.", email=target.email))
    return redirect(url_for("admin.user", user_id=target.id), code=HTTPStatus.SEE_OTHER)


def _organisations_page(
    form: OrganisationForm | None = None,
    move_form: MoveCaseForm | None = None,
    status: int = HTTPStatus.OK,
):
    orgs = list(db.session.execute(select(Organisation).order_by(Organisation.name)).scalars())
    move_form = move_form or MoveCaseForm(formdata=None)
    move_form.organisation.choices = [("", _("Choose"))] + [
        (o.slug, o.name) for o in orgs if o.active
    ]
    return render_template(
        "admin/organisations.html",
        form=form or OrganisationForm(formdata=None),
        move_form=move_form,
        organisations=orgs,
    ), status


@bp.route("/organisations", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def organisations():
    """The legal aid organisations advocates belong to, a form to add one, and a form to
    move a case to another organisation."""
    if request.method == "GET":
        return _organisations_page()
    form = OrganisationForm()
    if not form.validate():
        return _organisations_page(form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        organisation = organisation_service.create_organisation(
            form.slug.data, form.name.data, form.contact.data
        )
    except AccountError as exc:
        uow.discard()
        field = form[exc.field] if exc.field in ("slug", "name", "contact") else form.slug
        field.errors = [*field.errors, str(exc)]
        return _organisations_page(form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    flash(_("Organisation %(name)s added.", name=organisation.name))
    return redirect(url_for("admin.organisations"), code=HTTPStatus.SEE_OTHER)


@bp.post("/organisations/move-case")
@requires(Permission.MANAGE_USERS)
def move_case():
    """Give a case filed by one organisation to another (the client changed lawyers). The
    move is on the case's audit trail; the old organisation loses the case at once."""
    form = MoveCaseForm()
    orgs = {
        o.slug: o
        for o in db.session.execute(
            select(Organisation).where(Organisation.active.is_(True))
        ).scalars()
    }
    form.organisation.choices = [("", "")] + [(slug, o.name) for slug, o in orgs.items()]
    if not form.validate():
        return _organisations_page(move_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    complaint = workflow.case_by_reference(form.reference.data)
    if complaint is None or complaint.purged_at is not None:
        form.reference.errors = [_("No case with that reference.")]
        return _organisations_page(move_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    target = orgs[form.organisation.data]
    try:
        organisation_service.move_case(current_user._get_current_object(), complaint, target)
    except Refused as exc:
        uow.discard()
        form.reference.errors = [exc.message]
        return _organisations_page(move_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    flash(_("Case %(ref)s now belongs to %(org)s.", ref=complaint.reference, org=target.name))
    return redirect(url_for("admin.organisations"), code=HTTPStatus.SEE_OTHER)


# ---------------------------------------------------------------------------------------------
# Clause catalogue


@bp.get("/clauses")
@requires(Permission.MANAGE_CLAUSES)
def clauses():
    """The current version of every clause, in ordinance order."""
    return render_template("admin/clauses.html", clauses=catalogue.current_clauses())


def _current_clause_or_404(code: str) -> Clause:
    clause = db.session.execute(
        select(Clause)
        .where(Clause.code == code, Clause.effective_to.is_(None))
        .options(selectinload(Clause.questions))
    ).scalar_one_or_none()
    if clause is None:
        abort(HTTPStatus.NOT_FOUND)
    return clause


@bp.route("/clauses/<code>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLAUSES)
def clause(code: str):
    """Amend a clause: saving makes a new version in force from the chosen date; cases
    already filed keep citing the version in force on their incident date."""
    current = _current_clause_or_404(code)
    form_cls = clause_form_class(current.questions)
    today = city_today()
    default_from = today if current.effective_from < today else None
    initial = {
        "title": current.title,
        "summary": current.summary,
        "full_text": current.full_text,
        "complaint_eligible": current.complaint_eligible,
        "effective_from": default_from,
    }
    for q in current.questions:
        initial[f"q_{q.key}_prompt"] = q.prompt
        initial[f"q_{q.key}_hint"] = q.hint
    form = form_cls(data=initial)
    if form.validate_on_submit():
        questions = {
            q.key: (form[f"q_{q.key}_prompt"].data or "", form[f"q_{q.key}_hint"].data or "")
            for q in current.questions
        }
        try:
            amended = catalogue.amend_clause(
                code,
                current_user,
                title=form.title.data,
                summary=form.summary.data,
                full_text=form.full_text.data,
                complaint_eligible=form.complaint_eligible.data,
                effective_from=form.effective_from.data,
                questions=questions,
            )
        except CatalogueError as exc:
            db.session.rollback()
            current = _current_clause_or_404(code)
            form.effective_from.errors = [*form.effective_from.errors, str(exc)]
        else:
            flash(
                _(
                    "Clause %(section)s version %(version)s saved, in force from %(date)s.",
                    section=amended.section,
                    version=amended.version,
                    date=amended.effective_from.isoformat(),
                )
            )
            # The official translations were of the old wording: the new version starts
            # without them, and readers of those languages see English until they are added.
            flash(
                _(
                    "Version %(version)s has no text yet in %(languages)s: readers of those "
                    "languages see the English text until you add it.",
                    version=amended.version,
                    languages=", ".join(clause_texts.translation_languages().values()),
                )
            )
            return redirect(url_for("admin.clauses"), code=HTTPStatus.SEE_OTHER)
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.is_submitted() else HTTPStatus.OK
    return render_template("admin/clause.html", clause=current, form=form), status


def _text_initial(clause: Clause, language: str) -> tuple[dict, Clause | None]:
    """What the language form starts from: this version's newest text in ``language``; when
    it has none, the version before it's (an amendment keeps the translation to revise), and
    that version, so the page can say the words were written for it."""
    initial: dict = {}
    source = clause
    words = clause_texts.latest_text(clause.texts, language)
    carried = None
    if words is None:
        before = catalogue.previous_version(clause)
        if before is not None and clause_texts.latest_text(before.texts, language) is not None:
            source, carried = before, before
            words = clause_texts.latest_text(before.texts, language)
    if words is not None:
        initial.update(
            section=words.section,
            title=words.title,
            summary=words.summary,
            full_text=words.full_text,
        )
    by_key = {q.key: q for q in source.questions}
    for q in clause.questions:
        old = by_key.get(q.key)
        qw = clause_texts.latest_text(old.texts, language) if old is not None else None
        if qw is not None:
            initial[f"q_{q.key}_prompt"] = qw.prompt
            initial[f"q_{q.key}_hint"] = qw.hint
    return initial, carried


@bp.route("/clauses/<code>/<language>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CLAUSES)
def clause_language(code: str, language: str):
    """The official text of the current version of a clause in one language other than
    English, and of its guided questions. Saving records a new revision of each text that
    changed, with who saved it; readers of that language see it at once. Refused input is
    shown again as typed, with the reason beside the field."""
    languages = clause_texts.translation_languages()
    if language not in languages:
        abort(HTTPStatus.NOT_FOUND)
    current = _current_clause_or_404(code)
    form_cls = clause_translation_form_class(current.questions)
    initial, carried = _text_initial(current, language)
    form = form_cls(data=initial)
    if form.validate_on_submit():
        questions = {
            q.key: catalogue.QuestionTranslation(
                prompt=form[f"q_{q.key}_prompt"].data or "",
                hint=form[f"q_{q.key}_hint"].data or "",
            )
            for q in current.questions
        }
        try:
            written = catalogue.translate_clause(
                current,
                language,
                current_user._get_current_object(),
                section=form.section.data,
                title=form.title.data,
                summary=form.summary.data,
                full_text=form.full_text.data,
                questions=questions,
            )
        except CatalogueError as exc:
            db.session.rollback()
            current = _current_clause_or_404(code)
            form.title.errors = [*form.title.errors, str(exc)]
        else:
            if written:
                flash(
                    _(
                        "The %(language)s text of %(section)s is saved.",
                        language=languages[language],
                        section=current.section,
                    )
                )
            else:
                flash(_("Nothing had changed, so nothing was saved."))
            return redirect(
                url_for("admin.clause_language", code=code, language=language),
                code=HTTPStatus.SEE_OTHER,
            )
    status = HTTPStatus.UNPROCESSABLE_ENTITY if form.is_submitted() else HTTPStatus.OK
    latest = clause_texts.latest_text(current.texts, language)
    saved_by = None
    if latest is not None and latest.created_by_id is not None:
        saved_by = db.session.get(User, latest.created_by_id)
    return render_template(
        "admin/clause_language.html",
        clause=current,
        form=form,
        language=language,
        language_name=languages[language],
        latest=latest,
        saved_by=saved_by,
        carried=carried if latest is None else None,
    ), status
