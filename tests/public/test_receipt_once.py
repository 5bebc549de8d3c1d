""" "Shown once" means once: a re-post of a filed form shows the tracking code again only to the
browser session that first saw it, within a few minutes; anyone else, or later, is told the
complaint was already filed, without its reference or code."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from sqlalchemy import func, select

from complaints_app.models import Complaint
from complaints_app.public.routes import FORMS_GIVEN_KEY
from tests.helpers import open_form, post_complaint, receipt_of

ALREADY = "This complaint was already sent"


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Complaint))


@pytest.mark.parametrize("reposts", [1, 2, 4])
def test_double_click_and_reloads_in_the_same_session_show_the_receipt(client, db, reposts):
    hidden = open_form(client)
    first = receipt_of(post_complaint(client, hidden=hidden))
    for _ in range(reposts):
        again = post_complaint(client, hidden=hidden)
        assert again.status_code == HTTPStatus.OK
        assert receipt_of(again) == first
    assert _count(db) == 1


@pytest.mark.parametrize("who", ["fresh browser", "browser that filed its own complaint"])
def test_another_browser_reposting_the_token_is_not_shown_the_code(app, client, db, who):
    hidden = open_form(client)
    reference, code = receipt_of(post_complaint(client, hidden=hidden))
    other = app.test_client()
    if who != "fresh browser":
        receipt_of(post_complaint(other))
    # The other browser's own CSRF token, with the first browser's one-time form token.
    replay = {**open_form(other), "submission_token": hidden["submission_token"]}
    response = post_complaint(other, hidden=replay)
    html = response.get_data(as_text=True)
    assert response.status_code == HTTPStatus.CONFLICT
    assert ALREADY in html
    assert code not in html and code.replace("-", "") not in html
    assert reference not in html
    assert _count(db) == (1 if who == "fresh browser" else 2)


@pytest.mark.parametrize("minutes_later", [6, 60, 60 * 24])
def test_same_browser_later_is_not_shown_the_code(app, client, db, minutes_later):
    assert app.config["RECEIPT_REPEAT_MINUTES"] == 5
    hidden = open_form(client)
    reference, code = receipt_of(post_complaint(client, hidden=hidden))
    complaint = db.session.execute(select(Complaint)).scalar_one()
    complaint.received_at -= timedelta(minutes=minutes_later)
    db.session.commit()
    response = post_complaint(client, hidden=hidden)
    html = response.get_data(as_text=True)
    assert response.status_code == HTTPStatus.CONFLICT
    assert ALREADY in html and code not in html and reference not in html


def test_same_browser_within_the_window_is_shown_the_code(app, client, db):
    hidden = open_form(client)
    first = receipt_of(post_complaint(client, hidden=hidden))
    complaint = db.session.execute(select(Complaint)).scalar_one()
    complaint.received_at -= timedelta(minutes=4)
    db.session.commit()
    assert receipt_of(post_complaint(client, hidden=hidden)) == first


def test_the_session_marker_holds_neither_code_nor_reference(client, db):
    hidden = open_form(client)
    reference, code = receipt_of(post_complaint(client, hidden=hidden))
    with client.session_transaction() as session:
        stored = repr(dict(session))
    assert FORMS_GIVEN_KEY in stored
    for secret in (code, code.replace("-", ""), reference, hidden["submission_token"]):
        assert secret not in stored
