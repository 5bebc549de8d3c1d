"""Forms of the section 4 ledger and its reports."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from complaints_app import labels
from complaints_app.models import RequestForm, RequestKind, RequestOutcome, RequestReason
from complaints_app.services import ledger


class NumberField(DecimalField):
    """A decimal number; anything else is refused in plain words."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip().replace(",", "")
        try:
            self.data = Decimal(text)
            if not self.data.is_finite():
                raise InvalidOperation
        except InvalidOperation as exc:
            self.data = None
            raise ValueError(str(_l("Enter a number, like 12 or 12.50."))) from exc


YES_NO = [("yes", _l("Yes")), ("no", _l("No"))]


class FederalRequestForm(FlaskForm):
    """One federal request: what was asked, about whom (a booking number that is never
    kept), and what came of it. ``amendment_reason`` is asked for only in finalised periods."""

    received_on = DateField(
        _l("Date received"), validators=[InputRequired(_l("Enter the date it was received."))]
    )
    kind = RadioField(
        _l("Kind of request"),
        choices=[(k.value, labels.REQUEST_KIND[k]) for k in RequestKind],
        validators=[InputRequired(_l("Choose the kind of request."))],
    )
    form = SelectField(
        _l("Form used"),
        choices=[(f.value, labels.REQUEST_FORM[f]) for f in RequestForm],
        validators=[InputRequired(_l("Choose the form used."))],
    )
    reasons = SelectMultipleField(
        _l("Reasons given on the request"),
        choices=[(r.value, labels.REQUEST_REASON[r]) for r in RequestReason],
        validators=[Optional()],
    )
    judicial_warrant_presented = RadioField(
        _l("Was a criminal warrant signed by a judge presented?"),
        choices=YES_NO,
        validators=[InputRequired(_l("Answer yes or no."))],
    )
    booking_number = StringField(
        _l("Booking number"),
        validators=[Optional(), Length(max=60, message=_l("A booking number is shorter."))],
    )
    outcome = RadioField(
        _l("Outcome"),
        choices=[(o.value, labels.REQUEST_OUTCOME[o]) for o in RequestOutcome],
        validators=[InputRequired(_l("Choose the outcome."))],
    )
    detained_hours = NumberField(_l("Hours held past release"), validators=[Optional()])
    reimbursement_amount = NumberField(
        _l("Reimbursement received (dollars)"), validators=[Optional()]
    )
    reimbursement_case = StringField(_l("Case the reimbursement was for"))
    complaint_reference = StringField(
        _l("Linked complaint reference (optional)"), validators=[Optional(), Length(max=24)]
    )
    notes = TextAreaField(_l("Notes (optional)"))
    amendment_reason = TextAreaField(_l("Why is this entry changed after finalising?"))

    def entry(self) -> ledger.Entry:
        """The validated values as a ledger entry."""
        return ledger.Entry(
            received_on=self.received_on.data,
            kind=RequestKind(self.kind.data),
            form=RequestForm(self.form.data),
            reasons=[RequestReason(v) for v in self.reasons.data or []],
            judicial_warrant_presented=self.judicial_warrant_presented.data == "yes",
            outcome=RequestOutcome(self.outcome.data),
            booking_number=self.booking_number.data or "",
            detained_hours=self.detained_hours.data,
            reimbursement_amount=self.reimbursement_amount.data,
            reimbursement_case=self.reimbursement_case.data or "",
            complaint_reference=self.complaint_reference.data or "",
            notes=self.notes.data or "",
            amendment_reason=self.amendment_reason.data or "",
        )

    def fill(self, request) -> None:
        """Show a stored request (the booking number is never kept, so it stays empty)."""
        self.received_on.data = request.received_on
        self.kind.data = request.kind.value
        self.form.data = request.form.value
        self.reasons.data = [r.value for r in request.reasons]
        self.judicial_warrant_presented.data = "yes" if request.judicial_warrant_presented else "no"
        self.outcome.data = request.outcome.value
        self.detained_hours.data = request.detained_hours
        self.reimbursement_amount.data = request.reimbursement_amount
        self.reimbursement_case.data = request.reimbursement_case or ""
        self.complaint_reference.data = request.complaint.reference if request.complaint else ""
        self.notes.data = request.notes or ""

    def show_errors(self, error: ledger.LedgerError) -> None:
        """Put each refusal at its field (or above the form when it has none)."""
        for problem in error.problems:
            target = getattr(self, problem.field, None) if problem.field else None
            if target is None:
                self.form_errors.append(problem.message)
            else:
                target.errors = [*target.errors, problem.message]


class LedgerFilterForm(FlaskForm):
    """GET filters of the ledger; nothing here changes data, so no CSRF token."""

    class Meta:
        csrf = False

    period = SelectField(_l("Reporting period"), validators=[Optional()])
    kind = SelectField(
        _l("Kind"),
        choices=[("", _l("Any"))] + [(k.value, labels.REQUEST_KIND[k]) for k in RequestKind],
        validators=[Optional()],
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[("", _l("Any"))] + [(o.value, labels.REQUEST_OUTCOME[o]) for o in RequestOutcome],
        validators=[Optional()],
    )


class FinaliseForm(FlaskForm):
    """Finalise a period's report: a CSRF-protected button."""
