"""Resident and public pages."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import timedelta
from http import HTTPStatus

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select, text

from complaints_app import sessions, uow
from complaints_app.authz import CaseAction, Complainant, Refused, can
from complaints_app.extensions import db
from complaints_app.models import Agency, Channel, Complaint, ContactMethod, GrantKind
from complaints_app.public import bp
from complaints_app.public.forms import (
    ComplaintForm,
    EmptyForm,
    ReplyForm,
    TrackForm,
    WithdrawForm,
)
from complaints_app.security import no_store, safe_next
from complaints_app.services import (
    catalogue,
    clause_texts,
    complainant,
    filing,
    intake,
    tracking,
    uploads,
    workflow,
)
from complaints_app.services.intake import Contact, IntakeData, Receipt
from complaints_app.throttle import failed_attempts, record_failure
from complaints_app.timeutil import city_today, utcnow

log = logging.getLogger(__name__)
# The signed cookie holds only a random grant id under this key; the case it opens, and
# whether it is still open, live on the server (services/session_grants.py).
TRACK_SESSION_KEY = sessions.KEYS[GrantKind.TRACK]


@bp.get("/")
def index():
    """What the ordinance protects, what filing does, who sees what, and how anonymity works."""
    return render_template("public/index.html")


@bp.get("/policy")
def policy():
    """Every clause with a stable anchor, its summary and the questions that point to it."""
    return render_template("public/policy.html", clauses=catalogue.current_clauses())


@bp.get("/healthz")
def healthz():
    """Whether the database answers; no detail beyond that."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return {"status": "unavailable", "database": False}, HTTPStatus.SERVICE_UNAVAILABLE
    return {"status": "ok", "database": True}


def _question_hints(questions) -> dict[str, str]:
    hints = {}
    for q in questions:
        words = clause_texts.question_text(q)
        if words.hint:
            hints[q.key] = clause_texts.marked(words.hint, words)
    hints[intake.SOMETHING_ELSE] = _(
        "Choose this if none of the above fits, and describe it below."
    )
    return hints


def _form_page(form: ComplaintForm, questions, kept, status: int = HTTPStatus.OK, **extra):
    return render_template(
        "public/complaint_form.html",
        form=form,
        kept=kept,
        question_hints=_question_hints(questions),
        max_date=city_today().isoformat(),
        **extra,
    ), status


def _contact(form: ComplaintForm) -> Contact | None:
    if form.contact_choice.data != "contact":
        return None
    return Contact(
        name=(form.contact_name.data or "").strip(),
        email=(form.contact_email.data or "").strip(),
        phone=(form.contact_phone.data or "").strip(),
        postal=(form.contact_postal.data or "").strip(),
        method=ContactMethod(form.contact_method.data),
        best_time=(form.contact_best_time.data or "").strip(),
        safe_to_contact=form.safe_to_contact.data == "yes",
    )


def complaint_form_flow(form: ComplaintForm, *, channel, filed_by=None, more=None, page=None):
    """Show, check and file a complaint form through the filing service; shared by the public
    form, staff intake and the advocates' form. ``channel`` picks the channel from the
    validated form; ``more`` gives more of the filing from it (an advocate's organisation
    and consent); ``page`` holds what the form and receipt pages show besides."""
    no_store()
    page = page or {}
    questions = catalogue.current_questions()
    form.set_questions(questions)
    form.set_languages()
    token = form.submission_token.data or ""
    if request.method == "GET" or not token:
        form.submission_token.data = tracking.new_submission_token()
        token = form.submission_token.data
        _remember_form(token)
    kept = filing.kept_files(token)
    form.keep_files.choices = [(f.id, f.name) for f in kept]
    if request.method == "GET":
        return _form_page(form, questions, kept, **page)

    valid = filing.earlier_receipt(token) is not None or form.validate()
    result = filing.attempt(
        token=token,
        valid=valid,
        files=request.files.getlist(form.evidence.name),
        keep=form.keep_files.data or [],
        data=lambda files: replace(
            _intake_data(form, token, channel(form), files, filed_by),
            **(more(form) if more else {}),
        ),
    )
    if result.filed:
        # Staff intake reads the receipt out to the resident: it speaks to the staff member.
        return _receipt_page(token, result.receipt, for_staff=filed_by is not None, **page)
    form.keep_files.choices = [(f.id, f.name) for f in result.kept]
    form.keep_files.data = result.keep
    form.evidence.errors = [*form.evidence.errors, *result.file_errors]
    if result.not_saved:
        return _form_page(
            form,
            questions,
            result.kept,
            HTTPStatus.SERVICE_UNAVAILABLE,
            not_saved=True,
            files_lost=result.files_lost,
            **page,
        )
    return _form_page(form, questions, result.kept, HTTPStatus.UNPROCESSABLE_ENTITY, **page)


# The one-time form tokens this browser session was given (a digest of each, never the tracking
# code), newest last. A re-post of a filed form (a double click, even two posts racing, or a
# reload) shows the receipt again only to a session holding its token, and only within
# RECEIPT_REPEAT_MINUTES of the filing; anyone else, or later, only learns it was filed.
FORMS_GIVEN_KEY = "forms_given"
FORMS_GIVEN_KEPT = 10


def _form_mark(token: str) -> str:
    return hashlib.sha256(b"form-given:" + token.encode()).hexdigest()[:32]


def _remember_form(token: str) -> None:
    """Mark in this session that it holds ``token`` (the newest few are kept)."""
    marks = [m for m in session.get(FORMS_GIVEN_KEY) or [] if isinstance(m, str)]
    mark = _form_mark(token)
    if mark not in marks:
        session[FORMS_GIVEN_KEY] = [*marks, mark][-FORMS_GIVEN_KEPT:]


def _receipt_page(token: str, receipt: Receipt, *, for_staff: bool = False, **page):
    """The receipt of a filed form. The tracking code is shown when the case was filed by this
    post, or again to the browser session holding the form for a few minutes after filing;
    from any other session, or later, the page says the complaint was already sent, without
    reference or code."""
    if not receipt.already_filed:
        _remember_form(token)
        return render_template("public/receipt.html", receipt=receipt, for_staff=for_staff, **page)
    filed_at = db.session.execute(
        select(Complaint.received_at).where(Complaint.reference == receipt.reference)
    ).scalar_one_or_none()
    window = timedelta(minutes=current_app.config["RECEIPT_REPEAT_MINUTES"])
    recent = filed_at is not None and utcnow() - filed_at <= window
    if recent and _form_mark(token) in (session.get(FORMS_GIVEN_KEY) or []):
        return render_template("public/receipt.html", receipt=receipt, for_staff=for_staff, **page)
    return render_template("public/receipt.html", receipt=None, **page), HTTPStatus.CONFLICT


def _filing_language(form: ComplaintForm) -> str:
    """The complainant's language: chosen on the form when someone files for them, else the
    language the resident used the form in."""
    field = getattr(form, "complainant_language", None)
    if field is not None and field.data in current_app.config["LANGUAGES"]:
        return field.data
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _intake_data(form: ComplaintForm, token: str, channel: Channel, files, filed_by) -> IntakeData:
    return IntakeData(
        channel=channel,
        submission_token=token,
        answers=list(form.what_happened.data),
        urgent=form.urgent.data == "yes",
        incident_date=form.incident_date.data,
        incident_time=(form.incident_time.data or "").strip(),
        incident_place=form.incident_place.data.strip(),
        agency=Agency(form.agency.data),
        agency_detail=(form.agency_detail.data or "").strip(),
        officers=(form.officers.data or "").strip(),
        narrative=form.narrative.data.strip(),
        anonymous=form.contact_choice.data == "anonymous",
        contact=_contact(form),
        preferred_language=_filing_language(form),
        files=files,
        filed_by=filed_by,
    )


TRACK_ENDPOINTS = frozenset(
    {"public.track", "public.track_reply", "public.track_withdraw", "public.track_leave"}
)


def _load_tracked_case() -> None:
    """Before anything else on the tracking pages (the CSRF check included): look up the
    server's grant behind this browser's tracked case and move its last-seen time on (the
    request's commit keeps it), so the views only read ``g.tracked_case_id``."""
    if request.endpoint not in TRACK_ENDPOINTS:
        return
    grant = sessions.current(GrantKind.TRACK)
    g.tracked_case_id = grant.complaint_id if grant is not None else None


@bp.record_once
def _register_tracked_case_hook(state) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _load_tracked_case)


def _tracked_case() -> Complaint | None:
    """The case this browser opened with its tracking code, while the server's grant for it
    is live (not left, not idle past TRACK_IDLE_MINUTES, not older than TRACK_MAX_MINUTES);
    from here on the request acts as that case's complainant."""
    case_id = g.get("tracked_case_id")
    if case_id is None:
        return None
    complaint = db.session.get(Complaint, case_id)
    if complaint is None or not can(Complainant(complaint.id), complaint, CaseAction.TRACK):
        return None
    g.case_actor = Complainant(complaint.id)
    return complaint


@bp.route("/track", methods=["GET", "POST"])
@failed_attempts("TRACK_LIMIT_PER_CLIENT")
def track():
    """Find a case by reference and tracking code (posted, never in a URL), then show its
    status, the messages from the office, and what the complainant can do. Wrong codes are
    limited per client only, so however many are tried at a case, its code still opens it.
    A message carried over from an expired visit comes back in the reply form, unsent."""
    no_store()
    if request.method == "GET":
        complaint = _tracked_case()
        if complaint is not None:
            return _case_page(complaint)
        return render_template("public/track.html", form=TrackForm())
    form = TrackForm()
    if not form.validate():
        return render_template("public/track.html", form=form), HTTPStatus.UNPROCESSABLE_ENTITY
    complaint = tracking.find_case(form.reference.data, form.code.data)
    if complaint is None or not can(Complainant(complaint.id), complaint, CaseAction.TRACK):
        record_failure()
        form.code.data = ""
        return render_template(
            "public/track.html", form=form, not_found=True
        ), HTTPStatus.UNPROCESSABLE_ENTITY
    sessions.start(GrantKind.TRACK, complaint=complaint)
    g.case_actor = Complainant(complaint.id)
    carried = (form.carried_message.data or "").strip()
    if carried:
        flash(_("Your message is not sent yet. Check it and press Send."))
        return _case_page(complaint, reply_form=ReplyForm(formdata=None, message=carried))
    return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)


def client_view(complaint: Complaint, actor) -> dict:
    """What the client side reads of a case, for the complainant on /track and the filing
    organisation on /org: status in plain words and the timeline meant for them."""
    name, sentence = complainant.status_text(complaint)
    return {
        "complaint": complaint,
        "status_name": name,
        "status_sentence": sentence,
        "events": complainant.public_timeline(complaint, actor),
        "status_words": complainant.status_change_words,
    }


def _case_page(
    complaint: Complaint,
    reply_form: ReplyForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
):
    return render_template(
        "public/track_case.html",
        **client_view(complaint, g.case_actor),
        reply_form=reply_form or ReplyForm(),
        withdraw_form=withdraw_form or WithdrawForm(),
        leave_form=EmptyForm(),
    ), status


def send_reply(complaint: Complaint, actor, form: ReplyForm) -> bool:
    """Check a reply form and its files and send it as ``actor`` (the complainant, or an
    advocate of the filing organisation). False: nothing was sent, and the form carries
    the reasons (or a refusal was flashed)."""
    valid = form.validate()
    files, errors = filing.prepare_files(request.files.getlist(form.evidence.name))
    if len(files) > current_app.config["UPLOAD_MAX_FILES"]:
        errors.append(
            _(
                "You can attach up to %(n)s files at a time.",
                n=current_app.config["UPLOAD_MAX_FILES"],
            )
        )
    form.evidence.errors = [*form.evidence.errors, *errors]
    if not valid or errors:
        return False
    try:
        with uploads.file_batch() as batch:
            complainant.reply(complaint, actor, form.message.data, files, batch)
    except Refused as exc:
        uow.discard()
        flash(exc.message)
        return False
    return True


def _closed_with_message():
    """The case closed on this device before a reply was sent: ask for the reference and
    code again, carrying the message along so nothing typed is lost."""
    form = TrackForm(formdata=None, carried_message=request.form.get("message", ""))
    attached = any(f.filename for f in request.files.getlist("evidence"))
    return render_template(
        "public/track.html", form=form, closed_while_writing=True, files_lost=attached
    ), HTTPStatus.UNAUTHORIZED


@bp.post("/track/reply")
def track_reply():
    """The complainant answers the office or adds information and files. If the case was
    closed on this device meanwhile, nothing is sent and the message is kept."""
    no_store()
    complaint = _tracked_case()
    if complaint is None:
        return _closed_with_message()
    form = ReplyForm()
    if not send_reply(complaint, g.case_actor, form):
        return _case_page(complaint, reply_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    flash(_("Thank you. Your message was sent to the office."))
    return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)


@bp.post("/track/withdraw")
def track_withdraw():
    """Withdraw the case after an explicit confirmation."""
    no_store()
    complaint = _tracked_case()
    if complaint is None:
        flash(_("For your safety you were signed out of your case. Enter your details again."))
        return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)
    form = WithdrawForm()
    if not form.validate():
        return _case_page(complaint, withdraw_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        workflow.withdraw(complaint, g.case_actor)
    except Refused as exc:
        uow.discard()
        flash(exc.message)
        return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)
    flash(_("Your complaint was withdrawn. You can still read it here."))
    return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)


@bp.post("/track/leave")
def track_leave():
    """Close the case on this device: the server forgets the grant, so a copy of this
    browser's cookie opens nothing afterwards either."""
    no_store()
    form = EmptyForm()
    if not form.validate_on_submit():
        # Without a valid token nothing changes: the case page offers the button again.
        complaint = _tracked_case()
        if complaint is not None:
            return _case_page(complaint, status=HTTPStatus.BAD_REQUEST)
        return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)
    sessions.end(GrantKind.TRACK)
    flash(_("Your case is no longer open on this device."))
    return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)


@bp.post("/language")
def set_language():
    """Remember the language chosen on the site."""
    choice = request.form.get("lang", "")
    if EmptyForm().validate_on_submit() and choice in current_app.config["LANGUAGES"]:
        session["lang"] = choice
    target = safe_next(request.form.get("next")) or url_for("public.index")
    return redirect(target, code=HTTPStatus.SEE_OTHER)
