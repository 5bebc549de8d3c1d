"""The section 4 ledger: each federal immigration request the police received, the audit
chain of changes to it, and the finalised semi-annual reports."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints_app.crypto import Sealed
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


# Outcomes where the person was held on the request: only these may carry detained hours.
HELD_OUTCOMES = frozenset({RequestOutcome.DETAINED, RequestOutcome.TRANSFERRED})


class RequestReason(enum.Enum):
    """The bases the federal request forms offer for a request, as the form states them. A
    fixed list, so the report can group by reason and nothing typed can name a person."""

    FINAL_ORDER = "final_order"  # a final order of removal
    REMOVAL_PROCEEDINGS = "removal_proceedings"  # removal proceedings pending
    BIOMETRIC_MATCH = "biometric_match"  # a fingerprint match with federal records
    STATEMENTS_OR_EVIDENCE = "statements_or_evidence"  # statements or other evidence
    OTHER = "other"
    NONE_GIVEN = "none_given"


REASON_SEPARATOR = ","


def new_seal_key() -> str:
    """A random name for a row, known before its INSERT gives it an id."""
    return secrets.token_hex(16)


class FederalRequest(db.Model):
    """One ICE hold, administrative warrant or notification request, and what came of it.

    ``reason_given`` holds the ``RequestReason`` values given, sorted and comma-separated.
    ``detained_hours`` is the time held beyond when the person would otherwise have been
    released: more than zero means "detained past release". Notes are sealed.
    """

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
    # A keyed hash of the booking number ("<key id>$<hex>"): counts individuals, not
    # requests, without naming them.
    person_key: Mapped[str] = mapped_column(String(80), index=True)
    outcome: Mapped[RequestOutcome] = mapped_column(enum_type(RequestOutcome, "request_outcome"))
    detained_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    reimbursement_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reimbursement_case: Mapped[str | None] = mapped_column(String(120))
    seal_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_seal_key)
    notes_ct: Mapped[str | None] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    complaint = relationship("Complaint")
    notes = Sealed("notes_ct", row_attr="seal_key")

    def __init__(self, **kwargs) -> None:
        # The seal key first: sealed attributes among ``kwargs`` are bound to it.
        self.seal_key = kwargs.pop("seal_key", None) or new_seal_key()
        super().__init__(**kwargs)

    @property
    def reasons(self) -> list[RequestReason]:
        """The reasons given, in the list's order."""
        given = set((self.reason_given or "").split(REASON_SEPARATOR))
        return [r for r in RequestReason if r.value in given]

    @reasons.setter
    def reasons(self, value: list[RequestReason]) -> None:
        self.reason_given = REASON_SEPARATOR.join(sorted({r.value for r in value}))

    @property
    def past_release(self) -> bool:
        """Held beyond when the person would otherwise have been released."""
        return self.detained_hours is not None and self.detained_hours > 0


class LedgerEventKind(enum.Enum):
    CREATED = "created"
    EDITED = "edited"
    AMENDED = "amended"  # changed after its period's report was finalised
    FINALISED = "finalised"  # a period's report was locked


class LedgerEvent(db.Model):
    """What happened to the ledger and who did it: the ``ledger`` audit chain. Holds field
    names, never values that could name a person (and never a booking number)."""

    __tablename__ = "ledger_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    federal_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("federal_request.id"), index=True
    )
    period_start: Mapped[date | None] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[LedgerEventKind] = mapped_column(enum_type(LedgerEventKind, "ledger_event_kind"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    actor = relationship("User")


class ReportPeriod(db.Model):
    """A finalised semi-annual report: the figures as they stood when a supervisor locked
    the period. Only finalised periods have a row."""

    __tablename__ = "report_period"

    start: Mapped[date] = mapped_column(Date, primary_key=True)
    finalised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    snapshot: Mapped[dict] = mapped_column(JSON)

    finalised_by = relationship("User")
    amendments: Mapped[list[LedgerAmendment]] = relationship(
        back_populates="period", order_by="LedgerAmendment.id"
    )


class LedgerAmendment(db.Model):
    """A change to a ledger entry of a finalised period: who, when, why (sealed) and which
    fields changed."""

    __tablename__ = "ledger_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    federal_request_id: Mapped[int] = mapped_column(ForeignKey("federal_request.id"), index=True)
    period_start: Mapped[date] = mapped_column(ForeignKey("report_period.start"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed: Mapped[list] = mapped_column(JSON, default=list)
    seal_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_seal_key)
    reason_ct: Mapped[str | None] = mapped_column(Text)

    period: Mapped[ReportPeriod] = relationship(back_populates="amendments")
    actor = relationship("User")
    reason = Sealed("reason_ct", row_attr="seal_key")

    def __init__(self, **kwargs) -> None:
        self.seal_key = kwargs.pop("seal_key", None) or new_seal_key()
        super().__init__(**kwargs)
