"""Retention: personal data leaves closed cases after RETENTION_DAYS; statistics stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from complaints_app.models import (
    Attachment,
    CaseEvent,
    Complaint,
    Disposition,
    EventKind,
    Role,
    Status,
)
from complaints_app.services import accounts, audit, casework, uploads, workflow
from complaints_app.timeutil import utcnow
from tests.helpers import (
    jpeg_with_gps,
    post_complaint,
    receipt_of,
    sign_in_to_case,
    valid_complaint,
)


def close(db, reference: str, days_ago: int) -> Complaint:
    complaint = db.session.execute(
        select(Complaint).where(Complaint.reference == reference)
    ).scalar_one()
    workflow.withdraw_by_complainant(complaint)
    # Move the clock: the case closed this long ago.
    complaint.closed_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return complaint


def file_case(client, narrative: str) -> tuple[str, str]:
    return receipt_of(
        post_complaint(
            client, valid_complaint(narrative=narrative), files=[(jpeg_with_gps(), "p.jpg")]
        )
    )


def test_purge_removes_personal_data_and_keeps_statistics(app, client, db, upload_dir):
    days = app.config["RETENTION_DAYS"]
    old_ref, old_code = file_case(client, "Old narrative to be purged")
    recent_ref, _ = file_case(client, "Recent narrative stays")
    old = close(db, old_ref, days + 1)
    close(db, recent_ref, days - 1)
    old_key = db.session.execute(
        select(Attachment.storage_key).where(Attachment.complaint_id == old.id)
    ).scalar_one()

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert old_ref in dry.output and recent_ref not in dry.output
    assert "1 case(s) would be purged" in dry.output
    db.session.expire_all()
    assert db.session.get(Complaint, old.id).narrative_ct is not None  # dry run changed nothing

    result = runner.invoke(args=["retention", "purge"])
    assert result.exit_code == 0 and "Purged 1 case(s)" in result.output
    db.session.expire_all()
    purged = db.session.get(Complaint, old.id)
    assert purged.purged_at is not None
    assert purged.narrative_ct is None and purged.contact_ct is None
    assert purged.contact_email_hash is None and purged.incident_place is None
    # What statistics need survives.
    assert purged.status == Status.CLOSED and purged.agency is not None
    assert purged.incident_date is not None and purged.received_at is not None
    assert [a.disposition for a in purged.allegations] == [Disposition.NO_FINDING] * 2
    assert [a.clause.code for a in purged.allegations]
    assert not (upload_dir / old_key[:2] / old_key).exists()
    bodies = db.session.execute(
        select(CaseEvent.body_ct).where(CaseEvent.complaint_id == old.id)
    ).scalars()
    assert all(b is None for b in bodies)
    kinds = (
        db.session.execute(select(CaseEvent.kind).where(CaseEvent.complaint_id == old.id))
        .scalars()
        .all()
    )
    assert EventKind.PURGED in kinds
    assert list(audit.verify()) == []  # the chain survives the purge
    # The recent case is untouched, and the purged one can no longer be opened by code.
    recent = db.session.execute(
        select(Complaint).where(Complaint.reference == recent_ref)
    ).scalar_one()
    assert recent.narrative == "Recent narrative stays"
    assert sign_in_to_case(app.test_client(), old_ref, old_code).status_code == 422
    with app.test_request_context():
        assert uploads.read(recent.attachments[0].storage_key)


def test_legal_hold_exempts_a_case(app, client, db):
    ref, _ = file_case(client, "Held narrative")
    complaint = close(db, ref, app.config["RETENTION_DAYS"] + 30)
    supervisor = accounts.create_user(
        "sup@example.org", Role.SUPERVISOR, "a perfectly fine passphrase"
    )
    casework.set_legal_hold(complaint, supervisor, True, "Litigation pending")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert "Purged 0 case(s)" in result.output
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).narrative == "Held narrative"
    hold_events = (
        db.session.execute(select(CaseEvent).where(CaseEvent.kind == EventKind.LEGAL_HOLD))
        .scalars()
        .all()
    )
    assert len(hold_events) == 1 and hold_events[0].body == "Litigation pending"


def test_admin_sets_a_legal_hold_by_reference_without_reading_the_case(app, client, db):
    from http import HTTPStatus

    from tests.helpers import hidden_fields

    ref, _ = file_case(client, "Narrative an admin must not see")
    complaint = close(db, ref, app.config["RETENTION_DAYS"] + 30)
    accounts.create_user("admin@example.org", Role.ADMIN, "a perfectly fine passphrase")
    db.session.commit()
    admin = app.test_client()
    hidden = hidden_fields(admin.get("/login").get_data(as_text=True))
    admin.post(
        "/login",
        data={**hidden, "email": "admin@example.org", "password": "a perfectly fine passphrase"},
    )
    page = admin.get("/admin/legal-holds").get_data(as_text=True)
    token = hidden_fields(page)["csrf_token"]
    unknown = admin.post(
        "/admin/legal-holds",
        data={"csrf_token": token, "reference": "TA-1999-0001", "hold": "on", "reason": "x"},
    )
    assert unknown.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "No case with that reference." in unknown.get_data(as_text=True)
    done = admin.post(
        "/admin/legal-holds",
        data={"csrf_token": token, "reference": ref.lower(), "hold": "on", "reason": "Subpoena"},
    )
    assert done.status_code == HTTPStatus.SEE_OTHER
    listing = admin.get("/admin/legal-holds").get_data(as_text=True)
    assert ref in listing and "Subpoena" in listing
    assert "Narrative an admin must not see" not in listing
    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert "Purged 0 case(s)" in result.output
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).legal_hold
