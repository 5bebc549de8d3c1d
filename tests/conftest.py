"""Fixtures: one app per test session on SQLite or PostgreSQL, schema from the migrations,
the clause catalogue seeded, and every table emptied after each test.

Set ``TEST_POSTGRES_SERVER`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432``) to run on
PostgreSQL: a fresh database is created for the run and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from complaints_app import create_app
from complaints_app.extensions import db as _db
from complaints_app.extensions import limiter
from complaints_app.services import catalogue
from config import TestingConfig

PG_SERVER = os.environ.get("TEST_POSTGRES_SERVER", "")
KEEP_TABLES = {
    "clause",
    "guided_question",
    "clause_text",
    "guided_question_text",
    "alembic_version",
}


def _postgres_database() -> Iterator[str]:
    name = f"complaints_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A new, empty database for this test run."""
    if PG_SERVER:
        yield from _postgres_database()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as it does in production: ``g`` and the
    database session are not shared with the test's own context or with other clients."""

    def open(self, *args, **kwargs):
        if has_app_context():
            # A request starts after the test's own transaction has ended, as it would after
            # another request: on SQLite every transaction holds the write lock from its
            # BEGIN IMMEDIATE, so a test that read something would otherwise block the app.
            _db.session.rollback()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory) -> Iterator[Flask]:
    """The app under test, its schema built by the Alembic migrations."""
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_FOLDER=str(tmp_path_factory.mktemp("uploads")),
        URGENT_HOTLINE="555-0100",
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
        catalogue.seed()
        _db.session.commit()
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app) -> Iterator:
    """The database inside an app context; every table but the catalogue emptied afterwards."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            # Texts written by an admin, and those of amended versions, go first: they name
            # the admin (a user) who wrote them. The shipped texts stay (or are seeded back).
            conn.execute(
                sa.text(
                    "DELETE FROM guided_question_text WHERE created_by_id IS NOT NULL "
                    "OR question_id IN (SELECT q.id FROM guided_question q "
                    "JOIN clause c ON c.id = q.clause_id WHERE c.version > 1)"
                )
            )
            conn.execute(
                sa.text(
                    "DELETE FROM clause_text WHERE created_by_id IS NOT NULL "
                    "OR clause_id IN (SELECT id FROM clause WHERE version > 1)"
                )
            )
            # Amended clause versions go first: they name the admin (a user) who made them.
            conn.execute(
                sa.text(
                    "DELETE FROM guided_question WHERE clause_id IN "
                    "(SELECT id FROM clause WHERE version > 1)"
                )
            )
            conn.execute(sa.text("DELETE FROM allegation"))
            conn.execute(sa.text("DELETE FROM clause WHERE version > 1"))
            conn.execute(sa.text("UPDATE clause SET effective_to = NULL, created_by_id = NULL"))
            for table in reversed(_db.metadata.sorted_tables):
                if table.name not in KEEP_TABLES:
                    conn.execute(table.delete())
        # A test that removed a shipped text (to see the English fallback) gets it back.
        catalogue.seed()
        _db.session.commit()
        _db.session.remove()


@pytest.fixture(autouse=True)
def _fresh_state(app, tmp_path) -> Iterator[None]:
    """Each test starts with no rate-limit history and its own upload folder."""
    with app.app_context():
        limiter.reset()
    previous = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    yield
    app.config["UPLOAD_FOLDER"] = previous


@pytest.fixture
def client(app, db) -> FlaskClient:
    """A browser without cookies."""
    return app.test_client()


@pytest.fixture
def upload_dir(app) -> Path:
    return Path(app.config["UPLOAD_FOLDER"])


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKEN_RE = re.compile(r'name="submission_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)
