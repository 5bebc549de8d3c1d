"""The record of each demo-data run: which cases it made, so that the command can tell demo
cases from real ones before adding more."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from complaints_app.extensions import db
from complaints_app.models.types import UTCDateTime
from complaints_app.timeutil import utcnow


class DemoRun(db.Model):
    """One run of ``demo-data``: its cases hold the ids ``first_complaint_id`` to
    ``last_complaint_id``, given out as one block when the run began."""

    __tablename__ = "demo_run"
    __table_args__ = (
        CheckConstraint("last_complaint_id >= first_complaint_id", name="demo_run_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seed: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    first_complaint_id: Mapped[int] = mapped_column(Integer)
    last_complaint_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
