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


# The revision 0007 follows: hashes were bare hex until then.
BEFORE_0007 = "0006"


def _bare_recovery_code_at_0002(app: Flask) -> tuple[int, str]:
    """A user with one recovery code hashed the way the code before revision 0007 did: bare
    hex."""
    import hashlib
    import hmac

    from complaints_app.models import Role
    from complaints_app.services import accounts

    upgrade(revision=BEFORE_0007)
    user = accounts.create_user("sup@office.example", Role.SUPERVISOR, "violet harbour kettle")
    user_id = user.id
    # Read nothing after the commit: on SQLite every transaction holds the write lock.
    db.session.commit()
    bare = hmac.new(
        app.config["HASH_KEY"].encode(), b"recovery-code\x1fABCDE12345", hashlib.sha256
    ).hexdigest()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO recovery_code (user_id, code_hash, created_at) "
                "VALUES (:u, :h, CURRENT_TIMESTAMP)"
            ),
            {"u": user_id, "h": bare},
        )
    return user_id, bare


def test_0007_labels_stored_hashes_with_their_key_and_they_still_match(empty_app):
    from complaints_app.crypto import hash_key_id
    from complaints_app.models import User
    from complaints_app.services import two_factor

    user_id, bare = _bare_recovery_code_at_0002(empty_app)

    upgrade(revision="0007")

    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT code_hash FROM recovery_code")).scalar_one()
    assert stored == f"{hash_key_id(empty_app.config['HASH_KEY'])}${bare}"
    assert two_factor.use_recovery_code(db.session.get(User, user_id), "ABCDE-12345")
    db.session.rollback()

    downgrade(revision=BEFORE_0007)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT code_hash FROM recovery_code")).scalar_one() == bare


def test_0007_refuses_to_guess_which_of_several_hash_keys_made_stored_hashes(empty_app, capfd):
    import secrets

    _bare_recovery_code_at_0002(empty_app)
    empty_app.config["HASH_KEYS"] = [secrets.token_urlsafe(48), empty_app.config["HASH_KEY"]]

    # Flask-Migrate writes the error to standard error and exits.
    with pytest.raises(SystemExit):
        upgrade(revision="0007")
    assert "exactly that one key configured" in capfd.readouterr().err
    assert _current_revision() == BEFORE_0007
    with db.engine.connect() as conn:
        assert "$" not in conn.execute(sa.text("SELECT code_hash FROM recovery_code")).scalar_one()
