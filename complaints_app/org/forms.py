"""Forms of the organisation pages. Every POST form carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from complaints_app import labels
from complaints_app.models import ConsentMethod, Status
from complaints_app.public.forms import ComplaintForm, NotInFuture, complainant_language_field
from complaints_app.services.complainant import STATUS_TEXT


class AdvocateComplaintForm(ComplaintForm):
    """The guided form filed on behalf of a client: the same questions and checks, the
    organisation as the contact for follow-up (the client's own contact optional), and the
    advocate's attestation of how and when the client agreed."""

    contact_choice = RadioField(
        _l("Who should the office contact about this case?"),
        choices=[
            ("organisation", _l("Only our organisation")),
            ("contact", _l("Our organisation, and the client directly")),
        ],
        validators=[InputRequired(_l("Choose who the office should contact."))],
    )
    consent_method = RadioField(
        _l("How did the client agree that you file for them?"),
        choices=[(m.value, labels.CONSENT_METHOD[m]) for m in ConsentMethod],
        validators=[InputRequired(_l("Choose how the client agreed."))],
    )
    consent_given_on = DateField(
        _l("On which day did the client agree?"),
        validators=[InputRequired(_l("Enter the day the client agreed.")), NotInFuture()],
    )
    consent = BooleanField(
        _l(
            "I confirm that the client agreed that our organisation files this complaint for "
            "them, as stated above, and that what is written is true as far as we know."
        ),
        validators=[DataRequired(_l("Confirm the client's agreement before you send."))],
    )
    complainant_language = complainant_language_field(
        _l("Which language does your client read?"),
        _l("The office writes messages and the outcome in this language."),
    )


class DashboardFilterForm(FlaskForm):
    """GET filters of the dashboard; nothing here changes data, so no CSRF token."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[("", _l("Any"))] + [(s.value, STATUS_TEXT[s][0]) for s in Status],
        validators=[Optional()],
    )
    waiting = BooleanField(_l("Only cases where the office waits for an answer"))
    page = IntegerField(validators=[Optional()])


class AddAdvocateForm(FlaskForm):
    email = StringField(
        _l("Email address"),
        validators=[InputRequired(_l("Enter an email address.")), Length(max=254)],
    )
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
