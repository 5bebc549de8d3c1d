"""Tracking a case: the code is strong, never stored, logged or put in a URL; wrong guesses
are limited per client only, so the right code always opens the case; a tracked case is
closed on the server when idle, when too old, or on request, and a copied cookie then opens
nothing."""

from __future__ import annotations

import logging
import math
import re
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from flask import current_app
from sqlalchemy import func, select, update

from complaints_app.models import CaseEvent, Complaint, EventKind, GrantKind, SessionGrant
from complaints_app.public.routes import TRACK_SESSION_KEY
from complaints_app.services import tracking
from complaints_app.timeutil import utcnow
from tests.helpers import (
    hidden_fields,
    open_form,
    parse_page,
    post_complaint,
    receipt_of,
    sign_in_to_case,
    valid_complaint,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_RE = re.compile(rf"^[{CROCKFORD}]{{4}}(-[{CROCKFORD}]{{4}}){{5}}$")
WRONG_CODE = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF"


def file_case(client) -> tuple[str, str]:
    return receipt_of(post_complaint(client))


def _limit(app, name: str) -> int:
    """The number of attempts a limit like "10 per 15 minutes" allows."""
    return int(app.config[name].split()[0])


def _token(client) -> str:
    return hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]


def guess(client, reference: str, code: str, ip: str = "127.0.0.1"):
    """One attempt at the tracking form from the address ``ip``."""
    return client.post(
        "/track",
        data={"csrf_token": _token(client), "reference": reference, "code": code},
        environ_base={"REMOTE_ADDR": ip},
    )


def shows_case(client, reference: str) -> bool:
    page = parse_page(client.get("/track").get_data(as_text=True))
    heading = page.find("h1").text
    if heading == f"Your case {reference}":
        return True
    assert page.find("input", name="code") is not None, "neither the case nor the form"
    return False


def test_tracking_code_is_24_crockford_symbols_in_six_groups(client, db):
    _, first = file_case(client)
    _, second = file_case(client)

    for code in (first, second):
        assert CODE_RE.match(code), code
        symbols = code.replace("-", "")
        assert len(symbols) == 24
    assert 24 * math.log2(len(CROCKFORD)) >= 100
    assert first != second


def _scan_database(db) -> dict[str, list[str]]:
    """Every value of every row of every table, as text, by table name."""
    values: dict[str, list[str]] = {}
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            for value in row:
                if isinstance(value, bytes):
                    value = value.decode("latin-1")
                values.setdefault(table.name, []).append(str(value).upper())
    return values


def test_database_never_holds_the_tracking_code(client, db):
    reference, code = file_case(client)
    sign_in_to_case(client, reference, code)
    token = _token(client)
    client.post("/track/reply", data={"csrf_token": token, "message": f"My code is not {code}"})
    client.post("/track/withdraw", data={"csrf_token": token, "confirm": "y"})

    values = _scan_database(db)

    assert values["complaint"] and values["case_event"]
    plain = code.replace("-", "")
    for table, rows in values.items():
        assert not any(code in value or plain in value for value in rows), table
    # Even the resident's own message quoting the code holds it only sealed.
    reply = db.session.execute(
        select(CaseEvent).where(CaseEvent.kind == EventKind.MESSAGE_FROM_COMPLAINANT)
    ).scalar_one()
    assert code in reply.body


def test_logs_never_hold_the_code_the_pair_or_the_address(app, client, db, caplog):
    caplog.set_level(logging.DEBUG)
    reference, code = file_case(client)
    for _ in range(_limit(app, "TRACK_LIMIT_PER_CLIENT")):
        assert guess(client, reference, WRONG_CODE).status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert guess(client, reference, code).status_code == HTTPStatus.TOO_MANY_REQUESTS
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.5.5.5"
    assert sign_in_to_case(other, reference, code).status_code == HTTPStatus.SEE_OTHER
    other.post("/track/reply", data={"csrf_token": _token(other), "message": "More details."})
    other.post("/track/leave", data={"csrf_token": _token(other)})

    assert caplog.records, "nothing was logged at all: the check would prove nothing"
    forbidden = [code, code.replace("-", ""), code.replace("-", " "), "127.0.0.1", "10.5.5.5"]
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for secret in forbidden:
            assert secret not in text, record.name
        assert not (reference in text and code in text), record.name


def test_tracking_code_never_goes_in_a_url_or_the_session(client, db):
    receipt = post_complaint(client)
    reference, code = receipt_of(receipt)
    for element in parse_page(receipt.get_data(as_text=True)).iter():
        for attr in ("href", "action", "src"):
            assert code not in (element.get(attr) or "")

    form = parse_page(client.get("/track").get_data(as_text=True)).find("form", action="/track")
    assert form.get("method") == "post"

    found = sign_in_to_case(client, reference, code)
    assert found.status_code == HTTPStatus.SEE_OTHER
    location = urlsplit(found.headers["Location"])
    assert location.path == "/track" and location.query == ""
    assert code not in found.headers["Location"]
    with client.session_transaction() as session:
        assert code not in str(dict(session))
        assert code.replace("-", "") not in str(dict(session))


def test_code_in_query_string_opens_nothing(client, db):
    reference, code = file_case(client)

    response = client.get("/track", query_string={"reference": reference, "code": code})

    assert response.status_code == HTTPStatus.OK
    assert not shows_case(client, reference)


def _file_case_whose_code_has(client, app, symbols: str) -> tuple[str, str]:
    """File a case whose tracking code contains every one of ``symbols``: the code follows
    from the form's one-time token, so pick a token that gives such a code."""
    hidden = open_form(client)
    with app.app_context():
        while not all(s in tracking.code_for_token(hidden["submission_token"]) for s in symbols):
            # A new browser session gets a new form, with a new token from the server.
            client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
            hidden = open_form(client)
    return receipt_of(post_complaint(client, hidden=hidden))


@pytest.mark.parametrize(
    ("zero", "one"),
    [("O", "I"), ("O", "L"), ("o", "l"), ("o", "i")],
)
def test_look_alike_letters_are_read_as_digits(app, client, db, zero, one):
    reference, code = _file_case_whose_code_has(client, app, "01")
    typed = code.replace("0", zero).replace("1", one)
    assert typed != code

    response = sign_in_to_case(client, reference, typed)

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert shows_case(client, reference)


def test_client_is_paused_after_failed_guesses_even_with_the_right_pair(app, client, db):
    reference, code = file_case(client)
    limit = _limit(app, "TRACK_LIMIT_PER_CLIENT")

    for _ in range(limit):
        assert guess(client, reference, WRONG_CODE).status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    refused = guess(client, reference, code)

    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert not shows_case(client, reference)
    # Another client is not paused.
    assert guess(app.test_client(), reference, code, ip="10.1.1.1").status_code == (
        HTTPStatus.SEE_OTHER
    )


def test_successful_look_ups_do_not_count_against_the_client(app, client, db):
    reference, code = file_case(client)
    limit = _limit(app, "TRACK_LIMIT_PER_CLIENT")

    for _ in range(limit - 1):
        assert guess(client, reference, WRONG_CODE).status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    for _ in range(limit + 5):
        assert guess(client, reference, code).status_code == HTTPStatus.SEE_OTHER
    last_try = guess(client, reference, WRONG_CODE)
    assert last_try.status_code == HTTPStatus.UNPROCESSABLE_ENTITY

    assert guess(client, reference, code).status_code == HTTPStatus.TOO_MANY_REQUESTS


SPELLINGS = [
    lambda r: r,
    str.lower,
    lambda r: f"  {r} ",
    lambda r: r.replace("-", " - "),
    lambda r: " ".join(r),
]


def test_wrong_guesses_from_many_clients_never_lock_the_owner_out(app, client, db):
    reference, code = file_case(client)
    per_client = _limit(app, "TRACK_LIMIT_PER_CLIENT")
    # Far more wrong guesses at the one case than any per-case limit would have allowed,
    # spread over many addresses, each spelling the reference its own way.
    for n in range(60):
        spelling = SPELLINGS[n % len(SPELLINGS)](reference)
        response = guess(client, spelling, WRONG_CODE, ip=f"10.0.{n // per_client}.1")
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY

    owner = app.test_client()
    opened = guess(owner, reference, code, ip="127.0.0.2")
    assert opened.status_code == HTTPStatus.SEE_OTHER
    assert shows_case(owner, reference)
    # Every spelling of the reference still opens it, from yet other addresses.
    for n, spelling in enumerate(SPELLINGS):
        fresh = app.test_client()
        response = guess(fresh, spelling(reference), code, ip=f"127.0.1.{n + 1}")
        assert response.status_code == HTTPStatus.SEE_OTHER


def test_a_client_over_its_own_limit_is_refused_whatever_case_it_tries(app, client, db):
    first, first_code = file_case(client)
    second, second_code = file_case(client)
    limit = _limit(app, "TRACK_LIMIT_PER_CLIENT")
    noisy = app.test_client()
    for n in range(limit):
        target = first if n % 2 else second
        assert guess(noisy, target, WRONG_CODE, ip="127.0.0.3").status_code == (
            HTTPStatus.UNPROCESSABLE_ENTITY
        )
    for reference, code in ((first, first_code), (second, second_code)):
        assert guess(noisy, reference, code, ip="127.0.0.3").status_code == (
            HTTPStatus.TOO_MANY_REQUESTS
        )
        assert guess(app.test_client(), reference, code, ip="127.0.0.4").status_code == (
            HTTPStatus.SEE_OTHER
        )


def _age_grants(db, **ages: timedelta) -> None:
    """Move the tracked-case grants back in time: ``idle`` ago last seen, ``opened`` ago."""
    values = {}
    if "idle" in ages:
        values["last_seen_at"] = utcnow() - ages["idle"]
    if "opened" in ages:
        values["created_at"] = utcnow() - ages["opened"]
        values["expires_at"] = values["created_at"] + timedelta(
            minutes=current_app.config["TRACK_MAX_MINUTES"]
        )
    db.session.execute(
        update(SessionGrant).where(SessionGrant.kind == GrantKind.TRACK).values(**values)
    )
    db.session.commit()


def _messages(db) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(CaseEvent)
        .where(CaseEvent.kind == EventKind.MESSAGE_FROM_COMPLAINANT)
    )


@pytest.mark.parametrize(
    ("age", "still_open"),
    [
        ({"idle": timedelta(minutes=9)}, True),
        ({"idle": timedelta(minutes=11)}, False),
        ({"idle": timedelta(minutes=1), "opened": timedelta(minutes=119)}, True),
        ({"idle": timedelta(minutes=1), "opened": timedelta(minutes=121)}, False),
    ],
    ids=["idle-9-min", "idle-11-min", "opened-119-min-ago", "opened-121-min-ago"],
)
def test_tracked_case_closes_on_the_server_when_idle_or_too_old(app, client, db, age, still_open):
    assert app.config["TRACK_IDLE_MINUTES"] == 10
    assert app.config["TRACK_MAX_MINUTES"] == 120
    reference, code = file_case(client)
    sign_in_to_case(client, reference, code)
    token = _token(client)
    _age_grants(db, **age)

    assert shows_case(client, reference) is still_open

    reply = client.post("/track/reply", data={"csrf_token": token, "message": "Still there?"})
    assert reply.status_code == (HTTPStatus.SEE_OTHER if still_open else HTTPStatus.UNAUTHORIZED)
    assert _messages(db) == (1 if still_open else 0)


def test_each_visit_moves_the_idle_limit_on(app, client, db):
    reference, code = file_case(client)
    sign_in_to_case(client, reference, code)
    _age_grants(db, idle=timedelta(minutes=8))
    assert shows_case(client, reference)
    db.session.expire_all()
    grant = db.session.execute(select(SessionGrant)).scalar_one()
    assert utcnow() - grant.last_seen_at < timedelta(minutes=1)
    _age_grants(db, idle=timedelta(minutes=8))
    assert shows_case(client, reference)  # 16 minutes after opening, but never 10 idle


def test_a_copied_cookie_opens_nothing_after_leaving(app, client, db):
    reference, code = file_case(client)
    sign_in_to_case(client, reference, code)
    copied = client.get_cookie("session").value
    token = _token(client)
    assert client.post("/track/leave", data={"csrf_token": token}).status_code == (
        HTTPStatus.SEE_OTHER
    )

    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert not shows_case(thief, reference)
    thief.post("/track/reply", data={"csrf_token": token, "message": "Replayed."})
    assert _messages(db) == 0


def test_leaving_forgets_the_case_on_this_device(client, db):
    reference, code = file_case(client)
    sign_in_to_case(client, reference, code)
    assert shows_case(client, reference)
    token = _token(client)

    response = client.post("/track/leave", data={"csrf_token": token})

    assert response.status_code == HTTPStatus.SEE_OTHER
    assert urlsplit(response.headers["Location"]).path == "/track"
    assert not shows_case(client, reference)
    with client.session_transaction() as session:
        assert TRACK_SESSION_KEY not in session
    client.post("/track/reply", data={"csrf_token": token, "message": "Am I still in?"})
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.kind == EventKind.MESSAGE_FROM_COMPLAINANT)
        )
        == 0
    )


def test_purged_case_cannot_be_opened(app, client, db):
    reference, code = file_case(client)
    sign_in_to_case(client, reference, code)
    assert shows_case(client, reference)
    complaint = db.session.execute(select(Complaint)).scalar_one()
    complaint.purged_at = utcnow()
    db.session.commit()

    assert not shows_case(client, reference)
    fresh = app.test_client()
    response = sign_in_to_case(fresh, reference, code)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "We could not find that case" in response.get_data(as_text=True)
    assert not shows_case(fresh, reference)


def _new_form(client, reference, code):
    return client.get("/complaints/new", follow_redirects=True)


def _form_with_errors(client, reference, code):
    return post_complaint(client, valid_complaint(narrative="Mine."))


def _receipt(client, reference, code):
    return post_complaint(client)


def _track_form(client, reference, code):
    return client.get("/track")


def _failed_look_up(client, reference, code):
    return guess(client, reference, WRONG_CODE)


def _case_page(client, reference, code):
    sign_in_to_case(client, reference, code)
    return client.get("/track")


def _reply_with_error(client, reference, code):
    sign_in_to_case(client, reference, code)
    return client.post("/track/reply", data={"csrf_token": _token(client), "message": ""})


@pytest.mark.parametrize(
    "page",
    [
        _new_form,
        _form_with_errors,
        _receipt,
        _track_form,
        _failed_look_up,
        _case_page,
        _reply_with_error,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_pages_with_personal_data_are_never_cached(client, db, page):
    reference, code = file_case(client)

    response = page(client, reference, code)

    assert response.status_code in (HTTPStatus.OK, HTTPStatus.UNPROCESSABLE_ENTITY)
    assert response.headers["Cache-Control"] == "no-store"
