"""The API's schemas: the same classes validate what comes in, serialise what goes out and
make the OpenAPI document. The rules of the complaint mirror the public form's
(``public/forms.py``), so a case filed here could have been filed there."""

from __future__ import annotations

import json
from datetime import date

from flask import current_app
from flask_smorest.fields import Upload
from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from complaints_app import PROJECT_ROOT
from complaints_app.models import Agency, ConsentMethod, ContactMethod, Status
from complaints_app.services.intake import SOMETHING_ELSE
from complaints_app.timeutil import city_today
from config import Config

# The questions of the ordinance's catalogue, as seeded. Which of them are offered today is
# checked against the catalogue in force when a complaint arrives.
QUESTION_KEYS = [
    q["key"]
    for q in json.loads(
        (PROJECT_ROOT / "complaints_app" / "data" / "clauses.json").read_text(encoding="utf-8")
    )["questions"]
] + [SOMETHING_ELSE]

EARLIEST_INCIDENT = date(2000, 1, 1)


# Not only spaces. Anchored at the start, so that marshmallow (which matches from the start)
# and JSON Schema (which searches) read the pattern alike.
NOT_BLANK = validate.Regexp(r"^\s*\S", error="Must contain more than spaces.")


class StrictBoolean(fields.Boolean):
    """JSON true or false only: not 1, "yes" or "on", which marshmallow would take."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class ContactIn(StrictSchema):
    """How the office may reach the client directly (optional: the filing organisation is
    the contact for follow-up)."""

    name = fields.String(load_default="", validate=validate.Length(max=120))
    method = fields.String(required=True, validate=validate.OneOf([m.value for m in ContactMethod]))
    email = fields.String(load_default="", validate=validate.Length(max=254))
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    postal = fields.String(load_default="", validate=validate.Length(max=400))
    best_time = fields.String(load_default="", validate=validate.Length(max=120))
    safe_to_contact = StrictBoolean(
        required=True, metadata={"description": "Whether it is safe to contact them this way."}
    )

    @validates_schema
    def _method_has_details(self, data: dict, **_kwargs) -> None:
        needed = {
            ContactMethod.EMAIL.value: "email",
            ContactMethod.PHONE.value: "phone",
            ContactMethod.TEXT.value: "phone",
            ContactMethod.MAIL.value: "postal",
        }[data["method"]]
        if not data.get(needed, "").strip():
            raise ValidationError(f"Needed when the method is {data['method']}.", needed)
        email = data.get("email", "").strip()
        if email:
            try:
                validate.Email()(email)
            except ValidationError as exc:
                raise ValidationError(
                    "Enter an email address like name@example.org.", "email"
                ) from exc
        phone = data.get("phone", "")
        if phone and sum(c.isdigit() for c in phone) < 7:
            raise ValidationError("Enter a phone number with at least 7 digits.", "phone")


class ComplaintIn(StrictSchema):
    """A complaint filed by an advocate for a client, with the client's consent."""

    what_happened = fields.List(
        fields.String(validate=validate.OneOf(QUESTION_KEYS)),
        required=True,
        validate=validate.Length(min=1, max=len(QUESTION_KEYS)),
        metadata={"description": "Keys of the guided questions answered yes (see /policy)."},
    )
    urgent = StrictBoolean(
        required=True,
        metadata={"description": "Someone is in custody now because of an ICE hold or warrant."},
    )
    incident_date = fields.Date(
        required=True, metadata={"description": "Not in the future, not before 2000."}
    )
    incident_time = fields.String(load_default="", validate=validate.Length(max=40))
    incident_place = fields.String(required=True, validate=[validate.Length(max=300), NOT_BLANK])
    agency = fields.String(required=True, validate=validate.OneOf([a.value for a in Agency]))
    agency_detail = fields.String(load_default="", validate=validate.Length(max=200))
    officers = fields.String(load_default="", validate=validate.Length(max=300))
    narrative = fields.String(
        required=True,
        validate=[validate.Length(min=10, max=Config.NARRATIVE_MAX_CHARS), NOT_BLANK],
        metadata={"description": "At most NARRATIVE_MAX_CHARS characters (default 20000)."},
    )
    contact = fields.Nested(ContactIn, load_default=None, allow_none=True)
    consent_attested = StrictBoolean(
        required=True,
        validate=validate.Equal(True),
        metadata={
            "description": "The advocate attests that the client agreed to this filing and "
            "understands that the office will read it and may contact the department involved."
        },
    )

    consent_method = fields.String(
        required=True,
        validate=validate.OneOf([m.value for m in ConsentMethod]),
        metadata={"description": "How the client agreed that the organisation files for them."},
    )
    consent_given_on = fields.Date(
        required=True,
        metadata={"description": "The day the client agreed: not in the future, not before 2000."},
    )

    language = fields.String(
        validate=validate.OneOf(list(Config.LANGUAGES)),
        metadata={
            "description": "The language the client reads (one of the site's languages, e.g. "
            "'es'); the office writes messages and the outcome in it. Default: the request's "
            "Accept-Language, else English."
        },
    )

    @validates("language")
    def _language(self, value: str, **_kwargs) -> None:
        # The site's languages are configuration: a deployment may offer fewer.
        if value not in current_app.config["LANGUAGES"]:
            offered = ", ".join(current_app.config["LANGUAGES"])
            raise ValidationError(f"Must be one of: {offered}.")

    @validates("incident_date", "consent_given_on")
    def _date_in_range(self, value: date, **_kwargs) -> None:
        if value > city_today():
            raise ValidationError("The date cannot be in the future.")
        if value < EARLIEST_INCIDENT:
            raise ValidationError("Please check the year.")

    @validates("narrative")
    def _narrative(self, value: str, **_kwargs) -> None:
        limit = current_app.config["NARRATIVE_MAX_CHARS"]
        if len(value) > limit:
            raise ValidationError(f"Please keep this under {limit} characters.")


COMPLAINT_EXAMPLE = {
    "what_happened": ["held_for_ice"],
    "urgent": False,
    "incident_date": "2026-01-15",
    "incident_place": "Central police station",
    "agency": "police",
    "narrative": "My client was kept overnight after bail was posted because of an ICE form.",
    "contact": None,
    "consent_method": "in_person",
    "consent_given_on": "2026-01-20",
    "consent_attested": True,
}


class CaseOut(Schema):
    """A case as its filing organisation follows it: what the complainant sees on /track."""

    reference = fields.String(required=True, metadata={"example": "TA-2026-0042"})
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in Status]))
    status_label = fields.String(required=True)
    status_text = fields.String(required=True)
    urgent = StrictBoolean(required=True)
    channel = fields.String(required=True)
    incident_date = fields.Date(required=True)
    agency = fields.String(required=True)
    received_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    waiting_on_client = StrictBoolean(
        required=True, metadata={"description": "The office is waiting on an answer."}
    )
    acknowledge_by = fields.AwareDateTime(required=True)
    investigation_due = fields.AwareDateTime(allow_none=True, required=True)
    closed_at = fields.AwareDateTime(allow_none=True, required=True)
    closure_reason = fields.String(allow_none=True, required=True)


class FiledOut(CaseOut):
    """A case just filed: the tracking code is the client's, to pass on; it is shown here and
    to a retry with the same Idempotency-Key, and never stored."""

    tracking_code = fields.String(required=True)


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseOut), required=True)
    next_cursor = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last."},
    )


class CaseListArgs(StrictSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    updated_since = fields.AwareDateTime(
        metadata={"description": "Only cases changed at or after this time (with its zone)."}
    )
    cursor = fields.String(
        validate=validate.Regexp(r"^[0-9]{1,18}$"),
        metadata={"description": "The `next_cursor` of the page before."},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class MessageOut(Schema):
    id = fields.Integer(required=True)
    direction = fields.String(
        required=True,
        validate=validate.OneOf(["from_office", "to_office"]),
        metadata={"description": "from_office: the office wrote; to_office: you or the client."},
    )
    body = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class MessageList(Schema):
    items = fields.List(fields.Nested(MessageOut), required=True)


class MessageIn(StrictSchema):
    body = fields.String(
        required=True, validate=[validate.Length(max=Config.NARRATIVE_MAX_CHARS), NOT_BLANK]
    )

    @validates("body")
    def _body(self, value: str, **_kwargs) -> None:
        limit = current_app.config["NARRATIVE_MAX_CHARS"]
        if len(value) > limit:
            raise ValidationError(f"Please keep this under {limit} characters.")


MESSAGE_EXAMPLE = {"body": "My client can be reached through our office on weekdays."}


class AttachmentIn(Schema):
    file = Upload(required=True, metadata={"description": "A PDF, JPEG or PNG file."})


class AttachmentOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    content_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class StatsArgs(StrictSchema):
    period = fields.String(
        validate=validate.Regexp(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        metadata={
            "description": "A reporting period, named by its first day (see `periods`); "
            "the newest complete one when left out.",
            "example": "2026-01-01",
        },
    )


class StatsCell(Schema):
    """A figure: ``value`` null and ``suppressed`` true when it is hidden (the value of a
    hidden figure is never sent)."""

    value = fields.Raw(required=True, allow_none=True, metadata={"type": ["number", "null"]})
    suppressed = StrictBoolean()
    reason = fields.String(validate=validate.OneOf(["small", "complementary", "small_base"]))


class StatsRow(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    cells = fields.Dict(keys=fields.String(), values=fields.Nested(StatsCell), required=True)


class StatsColumn(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)
    kind = fields.String(required=True)
    description = fields.String(allow_none=True)


class StatsTable(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(allow_none=True)
    dimension = fields.String(allow_none=True)
    dimension_label = fields.String(allow_none=True)
    columns = fields.List(fields.Nested(StatsColumn), required=True)
    rows = fields.List(fields.Nested(StatsRow), required=True)
    total = fields.Nested(StatsRow, allow_none=True, required=True)


class StatsPeriod(Schema):
    name = fields.String(required=True, metadata={"example": "2026-01-01"})
    first_day = fields.String(required=True)
    last_day = fields.String(required=True)
    label = fields.String(required=True)
    complete = StrictBoolean(required=True)


class StatsOut(Schema):
    """One period's public statistics, small counts hidden: the same figures as /stats."""

    period = fields.Nested(StatsPeriod, required=True)
    as_of = fields.String(required=True)
    threshold = fields.Integer(required=True)
    tables = fields.List(fields.Nested(StatsTable), required=True)
    periods = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Every period that may be asked for, newest first."},
    )


class ProblemOut(Schema):
    """Problem details (RFC 9457)."""

    type = fields.String(required=True, metadata={"example": "/api/v1/problems/not-found"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "For validation errors: messages by location and field."},
    )


class IdempotencyHeader(Schema):
    class Meta:
        unknown = "exclude"

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        validate=validate.Length(min=1, max=255),
        metadata={"description": "Retrying with the same key returns the first answer."},
    )
