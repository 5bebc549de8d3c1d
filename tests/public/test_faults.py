"""Faults lose nothing: a database error or a full disk during a submission leaves no partial
rows and no stored files, and the resident gets their text back with a clear message."""

from __future__ import annotations

import subprocess
from http import HTTPStatus
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from complaints_app import create_app
from complaints_app.extensions import db
from complaints_app.services import catalogue
from config import TestingConfig
from tests.conftest import PG_SERVER, IsolatedClient, _postgres_database
from tests.helpers import (
    STEP_URL,
    jpeg_with_gps,
    open_form,
    post_complaint,
    receipt_of,
    valid_complaint,
)

NARRATIVE = "Kept at the station for ICE after my release was ordered. Marker-7Q2X."


@pytest.fixture
def broken_app(tmp_path):
    """An app on its own database, so a test may break that database's schema."""
    if PG_SERVER:
        urls = _postgres_database()
        url = next(urls)
    else:
        urls, url = None, f"sqlite:///{tmp_path / 'faults.sqlite3'}"
    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / "uploads")
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        catalogue.seed()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()
    if urls is not None:
        next(urls, None)


def stored_files(folder: Path) -> list[Path]:
    """Evidence files, not the ones kept for the resident's retry."""
    if not folder.exists():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and "pending" not in p.parts]


def count(app, table: str) -> int:
    with app.app_context():
        return db.session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_database_error_mid_submission_keeps_nothing_and_returns_the_text(broken_app):
    with broken_app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE attachment"))
    client = broken_app.test_client()
    response = post_complaint(
        client, valid_complaint(narrative=NARRATIVE), files=[(jpeg_with_gps(), "photo.jpg")]
    )
    html = response.get_data(as_text=True)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "Your complaint was not sent" in html
    assert NARRATIVE in html
    assert "photo.jpg" in html  # the file is kept for the retry
    assert count(broken_app, "complaint") == 0
    assert count(broken_app, "case_event") == 0
    assert count(broken_app, "allegation") == 0
    assert stored_files(Path(broken_app.config["UPLOAD_FOLDER"])) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KiB file system, so writes fail with 'no space left on device'."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def big_jpeg() -> bytes:
    """A JPEG that stays large after re-encoding (noise does not compress)."""
    import io
    import os

    from PIL import Image

    img = Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    return out.getvalue()


def test_full_disk_while_saving_upload_keeps_nothing_and_returns_the_text(
    app, client, db, tiny_disk
):
    app.config["UPLOAD_FOLDER"] = str(tiny_disk)
    photo = big_jpeg()
    assert len(photo) > 256 * 1024
    hidden = open_form(client)
    response = post_complaint(
        client, valid_complaint(narrative=NARRATIVE), files=[(photo, "big.jpg")], hidden=hidden
    )
    html = response.get_data(as_text=True)
    # The files step failed: the files are asked for again, every other answer is kept.
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "Your files were not saved" in html
    assert "Please attach your files again" in html
    assert NARRATIVE in client.get(STEP_URL.format("your-account")).get_data(as_text=True)
    assert count(app, "complaint") == 0
    assert [p for p in tiny_disk.rglob("*") if p.is_file()] == []

    # Once there is room again, the same form goes through.
    app.config["UPLOAD_FOLDER"] = str(tiny_disk.parent / "roomy")
    done = post_complaint(
        client, valid_complaint(narrative=NARRATIVE), files=[(photo, "big.jpg")], hidden=hidden
    )
    assert done.status_code == HTTPStatus.OK
    receipt_of(done)
    assert count(app, "complaint") == 1
