"""The API's endpoints. Each one declares its permission (``@requires``), its schemas and its
error responses; what a token may do to a case is asked of ``authz`` through the services."""

from __future__ import annotations

import http
import json
from datetime import UTC, datetime

from flask import current_app, g, request
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from complaints_app import uow
from complaints_app.api import bp
from complaints_app.api.problems import ApiProblem
from complaints_app.api.schemas import (
    COMPLAINT_EXAMPLE,
    MESSAGE_EXAMPLE,
    AttachmentIn,
    AttachmentOut,
    CaseListArgs,
    CaseOut,
    CasePage,
    ComplaintIn,
    FiledOut,
    IdempotencyHeader,
    MessageIn,
    MessageList,
    MessageOut,
    StatsArgs,
    StatsOut,
)
from complaints_app.authz import CaseAction, Permission, Refused, decide, requires, visible_cases
from complaints_app.extensions import db
from complaints_app.models import (
    Agency,
    CaseEvent,
    Channel,
    Complaint,
    ConsentMethod,
    ContactMethod,
    EventKind,
    Status,
    Visibility,
)
from complaints_app.references import REFERENCE_RE, normalise_reference
from complaints_app.services import (
    complainant,
    filing,
    idempotency,
    intake,
    tracking,
    uploads,
)
from complaints_app.services.intake import Contact, IntakeData
from complaints_app.services.periods import parse_period
from complaints_app.services.public_statistics import (
    default_period,
    public_periods,
    public_statistics,
)


def documents(*codes: int):
    """Describe the error responses an operation can give (each as problem details)."""

    def decorate(func):
        for code in sorted(codes, reverse=True):
            func = bp.alt_response(code, response=http.HTTPStatus(code).name)(func)
        return func

    return decorate


TOKEN_ERRORS = (401, 429, 500)

# The case just filed, for the operations that take its reference (OpenAPI links: clients and
# schemathesis's stateful phase follow them).
FILED_CASE_LINKS = {
    name: {"operationId": name, "parameters": {"reference": "$response.body#/reference"}}
    for name in ("get_complaint", "list_messages", "post_message", "post_attachment")
}


# ---------------------------------------------------------------------------------------------
# What goes out


def case_out(complaint: Complaint) -> dict:
    """A case as the filing organisation follows it, never its narrative or contact."""
    label, text = complainant.status_text(complaint)
    return {
        "reference": complaint.reference,
        "status": complaint.status.value,
        "status_label": str(label),
        "status_text": str(text),
        "urgent": complaint.urgent,
        "channel": complaint.channel.value,
        "incident_date": complaint.incident_date,
        "agency": complaint.agency.value,
        "received_at": complaint.received_at,
        "updated_at": complaint.updated_at,
        "waiting_on_client": complaint.waiting_since is not None,
        "acknowledge_by": complaint.ack_due_at,
        "investigation_due": complaint.investigation_due_at,
        "closed_at": complaint.closed_at,
        "closure_reason": complaint.closure_reason.value if complaint.closure_reason else None,
    }


def _case(reference: str, action: CaseAction) -> Complaint:
    """The case ``reference`` names if the token may do ``action`` to it. Another
    organisation's case answers exactly as a case that does not exist."""
    ref = normalise_reference(reference)
    complaint = None
    if REFERENCE_RE.match(ref):
        complaint = db.session.execute(
            select(Complaint).where(Complaint.reference == ref)
        ).scalar_one_or_none()
    if complaint is None:
        raise ApiProblem("not-found")
    decision = decide(g.token_actor, complaint, action)
    if decision.hidden:
        raise ApiProblem("not-found")
    if not decision.allowed:
        raise ApiProblem("operation-refused", detail=str(decision.reason))
    return complaint


def _refused(exc: Refused) -> ApiProblem:
    return ApiProblem("not-found" if exc.hidden else "operation-refused", detail=exc.message)


# ---------------------------------------------------------------------------------------------
# Cases


@bp.route("/complaints", methods=["GET"])
@requires(Permission.API_READ)
@bp.arguments(CaseListArgs, location="query", as_kwargs=True)
@bp.response(200, CasePage)
@documents(*TOKEN_ERRORS, 403, 422)
@bp.doc(operationId="list_complaints")
def list_complaints(
    status: str | None = None,
    updated_since: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
):
    """The organisation's cases, newest first, a page at a time.

    Filter by `status` and by `updated_since`; pass the `next_cursor` of a page as `cursor` to
    read the next one."""
    query = select(Complaint).where(visible_cases(g.token_actor))
    if status:
        query = query.where(Complaint.status == Status(status))
    if updated_since is not None:
        query = query.where(Complaint.updated_at >= _utc(updated_since))
    if cursor:
        query = query.where(Complaint.id < int(cursor))
    rows = list(db.session.execute(query.order_by(Complaint.id.desc()).limit(limit + 1)).scalars())
    page, more = rows[:limit], len(rows) > limit
    return {
        "items": [case_out(c) for c in page],
        "next_cursor": str(page[-1].id) if more else None,
    }


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # A time so close to year 1 or 9999 that its zone pushes it out of range.
        return (
            datetime.min.replace(tzinfo=UTC)
            if moment.year < 5000
            else datetime.max.replace(tzinfo=UTC)
        )


@bp.route("/complaints", methods=["POST"])
@requires(Permission.API_WRITE)
@bp.arguments(IdempotencyHeader, location="headers")
@bp.arguments(ComplaintIn, example=COMPLAINT_EXAMPLE)
@bp.response(201, FiledOut)
@bp.doc(operationId="file_complaint", responses={201: {"links": FILED_CASE_LINKS}})
@documents(*TOKEN_ERRORS, 400, 403, 413, 422, 503)
def file_complaint(headers: dict, data: dict):
    """File a complaint for a client, with the client's consent.

    The same checks and filing as the complaint form; the case is the organisation's and
    records the advocate and channel "api". Send an `Idempotency-Key` header to make a retry
    safe: the same key and body return the first answer (and the same tracking code) instead
    of filing twice; the same key with another body is refused."""
    actor = g.token_actor
    user = actor.user
    key = headers.get("idempotency_key")
    record = None
    if key:
        fingerprint = idempotency.fingerprint("POST", request.path, request.get_json())
        record = idempotency.find(user, key)
        if record is None:
            try:
                record = idempotency.begin(user, key, fingerprint)
            except IntegrityError:
                # Another request with this key got there first and has committed.
                uow.discard()
                record = idempotency.find(user, key)
                if record is None:
                    raise
        if record.status_code:
            return _replay(record, user, key, fingerprint)
        token = idempotency.submission_token(user, key)
    else:
        token = tracking.new_submission_token()

    result = filing.attempt(
        token=token,
        valid=True,
        files=[],
        keep=[],
        data=lambda files: _intake_data(data, token, user, files),
    )
    if not result.filed:
        raise ApiProblem("unavailable")
    complaint = db.session.execute(
        select(Complaint).where(Complaint.reference == result.receipt.reference)
    ).scalar_one()
    body = case_out(complaint)
    if record is not None:
        idempotency.finish(
            record, 201, FiledOut(exclude=("tracking_code",)).dump(body), complaint.id
        )
    return {**body, "tracking_code": result.receipt.tracking_code}, 201


def _replay(record, user, key: str, fingerprint: str):
    if record.fingerprint != fingerprint:
        raise ApiProblem(
            "idempotency-key-reused",
            detail="This key was sent before with another request body; use a new key.",
        )
    receipt = intake.existing_receipt(idempotency.submission_token(user, key))
    if receipt is None:  # the case was purged since
        raise ApiProblem("not-found")
    # Already serialised when it was first given: sent as stored, not through the schema.
    body = {**record.response, "tracking_code": receipt.tracking_code}
    return current_app.response_class(
        json.dumps(body), status=record.status_code, mimetype="application/json"
    )


def _intake_data(data: dict, token: str, user, files) -> IntakeData:
    contact = None
    if data.get("contact"):
        given = data["contact"]
        contact = Contact(
            name=given["name"].strip(),
            email=given["email"].strip(),
            phone=given["phone"].strip(),
            postal=given["postal"].strip(),
            method=ContactMethod(given["method"]),
            best_time=given["best_time"].strip(),
            safe_to_contact=given["safe_to_contact"],
        )
    return IntakeData(
        channel=Channel.API,
        submission_token=token,
        answers=list(dict.fromkeys(data["what_happened"])),
        urgent=data["urgent"],
        incident_date=data["incident_date"],
        incident_time=data["incident_time"].strip(),
        incident_place=data["incident_place"].strip(),
        agency=Agency(data["agency"]),
        agency_detail=data["agency_detail"].strip(),
        officers=data["officers"].strip(),
        narrative=data["narrative"].strip(),
        preferred_language=data.get("language") or str(get_locale() or "en"),
        anonymous=contact is None,
        contact=contact,
        files=files,
        filed_by=user,
        organisation=user.organisation,
        consent_attested=data["consent_attested"],
        consent_method=ConsentMethod(data["consent_method"]),
        consent_given_on=data["consent_given_on"],
    )


@bp.route("/complaints/<reference>", methods=["GET"])
@requires(Permission.API_READ)
@bp.response(200, CaseOut)
@documents(*TOKEN_ERRORS, 403, 404)
@bp.doc(operationId="get_complaint")
def get_complaint(reference: str):
    """One of the organisation's cases."""
    return case_out(_case(reference, CaseAction.TRACK))


# ---------------------------------------------------------------------------------------------
# Messages and files

MESSAGE_KINDS = {
    EventKind.MESSAGE_TO_COMPLAINANT: "from_office",
    EventKind.MESSAGE_FROM_COMPLAINANT: "to_office",
}


def message_out(event: CaseEvent) -> dict:
    return {
        "id": event.id,
        "direction": MESSAGE_KINDS[event.kind],
        "body": event.body or "",
        "created_at": event.created_at,
    }


@bp.route("/complaints/<reference>/messages", methods=["GET"])
@requires(Permission.API_READ)
@bp.response(200, MessageList)
@documents(*TOKEN_ERRORS, 403, 404)
@bp.doc(operationId="list_messages")
def list_messages(reference: str):
    """The messages between the office and the client's side, oldest first: what the
    complainant reads on /track. Internal notes are never among them."""
    complaint = _case(reference, CaseAction.TRACK)
    events = complainant.public_timeline(complaint, g.token_actor)
    return {
        "items": [
            message_out(e)
            for e in events
            if e.kind in MESSAGE_KINDS and e.visibility == Visibility.COMPLAINANT
        ]
    }


@bp.route("/complaints/<reference>/messages", methods=["POST"])
@requires(Permission.API_WRITE)
@bp.arguments(MessageIn, example=MESSAGE_EXAMPLE)
@bp.response(201, MessageOut)
@documents(*TOKEN_ERRORS, 400, 403, 404, 409, 413, 422)
@bp.doc(operationId="post_message")
def post_message(data: dict, reference: str):
    """Answer the office, or add information, for the client."""
    complaint = _case(reference, CaseAction.REPLY)
    try:
        event = complainant.reply(complaint, g.token_actor, data["body"])
    except Refused as exc:
        raise _refused(exc) from exc
    return message_out(event), 201


@bp.route("/complaints/<reference>/attachments", methods=["POST"])
@requires(Permission.API_WRITE)
@bp.arguments(AttachmentIn, location="files")
@bp.response(201, AttachmentOut)
@documents(*TOKEN_ERRORS, 400, 403, 404, 409, 413, 422)
@bp.doc(operationId="post_attachment")
def post_attachment(files: dict, reference: str):
    """Add one evidence file (PDF, JPEG or PNG). It is rebuilt from its pixels, as files
    sent through the forms are: nothing of the original's metadata survives."""
    # The schema reads request.files only; a part it does not describe (a form field, a
    # second file) is refused as JSON bodies' unknown fields are, not silently dropped.
    unexpected = sorted(set(request.form) | (set(request.files) - {"file"}))
    if unexpected:
        raise ApiProblem(
            "validation-failed",
            detail="Send one part, named file, and nothing else.",
            errors={"files": {name: ["Unknown field."] for name in unexpected}},
        )
    complaint = _case(reference, CaseAction.ADD_FILE)
    try:
        prepared = uploads.prepare(files["file"])
    except uploads.UploadError as exc:
        raise ApiProblem("file-refused", detail=str(exc)) from exc
    if prepared is None:
        raise ApiProblem("file-refused", detail="The file has no name.")
    try:
        with uploads.file_batch() as batch:
            attachment = complainant.add_file(complaint, g.token_actor, prepared, batch)
    except Refused as exc:
        raise _refused(exc) from exc
    return {
        "id": attachment.id,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size_bytes": attachment.size_bytes,
        "sha256": attachment.sha256,
        "created_at": attachment.created_at,
    }, 201


# ---------------------------------------------------------------------------------------------
# Public


@bp.route("/stats", methods=["GET"])
@requires()  # public: listed in PUBLIC_ENDPOINTS, needs no token
@bp.arguments(StatsArgs, location="query", as_kwargs=True)
@bp.response(200, StatsOut)
@bp.doc(security=[])
@documents(404, 422, 429, 500)
@bp.doc(operationId="stats")
def stats(period: str | None = None):
    """Public statistics of one reporting period, small counts hidden (no token needed):
    the figures of the /stats page."""
    allowed = public_periods()
    chosen = default_period() if period is None else parse_period(period)
    if chosen is None or chosen not in allowed:
        raise ApiProblem("not-found", detail="There is no public reporting period of that name.")
    return {**public_statistics(chosen), "periods": [p.name for p in allowed]}
