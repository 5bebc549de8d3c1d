"""The section 4 ledger: each federal immigration request the police received."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from complaints_app.extensions import db
from complaints_app.models.base import enum_type
from complaints_app.models.types import UTCDateTime
from complaints_app.timeutil import utcnow


class RequestKind(enum.Enum):
    HOLD = "hold"
    ADMINISTRATIVE_WARRANT = "administrative_warrant"
    NOTIFICATION = "notification"


class RequestForm(enum.Enum):
    I_247A = "I-247A"
    I_200 = "I-200"
    I_203 = "I-203"
    I_205 = "I-205"
    OTHER = "other"


class RequestOutcome(enum.Enum):
    DECLINED = "declined"
    DETAINED = "detained"
    TRANSFERRED = "transferred"
    INFORMATION_GIVEN = "information_given"


class FederalRequest(db.Model):
    """One ICE hold, administrative warrant or notification request, and what came of it."""

    __tablename__ = "federal_request"
    __table_args__ = (
        CheckConstraint(
            "detained_hours IS NULL OR (outcome IN ('detained', 'transferred') "
            "AND detained_hours >= 0)",
            name="detained_hours_only_when_detained",
        ),
        CheckConstraint(
            "reimbursement_amount IS NULL OR reimbursement_amount >= 0",
            name="reimbursement_non_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[RequestKind] = mapped_column(enum_type(RequestKind, "request_kind"))
    form: Mapped[RequestForm] = mapped_column(enum_type(RequestForm, "request_form"))
    reason_given: Mapped[str] = mapped_column(String(300))
    judicial_warrant_presented: Mapped[bool] = mapped_column(Boolean, default=False)
    # A keyed hash of the booking number: counts individuals, not requests, without naming them.
    person_key: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[RequestOutcome] = mapped_column(enum_type(RequestOutcome, "request_outcome"))
    detained_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    reimbursement_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reimbursement_case: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
