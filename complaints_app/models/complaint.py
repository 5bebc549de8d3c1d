"""A complaint (case), its allegations and its evidence files."""

from __future__ import annotations

import enum
import json
import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from complaints_app.crypto import Sealed
from complaints_app.extensions import db
from complaints_app.models.base import enum_type
from complaints_app.models.types import UTCDateTime
from complaints_app.timeutil import utcnow


class Channel(enum.Enum):
    WEB = "web"
    ADVOCATE = "advocate"
    API = "api"
    PHONE = "phone"
    WALK_IN = "walk_in"
    MAIL = "mail"


class Agency(enum.Enum):
    POLICE = "police"
    JAIL = "jail"
    OTHER_CITY = "other_city"
    UNKNOWN = "unknown"


class Status(enum.Enum):
    SUBMITTED = "submitted"
    TRIAGE = "triage"
    INVESTIGATION = "investigation"
    REVIEW = "review"
    CLOSED = "closed"


OPEN_STATUSES = (Status.SUBMITTED, Status.TRIAGE, Status.INVESTIGATION, Status.REVIEW)
#: The predicates of the partial indexes the staff dashboard's open workload counts through
#: (services/statistics.py), as literal SQL: a query must say them in these very words, not
#: with bound values, for the planner to see that an index holds every row it wants.
OPEN_CONDITION_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in OPEN_STATUSES))
#: Awaiting acknowledgement.
ACK_PENDING_SQL = "status = 'submitted'"
#: Under investigation with the clock running (not waiting on the complainant).
INVESTIGATION_RUNNING_SQL = "status = 'investigation' AND waiting_since IS NULL"
#: Open and waiting on the complainant.
WAITING_SQL = f"{OPEN_CONDITION_SQL} AND waiting_since IS NOT NULL"


class ClosureReason(enum.Enum):
    NO_TRUST_ACT_ALLEGATION = "no_trust_act_allegation"
    OUTSIDE_JURISDICTION = "outside_jurisdiction"
    DUPLICATE = "duplicate"
    REFERRED = "referred"
    WITHDRAWN = "withdrawn"
    FINDINGS_APPROVED = "findings_approved"


class Disposition(enum.Enum):
    SUSTAINED = "sustained"
    NOT_SUSTAINED = "not_sustained"
    EXONERATED = "exonerated"
    UNFOUNDED = "unfounded"
    POLICY_FAILURE = "policy_failure"
    NO_FINDING = "no_finding"


class ContactMethod(enum.Enum):
    EMAIL = "email"
    PHONE = "phone"
    TEXT = "text"
    MAIL = "mail"


class ConsentMethod(enum.Enum):
    """How a client agreed that an organisation files for them."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"
    WRITING = "writing"


class ReferenceCounter(db.Model):
    """The last case number handed out in a year; its row lock serialises numbering."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Complaint(db.Model):
    """One case. Personal data lives only in the sealed ``*_ct`` columns."""

    __tablename__ = "complaint"
    __table_args__ = (
        UniqueConstraint("reference_year", "reference_number", name="uq_complaint_year_number"),
        CheckConstraint("reference_number > 0", name="reference_number_positive"),
        CheckConstraint("NOT anonymous OR contact_ct IS NULL", name="anonymous_has_no_contact"),
        CheckConstraint(
            "(status = 'closed') = (closure_reason IS NOT NULL)", name="closed_has_reason"
        ),
        CheckConstraint(
            "organisation_id IS NULL OR consent_attested_at IS NOT NULL",
            name="advocate_filing_has_consent",
        ),
        CheckConstraint(
            "closure_reason != 'duplicate' OR merged_into_id IS NOT NULL",
            name="duplicate_names_survivor",
        ),
        CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id != id", name="not_merged_into_self"
        ),
        Index("ix_complaint_status_received", "status", "received_at"),
        Index("ix_complaint_incident_agency", "incident_date", "agency"),
        # Statistics select a period's cases by received_at; the other columns let the times
        # to acknowledge and to close be read from the index alone.
        Index(
            "ix_complaint_received_times", "received_at", "urgent", "acknowledged_at", "closed_at"
        ),
        # The staff dashboard counts open cases past a deadline as of now, which no stored
        # count can hold: each index holds only the cases one count is about, by the moment it
        # compares with now, so each count reads the index alone and only the rows it counts.
        *[
            Index(
                name, column, "received_at", postgresql_where=text(where), sqlite_where=text(where)
            )
            for name, column, where in (
                ("ix_complaint_ack_pending", "ack_due_at", ACK_PENDING_SQL),
                (
                    "ix_complaint_investigation_running",
                    "investigation_due_at",
                    INVESTIGATION_RUNNING_SQL,
                ),
                ("ix_complaint_waiting", "waiting_since", WAITING_SQL),
            )
        ],
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    reference_year: Mapped[int] = mapped_column(Integer)
    reference_number: Mapped[int] = mapped_column(Integer)
    tracking_hash: Mapped[str] = mapped_column(String(80))
    # Keyed hash of the form's one-time token: a second post of the same form finds this case.
    submission_hash: Mapped[str | None] = mapped_column(String(80), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "channel"))
    status: Mapped[Status] = mapped_column(
        enum_type(Status, "status"), default=Status.SUBMITTED, index=True
    )
    closure_reason: Mapped[ClosureReason | None] = mapped_column(
        enum_type(ClosureReason, "closure_reason")
    )

    incident_date: Mapped[date] = mapped_column(Date)
    # Where and when, and which unit, are typed by the complainant: a place can be a home
    # address, so all three are sealed. The date and agency stay plain for statistics.
    incident_time_ct: Mapped[str | None] = mapped_column(Text)
    incident_place_ct: Mapped[str | None] = mapped_column(Text)
    agency: Mapped[Agency] = mapped_column(enum_type(Agency, "agency"))
    agency_detail_ct: Mapped[str | None] = mapped_column(Text)
    narrative_ct: Mapped[str | None] = mapped_column(Text)
    findings_summary_ct: Mapped[str | None] = mapped_column(Text)
    preferred_language: Mapped[str] = mapped_column(String(12), default="en")

    anonymous: Mapped[bool] = mapped_column(Boolean)
    # Sealed JSON: name, email, phone, postal address, preferred method, when to reach.
    contact_ct: Mapped[str | None] = mapped_column(Text)
    contact_method: Mapped[ContactMethod | None] = mapped_column(
        enum_type(ContactMethod, "contact_method")
    )
    safe_to_contact: Mapped[bool | None] = mapped_column(Boolean)
    contact_email_hash: Mapped[str | None] = mapped_column(String(80), index=True)
    contact_phone_hash: Mapped[str | None] = mapped_column(String(80), index=True)

    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    consent_attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the advocate attested: how the client agreed, and on which day. Deferred: read only
    # where shown, and code working on an older revision's schema never touches them.
    consent_method: Mapped[ConsentMethod | None] = mapped_column(
        enum_type(ConsentMethod, "consent_method"), deferred=True
    )
    consent_given_on: Mapped[date | None] = mapped_column(Date, deferred=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))

    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ack_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    screened_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    investigation_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While the office waits on the complainant the investigation clock stops.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold_reason_ct: Mapped[str | None] = mapped_column(Text)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    narrative = Sealed("narrative_ct", row_attr="reference")
    findings_summary = Sealed("findings_summary_ct", row_attr="reference")
    contact_json = Sealed("contact_ct", row_attr="reference")
    incident_time = Sealed("incident_time_ct", row_attr="reference")
    incident_place = Sealed("incident_place_ct", row_attr="reference")
    agency_detail = Sealed("agency_detail_ct", row_attr="reference")
    legal_hold_reason = Sealed("legal_hold_reason_ct", row_attr="reference")

    allegations: Mapped[list[Allegation]] = relationship(
        back_populates="complaint", order_by="Allegation.position", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="complaint", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    # The legal aid organisation that filed it for the client, if one did.
    organisation = relationship("Organisation")
    # Everyone the case was ever given to: former assignees keep read access.
    assignments: Mapped[list[CaseAssignment]] = relationship(
        order_by="CaseAssignment.assigned_at", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseAssignment(db.Model):
    """One person a case was given to, and when it first was."""

    __tablename__ = "case_assignment"

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Clause facts that are answers from a fixed set (yes/no) or numbers (hours): statistics count
# them, so they stay plain. Every other fact is free text and is sealed.
PLAIN_FACTS = frozenset({"warrant_presented", "custody_extended_hours", "copy_given"})


def new_seal_key() -> str:
    """A random name for an allegation row, known before its INSERT gives it an id."""
    return secrets.token_hex(16)


class Allegation(db.Model):
    """One alleged violation within a complaint, under one clause version.

    Its free text (subject, summary, free-text facts) is sealed to ``seal_key``, a random
    value set when the object is made: the id exists only after the INSERT.
    """

    __tablename__ = "allegation"
    __table_args__ = (
        CheckConstraint(
            "NOT clause_confirmed OR clause_id IS NOT NULL", name="confirmed_has_clause"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    # Null for "something else" until staff pick the clause.
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clause.id"), index=True)
    suggested_by: Mapped[str | None] = mapped_column(String(50))
    clause_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    seal_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_seal_key)
    # Officer names or badge numbers.
    subject_ct: Mapped[str | None] = mapped_column(Text)
    subject_agency: Mapped[Agency | None] = mapped_column(enum_type(Agency, "subject_agency"))
    summary_ct: Mapped[str | None] = mapped_column(Text)
    # Facts some clauses need (2c: warrant presented, hours extended; 2e: kind of access; …):
    # the PLAIN_FACTS here, the free-text ones sealed as JSON in facts_text_ct.
    plain_facts: Mapped[dict] = mapped_column("facts", JSON, default=dict)
    facts_text_ct: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[Disposition | None] = mapped_column(enum_type(Disposition, "disposition"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="allegations")
    clause = relationship("Clause")

    subject = Sealed("subject_ct", row_attr="seal_key")
    summary = Sealed("summary_ct", row_attr="seal_key")
    facts_text = Sealed("facts_text_ct", row_attr="seal_key")

    def __init__(self, **kwargs) -> None:
        # The seal key first: sealed attributes among ``kwargs`` are bound to it.
        self.seal_key = kwargs.pop("seal_key", None) or new_seal_key()
        super().__init__(**kwargs)

    @property
    def facts(self) -> dict:
        """All the clause facts, plain and sealed, as one new dict: change it by assigning a
        whole dict, not by editing the one returned."""
        text = self.facts_text
        return {**(self.plain_facts or {}), **(json.loads(text) if text else {})}

    @facts.setter
    def facts(self, value: dict) -> None:
        value = value or {}
        self.plain_facts = {k: v for k, v in value.items() if k in PLAIN_FACTS}
        text = {k: v for k, v in value.items() if k not in PLAIN_FACTS}
        self.facts_text = json.dumps(text, sort_keys=True) if text else None


class Attachment(db.Model):
    """An evidence file: the bytes live encrypted under a random name outside ``static/``."""

    __tablename__ = "attachment"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    original_name_ct: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    added_by_complainant: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    original_name = Sealed("original_name_ct", row_attr="storage_key")

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")
