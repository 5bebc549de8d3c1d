"""The ``flask`` commands: seeding the catalogue and making keys (the audit commands are
tested in ``tests/audit/``)."""

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
from complaints_app.models import Clause, ClauseText, GuidedQuestion, GuidedQuestionText
from config import TestingConfig
from tests.conftest import PG_SERVER, _postgres_database

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


def _text_rows() -> list[tuple]:
    texts = _db.session.execute(
        sa.select(
            ClauseText.clause_id, ClauseText.language, ClauseText.revision, ClauseText.title
        ).order_by(ClauseText.id)
    ).all()
    questions = _db.session.execute(
        sa.select(
            GuidedQuestionText.question_id, GuidedQuestionText.language, GuidedQuestionText.prompt
        ).order_by(GuidedQuestionText.id)
    ).all()
    return [tuple(row) for row in texts + questions]


def test_seed_gives_every_clause_and_question_its_spanish_and_portuguese_text_once(
    unseeded_app,
):
    runner = unseeded_app.test_cli_runner()

    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    # 13 clauses and 9 questions, each in two languages.
    assert "official texts in other languages added: 44" in first.output
    for language in ("es", "pt"):
        clauses = _db.session.scalar(
            sa.select(sa.func.count(sa.distinct(ClauseText.clause_id))).where(
                ClauseText.language == language
            )
        )
        questions = _db.session.scalar(
            sa.select(sa.func.count(sa.distinct(GuidedQuestionText.question_id))).where(
                GuidedQuestionText.language == language
            )
        )
        assert (clauses, questions) == (13, 9)
    before = _text_rows()

    second = runner.invoke(args=["seed"])

    assert second.exit_code == 0, second.output
    assert "official texts in other languages added: 0" in second.output
    _db.session.expire_all()
    assert _text_rows() == before
    spanish = _db.session.scalar(
        sa.select(ClauseText.title)
        .join(Clause)
        .where(Clause.code == "2c", ClauseText.language == "es")
    )
    assert spanish == "Solicitudes de retención de ICE y órdenes administrativas"


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
