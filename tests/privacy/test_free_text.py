"""Free text that can identify someone is sealed at rest: a database dump shows none of it,
while staff still read it, the retention purge removes it and key rotation re-seals it."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from complaints_app.crypto import new_key
from complaints_app.models import Allegation, Complaint, Role
from complaints_app.services import accounts, casework, workflow
from complaints_app.timeutil import utcnow
from tests.helpers import hidden_fields, post_complaint, receipt_of, valid_complaint
from tests.privacy.test_encryption import database_dump

PASSWORD = "a perfectly fine passphrase"

# Typed on the public form.
FORM_MARKERS = {
    "incident_place": "Place-marker-HM31 12 Elm Street apt 4",
    "incident_time": "Time-marker-RT09",
    "agency_detail": "Unit-marker-DQ27 night shift",
    "officers": "Officer-marker-VB52 badge 8812",
    "narrative": "Narrative-marker-NX64 they held me for ICE",
    "contact_name": "Name-marker-CK18",
    "contact_email": "email-marker-ee40@example.org",
    "contact_postal": "Postal-marker-PP73 9 Oak Lane",
    "contact_best_time": "Besttime-marker-BT11",
}
# Typed by staff on the case page, or set by a service.
STAFF_MARKERS = {
    "subject": "Subject-marker-SJ85 Sgt Doe",
    "ice_access": "Access-marker-IA46 interview room",
    "summary": "Summary-marker-SM22",
    "hold_reason": "Hold-marker-LH90 Doe v. City",
}
ALL_MARKERS = {**FORM_MARKERS, **STAFF_MARKERS}


def _sign_in(app, email: str):
    browser = app.test_client()
    hidden = hidden_fields(browser.get("/login").get_data(as_text=True))
    done = browser.post("/login", data={**hidden, "email": email, "password": PASSWORD})
    assert done.status_code == HTTPStatus.SEE_OTHER
    return browser


def _file_and_edit(app, client, db) -> str:
    """File through the public form, then edit the 2e allegation through the staff form."""
    data = valid_complaint(
        what_happened=["held_for_ice", "ice_access"],
        contact_method="email",
        **FORM_MARKERS,
    )
    reference, _code = receipt_of(post_complaint(client, data))
    accounts.create_user("sup@office.example", Role.SUPERVISOR, PASSWORD)
    db.session.commit()
    staff = _sign_in(app, "sup@office.example")
    page = staff.get(f"/staff/cases/{reference}").get_data(as_text=True)
    access = next(
        a
        for a in db.session.execute(select(Allegation)).scalars()
        if a.clause and a.clause.code == "2e"
    )
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    saved = staff.post(
        f"/staff/cases/{reference}/allegations/{access.id}",
        data={
            "csrf_token": hidden_fields(page)["csrf_token"],
            f"a{access.id}-version": version,
            f"a{access.id}-clause": "2e",
            f"a{access.id}-subject": STAFF_MARKERS["subject"],
            f"a{access.id}-ice_access": STAFF_MARKERS["ice_access"],
            f"a{access.id}-copy_given": "no",
            f"a{access.id}-reason": "Jail log",
        },
    )
    assert saved.status_code == HTTPStatus.SEE_OTHER, saved.get_data(as_text=True)[-1500:]
    # No form sets an allegation's summary yet: the model is the way in.
    db.session.expire_all()
    access = db.session.get(Allegation, access.id)
    access.summary = STAFF_MARKERS["summary"]
    db.session.commit()
    return reference


def _dump(app, db) -> bytes:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return database_dump(app)


def _complaint(db, reference: str) -> Complaint:
    db.session.expire_all()
    return db.session.execute(
        select(Complaint).where(Complaint.reference == reference)
    ).scalar_one()


def _assert_staff_page_shows_free_text(app, reference: str) -> None:
    page = _sign_in(app, "sup@office.example").get(f"/staff/cases/{reference}")
    assert page.status_code == HTTPStatus.OK
    html = page.get_data(as_text=True)
    for label in ("incident_place", "incident_time", "agency_detail", "narrative"):
        assert FORM_MARKERS[label] in html, label
    for label in ("subject", "ice_access"):
        assert STAFF_MARKERS[label] in html, label


def test_no_free_text_reaches_the_database_in_plain(app, client, db):
    reference = _file_and_edit(app, client, db)
    dump = _dump(app, db)
    assert reference.encode() in dump  # the dump is of the right database
    for label, marker in ALL_MARKERS.items():
        if label == "hold_reason":
            continue
        assert marker.encode() not in dump, f"{label} in the database dump"
    # The first allegation (2c) was given the form's "officers" text as its subject.
    complaint = _complaint(db, reference)
    assert {a.subject for a in complaint.allegations} == {
        FORM_MARKERS["officers"],
        STAFF_MARKERS["subject"],
    }
    access = next(a for a in complaint.allegations if a.clause.code == "2e")
    assert access.facts == {"ice_access": STAFF_MARKERS["ice_access"], "copy_given": "no"}
    # Statistics keep the yes/no answers in plain; the free text is not among them.
    assert access.plain_facts == {"copy_given": "no"}
    _assert_staff_page_shows_free_text(app, reference)


@pytest.mark.parametrize(
    "value",
    ["1 Main St", "", "ünïcödé – 東京 🙂", "x" * 300, '{"json": "looking"}'],
    ids=["plain", "empty", "unicode", "longest", "json-like"],
)
def test_each_free_text_attribute_round_trips_through_its_sealed_column(db, value):
    complaint = Complaint(reference="TA-2026-9999")
    allegation = Allegation()
    for obj, names in (
        (complaint, ("incident_place", "incident_time", "agency_detail", "legal_hold_reason")),
        (allegation, ("subject", "summary")),
    ):
        for name in names:
            setattr(obj, name, value)
            assert getattr(obj, name) == value
            stored = getattr(obj, f"{name}_ct")
            assert stored.startswith("v1:") and (not value or value not in stored)
    # Any fact not known to be a yes/no answer or a number is sealed, whatever its name.
    every = {"ice_access": value, "other_text": value, "custody_extended_hours": 3}
    allegation.facts = every
    assert allegation.plain_facts == {"custody_extended_hours": 3}
    assert allegation.facts == every
    assert value == "" or value not in (allegation.facts_text_ct or "")


def test_legal_hold_reason_is_sealed_and_shown_to_the_admin(app, client, db):
    reference, _ = receipt_of(post_complaint(client, valid_complaint()))
    admin = accounts.create_user("admin@office.example", Role.ADMIN, PASSWORD)
    casework.set_legal_hold(_complaint(db, reference), admin, True, STAFF_MARKERS["hold_reason"])
    db.session.commit()
    assert STAFF_MARKERS["hold_reason"].encode() not in _dump(app, db)
    page = _sign_in(app, "admin@office.example").get("/admin/legal-holds")
    assert page.status_code == HTTPStatus.OK
    assert STAFF_MARKERS["hold_reason"] in page.get_data(as_text=True)


def test_purge_clears_every_sealed_free_text_column(app, client, db):
    reference = _file_and_edit(app, client, db)
    complaint = _complaint(db, reference)
    workflow.withdraw_by_complainant(complaint)
    complaint.closed_at = utcnow() - timedelta(days=app.config["RETENTION_DAYS"] + 1)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output

    complaint = _complaint(db, reference)
    assert complaint.purged_at is not None
    for name in ("incident_place", "incident_time", "agency_detail"):
        assert getattr(complaint, f"{name}_ct") is None, name
    for allegation in complaint.allegations:
        assert allegation.subject_ct is None and allegation.summary_ct is None
        assert allegation.facts_text_ct is None
    access = next(a for a in complaint.allegations if a.clause.code == "2e")
    assert access.facts == {"copy_given": "no"}  # the yes/no answer stays for statistics
    for table, column in (("complaint", "incident_place_ct"), ("allegation", "subject_ct")):
        left = db.session.execute(
            sa.text(f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL")
        ).scalar_one()
        assert left == 0, f"{table}.{column}"


def test_key_rotation_reseals_the_free_text(app, client, db):
    reference = _file_and_edit(app, client, db)
    old_keys = list(app.config["ENCRYPTION_KEYS"])
    app.config["ENCRYPTION_KEYS"] = [new_key(), *old_keys]
    app.extensions.pop("complaints_keys", None)
    try:
        result = app.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        # Only the new key is needed from now on.
        app.config["ENCRYPTION_KEYS"] = app.config["ENCRYPTION_KEYS"][:1]
        app.extensions.pop("complaints_keys", None)
        complaint = _complaint(db, reference)
        assert complaint.incident_place == FORM_MARKERS["incident_place"]
        assert complaint.incident_time == FORM_MARKERS["incident_time"]
        assert complaint.agency_detail == FORM_MARKERS["agency_detail"]
        access = next(a for a in complaint.allegations if a.clause.code == "2e")
        assert access.subject == STAFF_MARKERS["subject"]
        assert access.summary == STAFF_MARKERS["summary"]
        assert access.facts["ice_access"] == STAFF_MARKERS["ice_access"]
        db.session.rollback()
        _assert_staff_page_shows_free_text(app, reference)
    finally:
        app.config["ENCRYPTION_KEYS"] = old_keys
        app.extensions.pop("complaints_keys", None)
