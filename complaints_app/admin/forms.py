"""Forms of the admin pages. Every POST form carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from complaints_app.models import GuidedQuestion, Role

ROLE_LABELS = {
    Role.INTAKE: _l("Intake"),
    Role.INVESTIGATOR: _l("Investigator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.RECORDS: _l("Records"),
    Role.ADMIN: _l("Administrator"),
    Role.ADVOCATE: _l("Advocate (legal aid organisation)"),
}
STAFF_ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role if r is not Role.ADVOCATE]


class ActionForm(FlaskForm):
    """A POST-only action (deactivate, reactivate) that still carries a CSRF token."""


class UserCreateForm(FlaskForm):
    email = StringField(
        _l("Email address"),
        validators=[InputRequired(_l("Enter an email address.")), Length(max=254)],
    )
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    role = SelectField(
        _l("Role"),
        choices=[(r.value, ROLE_LABELS[r]) for r in Role],
        validators=[InputRequired(_l("Choose a role."))],
    )
    organisation = SelectField(
        _l("Organisation (advocates only)"), choices=[], validators=[Optional()]
    )

    def validate_organisation(self, field) -> None:
        if self.role.data == Role.ADVOCATE.value and not field.data:
            raise ValidationError(_l("An advocate belongs to an organisation: choose one."))
        if self.role.data != Role.ADVOCATE.value and field.data:
            raise ValidationError(_l("Only advocates belong to an organisation."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=STAFF_ROLE_CHOICES)


class ResetForm(FlaskForm):
    """What a one-time reset link lets the person do; nobody but them chooses a password."""

    password = BooleanField(_l("A new password (they forgot theirs)"))
    two_factor = BooleanField(_l("Two-step sign in set up again (they lost their phone)"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.password.data or self.two_factor.data):
            self.password.errors = [
                _l("Choose what to reset: the password, two-step sign in, or both.")
            ]
            return False
        return True


class OrganisationForm(FlaskForm):
    slug = StringField(
        _l("Short name (slug)"),
        description=_l("Lower-case letters, digits and hyphens, e.g. legal-aid-east."),
        validators=[
            InputRequired(_l("Enter a short name.")),
            Length(max=60),
            Regexp(
                r"^[a-z0-9]+(-[a-z0-9]+)*$",
                message=_l("Use lower-case letters, digits and single hyphens only."),
            ),
        ],
    )
    name = StringField(
        _l("Name"), validators=[InputRequired(_l("Enter the name.")), Length(max=200)]
    )
    contact = StringField(
        _l("Email the office writes to (optional)"),
        description=_l("The organisation's intake desk, not a client's address."),
        validators=[Optional(), Length(max=254)],
    )


class LeadForm(FlaskForm):
    """Whether an advocate is their organisation's lead (adds and deactivates advocates)."""

    lead = RadioField(
        _l("Lead advocate of the organisation"),
        choices=[
            ("yes", _l("Yes: may add and deactivate the organisation's advocates")),
            ("no", _l("No")),
        ],
        validators=[InputRequired(_l("Choose yes or no."))],
    )


class MoveCaseForm(FlaskForm):
    """Give a case to another organisation (the client changed lawyers), by reference: no
    case contents are shown."""

    reference = StringField(
        _l("Case reference"),
        validators=[InputRequired(_l("Enter the case reference.")), Length(max=24)],
    )
    organisation = SelectField(
        _l("Move to"), choices=[], validators=[InputRequired(_l("Choose the organisation."))]
    )


class ClauseForm(FlaskForm):
    """A new version of a clause; the guided questions' fields are added per clause."""

    title = StringField(
        _l("Short title"), validators=[InputRequired(_l("Enter a title.")), Length(max=120)]
    )
    summary = TextAreaField(
        _l("Plain-language summary"),
        validators=[InputRequired(_l("Enter a summary.")), Length(max=5000)],
    )
    full_text = TextAreaField(
        _l("Full text"),
        validators=[InputRequired(_l("Enter the full text.")), Length(max=50000)],
    )
    complaint_eligible = BooleanField(_l("A complaint can be made under this clause"))
    effective_from = DateField(
        _l("In force from"),
        description=_l("Incidents on or after this date are linked to the new version."),
        validators=[InputRequired(_l("Enter the date the new version takes effect."))],
    )


def clause_form_class(questions: list[GuidedQuestion]) -> type[ClauseForm]:
    """A ClauseForm with a prompt and a hint field for each of the clause's questions."""
    fields = {}
    for q in questions:
        fields[f"q_{q.key}_prompt"] = TextAreaField(
            _l("Question “%(key)s”: prompt", key=q.key),
            validators=[InputRequired(_l("Enter the question.")), Length(max=2000)],
        )
        fields[f"q_{q.key}_hint"] = TextAreaField(
            _l("Question “%(key)s”: hint", key=q.key),
            validators=[Optional(), Length(max=2000)],
        )
    return type("ClauseEditForm", (ClauseForm,), fields)


class ClauseTranslationForm(FlaskForm):
    """The official text of the current clause version in one language other than English."""

    section = StringField(
        _l("Section name"),
        description=_l("How the ordinance names this part, e.g. “Section 2(c)”."),
        validators=[InputRequired(_l("Enter the section name.")), Length(max=60)],
    )
    title = StringField(
        _l("Short title"), validators=[InputRequired(_l("Enter a title.")), Length(max=200)]
    )
    summary = TextAreaField(
        _l("Plain-language summary"),
        validators=[InputRequired(_l("Enter a summary.")), Length(max=5000)],
    )
    full_text = TextAreaField(
        _l("Full text"),
        validators=[InputRequired(_l("Enter the full text.")), Length(max=50000)],
    )


def clause_translation_form_class(
    questions: list[GuidedQuestion],
) -> type[ClauseTranslationForm]:
    """A ClauseTranslationForm with a prompt and a hint field for each of the clause's
    questions; a prompt left empty keeps the question's earlier text (or English)."""
    fields = {}
    for q in questions:
        fields[f"q_{q.key}_prompt"] = TextAreaField(
            _l("Question “%(key)s”: prompt", key=q.key),
            description=_l("Leave empty to show this question in English."),
            validators=[Optional(), Length(max=2000)],
        )
        fields[f"q_{q.key}_hint"] = TextAreaField(
            _l("Question “%(key)s”: hint", key=q.key),
            validators=[Optional(), Length(max=2000)],
        )
    return type("ClauseTranslationEditForm", (ClauseTranslationForm,), fields)


class LegalHoldForm(FlaskForm):
    """Put a case on legal hold, or lift it, by reference: no case contents are shown."""

    reference = StringField(
        _l("Case reference"),
        validators=[InputRequired(_l("Enter the case reference.")), Length(max=24)],
    )
    hold = RadioField(
        _l("Legal hold"),
        choices=[("on", _l("Put on hold")), ("off", _l("Lift the hold"))],
        validators=[InputRequired(_l("Choose whether to put on hold or lift it."))],
    )
    reason = StringField(_l("Reason"), validators=[InputRequired(_l("Say why.")), Length(max=500)])
