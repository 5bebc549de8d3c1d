"""Forms of the staff pages. Every POST form carries a CSRF token and the case version."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

# DataRequired on messages: a message of blanks is refused at its field, like an empty one.
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from complaints_app import labels
from complaints_app.models import Agency, Channel, ClosureReason, Disposition, Status
from complaints_app.public.forms import ComplaintForm, complainant_language_field
from complaints_app.services.queue import DIRECTIONS, SORT_CHOICES

DISPOSITION_CHOICES = [
    ("", _l("Not decided")),
    (Disposition.SUSTAINED.value, _l("Sustained — it happened and violated the policy")),
    (Disposition.NOT_SUSTAINED.value, _l("Not sustained — the evidence cannot decide")),
    (Disposition.EXONERATED.value, _l("Exonerated — it happened but was lawful")),
    (Disposition.UNFOUNDED.value, _l("Unfounded — it did not happen")),
    (Disposition.POLICY_FAILURE.value, _l("Policy failure — a department practice conflicts")),
    (Disposition.NO_FINDING.value, _l("No finding — withdrawn or unreachable")),
]

SCREEN_OUT_CHOICES = [
    (ClosureReason.NO_TRUST_ACT_ALLEGATION.value, _l("No Trust Act allegation")),
    (ClosureReason.OUTSIDE_JURISDICTION.value, _l("Outside jurisdiction")),
    (ClosureReason.DUPLICATE.value, _l("Duplicate of another case")),
    (ClosureReason.REFERRED.value, _l("Referred elsewhere")),
]


class QueueFilterForm(FlaskForm):
    """GET filters of the queue; nothing here changes data, so no CSRF token."""

    class Meta:
        csrf = False

    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=24)])
    status = SelectField(
        _l("Status"),
        choices=[("", _l("Any"))] + [(s.value, labels.STATUS[s]) for s in Status],
        validators=[Optional()],
    )
    clause = SelectField(_l("Clause"), choices=[("", _l("Any"))], validators=[Optional()])
    agency = SelectField(
        _l("Agency"),
        choices=[("", _l("Any"))] + [(a.value, labels.AGENCY[a]) for a in Agency],
        validators=[Optional()],
    )
    assignee = SelectField(_l("Assignee"), choices=[("", _l("Anyone"))], validators=[Optional()])
    urgent = BooleanField(_l("Urgent only"))
    overdue = BooleanField(_l("Overdue only"))
    received_from = DateField(_l("Received from"), validators=[Optional()])
    received_to = DateField(_l("Received to"), validators=[Optional()])
    show = RadioField(
        _l("Show"),
        choices=[("open", _l("Open cases")), ("closed", _l("Closed cases")), ("all", _l("All"))],
        default="open",
    )
    # Set by the column headings' links; kept as hidden fields when the filters change.
    sort = HiddenField(
        validators=[Optional(), AnyOf(SORT_CHOICES, message=_l("Choose a listed order."))],
        default="priority",
    )
    dir = HiddenField(
        validators=[Optional(), AnyOf(DIRECTIONS, message=_l("Choose a listed direction."))],
        default="asc",
    )
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class VersionedForm(FlaskForm):
    """Carries the case version the person saw, and the last event they saw."""

    version = HiddenField()
    seen_seq = HiddenField()


class AcknowledgeForm(VersionedForm):
    message = TextAreaField(
        _l("Message to the complainant"),
        validators=[InputRequired(_l("Write the acknowledgement message.")), Length(max=5000)],
    )


class ScreenInForm(VersionedForm):
    assignee = SelectField(_l("Investigator"), choices=[], validators=[Optional()])


class ScreenOutForm(VersionedForm):
    reason = SelectField(_l("Reason"), choices=SCREEN_OUT_CHOICES)
    duplicate_of = StringField(
        _l("Surviving case reference (for a duplicate)"), validators=[Optional(), Length(max=24)]
    )
    message = TextAreaField(
        _l("Message to the complainant"),
        validators=[DataRequired(_l("Write the message to the complainant.")), Length(max=10000)],
    )


class FindingsForm(VersionedForm):
    summary = TextAreaField(_l("Findings summary"), validators=[Length(max=20000)])


class ReasonForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=5000)])


class ApproveForm(VersionedForm):
    message = TextAreaField(
        _l("Outcome message to the complainant"),
        validators=[
            DataRequired(_l("Write the outcome message to the complainant.")),
            Length(max=20000),
        ],
    )


class WithdrawForm(VersionedForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=5000)])
    message = TextAreaField(
        _l("Message to the complainant"),
        validators=[DataRequired(_l("Write the message to the complainant.")), Length(max=10000)],
    )


class AssignForm(VersionedForm):
    assignee = SelectField(_l("Assign to"), choices=[], validators=[Optional()])


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("Internal note"),
        validators=[InputRequired(_l("Write the note first.")), Length(max=20000)],
    )


class MessageForm(FlaskForm):
    text = TextAreaField(
        _l("Message to the complainant"),
        validators=[InputRequired(_l("Write the message first.")), Length(max=20000)],
    )
    wait_for_reply = BooleanField(_l("Wait for their answer (pauses the investigation clock)"))


class LegalHoldForm(VersionedForm):
    hold = BooleanField(_l("Keep this case on legal hold (never purged)"))
    reason = StringField(_l("Reason"), validators=[InputRequired(_l("Say why.")), Length(max=500)])


class RevealForm(FlaskForm):
    reason = StringField(
        _l("Why do you need the contact details?"),
        validators=[InputRequired(_l("Say why you need them.")), Length(max=500)],
    )


class AllegationForm(VersionedForm):
    # One form per allegation, each with its own field prefix; the app-wide CSRF check
    # reads the page's single unprefixed token, so scanners and browsers see one name.
    class Meta:
        csrf = False

    clause = SelectField(_l("Clause"), choices=[], validators=[Optional()])
    confirmed = BooleanField(_l("Clause confirmed"))
    subject = StringField(
        _l("Subject (officer name or badge)"), validators=[Optional(), Length(max=300)]
    )
    disposition = SelectField(
        _l("Disposition"), choices=DISPOSITION_CHOICES, validators=[Optional()]
    )
    warrant_presented = SelectField(
        _l("2c: was a judicial criminal warrant presented?"),
        choices=[("", _l("Unknown")), ("yes", _l("Yes")), ("no", _l("No"))],
        validators=[Optional()],
    )
    custody_extended_hours = IntegerField(
        _l("2c: hours custody was extended"),
        validators=[Optional(), NumberRange(min=0, max=24 * 365)],
    )
    ice_access = StringField(
        _l("2e: what access ICE had (facility, records, booking list, person, phone or video)"),
        validators=[Optional(), Length(max=300)],
    )
    copy_given = SelectField(
        _l("2f: was a copy of the request given?"),
        choices=[("", _l("Unknown")), ("yes", _l("Yes")), ("no", _l("No"))],
        validators=[Optional()],
    )
    # Optional here: the service decides when a reason is needed (not for a first
    # disposition) and its refusal is shown at this field.
    reason = StringField(
        _l("Reason for the change"),
        description=_l("Needed for every change except recording the first disposition."),
        validators=[Optional(), Length(max=500)],
    )


class AddAllegationForm(VersionedForm):
    clause = SelectField(
        _l("Clause"), choices=[], validators=[InputRequired(_l("Choose the clause."))]
    )
    subject = StringField(
        _l("Subject (officer name or badge, if known)"), validators=[Optional(), Length(max=300)]
    )
    summary = TextAreaField(
        _l("What happened (summary)"), validators=[Optional(), Length(max=5000)]
    )
    reason = StringField(
        _l("Why add this allegation?"),
        validators=[InputRequired(_l("Say why you add this allegation.")), Length(max=500)],
    )


class RemoveAllegationForm(VersionedForm):
    reason = StringField(
        _l("Why remove this allegation?"),
        validators=[InputRequired(_l("Say why you remove this allegation.")), Length(max=500)],
    )


class StaffIntakeForm(ComplaintForm):
    """A complaint received by phone, walk-in or mail, entered by staff: the same questions
    and checks as the public form, plus how it arrived."""

    channel = RadioField(
        _l("How did the complaint arrive?"),
        choices=[
            (Channel.PHONE.value, _l("Phone")),
            (Channel.WALK_IN.value, _l("In person")),
            (Channel.MAIL.value, _l("Mail")),
        ],
        validators=[InputRequired(_l("Choose how the complaint arrived."))],
    )
    complainant_language = complainant_language_field(
        _l("Which language does the complainant read?"),
        _l("The office writes to the complainant in this language."),
    )
