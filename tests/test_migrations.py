"""The Alembic migrations: one head, and on an empty database they build exactly the models'
schema, come down to nothing and go up again, one revision at a time.

Each test builds its own app on a brand-new database (a fresh SQLite file, and a freshly
created PostgreSQL database when ``TEST_POSTGRES_SERVER`` is set), so the session app of
``conftest.py`` is never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from complaints_app import PROJECT_ROOT, create_app
from complaints_app.extensions import db
from complaints_app.services import audit
from config import TestingConfig
from tests.conftest import PG_SERVER, _postgres_database

MIGRATIONS = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
BACKENDS = ["sqlite", "postgresql"] if PG_SERVER else ["sqlite"]
ALEMBIC_TABLE = "alembic_version"


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database that has never seen a migration."""
    with _empty_database(request.param, tmp_path) as url:
        app = create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path / "uploads")
        )
        with app.app_context():
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


@contextmanager
def _empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgresql":
        yield from _postgres_database()
    else:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"


def _revisions_base_to_head() -> list:
    return list(reversed(list(MIGRATIONS.walk_revisions())))


def _schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _app_tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {ALEMBIC_TABLE}


def _current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _audit_chain_heads() -> list[tuple]:
    with db.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(sa.text("SELECT name, last_seq FROM audit_chain_head"))
        ]


def test_migrations_have_exactly_one_head():
    assert len(MIGRATIONS.get_heads()) == 1, MIGRATIONS.get_heads()


def test_every_revision_but_the_first_follows_another():
    revisions = _revisions_base_to_head()
    assert revisions[0].down_revision is None
    for earlier, later in pairwise(revisions):
        assert later.down_revision == earlier.revision


def test_upgrade_on_empty_database_gives_exactly_the_models_schema(empty_app):
    assert _app_tables() == set()

    upgrade()

    assert _current_revision() == MIGRATIONS.get_current_head()
    assert _app_tables() == set(db.metadata.tables)
    assert _schema_differences() == []


def test_upgrade_on_empty_database_starts_with_no_audit_chains(empty_app):
    upgrade()

    assert _audit_chain_heads() == []
    assert list(audit.verify()) == []


def test_downgrade_to_base_removes_every_table_and_upgrade_works_again(empty_app):
    upgrade()

    downgrade(revision="base")

    assert _app_tables() == set()
    assert _current_revision() is None
    if db.engine.dialect.name == "postgresql":
        assert sa.inspect(db.engine).get_sequence_names() == []

    upgrade()

    assert _schema_differences() == []
    assert _audit_chain_heads() == []


def test_every_revision_upgrades_and_downgrades_step_by_step(empty_app):
    for revision in _revisions_base_to_head():
        upgrade(revision=revision.revision)
        assert _current_revision() == revision.revision

        downgrade(revision=revision.down_revision or "base")
        assert _current_revision() == revision.down_revision

        upgrade(revision=revision.revision)
        assert _current_revision() == revision.revision

    assert _schema_differences() == []

    for revision in reversed(_revisions_base_to_head()):
        downgrade(revision="-1")
        assert _current_revision() == revision.down_revision

    assert _app_tables() == set()
