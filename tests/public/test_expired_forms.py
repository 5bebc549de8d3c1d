"""A form refused for its CSRF token (the session cookie gone between showing the form and
sending it, a garbled or missing token) comes back with everything typed in it and a clear
message, never a bare error page, and nothing it asked for is done."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import func, select

from complaints_app.models import CaseEvent, Complaint, EventKind, Status
from tests.helpers import (
    STEP_URL,
    hidden_fields,
    open_form,
    parse_page,
    post_complaint,
    post_step,
    receipt_of,
    sign_in_to_case,
    valid_complaint,
)

MESSAGE = "Nothing was sent: this form had expired or came from another page."
LONG_NARRATIVE = (
    "On the night of the third I was held at the central station after my bail was paid. " * 40
).strip()


def _drop_cookie(client) -> None:
    """What an expired or cleared session looks like to the server: no cookie at all."""
    client.delete_cookie("session")


def _garble(token: str) -> str:
    return token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")


SPOIL = {
    "dropped-cookie": lambda client, token: (_drop_cookie(client), token)[1],
    "garbled-token": lambda client, token: _garble(token),
    "missing-token": lambda client, token: None,
    "token-of-another-session": lambda client, token: hidden_fields(
        client.application.test_client().get("/track").get_data(as_text=True)
    )["csrf_token"],
}


def _with_token(data: dict, token: str | None) -> dict:
    data = {k: v for k, v in data.items() if k != "csrf_token"}
    if token is not None:
        data["csrf_token"] = token
    return data


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _textarea(page, name: str) -> str:
    element = page.find("textarea", name=name)
    assert element is not None, f"no textarea {name}"
    return element.raw_text.strip()


def _input(page, name: str) -> str | None:
    element = page.find("input", name=name)
    return element.get("value") if element is not None else None


@pytest.mark.parametrize("spoil", list(SPOIL), ids=list(SPOIL))
def test_complaint_form_comes_back_whole_and_files_nothing(app, client, db, spoil):
    hidden = open_form(client)
    typed = valid_complaint(
        narrative=LONG_NARRATIVE,
        incident_place="Corner of 5th and Main",
        officers="Officer Diaz, badge 7781",
    )
    for slug in ("what-happened", "when-and-where", "who-was-involved"):
        assert post_step(client, slug, typed, hidden["csrf_token"]).status_code == 303
    token = SPOIL[spoil](client, hidden["csrf_token"])
    payload = _with_token({**hidden, "narrative": typed["narrative"]}, token)

    response = client.post(
        STEP_URL.format("your-account"), data=payload, content_type="multipart/form-data"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.get_data(as_text=True)
    assert MESSAGE in html
    page = parse_page(html)
    assert _textarea(page, "narrative") == LONG_NARRATIVE
    assert _count(db, Complaint) == 0

    # The page carries a working token: sending it again files the case, once.
    again = post_complaint(client, typed, hidden=hidden_fields(html))
    assert again.status_code == HTTPStatus.OK
    receipt_of(again)
    assert _count(db, Complaint) == 1


@pytest.fixture
def tracked(app, client, db) -> tuple[str, str]:
    reference, code = receipt_of(post_complaint(client))
    assert sign_in_to_case(client, reference, code).status_code == HTTPStatus.SEE_OTHER
    return reference, code


def _case_token(client) -> str:
    return hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]


def _messages(db) -> int:
    return _count(db, CaseEvent, CaseEvent.kind == EventKind.MESSAGE_FROM_COMPLAINANT)


@pytest.mark.parametrize("spoil", ["garbled-token", "missing-token", "token-of-another-session"])
def test_reply_keeps_its_text_and_sends_nothing(client, db, tracked, spoil):
    token = SPOIL[spoil](client, _case_token(client))
    text = "Here is more about what happened.\n\nThe officer said he would call ICE."

    response = client.post("/track/reply", data=_with_token({"message": text}, token))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.get_data(as_text=True)
    assert MESSAGE in html
    assert _textarea(parse_page(html), "message") == text.strip()
    assert _messages(db) == 0
    again = client.post(
        "/track/reply", data={"csrf_token": hidden_fields(html)["csrf_token"], "message": text}
    )
    assert again.status_code == HTTPStatus.SEE_OTHER
    assert _messages(db) == 1


@pytest.mark.parametrize(
    "how", ["dropped-cookie", "left-on-another-tab", "idle-too-long"], ids=lambda h: h
)
def test_reply_after_the_case_closed_carries_the_message_to_the_next_sign_in(
    app, client, db, tracked, how
):
    reference, code = tracked
    token = _case_token(client)
    text = "A long answer to the office's question. " * 30
    if how == "dropped-cookie":
        _drop_cookie(client)
    elif how == "left-on-another-tab":
        client.post("/track/leave", data={"csrf_token": token})
    else:
        from datetime import timedelta

        from sqlalchemy import update

        from complaints_app.models import SessionGrant
        from complaints_app.timeutil import utcnow

        db.session.execute(
            update(SessionGrant).values(last_seen_at=utcnow() - timedelta(minutes=11))
        )
        db.session.commit()

    response = client.post("/track/reply", data={"csrf_token": token, "message": text})

    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED)
    html = response.get_data(as_text=True)
    assert "nothing was sent" in html.lower()
    page = parse_page(html)
    assert _textarea(page, "carried_message") == text.strip()
    assert _messages(db) == 0

    # Reference and code again: the case opens with the message in the reply box, unsent.
    opened = client.post(
        "/track",
        data={
            "csrf_token": hidden_fields(html)["csrf_token"],
            "reference": reference,
            "code": code,
            "carried_message": _textarea(page, "carried_message"),
        },
    )
    assert opened.status_code == HTTPStatus.OK
    case_page = parse_page(opened.get_data(as_text=True))
    assert _textarea(case_page, "message") == text.strip()
    assert _messages(db) == 0
    sent = client.post(
        "/track/reply",
        data={
            "csrf_token": hidden_fields(opened.get_data(as_text=True))["csrf_token"],
            "message": _textarea(case_page, "message"),
        },
    )
    assert sent.status_code == HTTPStatus.SEE_OTHER
    assert _messages(db) == 1


def test_oversized_reply_is_refused_with_its_text_kept(app, client, db, tracked):
    text = "x" * (app.config["NARRATIVE_MAX_CHARS"] + 1)
    response = client.post(
        "/track/reply",
        data={"csrf_token": _case_token(client), "message": text},
        content_type="multipart/form-data",
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert _textarea(parse_page(response.get_data(as_text=True)), "message") == text
    assert _messages(db) == 0


@pytest.mark.parametrize("spoil", list(SPOIL), ids=list(SPOIL))
def test_track_form_keeps_the_reference_and_opens_nothing(client, db, spoil):
    reference, code = receipt_of(post_complaint(client))
    token = SPOIL[spoil](client, _case_token(client))

    response = client.post(
        "/track", data=_with_token({"reference": reference, "code": code}, token)
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.get_data(as_text=True)
    assert MESSAGE in html
    assert _input(parse_page(html), "reference") == reference
    assert f"Your case {reference}" not in client.get("/track").get_data(as_text=True)


@pytest.mark.parametrize("spoil", ["garbled-token", "missing-token"])
def test_withdraw_and_leave_do_nothing_without_a_valid_token(client, db, tracked, spoil):
    reference, _code = tracked
    token = SPOIL[spoil](client, _case_token(client))

    withdraw = client.post("/track/withdraw", data=_with_token({"confirm": "y"}, token))
    assert withdraw.status_code == HTTPStatus.BAD_REQUEST
    assert MESSAGE in withdraw.get_data(as_text=True)
    box = parse_page(withdraw.get_data(as_text=True)).find("input", name="confirm")
    assert "checked" in box.attrs

    leave = client.post("/track/leave", data=_with_token({}, token))
    assert leave.status_code == HTTPStatus.BAD_REQUEST
    assert MESSAGE in leave.get_data(as_text=True)

    db.session.expire_all()
    assert db.session.execute(select(Complaint)).scalar_one().status == Status.SUBMITTED
    assert f"Your case {reference}" in client.get("/track").get_data(as_text=True)


@pytest.mark.parametrize("spoil", list(SPOIL), ids=list(SPOIL))
def test_language_switch_changes_nothing_and_stays_on_the_page(client, db, spoil):
    token = SPOIL[spoil](client, _case_token(client))
    response = client.post("/language", data=_with_token({"lang": "en", "next": "/policy"}, token))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/policy"
    with client.session_transaction() as sess:
        assert "lang" not in sess


def test_a_message_over_the_limit_is_carried_whole_and_checked_when_sent(app, client, db, tracked):
    reference, code = tracked
    token = _case_token(client)
    text = "y" * (app.config["NARRATIVE_MAX_CHARS"] + 50)
    client.post("/track/leave", data={"csrf_token": token})

    closed = client.post("/track/reply", data={"csrf_token": token, "message": text})
    html = closed.get_data(as_text=True)
    assert _textarea(parse_page(html), "carried_message") == text

    opened = client.post(
        "/track",
        data={
            "csrf_token": hidden_fields(html)["csrf_token"],
            "reference": reference,
            "code": code,
            "carried_message": text,
        },
    )
    assert opened.status_code == HTTPStatus.OK
    sent = client.post(
        "/track/reply",
        data={
            "csrf_token": hidden_fields(opened.get_data(as_text=True))["csrf_token"],
            "message": text,
        },
    )
    assert sent.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Please keep this under" in sent.get_data(as_text=True)
    assert _textarea(parse_page(sent.get_data(as_text=True)), "message") == text
    assert _messages(db) == 0
