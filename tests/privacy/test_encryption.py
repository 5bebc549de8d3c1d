"""Encryption at rest: a stolen database dump or upload folder shows no complainant's words."""

from __future__ import annotations

import io
import subprocess
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy import select

from complaints_app import uow
from complaints_app.crypto import DecryptionError, new_key, open_text
from complaints_app.models import Attachment, CaseEvent, Complaint, Role
from complaints_app.services import accounts, audit, privacy, uploads
from tests.helpers import (
    hidden_fields,
    post_complaint,
    receipt_of,
    sign_in_to_case,
    sqlite_file_bytes,
    valid_complaint,
)

MARKERS = {
    "narrative": "Narrative-marker-QX71 the deputy held me for ICE",
    "name": "Name-marker-ZB44",
    "email": "email-marker-kk19@example.org",
    "reply": "Reply-marker-PL08 here is more",
    "note": "Note-marker-TT52 internal",
    "message": "Message-marker-MM33 from office",
    "filename": "filename-marker-WQ5.png",
}


def pixel_png() -> bytes:
    out = io.BytesIO()
    # Pixels spelling a marker in raw bytes: only encryption hides them in the stored file.
    img = Image.frombytes("L", (32, 1), b"PIXEL-MARKER-RAW-BYTES-0123456789"[:32])
    img.save(out, "PNG", compress_level=0)
    return out.getvalue()


def full_journey(app, client, db) -> str:
    data = valid_complaint(
        narrative=MARKERS["narrative"],
        contact_name=MARKERS["name"],
        contact_email=MARKERS["email"],
    )
    reference, code = receipt_of(
        post_complaint(client, data, files=[(pixel_png(), MARKERS["filename"])])
    )
    sign_in_to_case(client, reference, code)
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    client.post("/track/reply", data={"csrf_token": token, "message": MARKERS["reply"]})
    from complaints_app.services import casework, workflow

    staff = accounts.create_user("inv@example.org", Role.SUPERVISOR, "a perfectly fine passphrase")
    complaint = db.session.execute(select(Complaint)).scalar_one()
    casework.add_note(complaint, staff, MARKERS["note"])
    workflow.message_complainant(complaint, staff, MARKERS["message"])
    db.session.commit()
    return reference


def database_dump(app) -> bytes:
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return sqlite_file_bytes(url.database)
    return subprocess.run(
        ["pg_dump", "-h", url.host, "-p", str(url.port or 5432), "-U", url.username, url.database],
        check=True,
        capture_output=True,
    ).stdout


def test_dump_and_upload_folder_hold_no_marker_in_plain(app, client, db, upload_dir):
    full_journey(app, client, db)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    dump = database_dump(app)
    files = b"".join(p.read_bytes() for p in upload_dir.rglob("*") if p.is_file())
    assert files, "the evidence file was stored"
    for label, marker in MARKERS.items():
        assert marker.encode() not in dump, f"{label} in the database dump"
        assert marker.encode() not in files, f"{label} in the upload folder"
    assert b"PIXEL-MARKER" not in files
    # …and the app still reads all of it back.
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.narrative == MARKERS["narrative"]
    assert MARKERS["email"] in complaint.contact_json
    attachment = complaint.attachments[0]
    assert attachment.original_name == MARKERS["filename"]
    assert b"PIXEL-MARKER" in Image.open(io.BytesIO(uploads.read(attachment.storage_key))).tobytes()


def test_ciphertext_copied_to_another_row_or_column_does_not_open(app, client, db):
    post_complaint(client, valid_complaint(narrative="First narrative"))
    post_complaint(client, valid_complaint(narrative="Second narrative"))
    first, second = db.session.execute(select(Complaint).order_by(Complaint.id)).scalars()
    with pytest.raises(DecryptionError):
        open_text(first.narrative_ct, "complaint", "narrative", second.reference)
    with pytest.raises(DecryptionError):
        open_text(first.narrative_ct, "complaint", "findings_summary", first.reference)
    second.narrative_ct = first.narrative_ct
    with pytest.raises(DecryptionError):
        _ = second.narrative


def test_rotation_reseals_everything_and_keeps_it_readable(app, client, db, upload_dir):
    reference = full_journey(app, client, db)
    old_keys = list(app.config["ENCRYPTION_KEYS"])
    app.config["ENCRYPTION_KEYS"] = [new_key(), *old_keys]
    app.extensions.pop("complaints_keys", None)
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted" in result.output
        again = runner.invoke(args=["keys", "rotate"])
        assert "already sealed with the newest key" in again.output

        # Only the new key is needed from now on.
        app.config["ENCRYPTION_KEYS"] = app.config["ENCRYPTION_KEYS"][:1]
        app.extensions.pop("complaints_keys", None)
        db.session.expire_all()
        complaint = db.session.execute(select(Complaint)).scalar_one()
        assert complaint.narrative == MARKERS["narrative"]
        assert MARKERS["name"] in complaint.contact_json
        bodies = [e.body for e in db.session.execute(select(CaseEvent)).scalars() if e.body_ct]
        assert MARKERS["reply"] in bodies and MARKERS["note"] in bodies
        attachment = db.session.execute(select(Attachment)).scalar_one()
        assert uploads.read(attachment.storage_key)
        assert attachment.original_name == MARKERS["filename"]
        assert list(audit.verify()) == []
        staff_view = app.test_client()
        hidden = hidden_fields(staff_view.get("/login").get_data(as_text=True))
        staff_view.post(
            "/login",
            data={**hidden, "email": "inv@example.org", "password": "a perfectly fine passphrase"},
        )
        page = staff_view.get(f"/staff/cases/{reference}")
        assert page.status_code == HTTPStatus.OK
        assert MARKERS["narrative"] in page.get_data(as_text=True)
    finally:
        app.config["ENCRYPTION_KEYS"] = old_keys
        app.extensions.pop("complaints_keys", None)


def test_interrupted_rotation_resumes(app, client, db, monkeypatch):
    for n in range(3):
        post_complaint(client, valid_complaint(narrative=f"Narrative number {n}"))
    old_keys = list(app.config["ENCRYPTION_KEYS"])
    app.config["ENCRYPTION_KEYS"] = [new_key(), *old_keys]
    app.extensions.pop("complaints_keys", None)
    try:
        monkeypatch.setattr(privacy, "BATCH", 1)
        before = privacy.count_stale()
        # The command stops after its first committed batch (as if interrupted there).
        batches = privacy.rotate_batches()
        next(batches)
        uow.commit()
        batches.close()
        db.session.rollback()
        remaining = privacy.count_stale()
        assert 0 < remaining < before
        result = app.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert f"Re-encrypted {remaining} rows and files" in result.output
        assert privacy.count_stale() == 0
        narratives = sorted(c.narrative for c in db.session.execute(select(Complaint)).scalars())
        assert narratives == [f"Narrative number {n}" for n in range(3)]
    finally:
        app.config["ENCRYPTION_KEYS"] = old_keys
        app.extensions.pop("complaints_keys", None)
