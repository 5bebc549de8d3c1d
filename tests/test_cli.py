"""The ``flask`` commands: seeding the catalogue, making keys, checking the audit chain."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from complaints_app import create_app
from complaints_app.extensions import db as _db
from complaints_app.models import CaseEvent, Clause, GuidedQuestion
from config import TestingConfig
from tests.conftest import PG_SERVER, _postgres_database
from tests.helpers import hidden_fields, post_complaint, receipt_of, sign_in_to_case

CLAUSE_COLUMNS = [c for c in Clause.__table__.columns if c.name != "created_at"]


@contextmanager
def _empty_database(tmp_path: Path) -> Iterator[str]:
    if PG_SERVER:
        yield from _postgres_database()
    else:
        yield f"sqlite:///{tmp_path / 'unseeded.sqlite3'}"


@pytest.fixture
def unseeded_app(tmp_path: Path) -> Iterator[Flask]:
    """An app of its own on a migrated database whose catalogue is still empty."""
    with _empty_database(tmp_path) as url:
        app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path))
        with app.app_context():
            upgrade()
            try:
                yield app
            finally:
                _db.session.remove()
                _db.engine.dispose()


def _catalogue_rows() -> list[tuple]:
    clauses = _db.session.execute(sa.select(*CLAUSE_COLUMNS).order_by(Clause.id)).all()
    questions = _db.session.execute(
        sa.select(GuidedQuestion.__table__).order_by(GuidedQuestion.id)
    ).all()
    return [tuple(row) for row in clauses + questions]


def test_seed_creates_the_catalogue_once_and_a_second_run_changes_nothing(unseeded_app):
    runner = unseeded_app.test_cli_runner()

    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "Clauses created: 13" in first.output
    before = _catalogue_rows()

    second = runner.invoke(args=["seed"])

    assert second.exit_code == 0, second.output
    assert "Clauses created: 0; already present: 13" in second.output
    _db.session.expire_all()
    assert _catalogue_rows() == before
    count = _db.session.scalar(sa.select(sa.func.count()).select_from(Clause))
    assert count == 13
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(GuidedQuestion)) == 9
    not_eligible = _db.session.scalars(
        sa.select(Clause.code).where(Clause.complaint_eligible.is_(False)).order_by(Clause.code)
    ).all()
    assert not_eligible == ["2a", "2j", "3"]


def test_seed_on_a_seeded_database_creates_nothing(app, db):
    before = _catalogue_rows()

    result = app.test_cli_runner().invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    assert "Clauses created: 0" in result.output
    db.session.expire_all()
    assert _catalogue_rows() == before


def test_keys_generate_prints_a_new_256_bit_key(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["keys", "generate"])
    second = runner.invoke(args=["keys", "generate"])

    assert first.exit_code == second.exit_code == 0
    key = first.output.strip()
    assert len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))) == 32
    assert key != second.output.strip()


# --- audit verify -----------------------------------------------------------------------


@pytest.fixture
def three_events(client, db) -> list[CaseEvent]:
    """Two complaints filed, and a message from the first complainant (a sealed body)."""
    reference, code = receipt_of(post_complaint(client))
    post_complaint(client.application.test_client())
    sign_in_to_case(client, reference, code)
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    client.post("/track/reply", data={"csrf_token": token, "message": "One more detail."})
    events = list(db.session.scalars(sa.select(CaseEvent).order_by(CaseEvent.seq)))
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[2].body_ct is not None
    return events


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _raw(db, sql: str, **params) -> None:
    """Change the database behind the app's back, as someone with database access could."""
    statement = sa.text(sql)
    if "data" in params:
        statement = statement.bindparams(sa.bindparam("data", type_=sa.JSON))
    db.session.execute(statement, params)
    db.session.commit()


def test_audit_verify_passes_on_an_untouched_chain(app, three_events):
    result = _verify(app)

    assert result.exit_code == 0, result.output
    assert "Audit chain intact" in result.output


def test_audit_verify_names_an_event_whose_data_was_edited(app, db, three_events):
    target = three_events[0]
    _raw(
        db,
        "UPDATE case_event SET data = :data WHERE seq = :seq",
        data={"channel": "phone", "urgent": True},
        seq=target.seq,
    )

    result = _verify(app)

    assert result.exit_code != 0
    assert f"event seq 1 (id {target.id})" in result.output
    assert "changed" in result.output


def test_audit_verify_names_an_event_whose_sealed_body_was_edited(app, db, three_events):
    target = three_events[2]
    middle = len(target.body_ct) // 2
    forged = (
        target.body_ct[:middle]
        + ("B" if target.body_ct[middle] == "A" else "A")
        + target.body_ct[middle + 1 :]
    )
    _raw(db, "UPDATE case_event SET body_ct = :body WHERE seq = 3", body=forged)

    result = _verify(app)

    assert result.exit_code != 0
    assert f"event seq 3 (id {target.id})" in result.output


def test_audit_verify_names_the_gap_left_by_a_deleted_event(app, db, three_events):
    _raw(db, "DELETE FROM case_event WHERE seq = 2")

    result = _verify(app)

    assert result.exit_code != 0
    assert "event seq 2" in result.output
    assert "missing" in result.output


def test_audit_verify_notices_the_last_event_deleted(app, db, three_events):
    _raw(db, "DELETE FROM case_event WHERE seq = 3")

    result = _verify(app)

    assert result.exit_code != 0
    assert "event seq 3" in result.output
    assert "missing from the end" in result.output


def test_audit_verify_names_an_event_relinked_to_another_predecessor(app, db, three_events):
    _raw(db, "UPDATE case_event SET prev_hash = :h WHERE seq = 2", h="f" * 64)

    result = _verify(app)

    assert result.exit_code != 0
    assert f"event seq 2 (id {three_events[1].id})" in result.output
    assert "does not follow" in result.output
