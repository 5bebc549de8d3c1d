"""The unit of work: the one place that commits.

Services flush and never commit. A web request commits once, after its view has run and
before the response leaves (``init_app``); a CLI command calls ``commit()`` once, or once per
batch for long commands. Work that must only happen once the data is safely stored (removing
files that a change replaced, sending mail later) is registered with ``after_commit`` and runs
after the commit succeeds; it is dropped if the transaction rolls back. ``on_rollback`` work
(removing files written for a change that did not land) runs only on rollback.

Nothing here assumes one process: the callbacks live on the database session of one request
or command, not in a global.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from complaints_app.extensions import db

log = logging.getLogger(__name__)

_AFTER_COMMIT = "uow_after_commit"
_ON_ROLLBACK = "uow_on_rollback"
_COMMITTING = "uow_committing"


class CommitOutsideUnitOfWork(RuntimeError):
    """A commit that did not go through ``uow.commit`` (a view or service committing itself),
    or a second commit in one request."""


def _register(key: str, task: Callable[[], None]) -> None:
    # Tie the task to a transaction: a rollback with none begun would not be seen.
    db.session.connection()
    db.session.info.setdefault(key, []).append(task)


def after_commit(task: Callable[[], None]) -> None:
    """Run ``task`` once the current transaction has committed; never if it rolls back."""
    _register(_AFTER_COMMIT, task)


def on_rollback(task: Callable[[], None]) -> None:
    """Run ``task`` if the current transaction rolls back; forget it once it commits."""
    _register(_ON_ROLLBACK, task)


def commit() -> None:
    """Commit the session, then run the work registered for after the commit. On failure
    everything rolls back (and the rollback work runs) before the error propagates."""
    session = db.session
    if has_request_context():
        if g.get("uow_committed"):
            raise CommitOutsideUnitOfWork("a request commits once")
        g.uow_committed = True
    session.info[_COMMITTING] = True
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.info.pop(_COMMITTING, None)
    tasks = session.info.pop(_AFTER_COMMIT, [])
    session.info.pop(_ON_ROLLBACK, None)
    for task in tasks:
        try:
            task()
        except Exception as exc:  # the data is stored; a failed follow-up must not undo that
            log.error("after-commit task failed: %s", type(exc).__name__)


def discard() -> None:
    """Throw away everything the current transaction did (its rollback work runs)."""
    db.session.rollback()


def _before_commit(session: Session) -> None:
    # Only the web request is policed: tests and migrations commit through their own
    # sessions, and CLI commands are checked by reading the source (tests/test_unit_of_work).
    if has_request_context() and not session.info.get(_COMMITTING):
        raise CommitOutsideUnitOfWork("commit through complaints_app.uow.commit")


def _after_rollback(session: Session, _previous_transaction=None) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    tasks = session.info.pop(_ON_ROLLBACK, [])
    for task in tasks:
        try:
            task()
        except Exception as exc:
            log.error("rollback task failed: %s", type(exc).__name__)


def _commit_request(response: Response) -> Response:
    """The request's one commit. A failure here loses nothing silently: the person gets a
    page saying that nothing was saved."""
    if g.get("uow_committed"):
        return response
    try:
        commit()
    except Exception as exc:
        log.error("commit failed: %s", type(exc).__name__)
        if request.path.startswith("/api/"):
            from complaints_app.api.problems import problem_response

            return problem_response("unavailable")
        from complaints_app.errors import render_error

        body, status = render_error(503)
        return Response(body, status=status, mimetype="text/html")
    return response


def init_app(app: Flask) -> None:
    """Commit at the end of every request; police commits made anywhere else."""
    if not event.contains(Session, "before_commit", _before_commit):
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
    app.after_request(_commit_request)
