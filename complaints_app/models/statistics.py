"""Counts kept current beside the cases, so the statistics read a few hundred rows instead of
every allegation (see services/stat_summary.py, which alone writes them).

Each row counts the cases (or allegations) received in one reporting period — named by its
first day, as ``Period.name`` — that share every other key column. Keys hold the stored
values of the complaint's and allegation's columns; '' stands for "none" (no clause yet, no
disposition yet), since a key column cannot be NULL. ``StatBasis`` records the reporting start
and time zone the periods were cut with: when the settings differ, the counts are not used.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from complaints_app.extensions import db


class StatComplaintCount(db.Model):
    __tablename__ = "stat_complaint_count"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    agency: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    urgent: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StatAllegationCount(db.Model):
    __tablename__ = "stat_allegation_count"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    agency: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    clause_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    disposition: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StatClauseComplaintCount(db.Model):
    """Complaints with at least one allegation under a clause (not a sum of allegations)."""

    __tablename__ = "stat_clause_complaint_count"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    clause_code: Mapped[str] = mapped_column(String(10), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StatDurationCount(db.Model):
    """How many cases took exactly ``amount`` units — whole minutes to acknowledge
    (``measure`` 'ack'), whole hours to close ('close') — so that medians and percentiles are
    read from a few thousand rows per period rather than sorted from every case."""

    __tablename__ = "stat_duration_count"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    urgent: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    amount: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StatDurationBand(db.Model):
    """The duration counts summed by band — ``band`` is ``amount // width``, the width 60 for
    'ack' (hours of minutes) and 24 for 'close' (days of hours) — so that a percentile first
    finds the band holding its rank among a few hundred rows, then reads the exact values of
    that band alone from ``StatDurationCount``."""

    __tablename__ = "stat_duration_band"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    urgent: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)


class StatBasis(db.Model):
    """One row: the settings the counts were cut with."""

    __tablename__ = "stat_basis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reporting_start: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
