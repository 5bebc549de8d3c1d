"""Revision 0010 seals the free text already stored in plain, and its downgrade opens it again.

Rows are written the way the code at revision 0007 wrote them, into a fresh database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from complaints_app import create_app
from complaints_app.extensions import db
from complaints_app.models import Allegation, Complaint
from config import TestingConfig
from tests.conftest import PG_SERVER, _postgres_database
from tests.helpers import sqlite_file_bytes

BACKENDS = ["sqlite", "postgresql"] if PG_SERVER else ["sqlite"]
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

PLACE = "Place-marker-MG01 12 Elm Street"
TIME = "Time-marker-MG02"
DETAIL = "Unit-marker-MG03"
HOLD = "Hold-marker-MG04"
SUBJECT = "Officer-marker-MG05 badge 1"
SUMMARY = "Summary-marker-MG06"
ACCESS = "Access-marker-MG07"
MARKERS = [PLACE, TIME, DETAIL, HOLD, SUBJECT, SUMMARY, ACCESS]


@pytest.fixture(params=BACKENDS)
def at_0007(request, tmp_path: Path) -> Iterator[Flask]:
    """An app whose database stands at revision 0007."""
    if request.param == "postgresql":
        urls = _postgres_database()
        url = next(urls)
    else:
        urls, url = None, f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / "uploads")
    )
    with app.app_context():
        try:
            upgrade(revision="0007")
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
            if urls is not None:
                next(urls, None)


def _fill_as_0007() -> None:
    at = NOW.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else NOW
    typed = sa.bindparam("at", type_=sa.DateTime(timezone=True))
    with db.engine.begin() as conn:
        for number, place, time, detail, hold in (
            (1, PLACE, TIME, DETAIL, HOLD),
            (2, "", None, None, None),  # a purged case: its place was emptied
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO complaint (id, reference, reference_year, reference_number, "
                    "tracking_hash, channel, status, incident_date, incident_time, "
                    "incident_place, agency, agency_detail, preferred_language, anonymous, "
                    "urgent, received_at, ack_due_at, updated_at, legal_hold, "
                    "legal_hold_reason, version) VALUES (:id, :ref, 2026, :id, :th, 'web', "
                    "'submitted', :day, :time, :place, 'police', :detail, 'en', :no, :no, "
                    ":at, :at, :at, :hold_on, :hold, 1)"
                ).bindparams(typed),
                {
                    "id": number,
                    "ref": f"TA-2026-{number:04d}",
                    "th": f"k${number:064d}",
                    "day": date(2026, 10, 30),
                    "time": time,
                    "place": place,
                    "detail": detail,
                    "no": False,
                    "hold_on": hold is not None,
                    "hold": hold,
                    "at": at,
                },
            )
        conn.execute(
            sa.text(
                "INSERT INTO allegation (id, complaint_id, suggested_by, clause_confirmed, "
                "subject, summary, facts, position, created_at) VALUES "
                "(1, 1, 'ice_access', :no, :subject, :summary, :facts, 1, :at), "
                "(2, 1, 'held_for_ice', :no, NULL, NULL, :plain, 2, :at)"
            ).bindparams(typed),
            {
                "no": False,
                "subject": SUBJECT,
                "summary": SUMMARY,
                "facts": json.dumps({"ice_access": ACCESS, "copy_given": "no"}),
                "plain": json.dumps({"custody_extended_hours": 14}),
                "at": at,
            },
        )


def _every_text_value(tables: tuple[str, ...] = ("complaint", "allegation")) -> str:
    with db.engine.connect() as conn:
        rows = [row for table in tables for row in conn.execute(sa.text(f"SELECT * FROM {table}"))]
    return "\n".join(str(value) for row in rows for value in row)


def test_upgrade_seals_plain_free_text_and_the_app_reads_it(at_0007):
    _fill_as_0007()
    assert all(marker in _every_text_value() for marker in MARKERS)

    upgrade(revision="0010")

    stored = _every_text_value()
    for marker in MARKERS:
        assert marker not in stored, marker
    if db.engine.dialect.name == "sqlite":
        # The plain columns' old pages are overwritten too, not just unlinked.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = sqlite_file_bytes(db.engine.url.database)
        assert b"TA-2026-0001" in raw
        for marker in MARKERS:
            assert marker.encode() not in raw, marker
    first, purged = db.session.execute(sa.select(Complaint).order_by(Complaint.id)).scalars()
    assert (first.incident_place, first.incident_time, first.agency_detail) == (
        PLACE,
        TIME,
        DETAIL,
    )
    assert first.legal_hold_reason == HOLD
    assert purged.incident_place == "" and purged.incident_time is None
    access, held = db.session.execute(sa.select(Allegation).order_by(Allegation.id)).scalars()
    assert (access.subject, access.summary) == (SUBJECT, SUMMARY)
    assert access.facts == {"ice_access": ACCESS, "copy_given": "no"}
    assert access.plain_facts == {"copy_given": "no"}
    assert held.subject is None and held.facts == {"custody_extended_hours": 14}
    assert access.seal_key != held.seal_key
    db.session.rollback()


def test_downgrade_opens_the_free_text_again(at_0007):
    _fill_as_0007()
    upgrade(revision="0010")
    # A case purged after the upgrade: its sealed place is gone.
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE complaint SET incident_place_ct = NULL WHERE id = 2"))

    downgrade(revision="0007")

    with db.engine.connect() as conn:
        first = conn.execute(sa.text("SELECT * FROM complaint WHERE id = 1")).mappings().one()
        purged = conn.execute(sa.text("SELECT * FROM complaint WHERE id = 2")).mappings().one()
        access = conn.execute(sa.text("SELECT * FROM allegation WHERE id = 1")).mappings().one()
    assert (first["incident_place"], first["incident_time"]) == (PLACE, TIME)
    assert (first["agency_detail"], first["legal_hold_reason"]) == (DETAIL, HOLD)
    assert purged["incident_place"] == ""
    assert (access["subject"], access["summary"]) == (SUBJECT, SUMMARY)
    facts = access["facts"] if isinstance(access["facts"], dict) else json.loads(access["facts"])
    assert facts == {"ice_access": ACCESS, "copy_given": "no"}
    assert "incident_place_ct" not in first and "seal_key" not in access
    assert all(marker in _every_text_value() for marker in MARKERS)
