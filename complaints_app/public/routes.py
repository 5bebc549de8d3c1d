"""Resident and public pages."""

from __future__ import annotations

import logging
import time
from http import HTTPStatus

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from complaints_app.extensions import db, limiter
from complaints_app.models import Agency, Channel, Complaint, ContactMethod, Status
from complaints_app.public import bp
from complaints_app.public.forms import (
    ComplaintForm,
    EmptyForm,
    ReplyForm,
    TrackForm,
    WithdrawForm,
)
from complaints_app.ratelimit import reference_key
from complaints_app.security import no_store
from complaints_app.services import catalogue, complainant, intake, pending, tracking, uploads
from complaints_app.services.intake import Contact, IntakeData
from complaints_app.services.workflow import TransitionRefused, withdraw_by_complainant
from complaints_app.throttle import failed_attempts, record_failure
from complaints_app.timeutil import city_today

log = logging.getLogger(__name__)
TRACK_SESSION_KEY = "tracked_case"
TRACK_IDLE_SECONDS = 20 * 60


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


def _checked_files(form, field_name: str = "evidence") -> tuple[list[uploads.PreparedFile], bool]:
    """Check the attached files; put a message on the field for each one refused.
    Returns the accepted files and whether any was refused."""
    field = getattr(form, field_name)
    prepared: list[uploads.PreparedFile] = []
    errors: list[str] = []
    for upload in request.files.getlist(field.name):
        try:
            item = uploads.prepare(upload)
        except uploads.UploadError as exc:
            errors.append(str(exc))
            continue
        if item is not None:
            prepared.append(item)
    if errors:
        field.errors = [*field.errors, *errors]
    return prepared, bool(errors)


def _question_hints(questions) -> dict[str, str]:
    hints = {q.key: q.hint for q in questions if q.hint}
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


def _not_saved(
    form: ComplaintForm, questions, token: str, keep: list[str], *, files_lost: bool = False
):
    db.session.rollback()
    kept = pending.listing(token)
    form.keep_files.choices = [(f.id, f.name) for f in kept]
    form.keep_files.data = keep
    return _form_page(
        form, questions, kept, HTTPStatus.SERVICE_UNAVAILABLE, not_saved=True, files_lost=files_lost
    )


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


@bp.route("/complaints/new", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SUBMIT_LIMIT_PER_CLIENT"], methods=["POST"])
def new_complaint():
    """The guided complaint form. Errors keep every value typed and every file attached;
    posting the same form twice files one case and shows the same receipt."""
    return complaint_form_flow(ComplaintForm(), channel=lambda form: Channel.WEB)


def complaint_form_flow(form: ComplaintForm, *, channel, filed_by=None):
    """Show, check and file a complaint form; shared by the public form and staff intake.
    ``channel`` picks the channel from the validated form."""
    no_store()
    questions = catalogue.current_questions()
    form.set_questions(questions)
    token = form.submission_token.data or ""
    if request.method == "GET" or not token:
        form.submission_token.data = tracking.new_submission_token()
        token = form.submission_token.data
    kept = pending.listing(token)
    form.keep_files.choices = [(f.id, f.name) for f in kept]
    if request.method == "GET":
        return _form_page(form, questions, kept)

    earlier = intake.existing_receipt(token)
    if earlier is not None:
        return render_template("public/receipt.html", receipt=earlier)

    valid = form.validate()
    new_files, refused = _checked_files(form)
    keep = [k for k in (form.keep_files.data or []) if k in {f.id for f in kept}]
    if new_files:
        try:
            saved = pending.save(token, new_files, keep)
        except pending.LimitReached as exc:
            saved, refused = exc.saved, True
            form.evidence.errors = [*form.evidence.errors, str(exc)]
        except OSError as exc:
            log.error("attached files not kept: %s", type(exc).__name__)
            return _not_saved(form, questions, token, keep, files_lost=True)
        kept = pending.listing(token)
        form.keep_files.choices = [(f.id, f.name) for f in kept]
        keep = keep + saved
        form.keep_files.data = keep
    if len(keep) > current_app.config["UPLOAD_MAX_FILES"]:
        form.evidence.errors = [
            *form.evidence.errors,
            _(
                "You can attach up to %(n)s files. Please remove some.",
                n=current_app.config["UPLOAD_MAX_FILES"],
            ),
        ]
        valid = False
    if not valid or refused:
        return _form_page(form, questions, kept, HTTPStatus.UNPROCESSABLE_ENTITY)

    data = IntakeData(
        channel=channel(form),
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
        preferred_language=str(get_locale() or "en"),
        files=pending.load(token, keep),
        filed_by=filed_by,
    )
    try:
        with uploads.file_batch() as files:
            receipt = intake.submit(data, files)
            db.session.commit()
    except IntegrityError:
        # The same form posted twice at once: the other request filed it.
        db.session.rollback()
        receipt = intake.existing_receipt(token)
        if receipt is None:
            return _not_saved(form, questions, token, keep)
    except (SQLAlchemyError, OSError) as exc:
        # The database or the disk failed part-way: nothing was kept (the transaction rolled
        # back and the batch removed its files); the person keeps everything they entered.
        log.error("complaint not saved: %s", type(exc).__name__)
        return _not_saved(form, questions, token, keep)
    pending.clear(token)
    return render_template("public/receipt.html", receipt=receipt)


def _tracked_case() -> Complaint | None:
    entry = session.get(TRACK_SESSION_KEY)
    if not entry:
        return None
    if time.time() - entry.get("at", 0) > TRACK_IDLE_SECONDS:
        session.pop(TRACK_SESSION_KEY, None)
        return None
    complaint = db.session.get(Complaint, entry.get("id"))
    if complaint is None or complaint.purged_at is not None:
        session.pop(TRACK_SESSION_KEY, None)
        return None
    entry["at"] = time.time()
    session[TRACK_SESSION_KEY] = entry
    return complaint


@bp.route("/track", methods=["GET", "POST"])
@failed_attempts("TRACK_LIMIT_PER_CLIENT", "TRACK_LIMIT_PER_REFERENCE", reference_key)
def track():
    """Find a case by reference and tracking code (posted, never in a URL), then show its
    status, the messages from the office, and what the complainant can do."""
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
    if complaint is None or complaint.purged_at is not None:
        record_failure()
        form.code.data = ""
        return render_template(
            "public/track.html", form=form, not_found=True
        ), HTTPStatus.UNPROCESSABLE_ENTITY
    session[TRACK_SESSION_KEY] = {"id": complaint.id, "at": time.time()}
    return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)


def _case_page(
    complaint: Complaint,
    reply_form: ReplyForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
):
    name, sentence = complainant.status_text(complaint)
    return render_template(
        "public/track_case.html",
        complaint=complaint,
        status_name=name,
        status_sentence=sentence,
        events=complainant.public_timeline(complaint),
        reply_form=reply_form or ReplyForm(),
        withdraw_form=withdraw_form or WithdrawForm(),
        leave_form=EmptyForm(),
        can_withdraw=complaint.status != Status.CLOSED,
    ), status


@bp.post("/track/reply")
def track_reply():
    """The complainant answers the office or adds information and files."""
    no_store()
    complaint = _tracked_case()
    if complaint is None:
        flash(_("For your safety you were signed out of your case. Enter your details again."))
        return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)
    form = ReplyForm()
    valid = form.validate()
    files, refused = _checked_files(form)
    if len(files) > current_app.config["UPLOAD_MAX_FILES"]:
        form.evidence.errors = [
            _(
                "You can attach up to %(n)s files at a time.",
                n=current_app.config["UPLOAD_MAX_FILES"],
            )
        ]
        refused = True
    if not valid or refused:
        return _case_page(complaint, reply_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    with uploads.file_batch() as batch:
        complainant.reply(complaint, form.message.data.strip())
        for prepared in files:
            intake.add_attachment(complaint, prepared, batch)
        db.session.commit()
    flash(_("Thank you. Your message was sent to the office."))
    return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)


@bp.post("/track/withdraw")
def track_withdraw():
    """Withdraw the case after an explicit confirmation."""
    no_store()
    complaint = _tracked_case()
    if complaint is None:
        return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)
    form = WithdrawForm()
    if not form.validate():
        return _case_page(complaint, withdraw_form=form, status=HTTPStatus.UNPROCESSABLE_ENTITY)
    try:
        withdraw_by_complainant(complaint)
    except TransitionRefused as exc:
        flash(exc.message)
        return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)
    db.session.commit()
    flash(_("Your complaint was withdrawn. You can still read it here."))
    return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)


@bp.post("/track/leave")
def track_leave():
    """Close the case on this device."""
    EmptyForm().validate_on_submit()
    session.pop(TRACK_SESSION_KEY, None)
    flash(_("You have left your case on this device."))
    return redirect(url_for("public.track"), code=HTTPStatus.SEE_OTHER)


@bp.post("/language")
def set_language():
    """Remember the language chosen on the site."""
    choice = request.form.get("lang", "")
    if EmptyForm().validate_on_submit() and choice in current_app.config["LANGUAGES"]:
        session["lang"] = choice
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("public.index")
    return redirect(target, code=HTTPStatus.SEE_OTHER)
