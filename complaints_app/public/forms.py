"""Forms residents fill in. No field asks about immigration status, citizenship or origin."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from complaints_app.models import Agency, ContactMethod
from complaints_app.services.intake import SOMETHING_ELSE
from complaints_app.timeutil import city_today

YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]

AGENCY_CHOICES = [
    (Agency.POLICE.value, _l("The police department")),
    (Agency.JAIL.value, _l("The jail or house of correction")),
    (Agency.OTHER_CITY.value, _l("Another city department")),
    (Agency.UNKNOWN.value, _l("I am not sure")),
]

CONTACT_METHOD_CHOICES = [
    (ContactMethod.EMAIL.value, _l("Email")),
    (ContactMethod.PHONE.value, _l("Phone call")),
    (ContactMethod.TEXT.value, _l("Text message")),
    (ContactMethod.MAIL.value, _l("Letter by post")),
]


class NarrativeLength:
    """The account's length limit comes from configuration."""

    def __call__(self, form, field) -> None:
        limit = current_app.config["NARRATIVE_MAX_CHARS"]
        if field.data and len(field.data) > limit:
            raise ValidationError(
                _l(
                    "Please keep this under %(limit)s characters. It is %(length)s now.",
                    limit=limit,
                    length=len(field.data),
                )
            )


class NotInFuture:
    def __call__(self, form, field) -> None:
        if field.data and field.data > city_today():
            raise ValidationError(_l("The date cannot be in the future."))
        if field.data and field.data.year < 2000:
            raise ValidationError(_l("Please check the year."))


class ComplaintForm(FlaskForm):
    """The guided complaint form. Question choices are filled from the clause catalogue."""

    questions_fallback = False  # set by set_questions

    submission_token = HiddenField()

    what_happened = SelectMultipleField(
        _l("What happened?"),
        choices=[],
        validators=[DataRequired(_l("Choose at least one, or choose “Something else”."))],
    )
    urgent = RadioField(
        _l("Is someone in custody right now because of an ICE hold or immigration warrant?"),
        choices=YES_NO,
        validators=[InputRequired(_l("Please answer yes or no."))],
    )
    incident_date = DateField(
        _l("When did it happen?"),
        validators=[InputRequired(_l("Enter the date it happened.")), NotInFuture()],
    )
    incident_time = StringField(
        _l("About what time? (optional)"), validators=[Optional(), Length(max=40)]
    )
    incident_place = StringField(
        _l("Where did it happen?"),
        validators=[
            # DataRequired, not InputRequired: a place of only spaces is no place.
            DataRequired(_l("Tell us where it happened, for example a street or a building.")),
            Length(max=300, message=_l("Please keep this under 300 characters.")),
        ],
    )
    agency = RadioField(
        _l("Who was involved?"),
        choices=AGENCY_CHOICES,
        validators=[InputRequired(_l("Choose who was involved, or “I am not sure”."))],
    )
    agency_detail = StringField(
        _l("Which department or unit, if you know (optional)"),
        validators=[Optional(), Length(max=200)],
    )
    officers = TextAreaField(
        _l("Names or badge numbers of the people involved, if you know them (optional)"),
        validators=[
            Optional(),
            Length(max=300, message=_l("Please keep this under 300 characters.")),
        ],
    )
    narrative = TextAreaField(
        _l("Tell us what happened"),
        validators=[
            DataRequired(_l("Tell us what happened, in your own words.")),
            Length(min=10, message=_l("Please tell us a little more.")),
            NarrativeLength(),
        ],
    )
    evidence = MultipleFileField(_l("Photos or documents (optional)"))
    keep_files = SelectMultipleField(_l("Files you already added"), choices=[])

    contact_choice = RadioField(
        _l("Can we contact you?"),
        choices=[
            ("contact", _l("Yes, you may contact me")),
            ("anonymous", _l("No, I want to stay anonymous")),
        ],
        validators=[InputRequired(_l("Choose whether we may contact you."))],
    )
    contact_name = StringField(_l("Your name (optional)"), validators=[Optional(), Length(max=120)])
    contact_method = RadioField(
        _l("How should we contact you?"), choices=CONTACT_METHOD_CHOICES, validators=[Optional()]
    )
    contact_email = StringField(
        _l("Email address"),
        validators=[
            Optional(),
            Email(_l("Enter an email address like name@example.org.")),
            Length(max=254),
        ],
    )
    contact_phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=40)])
    contact_postal = TextAreaField(_l("Postal address"), validators=[Optional(), Length(max=400)])
    contact_best_time = StringField(
        _l("When is a good time? (optional)"), validators=[Optional(), Length(max=120)]
    )
    safe_to_contact = RadioField(
        _l("Is it safe for us to contact you this way?"),
        description=_l("For example: could someone else read your messages or answer your phone?"),
        choices=[
            ("yes", _l("Yes, it is safe")),
            ("no", _l("No — please be careful, or only contact me if I reach out first")),
        ],
        validators=[Optional()],
    )
    consent = BooleanField(
        _l(
            "I understand that the office will read what I wrote and may contact the "
            "department involved, and that what I wrote is true as far as I know."
        ),
        validators=[DataRequired(_l("Please confirm before you send."))],
    )

    def set_languages(self) -> None:
        """Offer the site's languages for the complainant's language, if this form asks it
        (staff intake, advocates); the page's language is the first guess."""
        field = getattr(self, "complainant_language", None)
        if field is None:
            return
        from flask_babel import get_locale

        languages = current_app.config["LANGUAGES"]
        field.choices = list(languages.items())
        if not field.data:
            current = str(get_locale() or "")
            field.data = current if current in languages else None

    def set_questions(self, questions) -> None:
        """Offer the catalogue's current questions, then 'something else'."""
        from complaints_app.services.clause_texts import marked, question_text

        words = [(q, question_text(q)) for q in questions]
        # Kept so the page can say when a question is shown in English.
        self.questions_fallback = any(w.fallback for _q, w in words)
        self.what_happened.choices = [(q.key, marked(w.prompt, w)) for q, w in words] + [
            (SOMETHING_ELSE, _l("Something else"))
        ]

    def validate(self, extra_validators=None) -> bool:
        """Field rules, then the rules that join fields: contact details match the choice."""
        ok = super().validate(extra_validators)
        if self.contact_choice.data != "contact":
            return ok
        method = self.contact_method.data
        if not method:
            self.contact_method.errors = [_l("Choose how we should contact you.")]
            return False
        needed = {
            ContactMethod.EMAIL.value: (self.contact_email, _l("Enter your email address.")),
            ContactMethod.PHONE.value: (self.contact_phone, _l("Enter your phone number.")),
            ContactMethod.TEXT.value: (self.contact_phone, _l("Enter your phone number.")),
            ContactMethod.MAIL.value: (self.contact_postal, _l("Enter your postal address.")),
        }
        if method not in needed:
            # A value no button offers: the field's own check has already said so.
            return False
        target, message = needed[method]
        if not (target.data or "").strip():
            target.errors = [*target.errors, message]
            ok = False
        if self.contact_phone.data and sum(c.isdigit() for c in self.contact_phone.data) < 7:
            self.contact_phone.errors = [
                *self.contact_phone.errors,
                _l("Enter a phone number with at least 7 digits."),
            ]
            ok = False
        if self.safe_to_contact.data not in ("yes", "no"):
            self.safe_to_contact.errors = [_l("Tell us whether this way is safe.")]
            ok = False
        return ok


def complainant_language_field(label, description=None) -> RadioField:
    """The language the office writes to the complainant in, when someone else files."""
    return RadioField(
        label,
        description=description,
        choices=[],
        # Left unanswered, the page's language is taken (``set_languages``); a value the
        # form does not offer is refused by the field's own choice check.
        validators=[Optional()],
    )


class TrackForm(FlaskForm):
    """Reference and tracking code, posted (never in a URL)."""

    reference = StringField(
        _l("Case reference"),
        description=_l("It looks like TA-2026-0042."),
        validators=[InputRequired(_l("Enter your case reference.")), Length(max=40)],
    )
    code = StringField(
        _l("Tracking code"),
        description=_l("The code you were given when you filed, like 7KQ2-M9XD-…"),
        validators=[InputRequired(_l("Enter your tracking code.")), Length(max=60)],
    )
    # A reply written while the case closed on this device; shown again once the case opens,
    # where the reply form checks it (its length included) before anything is sent.
    carried_message = TextAreaField(_l("Your message (not sent yet)"), validators=[Optional()])


class ReplyForm(FlaskForm):
    """A message or new information from the complainant."""

    message = TextAreaField(
        _l("Your message or new information"),
        validators=[
            InputRequired(_l("Write your message first.")),
            NarrativeLength(),
        ],
    )
    evidence = MultipleFileField(_l("Add photos or documents (optional)"))


class WithdrawForm(FlaskForm):
    """Withdrawing needs an explicit confirmation."""

    confirm = BooleanField(
        _l("Yes, I want to withdraw my complaint"),
        validators=[
            DataRequired(_l("Tick the box to confirm, or go back to keep your case open."))
        ],
    )


class EmptyForm(FlaskForm):
    """A POST-only action that still carries a CSRF token."""
