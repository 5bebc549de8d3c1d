"""The semi-annual report: items (a)–(d) on ledger entries worked out by hand, the
complaint figures, the office's cross-check, finalising, amending a finalised period, the
published reports, and the command line."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from complaints_app.models import (
    Complaint,
    EventKind,
    FederalRequest,
    LedgerAmendment,
    ReportPeriod,
    RequestForm,
    RequestKind,
    RequestOutcome,
    RequestReason,
    Role,
)
from complaints_app.services import audit, ledger, periods, semiannual
from tests.helpers import hidden_fields
from tests.ledger.conftest import post_entry
from tests.staff.conftest import quick_user

K, F, O, R = RequestKind, RequestForm, RequestOutcome, RequestReason  # noqa: E741


def _entry(day, kind, form, reasons, booking, outcome, hours=None, amount=None, case=""):
    return ledger.Entry(
        received_on=day,
        kind=kind,
        form=form,
        reasons=reasons,
        judicial_warrant_presented=False,
        outcome=outcome,
        booking_number=booking,
        detained_hours=Decimal(hours) if hours is not None else None,
        reimbursement_amount=Decimal(amount) if amount is not None else None,
        reimbursement_case=case,
    )


@pytest.fixture
def ledger_rows(db, calendar, make_case) -> dict:
    """Eight requests and three complaints; the expected figures are in the tests."""
    officer = quick_user(db, Role.RECORDS, "records@ledger.example")
    noon = datetime.combine(calendar.day(20), time(12), tzinfo=UTC)
    detention = make_case(noon, allegations=[("2c", None)])
    linked = make_case(noon + timedelta(days=1), allegations=[("2e", None)])
    make_case(noon + timedelta(days=2), allegations=[("2d", None)])
    d = calendar.day
    entries = [
        _entry(d(1), K.HOLD, F.I_247A, [R.FINAL_ORDER], "A", O.DETAINED, "5", "100", "C-1"),
        _entry(d(2), K.HOLD, F.I_247A, [R.FINAL_ORDER], "a", O.TRANSFERRED, "0"),
        _entry(d(3), K.HOLD, F.I_247A, [R.BIOMETRIC_MATCH, R.FINAL_ORDER], "B", O.TRANSFERRED, "3"),
        _entry(
            d(4),
            K.ADMINISTRATIVE_WARRANT,
            F.I_200,
            [R.REMOVAL_PROCEEDINGS],
            "C",
            O.DETAINED,
            "2",
            "50.25",
            "C-1",
        ),
        _entry(d(5), K.NOTIFICATION, F.I_247A, [R.NONE_GIVEN], "D", O.DETAINED, "1", "10", "C-2"),
        _entry(d(6), K.NOTIFICATION, F.OTHER, [R.STATEMENTS_OR_EVIDENCE], "E", O.INFORMATION_GIVEN),
        _entry(d(5, "second"), K.HOLD, F.I_247A, [R.FINAL_ORDER], "F", O.DETAINED, "4"),
        _entry(d(7), K.HOLD, F.I_247A, [R.OTHER], "G", O.DECLINED),
    ]
    entries[3].complaint_reference = linked.reference
    made = [ledger.create(entry, officer) for entry in entries]
    db.session.commit()
    return {"requests": [r.id for r in made], "detention": detention.reference}


def test_the_four_items_worked_out_by_hand(db, calendar, ledger_rows):
    figures = semiannual.compute(periods.parse_period(calendar.first.isoformat()))
    kinds = {k["kind"]: k for k in figures["requests"]["kinds"]}
    # (a) each request once, under the reasons it gave together, by kind.
    assert kinds["hold"]["total"] == 4
    assert kinds["hold"]["reasons"] == [
        {"reasons": ["final_order"], "count": 2},
        {"reasons": ["final_order", "biometric_match"], "count": 1},
        {"reasons": ["other"], "count": 1},
    ]
    assert kinds["administrative_warrant"]["reasons"] == [
        {"reasons": ["removal_proceedings"], "count": 1}
    ]
    assert kinds["notification"]["total"] == 2
    assert figures["requests"]["total"] == 7  # the second period's request is not here
    # (b) people held on a hold or warrant: A (twice, counted once), B (held, then handed
    # over), C; not D, held on a notification request.
    assert figures["detained"] == 3
    # (c) people transferred: A and B.
    assert figures["transferred"] == 2
    # (d) by case.
    assert figures["reimbursements"] == {
        "cases": [
            {"case": "C-1", "amount": "150.25", "requests": 2},
            {"case": "C-2", "amount": "10.00", "requests": 1},
        ],
        "total": "160.25",
    }
    # The complaints received in the period.
    assert figures["complaints"]["total"] == 3
    clauses = {row["key"]: row["count"] for row in figures["complaints"]["by_clause"]}
    assert clauses["2c"] == clauses["2d"] == clauses["2e"] == 1


def test_cross_check_lists_what_to_follow_up(db, calendar, ledger_rows):
    check = semiannual.cross_check(periods.parse_period(calendar.first.isoformat()))
    # The 2c complaint has no ledger entry; the 2e one is linked; the 2d one alleges neither.
    assert [c.reference for c in check.complaints] == [ledger_rows["detention"]]
    ids = ledger_rows["requests"]
    # Held past release with no complaint: the first, third and fifth; the fourth is linked,
    # the second was held 0 hours, the seventh is in the next period.
    assert [r.id for r in check.requests] == [ids[0], ids[2], ids[4]]


def test_office_report_page_shows_figures_and_cross_check(staff_client, calendar, ledger_rows):
    supervisor = staff_client(Role.SUPERVISOR)
    page = supervisor.get(f"/staff/reports/semiannual/{calendar.first}").get_data(as_text=True)
    assert "(a) Holds, administrative warrants and notification requests" in page
    assert "A final order of removal; A fingerprint match with federal records" in page
    assert "150.25" in page and "160.25" in page
    assert "For follow-up by the office (never published)" in page
    assert ledger_rows["detention"] in page
    assert "Finalise and publish this report" in page
    records = staff_client(Role.RECORDS)
    assert "Finalise and publish" not in records.get(
        f"/staff/reports/semiannual/{calendar.first}"
    ).get_data(as_text=True)


def _finalise(client, period) -> object:
    page = client.get(f"/staff/reports/semiannual/{period}").get_data(as_text=True)
    token = hidden_fields(page)["csrf_token"]
    return client.post(f"/staff/reports/semiannual/{period}/finalise", data={"csrf_token": token})


def test_finalise_lock_and_amend(db, app, staff_client, calendar, ledger_rows):
    supervisor, records = staff_client(Role.SUPERVISOR), staff_client(Role.RECORDS)
    # Records officers cannot finalise; a running period cannot be finalised.
    assert _finalise(records, calendar.first).status_code == HTTPStatus.FORBIDDEN
    response = _finalise(supervisor, calendar.second)
    assert "is not over yet" in supervisor.get(response.headers["Location"]).get_data(as_text=True)
    response = _finalise(supervisor, calendar.first)
    assert response.status_code == HTTPStatus.SEE_OTHER
    db.session.expire_all()
    snapshot = db.session.get(ReportPeriod, calendar.first).snapshot
    assert snapshot["detained"] == 3 and snapshot["transferred"] == 2

    # Locked: a records officer is refused, and told why, both for a new entry and an edit.
    ids = ledger_rows["requests"]
    url = f"/staff/federal-requests/{ids[5]}"
    assert "Ask a supervisor" in records.get(url).get_data(as_text=True)
    refused = post_entry(
        records,
        url,
        received_on=calendar.day(6).isoformat(),
        kind="notification",
        form="other",
        outcome="transferred",
        detained_hours="0",
        booking_number="",
    )
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "finalised, so its entries are locked" in refused.get_data(as_text=True)
    late = post_entry(records, received_on=calendar.day(9).isoformat(), booking_number="Z")
    assert "finalised, so its entries are locked" in late.get_data(as_text=True)

    # A supervisor may amend, but only with a reason.
    change = {
        "received_on": calendar.day(6).isoformat(),
        "kind": "notification",
        "form": "other",
        "reasons": ["statements_or_evidence"],
        "outcome": "transferred",
        "detained_hours": "0",
        "booking_number": "",
    }
    no_reason = post_entry(supervisor, url, **change)
    assert no_reason.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="amendment_reason-error"' in no_reason.get_data(as_text=True)
    done = post_entry(supervisor, url, amendment_reason="Police log corrected on review.", **change)
    assert done.status_code == HTTPStatus.SEE_OTHER
    db.session.expire_all()
    (amendment,) = db.session.execute(select(LedgerAmendment)).scalars()
    assert amendment.changed == ["outcome", "detained_hours"]
    assert amendment.reason == "Police log corrected on review."

    # The report keeps the finalised figures and shows the amendment and the amended ones.
    result = semiannual.report(periods.parse_period(calendar.first.isoformat()))
    assert result.figures["transferred"] == 2
    assert result.amended["transferred"] == 3
    page = supervisor.get(f"/staff/reports/semiannual/{calendar.first}").get_data(as_text=True)
    assert "Amendments after finalising" in page and "Figures as amended" in page
    assert "Police log corrected on review." in page
    public = app.test_client().get(f"/reports/{calendar.first}").get_data(as_text=True)
    assert "Amendments after finalising" in public
    assert "Police log corrected" not in public  # reasons stay with the office

    # A request missed before finalising is added by a supervisor, with a reason.
    added = post_entry(
        supervisor,
        received_on=calendar.day(9).isoformat(),
        booking_number="Z",
        amendment_reason="Found in the March paper log.",
    )
    assert added.status_code == HTTPStatus.SEE_OTHER
    db.session.expire_all()
    latest = (
        db.session.execute(select(LedgerAmendment).order_by(LedgerAmendment.id.desc()))
        .scalars()
        .first()
    )
    assert latest.changed == ["created"] and latest.period_start == calendar.first


def test_public_reports_show_only_finalised_periods_with_small_counts_hidden(
    db, app, calendar, ledger_rows
):
    visitor = app.test_client()
    assert "No report has been published yet." in visitor.get("/reports").get_data(as_text=True)
    assert visitor.get(f"/reports/{calendar.first}").status_code == HTTPStatus.NOT_FOUND
    supervisor = quick_user(db, Role.SUPERVISOR, "lead@ledger.example")
    semiannual.finalise(periods.parse_period(calendar.first.isoformat()), supervisor)
    db.session.commit()
    listing = visitor.get("/reports").get_data(as_text=True)
    assert f'href="/reports/{calendar.first}"' in listing
    assert f'href="/reports/{calendar.second}"' not in listing
    assert visitor.get(f"/reports/{calendar.second}").status_code == HTTPStatus.NOT_FOUND
    page = visitor.get(f"/reports/{calendar.first}")
    body = page.get_data(as_text=True)
    assert "css/print.css" in body and 'media="print"' in body
    assert "fewer than 5" in body  # every count here is small
    assert "160.25" in body  # amounts are published
    assert "For follow-up" not in body and ledger_rows["detention"] not in body
    # Complaint figures are published once, on /stats, under one suppression pattern.
    assert "Complaints by where they stand" not in body
    assert f'href="/stats?period={calendar.first}"' in body
    data = json.loads(visitor.get(f"/reports/{calendar.first}?format=json").get_data())
    assert data["figures"]["detained"] == {"value": None, "hidden": "small"}
    assert data["figures"]["requests"]["total"] == {"value": 7, "hidden": None}
    assert "complaints" not in data["figures"]
    rows = list(
        csv.reader(
            io.StringIO(visitor.get(f"/reports/{calendar.first}?format=csv").get_data(as_text=True))
        )
    )
    assert rows[0] == ["section", "item", "kind", "detail", "value", "note"]
    detained = next(r for r in rows if r[1] == "individuals_detained")
    assert detained[4] == "" and detained[5] == "fewer than 5"
    assert ["d", "reimbursement", "", "C-1", "150.25", "USD"] in rows


def test_published_counts_equal_the_offices_when_none_is_small(db, app, calendar, ledger_rows):
    # Which cells a small threshold hides is the suppression module's business (tested in
    # tests/public_stats); here: with nothing below the threshold, the public figures are the
    # office's figures, unchanged.
    app.config["SUPPRESSION_THRESHOLD"], old = 1, app.config["SUPPRESSION_THRESHOLD"]
    try:
        shown = semiannual.published(
            semiannual.compute(periods.parse_period(calendar.first.isoformat()))
        )
    finally:
        app.config["SUPPRESSION_THRESHOLD"] = old
    assert shown["detained"] == {"value": 3, "hidden": None}
    assert shown["requests"]["total"] == {"value": 7, "hidden": None}
    hold = shown["requests"]["kinds"][0]
    assert all(reason["count"]["hidden"] is None for reason in hold["reasons"])


def test_cli_periods_and_report_in_three_formats(db, app, calendar, ledger_rows, tmp_path):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["report", "periods"])
    assert listed.exit_code == 0
    assert f"{calendar.first}" in listed.output and "complete" in listed.output
    assert f"{calendar.second}" in listed.output and "open" in listed.output
    as_json = runner.invoke(
        args=["report", "semiannual", "--period", str(calendar.first), "--format", "json"]
    )
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["state"] == "complete"
    assert data["figures"]["detained"] == 3 and data["figures"]["transferred"] == 2
    as_csv = runner.invoke(
        args=["report", "semiannual", "--period", str(calendar.first), "--format", "csv"]
    )
    rows = list(csv.reader(io.StringIO(as_csv.output)))
    assert ["c", "individuals_transferred", "", "", "2", ""] in rows
    out = tmp_path / "report.html"
    as_html = runner.invoke(
        args=["report", "semiannual", "--period", str(calendar.first), "--output", str(out)]
    )
    assert as_html.exit_code == 0
    html = out.read_text()
    assert html.startswith("<!doctype html>") and "<style>" in html and "&#34;" not in html
    assert "(c) Individuals transferred to ICE custody" in html and "160.25" in html
    public = runner.invoke(
        args=[
            "report",
            "semiannual",
            "--period",
            str(calendar.first),
            "--format",
            "csv",
            "--public",
        ]
    )
    assert "fewer than 5" in public.output
    printed = runner.invoke(
        args=["report", "semiannual", "--period", str(calendar.first), "--public"]
    )
    assert printed.exit_code == 0, printed.output
    assert f'href="/stats?period={calendar.first}"' in printed.output
    bad = runner.invoke(args=["report", "semiannual", "--period", "2026-02-30"])
    assert bad.exit_code == 2
    assert "is not a reporting period" in bad.output and str(calendar.first) in bad.output


def test_ledger_changes_are_audit_events_that_verify(db, app, calendar, ledger_rows):
    # The fixture's cases were written without a timeline: give each its first event.
    for complaint in db.session.execute(select(Complaint)).scalars():
        audit.record(complaint, EventKind.SUBMITTED)
    supervisor = quick_user(db, Role.SUPERVISOR, "lead@ledger.example")
    period = periods.parse_period(calendar.first.isoformat())
    semiannual.finalise(period, supervisor)
    request = db.session.get(FederalRequest, ledger_rows["requests"][7])
    entry = _entry(calendar.day(7), K.HOLD, F.I_247A, [R.OTHER], "", O.DECLINED)
    entry.reimbursement_amount, entry.reimbursement_case = Decimal("5"), "C-9"
    entry.amendment_reason = "Payment found later."
    assert ledger.update(request, entry, supervisor) == [
        "reimbursement_amount",
        "reimbursement_case",
    ]
    db.session.commit()
    runner = app.test_cli_runner()
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    with db.engine.begin() as conn:
        kinds = [
            row[0] for row in conn.execute(sa.text("SELECT kind FROM ledger_event ORDER BY seq"))
        ]
        assert kinds == ["created"] * 8 + ["finalised", "edited", "amended"]
        dump = " ".join(str(r) for r in conn.execute(sa.text("SELECT data FROM ledger_event")))
        assert "Payment found later" not in dump and '"A"' not in dump
        conn.execute(
            sa.text("UPDATE ledger_event SET data = :d WHERE seq = 10"),
            {"d": json.dumps({"changed": ["notes"]})},
        )
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "Audit chain ledger broken at event seq 10" in broken.output


def test_a_small_count_is_not_given_away_by_the_totals_beside_it(app, db):
    def kind(name: str, counts: list[int]) -> dict:
        rows = [{"reasons": [f"r{i}"], "count": n} for i, n in enumerate(counts)]
        return {"kind": name, "total": sum(counts), "reasons": rows}

    figures = {
        "requests": {
            "total": 40,
            "kinds": [kind("hold", [7, 2, 6]), kind("notification", [12, 13])],
        },
        "detained": 9,
        "transferred": 6,
        "reimbursements": {"cases": [], "total": "0.00"},
    }
    shown = semiannual.published(figures)
    hold = [row["count"] for row in shown["requests"]["kinds"][0]["reasons"]]
    assert hold[1] == {"value": None, "hidden": "small"}
    # 7 + 2 + 6 = 15 is published: one more of the row is hidden so the 2 cannot be worked out.
    assert sum(1 for cell in hold if cell["hidden"] == "complementary") >= 1
    assert shown["requests"]["kinds"][1]["reasons"][0]["count"] == {"value": 12, "hidden": None}
    assert shown["detained"] == {"value": 9, "hidden": None}
