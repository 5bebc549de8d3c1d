"""/healthz tells a load balancer whether the database answers, and nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
from flask import Flask

from complaints_app import create_app
from complaints_app.extensions import db
from config import TestingConfig
from tests.conftest import IsolatedClient


@pytest.fixture(params=["postgresql-closed-port", "sqlite-path-is-a-folder"])
def app_without_database(request, tmp_path: Path) -> Iterator[Flask]:
    """An app whose database cannot be reached."""
    if request.param == "postgresql-closed-port":
        url = "postgresql+psycopg://postgres@127.0.0.1:1/complaints?connect_timeout=3"
    else:
        folder = tmp_path / "a-folder-not-a-database"
        folder.mkdir()
        url = f"sqlite:///{folder}"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp_path))
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():
        db.engine.dispose()


def test_healthz_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.OK
    assert response.is_json
    assert response.get_json()["status"] == "ok"


def test_healthz_answers_503_when_the_database_is_unreachable(app_without_database):
    client = app_without_database.test_client()

    response = client.get("/healthz")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.is_json
    body = response.get_json()
    assert body["status"] != "ok"
    # No driver message, host or path leaks out.
    text = response.get_data(as_text=True)
    for leak in ("127.0.0.1", "a-folder-not-a-database", "Error", "psycopg", "sqlite"):
        assert leak not in text


def test_healthz_recovers_once_the_database_answers_again(tmp_path):
    blocker = tmp_path / "complaints.sqlite3"
    blocker.mkdir()  # a folder where the database file should be: SQLite cannot open it
    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{blocker}", UPLOAD_FOLDER=str(tmp_path)
    )
    app.test_client_class = IsolatedClient
    client = app.test_client()
    try:
        assert client.get("/healthz").status_code == HTTPStatus.SERVICE_UNAVAILABLE

        blocker.rmdir()

        assert client.get("/healthz").status_code == HTTPStatus.OK
    finally:
        with app.app_context():
            db.engine.dispose()
