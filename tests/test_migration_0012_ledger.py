"""Revision 0012 seals the notes already stored on ledger entries, and its downgrade opens
them again. Rows are written the way the schema at revision 0010 held them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from complaints_app import create_app
from complaints_app.extensions import db
from complaints_app.models import FederalRequest
from config import TestingConfig
from tests.conftest import PG_SERVER, _postgres_database

BACKENDS = ["sqlite", "postgresql"] if PG_SERVER else ["sqlite"]
NOTE = "Note-marker-LG01 held at the north station"


@pytest.fixture(params=BACKENDS)
def at_0010(request, tmp_path: Path) -> Iterator[Flask]:
    """An app whose database stands at revision 0010, with two ledger rows."""
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
            upgrade(revision="0010")
            now = datetime(2026, 3, 1, tzinfo=UTC)
            at = now.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else now
            with db.engine.begin() as conn:
                for number, note in ((1, NOTE), (2, None)):
                    conn.execute(
                        sa.text(
                            "INSERT INTO federal_request (id, received_on, kind, form, "
                            "reason_given, judicial_warrant_presented, person_key, outcome, "
                            "notes, created_at) VALUES (:id, '2026-02-01', 'hold', 'I-247A', "
                            "'final_order', :no, :key, 'declined', :notes, :at)"
                        ).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
                        {
                            "id": number,
                            "no": False,
                            "key": f"{number:064d}",
                            "notes": note,
                            "at": at,
                        },
                    )
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
            if urls is not None:
                next(urls, None)


def _dump(table: str) -> str:
    with db.engine.connect() as conn:
        return " ".join(str(row) for row in conn.execute(sa.text(f"SELECT * FROM {table}")))


def test_0012_seals_stored_notes_and_downgrade_opens_them(at_0010):
    upgrade(revision="0012")
    assert "Note-marker-LG01" not in _dump("federal_request")
    first, second = (db.session.get(FederalRequest, n) for n in (1, 2))
    assert first.notes == NOTE and second.notes is None
    assert first.seal_key != second.seal_key
    db.session.rollback()
    downgrade(revision="0010")
    with db.engine.connect() as conn:
        notes = dict(conn.execute(sa.text("SELECT id, notes FROM federal_request")).all())
    assert notes == {1: NOTE, 2: None}
