"""Two POSTs with one Idempotency-Key at the same moment file one case. Each request runs in
its own thread, app context and database connection, as under gunicorn's threads."""

from __future__ import annotations

import threading
from http import HTTPStatus

from sqlalchemy import func, select

from complaints_app.api.schemas import COMPLAINT_EXAMPLE
from complaints_app.models import Complaint, IdempotentRequest
from tests.api.conftest import Api


def test_two_concurrent_posts_with_one_key_file_one_case(app, db, make_advocate, make_token):
    token = make_token(make_advocate())
    barrier = threading.Barrier(2)
    responses = []

    def post() -> None:
        api = Api(app.test_client(), token)
        barrier.wait()
        responses.append(
            api.post("/complaints", json=COMPLAINT_EXAMPLE, headers={"Idempotency-Key": "same"})
        )

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r.status_code for r in responses] == [HTTPStatus.CREATED, HTTPStatus.CREATED]
    first, second = (r.get_json() for r in responses)
    assert first == second
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Complaint)).scalar_one() == 1
    assert db.session.execute(select(func.count()).select_from(IdempotentRequest)).scalar_one() == 1
