"""``demo-data``: synthetic cases that look and behave like real ones, the same for the
same seed, never mixed into real casework by accident."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from complaints_app import demo, uow
from complaints_app.models import (
    Agency,
    Allegation,
    AuditChainHead,
    CaseEvent,
    Channel,
    Clause,
    ClosureReason,
    Complaint,
    DemoRun,
    Disposition,
    EventKind,
    FederalRequest,
    RequestOutcome,
    Role,
    Status,
    User,
)
from complaints_app.services import audit, catalogue
from tests.staff.conftest import file_complaint

AS_OF = date(2026, 11, 20)


def _generate(cases: int, seed: int = 7, **kwargs) -> demo.Summary:
    kwargs.setdefault("workers", 1)
    return demo.generate(cases, seed, as_of=AS_OF, **kwargs)


def _visible_digest() -> str:
    """A digest of everything a person could read in the demo data: plain columns and the
    opened sealed text, with rows named by what people see (references, emails, clause
    codes) rather than by ciphertexts or keyed hashes, which differ on every run."""
    session = demo.db.session
    emails = dict(session.execute(sa.select(User.id, User.email)).all())
    codes = dict(session.execute(sa.select(Clause.id, Clause.code)).all())
    references = dict(session.execute(sa.select(Complaint.id, Complaint.reference)).all())
    lines = []
    for c in session.execute(sa.select(Complaint).order_by(Complaint.id)).scalars():
        lines.append(
            [
                c.reference,
                c.channel.value,
                c.status.value,
                c.closure_reason and c.closure_reason.value,
                c.incident_date,
                c.agency.value,
                c.urgent,
                c.anonymous,
                c.received_at,
                c.ack_due_at,
                c.acknowledged_at,
                c.screened_in_at,
                c.investigation_due_at,
                c.closed_at,
                emails.get(c.assignee_id),
                emails.get(c.filed_by_id),
                c.narrative,
                c.incident_place,
                c.incident_time,
                c.contact_json,
                c.findings_summary,
            ]
        )
        for a in c.allegations:
            disposition = a.disposition and a.disposition.value
            clause = codes.get(a.clause_id)
            lines.append([clause, a.clause_confirmed, a.summary, a.subject, a.facts, disposition])
    for e in session.execute(
        sa.select(CaseEvent).order_by(CaseEvent.complaint_id, CaseEvent.seq)
    ).scalars():
        actor = emails.get(e.actor_id)
        data = dict(e.data or {})
        if e.kind.value == "assigned":  # user ids, like complaint ids, depend on sequences
            data = {k: emails.get(v, v) for k, v in data.items()}
        lines.append([e.seq, e.kind.value, e.visibility.value, actor, e.created_at, data, e.body])
    for r in session.execute(sa.select(FederalRequest).order_by(FederalRequest.id)).scalars():
        kind, form, outcome = r.kind.value, r.form.value, r.outcome.value
        money = (r.reimbursement_amount, r.reimbursement_case)
        lines.append([r.received_on, kind, form, r.reason_given, outcome, r.detained_hours, *money])
        # By reference: ids come from sequences, which other tests have moved on PostgreSQL.
        lines.append(references.get(r.complaint_id))
    text = json.dumps(lines, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _seed_current_catalogue() -> None:
    catalogue.seed()
    uow.commit()


def test_same_seed_writes_the_same_cases_in_another_database_even_built_in_parallel(
    app, db, unseeded_app
):
    with app.app_context():
        first = _generate(120, seed=3, batch_size=25)
        digest = _visible_digest()
    _seed_current_catalogue()
    second = demo.generate(120, 3, as_of=AS_OF, workers=2, batch_size=25)
    assert _visible_digest() == digest
    assert (second.first_reference, second.last_reference) == (
        first.first_reference,
        first.last_reference,
    )
    assert second.by_status == first.by_status


def test_another_seed_writes_other_cases(app, db, unseeded_app):
    with app.app_context():
        _generate(60, seed=3)
        digest = _visible_digest()
    _seed_current_catalogue()
    demo.generate(60, 4, as_of=AS_OF, workers=1)
    assert _visible_digest() != digest


def test_three_hundred_cases_hold_every_status_reason_disposition_channel_and_agency(db):
    _generate(300)
    session = db.session

    def present(column) -> set:
        return set(session.execute(sa.select(column).distinct()).scalars())

    assert present(Complaint.status) == set(Status)
    assert present(Complaint.closure_reason) - {None} == set(ClosureReason)
    assert present(Allegation.disposition) - {None} == set(Disposition)
    assert present(Complaint.channel) == set(Channel)
    assert present(Complaint.agency) == set(Agency)
    assert present(Complaint.urgent) == {True, False}
    eligible = set(session.execute(sa.select(Clause.id).where(Clause.complaint_eligible)).scalars())
    assert present(Allegation.clause_id) - {None} <= eligible
    per_case = session.execute(
        sa.select(sa.func.count(Allegation.id)).group_by(Allegation.complaint_id)
    ).scalars()
    assert set(per_case) == {1, 2, 3}


def test_cases_spread_over_reporting_periods_with_overdue_and_waiting_cases(db):
    from complaints_app.services.periods import period_of_moment

    _generate(300)
    received = db.session.execute(sa.select(Complaint.received_at)).scalars().all()
    assert {period_of_moment(moment).name for moment in received} == {
        "2026-01-01",
        "2026-07-01",
    }
    now = demo.city_noon_utc(AS_OF, demo.city_tz())
    overdue = db.session.execute(
        sa.select(sa.func.count(Complaint.id)).where(
            Complaint.status == Status.SUBMITTED, Complaint.ack_due_at < now
        )
    ).scalar_one()
    assert overdue > 0
    waiting = db.session.execute(
        sa.select(Complaint.status).where(Complaint.waiting_since.is_not(None))
    ).scalars()
    assert set(waiting) == {Status.INVESTIGATION}
    closed = db.session.execute(
        sa.select(Complaint.received_at, Complaint.acknowledged_at, Complaint.closed_at).where(
            Complaint.status == Status.CLOSED
        )
    ).all()
    assert all(r.received_at <= (r.acknowledged_at or r.closed_at) <= r.closed_at for r in closed)
    assert all(r.closed_at <= now for r in closed)


def test_audit_verify_passes_on_demo_data(app, db):
    _generate(150)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    heads = db.session.execute(sa.select(sa.func.count(AuditChainHead.name))).scalar_one()
    assert heads == 150 + 1  # every case's chain, and the accounts chain of the demo staff


def test_a_changed_demo_event_is_caught_by_audit_verify(app, db):
    _generate(20)
    db.session.execute(
        sa.update(CaseEvent)
        .where(CaseEvent.id == sa.select(sa.func.min(CaseEvent.id)).scalar_subquery())
        .values(visibility="internal")
    )
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "contents changed" in result.output


def test_bulk_chain_functions_give_what_the_audit_service_gives(db):
    linker = audit.bulk_linker()
    fields = [1, 5, "note", "internal", "staff", 3, "2026-03-01T10:00:00+00:00", {"a": 1}, None]
    assert linker.link("case:5", fields, audit.GENESIS) == audit.link_hash(
        "case:5", fields, audit.GENESIS
    )
    assert linker.head("case:5", 4, "ab" * 32) == audit.head_mac("case:5", 4, "ab" * 32)
    assert linker.body("Hello") == audit.body_digest("Hello")


def test_sealed_text_opens_to_readable_text(db):
    _generate(40)
    complaints = db.session.execute(sa.select(Complaint)).scalars().all()
    raw = db.session.execute(sa.select(Complaint.narrative_ct)).scalars().all()
    assert all(value.startswith("v1:") for value in raw)
    assert all(c.narrative and c.narrative.isprintable() for c in complaints)
    assert all(c.incident_place for c in complaints)
    named = [json.loads(c.contact_json) for c in complaints if not c.anonymous]
    assert named and all(contact["name"] for contact in named)
    messages = db.session.execute(
        sa.select(CaseEvent).where(CaseEvent.kind == EventKind.MESSAGE_TO_COMPLAINANT)
    ).scalars()
    bodies = [event.body for event in messages]
    assert bodies and all(body.strip() for body in bodies)
    references = {c.reference for c in complaints}
    acknowledgements = [b for b in bodies if "Reference:" in b]
    assert acknowledgements
    assert all(b.rsplit("Reference: ", 1)[1].rstrip(".") in references for b in acknowledgements)
    summaries = db.session.execute(sa.select(Allegation)).scalars().all()
    assert all(a.summary for a in summaries)


def test_ledger_entries_count_people_who_had_several_requests(db):
    summary = _generate(300)
    rows = db.session.execute(sa.select(FederalRequest)).scalars().all()
    assert len(rows) == summary.federal_requests > 50
    keys = [r.person_key for r in rows]
    assert len(set(keys)) < len(keys)
    assert all(key and "BK-" not in key for key in keys)
    assert any(r.complaint_id is not None for r in rows)
    held = (RequestOutcome.DETAINED, RequestOutcome.TRANSFERRED)
    assert all((r.detained_hours is not None) == (r.outcome in held) for r in rows)
    assert {r.outcome for r in rows} == set(RequestOutcome)


def test_advocate_filings_name_the_organisation_the_advocate_and_the_consent(db):
    _generate(200)
    advocates = {
        u.id: u.organisation_id
        for u in db.session.execute(sa.select(User).where(User.role == Role.ADVOCATE)).scalars()
    }
    filed = (
        db.session.execute(sa.select(Complaint).where(Complaint.channel == Channel.ADVOCATE))
        .scalars()
        .all()
    )
    assert filed
    for complaint in filed:
        assert complaint.organisation_id is not None
        assert advocates[complaint.filed_by_id] == complaint.organisation_id
        assert complaint.consent_attested_at == complaint.received_at
        assert not complaint.anonymous
    others = db.session.execute(
        sa.select(sa.func.count(Complaint.id)).where(
            Complaint.channel != Channel.ADVOCATE, Complaint.organisation_id.is_not(None)
        )
    ).scalar_one()
    assert others == 0


def test_existing_organisations_file_the_advocate_cases(db, make_user):
    advocate = make_user(Role.ADVOCATE)
    _generate(100)
    organisations = set(
        db.session.execute(
            sa.select(Complaint.organisation_id).where(Complaint.organisation_id.is_not(None))
        ).scalars()
    )
    assert organisations == {advocate.organisation_id}


def test_refuses_a_database_with_real_cases_unless_forced(app, db):
    real = file_complaint(db)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["demo-data", "--cases", "10", "--as-of", "2026-11-20"])
    assert refused.exit_code == 1
    assert "1 cases that demo-data did not make" in refused.output
    assert db.session.execute(sa.select(sa.func.count(Complaint.id))).scalar_one() == 1
    assert db.session.execute(sa.select(sa.func.count(DemoRun.id))).scalar_one() == 0

    forced = runner.invoke(args=["demo-data", "--cases", "10", "--as-of", "2026-11-20", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "Wrote 10 cases" in forced.output
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(Complaint.id))).scalar_one() == 11
    assert demo.cases_not_made_here() == 1
    assert db.session.get(Complaint, real.id).narrative.startswith("I was kept overnight")


def test_a_second_run_adds_cases_after_the_first(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-data", "--cases", "30", "--as-of", "2026-11-20"])
    second = runner.invoke(args=["demo-data", "--cases", "20", "--seed", "2"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    db.session.rollback()
    runs = db.session.execute(sa.select(DemoRun).order_by(DemoRun.id)).scalars().all()
    assert [(r.cases, r.seed) for r in runs] == [(30, 0), (20, 2)]
    assert runs[1].first_complaint_id == runs[0].last_complaint_id + 1
    references = db.session.execute(sa.select(Complaint.reference)).scalars().all()
    assert len(references) == len(set(references)) == 50
    assert demo.cases_not_made_here() == 0


def test_a_real_filing_after_demo_data_gets_the_next_reference(db):
    summary = _generate(50)
    real = file_complaint(db)
    year = real.reference_year
    demo_numbers = db.session.execute(
        sa.select(Complaint.reference_number).where(
            Complaint.reference_year == year, Complaint.id != real.id
        )
    ).scalars()
    assert real.reference_number == max(demo_numbers) + 1
    assert real.id == db.session.execute(sa.select(sa.func.max(Complaint.id))).scalar_one()
    assert summary.last_reference != real.reference


def test_sample_tracking_code_opens_the_case_on_the_track_page(db):
    from complaints_app.services import tracking

    summary = _generate(40)
    reference, code = summary.sample_tracking
    found = tracking.find_case(reference, code)
    assert found is not None and found.reference == reference


def test_staff_open_a_demo_case_page(app, db, signed_in):
    client, _supervisor = signed_in(Role.SUPERVISOR)
    _generate(30)
    reference = db.session.execute(
        sa.select(Complaint.reference).where(Complaint.status == Status.CLOSED).limit(1)
    ).scalar_one()
    db.session.rollback()
    page = client.get(f"/staff/cases/{reference}")
    assert page.status_code == HTTPStatus.OK
    assert reference in page.get_data(as_text=True)


def test_refuses_an_as_of_day_before_reporting_starts(db):
    with pytest.raises(demo.DemoRefused, match="REPORTING_START"):
        demo.generate(5, as_of=date(2025, 12, 1), workers=1)


def test_statistics_count_the_demo_cases(db):
    """Demo rows go around the ORM; the stored counts the statistics read are recounted at
    the end, so the dashboard's figures are those of the cases themselves."""
    from complaints_app.models import StatBasis
    from complaints_app.services import stat_summary, statistics

    _generate(300)
    assert stat_summary.is_current()
    now = demo.city_noon_utc(AS_OF, demo.city_tz())
    stored = [(t.key, t.rows) for t in statistics.dashboard(None, now=now)]
    db.session.execute(sa.delete(StatBasis))
    db.session.flush()
    assert not stat_summary.is_current()
    assert [(t.key, t.rows) for t in statistics.dashboard(None, now=now)] == stored
    by_status = next(rows for key, rows in stored if key == "complaints_by_status")
    assert sum(row.values["complaints"] for row in by_status) == 300
