"""When storing fails on an API path, the answer is problem details, never an HTML page."""

from __future__ import annotations

from sqlalchemy import func, select

from complaints_app import create_app
from complaints_app.extensions import db as _db
from complaints_app.models import Organisation
from config import TestingConfig
from tests.api.conftest import assert_problem


def test_a_failed_commit_on_the_api_is_a_503_problem(database_url, tmp_path, db):
    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path)
    )

    @app.post("/api/probe/duplicate")
    def duplicate():
        # Two rows with one unique slug: the flush at the request's commit fails.
        _db.session.add(Organisation(slug="api-dup", name="A"))
        _db.session.add(Organisation(slug="api-dup", name="B"))
        return {"looked": "fine"}

    @app.get("/api/probe/boom")
    def boom():
        raise RuntimeError("boom")

    # The probe lives outside the API blueprint, which is the part exempt from CSRF checks.
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        client = app.test_client()
        assert_problem(client.post("/api/probe/duplicate"), 503, "unavailable")
        assert_problem(client.get("/api/probe/boom"), 500, "internal-error")
        with app.app_context():
            count = select(func.count()).select_from(Organisation)
            assert _db.session.scalar(count.where(Organisation.slug == "api-dup")) == 0
    finally:
        with app.app_context():
            _db.engine.dispose()
