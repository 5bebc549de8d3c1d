"""Case references: ``TA-<year>-<number>``, numbered 1, 2, 3 … within a year, never repeated,
never skipped, even when many residents press "Send" at the same moment.

The concurrency tests run on their own app over a database file (SQLite) and a fresh
PostgreSQL database when ``TEST_POSTGRES_SERVER`` is set: an in-memory SQLite database would
serialise everything on one connection and prove nothing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from complaints_app import create_app
from complaints_app.extensions import db
from complaints_app.models import CaseEvent, Complaint
from complaints_app.services import audit, catalogue, tracking
from complaints_app.timeutil import city_today
from config import TestingConfig
from tests.conftest import PG_SERVER, IsolatedClient, _postgres_database
from tests.helpers import (
    FORM_STEPS,
    SEND_URL,
    hidden_fields,
    open_form,
    post_complaint,
    post_step,
    receipt_of,
    valid_complaint,
)

BACKENDS = ["sqlite", "postgresql"] if PG_SERVER else ["sqlite"]
THREADS = 8
ROUNDS = 3
REFERENCE_FORMAT = re.compile(r"^TA-(\d{4})-(\d{4})$")


@contextmanager
def _empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "postgresql":
        yield from _postgres_database()
    else:
        yield f"sqlite:///{tmp_path / 'busy.sqlite3'}"


@pytest.fixture(params=BACKENDS)
def busy_app(request, tmp_path: Path) -> Iterator[Flask]:
    """An app of its own on a migrated, seeded database that several threads can share."""
    with _empty_database(request.param, tmp_path) as url:
        app = create_app(
            TestingConfig,
            SQLALCHEMY_DATABASE_URI=url,
            UPLOAD_FOLDER=str(tmp_path / "uploads"),
            # Every thread posts from the same address; the limit is not what is tested here.
            SUBMIT_LIMIT_PER_CLIENT="1000 per hour",
        )
        app.test_client_class = IsolatedClient
        with app.app_context():
            upgrade()
            catalogue.seed()
            db.session.commit()
            db.session.remove()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def _post_all_at_once(clients, forms) -> list:
    """Post each client's form from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(clients))

    def send(client, hidden):
        barrier.wait(timeout=30)
        return post_complaint(client, hidden=hidden)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        futures = [pool.submit(send, c, h) for c, h in zip(clients, forms, strict=True)]
        return [f.result(timeout=120) for f in futures]


def _this_year(app: Flask) -> int:
    with app.app_context():
        return city_today().year


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_references_follow_one_another_within_the_year(client, db):
    references = [receipt_of(post_complaint(client))[0] for _ in range(3)]

    year = city_today().year
    assert references == [f"TA-{year}-0001", f"TA-{year}-0002", f"TA-{year}-0003"]


def test_numbering_starts_again_at_one_in_each_year(db):
    assert tracking.next_reference(2031) == ("TA-2031-0001", 1)
    assert tracking.next_reference(2031) == ("TA-2031-0002", 2)
    assert tracking.next_reference(2032) == ("TA-2032-0001", 1)
    assert tracking.next_reference(2031) == ("TA-2031-0003", 3)


def test_simultaneous_submissions_get_distinct_consecutive_references(busy_app):
    responses = []
    for _ in range(ROUNDS):
        clients = [busy_app.test_client() for _ in range(THREADS)]
        forms = [open_form(c) for c in clients]
        responses += _post_all_at_once(clients, forms)

    assert [r.status_code for r in responses] == [HTTPStatus.OK] * THREADS * ROUNDS
    receipts = [receipt_of(r) for r in responses]
    references = [ref for ref, _code in receipts]
    assert len(set(references)) == len(references)
    assert len({code for _ref, code in receipts}) == len(receipts)
    matches = [REFERENCE_FORMAT.match(ref) for ref in references]
    assert all(matches), references
    assert {int(m.group(1)) for m in matches} == {_this_year(busy_app)}
    assert sorted(int(m.group(2)) for m in matches) == list(range(1, THREADS * ROUNDS + 1))

    with busy_app.app_context():
        assert _count(Complaint) == THREADS * ROUNDS
        stored = set(db.session.execute(select(Complaint.reference)).scalars())
        assert stored == set(references)
        # One "submitted" event per case, and the chain they were appended to is unbroken.
        assert _count(CaseEvent) == THREADS * ROUNDS
        assert list(audit.verify()) == []
        db.session.remove()


def test_same_form_sent_from_several_threads_at_once_files_one_case(busy_app):
    first = busy_app.test_client()
    hidden = open_form(first)
    for slug, _names in FORM_STEPS:
        assert post_step(first, slug, valid_complaint(), hidden["csrf_token"]).status_code == 303
    send = {**hidden_fields(first.get(SEND_URL).get_data(as_text=True)), "consent": "y"}
    cookie = first.get_cookie("session")
    assert cookie is not None
    clients = [first]
    for _ in range(THREADS - 1):
        twin = busy_app.test_client()
        twin.set_cookie("session", cookie.value, domain=cookie.domain)
        clients.append(twin)

    # The same send page posted from every one at the same moment (a double click, tabs).
    barrier = threading.Barrier(THREADS)

    def post(client):
        barrier.wait(timeout=30)
        return client.post(SEND_URL, data=send)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        responses = [f.result(timeout=120) for f in [pool.submit(post, c) for c in clients]]

    assert [r.status_code for r in responses] == [HTTPStatus.OK] * THREADS
    receipts = {receipt_of(r) for r in responses}
    assert len(receipts) == 1
    (reference, _code) = receipts.pop()
    year = _this_year(busy_app)
    assert reference == f"TA-{year}-0001"

    # The requests that lost the race gave their number back: the next case is number 2.
    after = post_complaint(busy_app.test_client())
    assert receipt_of(after)[0] == f"TA-{year}-0002"
    with busy_app.app_context():
        assert _count(Complaint) == 2
        assert _count(CaseEvent) == 2
        assert list(audit.verify()) == []
        db.session.remove()
