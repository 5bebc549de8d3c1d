"""The organisation's CSV export: the documented columns, the organisation's cases only, no
narrative or contact data, formula-safe cells, and memory that does not grow with the number
of cases (measured with tracemalloc, not timed)."""

from __future__ import annotations

import csv
import io
import secrets
import tracemalloc
from datetime import date, timedelta

from sqlalchemy import insert, select

from complaints_app import PROJECT_ROOT
from complaints_app.models import (
    Agency,
    Allegation,
    Channel,
    Clause,
    Complaint,
    Disposition,
    Role,
    Status,
)
from complaints_app.services import org_cases, workflow
from complaints_app.timeutil import utcnow
from tests.org.conftest import CLIENT_CONTACT, filed
from tests.staff.conftest import complaint_by_reference

COLUMNS = [name for name, _meaning in org_cases.EXPORT_COLUMNS]


def _rows(client) -> list[dict[str, str]]:
    response = client.get("/org/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == COLUMNS
    return [dict(zip(header, row, strict=True)) for row in reader]


def test_columns_and_content_of_the_organisations_cases(db, orgs, east, west, make_account):
    client, _ = east
    urgent = filed(client, db, urgent="yes", what_happened=["held_for_ice", "something_else"])
    plain = filed(client, db)
    filed(west[0], db)  # another organisation's case never appears
    intake = make_account(Role.INTAKE, "intake@office.example")
    case = complaint_by_reference(db, plain.reference)
    workflow.acknowledge(case, intake, "Received.")
    workflow.message_complainant(case, intake, "A question", wait_for_reply=True)
    db.session.commit()
    case = complaint_by_reference(db, plain.reference)

    rows = _rows(client)
    assert [r["reference"] for r in rows] == [urgent.reference, plain.reference]
    first, second = rows
    assert first["status"] == "submitted" and first["urgent"] == "yes"
    assert first["channel"] == "advocate"
    assert first["clauses"] == "2c;?"  # "something else" waits for staff to choose a clause
    assert first["dispositions"] == ";"
    assert first["waiting_on_client"] == "no" and first["waiting_since"] == ""
    assert first["acknowledged_at"] == "" and first["closed_at"] == ""
    assert first["acknowledgement_due"] == urgent.ack_due_at.isoformat()
    assert second["status"] == "triage"
    assert second["waiting_on_client"] == "yes"
    assert second["waiting_since"] == case.waiting_since.isoformat()
    assert second["acknowledged_at"] == case.acknowledged_at.isoformat()
    assert second["last_update"] > second["received_at"]


def test_closed_cases_carry_reason_and_dispositions(db, orgs, east):
    client, _ = east
    case = filed(client, db)
    client_side = complaint_by_reference(db, case.reference)
    from complaints_app.authz import Complainant

    workflow.withdraw(client_side, Complainant(client_side.id))
    db.session.commit()
    (row,) = _rows(client)
    assert row["status"] == "closed" and row["closure_reason"] == "withdrawn"
    assert row["dispositions"] == "no_finding;no_finding"
    assert row["closed_at"] and row["waiting_on_client"] == "no"


def test_no_narrative_or_contact_data_in_the_export(db, orgs, east):
    client, _ = east
    filed(client, db, **CLIENT_CONTACT)
    text = client.get("/org/export.csv").get_data(as_text=True)
    for private in (
        "Ana Client",
        "ana.client@example.org",
        "kept overnight",  # the narrative
        "Central police station",  # the place
        "Badge 4417",  # officers
        "around 9 pm",
    ):
        assert private not in text


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_defused():
    for dangerous in ("=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert org_cases._cell(dangerous) == "'" + dangerous
    assert org_cases._cell("TA-2026-0001") == "TA-2026-0001"
    assert org_cases._cell(None) == "" and org_cases._cell(True) == "yes"


def test_every_column_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for name in COLUMNS:
        assert f"`{name}`" in readme, name


def _bulk_cases(db, organisation_id: int, count: int, start: int) -> None:
    """``count`` cases of the organisation, two allegations each, written in bulk."""
    clauses = db.session.execute(select(Clause.id).where(Clause.code.in_(["2b", "2c"]))).all()
    now = utcnow()
    rows = [
        {
            "reference": f"TA-2026-{n:05d}",
            "reference_year": 2026,
            "reference_number": n,
            "tracking_hash": "k$" + secrets.token_hex(8),
            "channel": Channel.ADVOCATE,
            "status": Status.SUBMITTED,
            "incident_date": date.today() - timedelta(days=3),
            "agency": Agency.POLICE,
            "anonymous": False,
            "urgent": False,
            "organisation_id": organisation_id,
            "consent_attested_at": now,
            "received_at": now,
            "ack_due_at": now + timedelta(days=5),
        }
        for n in range(start, start + count)
    ]
    db.session.execute(insert(Complaint), rows)
    ids = db.session.execute(
        select(Complaint.id).where(Complaint.reference_number >= start)
    ).scalars()
    db.session.execute(
        insert(Allegation),
        [
            {
                "complaint_id": cid,
                "clause_id": clause.id,
                "position": pos,
                "seal_key": secrets.token_hex(16),
                "disposition": Disposition.SUSTAINED if pos == 1 else None,
            }
            for cid in ids
            for pos, clause in enumerate(clauses, start=1)
        ],
    )
    db.session.commit()


def _export_peak(client) -> tuple[int, int]:
    """Stream the export, counting lines and keeping none: (lines, peak bytes allocated)."""
    tracemalloc.start()
    try:
        response = client.get("/org/export.csv")
        tracemalloc.reset_peak()
        lines = sum(chunk.count(b"\n") for chunk in response.response)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return lines, peak


def test_memory_stays_flat_from_200_to_2000_cases(db, orgs, east):
    client, _ = east
    organisation_id = orgs["east"].id
    _bulk_cases(db, organisation_id, 200, 1)
    _export_peak(client)  # warm the statement caches
    small_lines, small = _export_peak(client)
    _bulk_cases(db, organisation_id, 1800, 201)
    large_lines, large = _export_peak(client)
    assert (small_lines, large_lines) == (201, 2001)
    # Holding the rows would take ten times as much; streaming takes about the same.
    assert large < small * 1.5 + 64 * 1024, (small, large)
