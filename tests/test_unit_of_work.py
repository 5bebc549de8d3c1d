"""One commit point: services flush, a request commits once after its view, a CLI command
commits in the command, and work that must follow a commit runs only after it."""

from __future__ import annotations

import ast
from http import HTTPStatus
from pathlib import Path

import pytest
from sqlalchemy import func, select

from complaints_app import create_app, uow
from complaints_app.extensions import db as _db
from complaints_app.models import Organisation
from config import TestingConfig

APP_DIR = Path(__file__).resolve().parent.parent / "complaints_app"


def _commit_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
        and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "uow")
    ]


def test_nothing_in_the_app_commits_but_the_unit_of_work():
    offenders = {
        str(path.relative_to(APP_DIR)): lines
        for path in APP_DIR.rglob("*.py")
        if path.name != "uow.py" and (lines := _commit_calls(path))
    }
    assert offenders == {}


def test_every_cli_command_that_writes_commits_through_the_unit_of_work():
    source = (APP_DIR / "cli.py").read_text()
    assert "uow.commit()" in source
    assert "session.commit" not in source


@pytest.fixture
def probe_app(database_url, tmp_path):
    """An app of its own, with views that misbehave on purpose."""
    app = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path)
    )

    @app.post("/probe/commits-itself")
    def commits_itself():
        _db.session.add(Organisation(slug="self-commit", name="Self"))
        _db.session.commit()
        return "done"

    @app.post("/probe/commits-twice")
    def commits_twice():
        _db.session.add(Organisation(slug="twice-1", name="One"))
        uow.commit()
        _db.session.add(Organisation(slug="twice-2", name="Two"))
        uow.commit()
        return "done"

    @app.post("/probe/adds")
    def adds():
        _db.session.add(Organisation(slug="added", name="Added"))
        uow.after_commit(lambda: ran.append("after commit"))
        uow.on_rollback(lambda: ran.append("on rollback"))
        return "done"

    @app.post("/probe/adds-then-fails")
    def adds_then_fails():
        _db.session.add(Organisation(slug="failed", name="Failed"))
        uow.after_commit(lambda: ran.append("after commit"))
        uow.on_rollback(lambda: ran.append("on rollback"))
        raise RuntimeError("boom")

    @app.post("/probe/duplicate")
    def duplicate():
        # Two rows with one unique slug: the flush at the request's commit fails.
        _db.session.add(Organisation(slug="dup", name="A"))
        _db.session.add(Organisation(slug="dup", name="B"))
        uow.on_rollback(lambda: ran.append("on rollback"))
        return "looked fine"

    app.config["WTF_CSRF_ENABLED"] = False
    ran: list[str] = []
    app.ran = ran  # type: ignore[attr-defined]
    yield app
    with app.app_context():
        _db.session.execute(
            Organisation.__table__.delete().where(
                Organisation.slug.in_(["self-commit", "twice-1", "twice-2", "added", "dup"])
            )
        )
        _db.session.commit()
        _db.engine.dispose()


def _count(app, slug: str) -> int:
    with app.app_context():
        return _db.session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.slug == slug)
        )


def test_a_view_that_commits_by_itself_is_stopped(probe_app, db):
    response = probe_app.test_client().post("/probe/commits-itself")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert _count(probe_app, "self-commit") == 0


def test_a_request_commits_once(probe_app, db):
    response = probe_app.test_client().post("/probe/commits-twice")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert _count(probe_app, "twice-2") == 0


def test_the_request_commits_after_its_view_and_then_runs_follow_up_work(probe_app, db):
    response = probe_app.test_client().post("/probe/adds")
    assert response.status_code == HTTPStatus.OK
    assert _count(probe_app, "added") == 1
    assert probe_app.ran == ["after commit"]


def test_a_failing_view_keeps_nothing_and_runs_only_rollback_work(probe_app, db):
    response = probe_app.test_client().post("/probe/adds-then-fails")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert _count(probe_app, "failed") == 0
    assert probe_app.ran == ["on rollback"]


def test_a_failing_commit_says_nothing_was_saved(probe_app, db):
    response = probe_app.test_client().post("/probe/duplicate")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "looked fine" not in response.get_data(as_text=True)
    assert _count(probe_app, "dup") == 0
    assert probe_app.ran == ["on rollback"]


def test_cli_commit_runs_follow_up_work_only_after_commit(app, db):
    ran: list[str] = []
    db.session.add(Organisation(slug="cli-org", name="CLI"))
    uow.after_commit(lambda: ran.append("after"))
    assert ran == []
    uow.commit()
    assert ran == ["after"]
    uow.after_commit(lambda: ran.append("dropped"))
    db.session.rollback()
    uow.commit()
    assert ran == ["after"]
