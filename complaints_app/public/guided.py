"""The resident's complaint form, one topic per page.

Each step is a plain form POST (no script needed) checked with the same fields, rules and
messages as the one-page form (``ComplaintForm``), limited to that step's fields. The answers
live on the server in a sealed draft (``services/drafts.py``) named by a random key in the
signed session: never in a URL, never in the cookie. Files go through the pending-upload
store under the draft's one-time submission token, so the send step files the case through
``filing.attempt`` exactly like the one-page form, with the same idempotency.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete
from werkzeug.datastructures import MultiDict

from complaints_app.extensions import db, limiter
from complaints_app.models import Channel, FormDraft
from complaints_app.public import bp
from complaints_app.public.forms import ComplaintForm
from complaints_app.public.routes import (
    _intake_data,
    _question_hints,
    _receipt_page,
    _remember_form,
)
from complaints_app.security import no_store
from complaints_app.services import catalogue, drafts, filing, tracking
from complaints_app.services.drafts import Draft
from complaints_app.timeutil import city_today

# The signed session holds only this random key; the answers are on the server.
DRAFT_SESSION_KEY = "complaint_draft"
# The one-time submission token of a form opened but not yet answered (no draft stored yet).
OPENED_FORM_KEY = "complaint_opened"
# A step opened from the check page goes back there once saved.
RETURN_TO_CHECK = "check"

CONTACT_FIELDS = (
    "contact_choice",
    "contact_name",
    "contact_method",
    "contact_email",
    "contact_phone",
    "contact_postal",
    "contact_best_time",
    "safe_to_contact",
)


@dataclass(frozen=True)
class Step:
    slug: str
    title: object  # a lazy string
    fields: tuple[str, ...]


STEPS = (
    Step("what-happened", _l("What happened"), ("what_happened", "urgent")),
    Step(
        "when-and-where", _l("When and where"), ("incident_date", "incident_time", "incident_place")
    ),
    Step("who-was-involved", _l("Who was involved"), ("agency", "agency_detail", "officers")),
    Step("your-account", _l("Your account"), ("narrative",)),
    Step("files", _l("Photos and documents"), ("evidence", "keep_files")),
    Step("contact", _l("How we can reach you"), CONTACT_FIELDS),
    Step("check", _l("Check your answers"), ()),
    Step("send", _l("Send your complaint"), ("consent",)),
)
BY_SLUG = {s.slug: s for s in STEPS}
# The steps that hold answers: each must be completed before the check page.
ANSWER_STEPS = STEPS[:6]
CHECK, SEND = STEPS[6], STEPS[7]


def _number(step: Step) -> int:
    return STEPS.index(step) + 1


def _url(step: Step, **args) -> str:
    if step is CHECK:
        return url_for("public.complaint_check", **args)
    if step is SEND:
        return url_for("public.complaint_send", **args)
    return url_for("public.complaint_step", step=step.slug, **args)


def _first_open(draft: Draft) -> Step:
    """The first answer step not completed yet, or the check page when all are."""
    for step in ANSWER_STEPS:
        if step.slug not in draft.done:
            return step
    return CHECK


def _current_draft() -> Draft | None:
    return drafts.load(session.get(DRAFT_SESSION_KEY))


def _blank_draft() -> Draft:
    """What a step is checked against when this browser has no live draft (not yet started,
    or expired): it carries the submission token the form was opened with."""
    return Draft(row=FormDraft(), token=session.get(OPENED_FORM_KEY) or "")


def _form(draft: Draft, step: Step | None = None) -> ComplaintForm:
    """The whole form filled from the draft; with ``step``, that step's fields (and the CSRF
    token) as just posted instead, so a mistake shows everything typed."""
    data: MultiDict = MultiDict()
    for name, values in draft.answers.items():
        for value in values:
            data.add(name, value)
    if step is not None:
        for name in (*step.fields, "csrf_token"):
            data.setlist(name, request.form.getlist(name))
    form = ComplaintForm(formdata=data)
    form.set_questions(catalogue.current_questions())
    kept = filing.kept_files(draft.token)
    form.keep_files.choices = [(f.id, f.name) for f in kept]
    if step is None or "keep_files" not in step.fields:
        form.keep_files.data = [k for k in draft.keep if k in {f.id for f in kept}]
    form.submission_token.data = draft.token
    return form


def _check_step(form: ComplaintForm, step: Step) -> bool:
    """Run the form's own checks, then keep only the errors of ``step`` (and the CSRF
    token's): the other steps are checked on their own pages."""
    form.validate()
    names = {*step.fields, "csrf_token"}
    for field in form:
        if field.name not in names:
            field.errors = []
    return not any(form[name].errors for name in names)


def _first_with_errors(form: ComplaintForm) -> Step | None:
    form.validate()
    for step in ANSWER_STEPS:
        if any(form[name].errors for name in step.fields):
            return step
    return None


def _page(draft: Draft, step: Step, form: ComplaintForm, status: int = HTTPStatus.OK, **extra):
    returning = request.args.get("return") == RETURN_TO_CHECK and step in ANSWER_STEPS
    index = STEPS.index(step)
    if returning:
        back = _url(CHECK)
    elif index > 0:
        back = _url(STEPS[index - 1])
    else:
        back = None
    return render_template(
        "public/complaint_step.html",
        step=step,
        number=_number(step),
        total=len(STEPS),
        form=form,
        draft=draft,
        urgent=draft.value("urgent") == "yes",
        kept=filing.kept_files(draft.token),
        back=back,
        returning=returning,
        question_hints=_question_hints(catalogue.current_questions()),
        max_date=city_today().isoformat(),
        **extra,
    ), status


def _next(draft: Draft, step: Step):
    """Where a completed step leads: back to the check page when it was changed from there
    (and nothing before it is missing), else the next step."""
    if request.args.get("return") == RETURN_TO_CHECK and _first_open(draft) is CHECK:
        target = CHECK
    else:
        target = STEPS[STEPS.index(step) + 1]
        first = _first_open(draft)
        if STEPS.index(first) < STEPS.index(target):
            target = first
    return redirect(_url(target), code=HTTPStatus.SEE_OTHER)


def _saved(draft: Draft | None, step: Step, answers: dict[str, list[str]], keep=None):
    """Record a completed step: in the browser's draft, or in a new one when it has none
    (it expired meanwhile: what was just entered is kept, the earlier answers are gone)."""
    if draft is None:
        expired = session.get(DRAFT_SESSION_KEY) is not None
        key, draft = drafts.start(token=session.pop(OPENED_FORM_KEY, None))
        session[DRAFT_SESSION_KEY] = key
        _remember_form(draft.token)
        if expired:
            flash(
                _(
                    "Your earlier answers were deleted because the form was left for more "
                    "than %(hours)s hours. What you just entered is kept.",
                    hours=current_app.config["FORM_DRAFT_IDLE_HOURS"],
                )
            )
    draft.answers.update(answers)
    if keep is not None:
        draft.keep = list(keep)
    if step.slug not in draft.done:
        draft.done.append(step.slug)
    drafts.save(draft)
    return draft


@bp.get("/complaints/new")
def new_complaint():
    """Start the guided form, or resume this browser's draft at its first unfinished step."""
    no_store()
    draft = _current_draft()
    if draft is not None:
        return redirect(_url(_first_open(draft)), code=HTTPStatus.SEE_OTHER)
    _open_form()
    return redirect(_url(ANSWER_STEPS[0]), code=HTTPStatus.SEE_OTHER)


def _open_form() -> None:
    """Give this browser the one-time submission token of a new form. No draft is stored
    until the first page is answered: opening the form (a crawler, a curious visitor) writes
    nothing; the token waits in the signed session."""
    if not session.get(OPENED_FORM_KEY):
        session[OPENED_FORM_KEY] = tracking.new_submission_token()
    _remember_form(session[OPENED_FORM_KEY])


@bp.route("/complaints/new/<step>", methods=["GET", "POST"])
def complaint_step(step: str):
    """One question page. Continue checks only this page's answers, with the one-page form's
    rules and messages; a mistake shows the page again with everything typed. A step whose
    earlier steps are not done sends the browser to the first one that is not."""
    no_store()
    current = BY_SLUG.get(step)
    if current is None or current not in ANSWER_STEPS:
        abort(HTTPStatus.NOT_FOUND)
    draft = _current_draft()
    if draft is None and request.method == "GET":
        _open_form()
        if current is not ANSWER_STEPS[0]:
            return redirect(_url(ANSWER_STEPS[0]), code=HTTPStatus.SEE_OTHER)
    first = _first_open(draft) if draft is not None else ANSWER_STEPS[0]
    if STEPS.index(current) > STEPS.index(first) and (draft is not None or request.method == "GET"):
        return redirect(_url(first), code=HTTPStatus.SEE_OTHER)
    shown = draft or _blank_draft()
    if request.method == "GET":
        return _page(shown, current, _form(shown))

    form = _form(shown, current)
    if current.slug == "files":
        return _files_posted(draft, form)
    if not _check_step(form, current):
        return _page(shown, current, form, HTTPStatus.UNPROCESSABLE_ENTITY)
    answers = {name: request.form.getlist(name) for name in current.fields}
    draft = _saved(draft, current, answers)
    return _next(draft, current)


def _files_posted(draft: Draft | None, form: ComplaintForm):
    """The files page: new files are checked, cleaned and kept with the draft's other files;
    unticked ones are left out. A refused file is named and the page shown again."""
    step = BY_SLUG["files"]
    shown = draft or _blank_draft()
    if not _check_step(form, step) and form.csrf_token.errors:
        return _page(shown, step, form, HTTPStatus.UNPROCESSABLE_ENTITY)
    form.evidence.errors = form.keep_files.errors = []
    if draft is None:
        draft = _saved(None, step, {})
        draft.done.remove(step.slug)
    result = filing.stage_files(
        token=draft.token,
        files=request.files.getlist(form.evidence.name),
        keep=request.form.getlist(form.keep_files.name),
    )
    if result.not_saved:
        return _page(
            draft, step, form, HTTPStatus.SERVICE_UNAVAILABLE, not_saved=True, files_lost=True
        )
    form.keep_files.choices = [(f.id, f.name) for f in result.kept]
    form.keep_files.data = result.keep
    if result.file_errors:
        draft.keep = result.keep
        drafts.save(draft)
        form.evidence.errors = result.file_errors
        return _page(draft, step, form, HTTPStatus.UNPROCESSABLE_ENTITY)
    draft = _saved(draft, step, {}, keep=result.keep)
    return _next(draft, step)


@bp.get("/complaints/new/check")
def complaint_check():
    """Every answer on one page, each with a link to change it on its own step."""
    no_store()
    draft = _current_draft()
    if draft is None:
        return redirect(url_for("public.new_complaint"), code=HTTPStatus.SEE_OTHER)
    first = _first_open(draft)
    if first is not CHECK:
        return redirect(_url(first), code=HTTPStatus.SEE_OTHER)
    return _page(draft, CHECK, _form(draft), rows=_summary(draft, _form(draft)))


@bp.route("/complaints/new/send", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SUBMIT_LIMIT_PER_CLIENT"], methods=["POST"])
def complaint_send():
    """Confirm and send. The form carries the draft's one-time token: posting it again (a
    double click, the back button, a second tab) files nothing more and shows the same
    receipt, only to this browser and only for a few minutes, as the one-page form did."""
    no_store()
    token = request.form.get("submission_token", "") if request.method == "POST" else ""
    earlier = filing.earlier_receipt(token)
    if earlier is not None:
        return _receipt_page(token, earlier)
    draft = _current_draft()
    if draft is None:
        return redirect(url_for("public.new_complaint"), code=HTTPStatus.SEE_OTHER)
    first = _first_open(draft)
    if first is not CHECK:
        return redirect(_url(first), code=HTTPStatus.SEE_OTHER)
    if request.method == "GET":
        return _page(draft, SEND, _form(draft))
    if token != draft.token:
        # A page of an earlier form of this browser: show the current one to confirm.
        return redirect(_url(CHECK), code=HTTPStatus.SEE_OTHER)

    form = _form(draft, SEND)
    if not _check_step(form, SEND):
        return _page(draft, SEND, form, HTTPStatus.UNPROCESSABLE_ENTITY)
    whole = _form(draft)
    wrong = _first_with_errors(whole)
    if wrong is not None:
        # An answer no longer passes (a question was withdrawn meanwhile): ask it again.
        draft.done = [s for s in draft.done if s != wrong.slug]
        drafts.save(draft)
        return redirect(_url(wrong), code=HTTPStatus.SEE_OTHER)
    whole.consent.data = form.consent.data
    draft_id = draft.row.id
    result = filing.attempt(
        token=token,
        valid=True,
        files=[],
        keep=draft.keep,
        data=lambda files: _intake_data(whole, token, Channel.WEB, files, None),
    )
    if result.filed:
        db.session.execute(delete(FormDraft).where(FormDraft.id == draft_id))
        session.pop(DRAFT_SESSION_KEY, None)
        return _receipt_page(token, result.receipt)
    form.evidence.errors = result.file_errors
    if result.not_saved:
        return _page(
            draft,
            SEND,
            form,
            HTTPStatus.SERVICE_UNAVAILABLE,
            not_saved=True,
            files_lost=result.files_lost,
            rows=_summary(draft, whole),
        )
    return _page(draft, SEND, form, HTTPStatus.UNPROCESSABLE_ENTITY)


@dataclass(frozen=True)
class Row:
    label: str
    values: list[str]
    step: Step
    long: bool = False


def _choice_label(field, value: str) -> str:
    return next((str(label) for v, label in field.choices if v == value), value)


def _summary(draft: Draft, form: ComplaintForm) -> list[Row]:
    """The check page's rows: each answer in words, and the step that asks it."""
    steps = BY_SLUG
    not_given = _("Not given")
    date = form.incident_date.data
    when = [_format_date(date)] if date else []
    if form.incident_time.data:
        when.append(form.incident_time.data)
    who = [_choice_label(form.agency, form.agency.data)]
    if form.agency_detail.data:
        who.append(form.agency_detail.data)
    files = [f.name for f in filing.kept_files(draft.token) if f.id in draft.keep]
    rows = [
        Row(
            str(form.what_happened.label.text),
            [_choice_label(form.what_happened, v) for v in form.what_happened.data or []],
            steps["what-happened"],
        ),
        Row(
            str(form.urgent.label.text),
            [_choice_label(form.urgent, form.urgent.data)],
            steps["what-happened"],
        ),
        Row(str(form.incident_date.label.text), when, steps["when-and-where"]),
        Row(
            str(form.incident_place.label.text),
            [form.incident_place.data],
            steps["when-and-where"],
        ),
        Row(str(form.agency.label.text), who, steps["who-was-involved"]),
        Row(
            str(form.officers.label.text),
            [form.officers.data or not_given],
            steps["who-was-involved"],
        ),
        Row(str(form.narrative.label.text), [form.narrative.data], steps["your-account"], True),
        Row(str(form.evidence.label.text), files or [_("None")], steps["files"]),
        Row(
            str(form.contact_choice.label.text),
            _contact_lines(form),
            steps["contact"],
        ),
    ]
    return rows


def _contact_lines(form: ComplaintForm) -> list[str]:
    lines = [_choice_label(form.contact_choice, form.contact_choice.data)]
    if form.contact_choice.data != "contact":
        return lines
    method = form.contact_method.data
    lines.append(_choice_label(form.contact_method, method))
    for field in (form.contact_name, form.contact_email, form.contact_phone):
        if field.data:
            lines.append(field.data)
    if form.contact_postal.data:
        lines.append(form.contact_postal.data)
    if form.contact_best_time.data:
        lines.append(form.contact_best_time.data)
    if form.safe_to_contact.data:
        lines.append(_choice_label(form.safe_to_contact, form.safe_to_contact.data))
    return lines


def _format_date(value) -> str:
    from flask_babel import format_date

    return format_date(value, "long")
