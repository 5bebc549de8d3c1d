"""The resident's form, one topic per page: steps in order, back and change links that keep
every answer, the hotline from the first answer on, files kept to the end, answers sealed on
the server (never in a URL or the cookie), drafts that expire, and one case however often
the send page is posted."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text, update

from complaints_app.models import Attachment, Complaint, FormDraft
from complaints_app.public.guided import DRAFT_SESSION_KEY
from complaints_app.timeutil import utcnow
from tests.helpers import (
    CHECK_URL,
    FORM_STEPS,
    SEND_URL,
    STEP_URL,
    hidden_fields,
    jpeg_with_gps,
    open_form,
    parse_page,
    post_complaint,
    post_step,
    receipt_of,
    valid_complaint,
)

NARRATIVE = "The desk sergeant Marker-Q7Z3 held me for ICE after the judge released me."
STEP_NAMES = [
    "What happened",
    "When and where",
    "Who was involved",
    "Your account",
    "Photos and documents",
    "How we can reach you",
    "Check your answers",
    "Send your complaint",
]


def _count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _fill(client, data: dict, upto: int, files=None) -> str:
    """Complete the first ``upto`` steps; the CSRF token used."""
    csrf = open_form(client)["csrf_token"]
    for slug, _names in FORM_STEPS[:upto]:
        response = post_step(client, slug, data, csrf, files if slug == "files" else None)
        assert response.status_code == HTTPStatus.SEE_OTHER, (slug, response.status_code)
    return csrf


def _page(client, url: str):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, (url, response.status_code)
    return parse_page(response.get_data(as_text=True))


def _session(client, app) -> dict:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def test_each_step_has_its_own_url_progress_and_title(client, db):
    data = valid_complaint(narrative=NARRATIVE)
    _fill(client, data, 6)
    urls = [STEP_URL.format(slug) for slug, _ in FORM_STEPS] + [CHECK_URL, SEND_URL]
    for number, (url, name) in enumerate(zip(urls, STEP_NAMES, strict=True), start=1):
        page = _page(client, url)
        assert page.find(id="step-progress").text == f"Step {number} of 8"
        assert page.find("h1").text == name
        assert page.find("title").text.startswith(f"{name} — Step {number} of 8")


def test_new_starts_a_draft_and_resumes_it_at_the_first_unfinished_step(client, db):
    first = client.get("/complaints/new")
    assert first.status_code == HTTPStatus.SEE_OTHER
    assert urlsplit(first.headers["Location"]).path == STEP_URL.format("what-happened")
    _fill(client, valid_complaint(), 2)
    again = client.get("/complaints/new")
    assert urlsplit(again.headers["Location"]).path == STEP_URL.format("who-was-involved")
    assert _count(db, FormDraft) == 1


@pytest.mark.parametrize("target", ["your-account", "contact", "check", "send"])
def test_jumping_ahead_goes_to_the_first_unfinished_step(client, db, target):
    _fill(client, valid_complaint(), 2)
    url = (
        STEP_URL.format(target) if target not in ("check", "send") else f"/complaints/new/{target}"
    )
    response = client.get(url)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert urlsplit(response.headers["Location"]).path == STEP_URL.format("who-was-involved")


def test_unknown_step_is_not_found(client, db):
    open_form(client)
    assert client.get("/complaints/new/immigration").status_code == HTTPStatus.NOT_FOUND


def test_back_links_go_to_the_previous_step_and_keep_answers(client, db):
    data = valid_complaint(
        what_happened=["asked_status", "something_else"],
        incident_place="Booking desk, 5 Court Street",
        officers="Officer Rivera",
        narrative=NARRATIVE,
    )
    _fill(client, data, 6)
    assert (
        _page(client, STEP_URL.format("what-happened")).find("a", **{"class": "back-link"}) is None
    )
    for index in range(1, 6):
        slug, _ = FORM_STEPS[index]
        back = _page(client, STEP_URL.format(slug)).find("a", **{"class": "back-link"})
        assert back.get("href") == STEP_URL.format(FORM_STEPS[index - 1][0])

    first = _page(client, STEP_URL.format("what-happened"))
    ticked = [
        b.get("value")
        for b in first.find_all("input", name="what_happened")
        if "checked" in b.attrs
    ]
    assert sorted(ticked) == ["asked_status", "something_else"]
    when = _page(client, STEP_URL.format("when-and-where"))
    assert when.find("input", name="incident_place").get("value") == data["incident_place"]
    assert when.find("input", name="incident_date").get("value") == data["incident_date"]
    account = _page(client, STEP_URL.format("your-account"))
    assert account.find("textarea", name="narrative").raw_text == NARRATIVE
    who = _page(client, STEP_URL.format("who-was-involved"))
    assert who.find("textarea", name="officers").raw_text == "Officer Rivera"

    # Going back and continuing again keeps the later answers too.
    csrf = hidden_fields(client.get(STEP_URL.format("what-happened")).get_data(as_text=True))[
        "csrf_token"
    ]
    again = post_step(client, "what-happened", data, csrf)
    assert urlsplit(again.headers["Location"]).path == STEP_URL.format("when-and-where")
    assert (
        _page(client, STEP_URL.format("your-account")).find("textarea", name="narrative").raw_text
        == NARRATIVE
    )


def test_check_page_lists_every_answer_with_a_change_link_that_returns_to_it(client, db):
    csrf = _fill(client, valid_complaint(narrative=NARRATIVE, officers="Badge 4417"), 6)
    check = _page(client, CHECK_URL)
    text = check.find("dl").text
    for shown in (NARRATIVE, "Badge 4417", "Central police station", "ana@example.org"):
        assert shown in text
    links = [a.get("href") for a in check.find("dl").find_all("a")]
    assert len(links) == 9
    assert {urlsplit(h).path for h in links} == {STEP_URL.format(s) for s, _ in FORM_STEPS}
    change = next(h for h in links if urlsplit(h).path == STEP_URL.format("your-account"))

    page = _page(client, change)
    assert page.find("a", **{"class": "back-link"}).get("href") == CHECK_URL
    # A mistake on the change page keeps the way back to the check page.
    bad = client.post(change, data={"csrf_token": csrf, "narrative": "Short"})
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Please tell us a little more." in bad.get_data(as_text=True)
    saved = client.post(change, data={"csrf_token": csrf, "narrative": "A new account " * 3})
    assert saved.status_code == HTTPStatus.SEE_OTHER
    assert urlsplit(saved.headers["Location"]).path == CHECK_URL
    assert "A new account" in _page(client, CHECK_URL).find("dl").text

    # Changing the contact choice to anonymous on its step shows it on the check page.
    contact = next(h for h in links if urlsplit(h).path == STEP_URL.format("contact"))
    client.post(contact, data={"csrf_token": csrf, "contact_choice": "anonymous"})
    assert "No, I want to stay anonymous" in _page(client, CHECK_URL).find("dl").text
    receipt_of(post_complaint(client, valid_complaint(contact_choice="anonymous")))
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.anonymous


def test_urgent_answer_shows_the_hotline_on_the_next_step_and_every_later_one(client, db):
    csrf = open_form(client)["csrf_token"]
    first = _page(client, STEP_URL.format("what-happened"))
    assert first.find(id="urgent-help") is None
    post_step(client, "what-happened", valid_complaint(urgent="yes"), csrf)
    _fill(client, valid_complaint(urgent="yes"), 6)
    urls = [STEP_URL.format(slug) for slug, _ in FORM_STEPS[1:]] + [CHECK_URL, SEND_URL]
    for url in urls:
        panel = _page(client, url).find(id="urgent-help")
        assert panel is not None, url
        assert "555-0100" in panel.text
        assert panel.find("a").get("href") == "tel:555-0100"


def test_not_urgent_shows_no_hotline(client, db):
    _fill(client, valid_complaint(urgent="no"), 6)
    for url in [STEP_URL.format("when-and-where"), CHECK_URL, SEND_URL]:
        assert _page(client, url).find(id="urgent-help") is None


def test_a_file_added_on_the_files_step_is_listed_kept_and_filed(client, db, upload_dir):
    _fill(client, valid_complaint(), 6, files=[(jpeg_with_gps(), "photo.jpg")])
    files = _page(client, STEP_URL.format("files"))
    boxes = files.find_all("input", name="keep_files")
    assert len(boxes) == 1 and "checked" in boxes[0].attrs
    assert "photo.jpg" in _page(client, CHECK_URL).find("dl").text
    receipt_of(post_complaint(client, valid_complaint(keep_files=[boxes[0].get("value")])))
    (attachment,) = db.session.execute(select(Attachment)).scalars()
    assert attachment.original_name == "photo.jpg"


def test_a_kept_file_can_be_removed_on_the_files_step(client, db, upload_dir):
    csrf = _fill(client, valid_complaint(), 6, files=[(jpeg_with_gps(), "photo.jpg")])
    removed = post_step(client, "files", {}, csrf)
    assert removed.status_code == HTTPStatus.SEE_OTHER
    assert "photo.jpg" not in _page(client, CHECK_URL).find("dl").text
    receipt_of(post_complaint(client))
    assert _count(db, Attachment) == 0


def test_draft_is_sealed_in_the_database_and_only_a_key_is_in_the_cookie(app, client, db):
    data = valid_complaint(narrative=NARRATIVE, contact_email="marker-mail@example.org")
    _fill(client, data, 6)
    rows = db.session.execute(text("SELECT key_hash, answers_ct FROM form_draft")).all()
    assert len(rows) == 1
    key_hash, sealed = rows[0]
    for secret in ("Marker-Q7Z3", "marker-mail", "Central police station", "Badge 4417"):
        assert secret not in sealed
    state = _session(client, app)
    key = state[DRAFT_SESSION_KEY]
    assert key not in key_hash
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert "Marker" not in str(state) and "Marker" not in cookie
    assert set(state) <= {DRAFT_SESSION_KEY, "csrf_token", "forms_given", "_flashes", "_fresh"}


def test_no_answer_ever_appears_in_a_url(client, db):
    data = valid_complaint(narrative=NARRATIVE)
    csrf = open_form(client)["csrf_token"]
    locations = []
    for slug, _ in FORM_STEPS:
        response = post_step(client, slug, data, csrf)
        locations.append(response.headers["Location"])
    check = _page(client, CHECK_URL)
    locations += [a.get("href") for a in check.find_all("a") if a.get("href")]
    for url in locations:
        for value in ("Marker", "police", "ana", "Central", "2026", "4417", "yes"):
            assert value not in url, url


def test_sending_deletes_the_draft_and_the_next_form_starts_fresh(app, client, db):
    receipt_of(post_complaint(client, valid_complaint(narrative=NARRATIVE)))
    assert _count(db, FormDraft) == 0
    assert DRAFT_SESSION_KEY not in _session(client, app)
    first = client.get("/complaints/new", follow_redirects=True).get_data(as_text=True)
    assert "checked" not in first
    account = client.get(STEP_URL.format("your-account"))
    assert urlsplit(account.headers["Location"]).path == STEP_URL.format("what-happened")


def test_draft_idle_too_long_is_gone_and_purged(app, client, db):
    _fill(client, valid_complaint(narrative=NARRATIVE), 4)
    hours = app.config["FORM_DRAFT_IDLE_HOURS"]
    db.session.execute(
        update(FormDraft).values(updated_at=utcnow() - timedelta(hours=hours, minutes=1))
    )
    db.session.commit()

    response = client.get(STEP_URL.format("when-and-where"))
    assert urlsplit(response.headers["Location"]).path == STEP_URL.format("what-happened")
    assert _count(db, FormDraft) == 1  # the expired row waits for a purge

    result = app.test_cli_runner().invoke(args=["sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 expired complaint form draft(s)." in result.output
    assert _count(db, FormDraft) == 0

    # A new form starts empty.
    client.get("/complaints/new")
    assert "Marker" not in client.get(STEP_URL.format("what-happened")).get_data(as_text=True)


def test_starting_a_form_purges_other_expired_drafts(app, client, db):
    other = app.test_client()
    _fill(other, valid_complaint(), 2)
    db.session.execute(update(FormDraft).values(updated_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    open_form(client)
    # Opening the form stores nothing; answering its first page starts the draft and sweeps
    # the expired one away.
    assert _count(db, FormDraft) == 1
    _fill(client, valid_complaint(), 1)
    assert _count(db, FormDraft) == 1
    assert db.session.execute(select(FormDraft.updated_at)).scalar_one() > utcnow() - timedelta(
        hours=1
    )


def test_opening_the_form_stores_nothing(app, db):
    for _ in range(3):
        visitor = app.test_client()
        page = visitor.get("/complaints/new", follow_redirects=True)
        assert page.status_code == HTTPStatus.OK
        assert "submission_token" in page.get_data(as_text=True)
    assert _count(db, FormDraft) == 0


def test_a_fresh_draft_is_kept_while_in_use(app, client, db):
    _fill(client, valid_complaint(), 2)
    db.session.execute(update(FormDraft).values(updated_at=utcnow() - timedelta(hours=23)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sessions", "purge"])
    assert "Removed 0 expired complaint form draft(s)." in result.output
    assert client.get(STEP_URL.format("who-was-involved")).status_code == HTTPStatus.OK


def test_a_step_posted_after_the_draft_expired_keeps_what_was_just_typed(app, client, db):
    csrf = _fill(client, valid_complaint(), 3)
    db.session.execute(update(FormDraft).values(updated_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    response = post_step(client, "your-account", {"narrative": NARRATIVE}, csrf)
    assert urlsplit(response.headers["Location"]).path == STEP_URL.format("what-happened")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "What you just entered is kept." in page
    _fill(client, valid_complaint(narrative=None), 3)
    resumed = client.get("/complaints/new")
    assert urlsplit(resumed.headers["Location"]).path == STEP_URL.format("files")
    account = _page(client, STEP_URL.format("your-account"))
    assert account.find("textarea", name="narrative").raw_text == NARRATIVE


@pytest.mark.parametrize("times", [2, 3])
def test_sending_again_files_once_and_shows_the_same_receipt(client, db, times):
    _fill(client, valid_complaint(), 6)
    send = hidden_fields(client.get(SEND_URL).get_data(as_text=True))
    receipts = [
        receipt_of(client.post(SEND_URL, data={**send, "consent": "y"})) for _ in range(times)
    ]
    assert len(set(receipts)) == 1
    assert _count(db, Complaint) == 1


def test_two_tabs_of_one_browser_file_one_case(client, db):
    _fill(client, valid_complaint(), 6)
    tab_a = hidden_fields(client.get(SEND_URL).get_data(as_text=True))
    tab_b = hidden_fields(client.get(SEND_URL).get_data(as_text=True))
    assert tab_a["submission_token"] == tab_b["submission_token"]
    first = receipt_of(client.post(SEND_URL, data={**tab_a, "consent": "y"}))
    second = receipt_of(client.post(SEND_URL, data={**tab_b, "consent": "y"}))
    assert first == second
    assert _count(db, Complaint) == 1


def test_back_button_after_sending_then_send_again_files_nothing_more(client, db):
    _fill(client, valid_complaint(), 6)
    send = hidden_fields(client.get(SEND_URL).get_data(as_text=True))
    first = receipt_of(client.post(SEND_URL, data={**send, "consent": "y"}))
    # The browser's back button shows the old send page; the resident presses Send again.
    again = client.post(SEND_URL, data={**send, "consent": "y"})
    assert receipt_of(again) == first
    assert _count(db, Complaint) == 1


def test_two_browsers_never_share_a_draft(app, client, db):
    other = app.test_client()
    _fill(client, valid_complaint(narrative="Browser one wrote this account."), 6)
    _fill(other, valid_complaint(narrative="Browser two wrote another account."), 6)
    assert _count(db, FormDraft) == 2
    mine = _page(client, STEP_URL.format("your-account")).find("textarea").raw_text
    theirs = _page(other, STEP_URL.format("your-account")).find("textarea").raw_text
    assert (mine, theirs) == (
        "Browser one wrote this account.",
        "Browser two wrote another account.",
    )
    token_one = hidden_fields(client.get(SEND_URL).get_data(as_text=True))["submission_token"]
    token_two = hidden_fields(other.get(SEND_URL).get_data(as_text=True))["submission_token"]
    assert token_one != token_two
    # One browser's send page posted by the other files nothing of the first one's draft.
    csrf_two = hidden_fields(other.get(SEND_URL).get_data(as_text=True))["csrf_token"]
    stray = other.post(
        SEND_URL, data={"csrf_token": csrf_two, "submission_token": token_one, "consent": "y"}
    )
    assert stray.status_code == HTTPStatus.SEE_OTHER
    assert _count(db, Complaint) == 0
    receipt_of(
        client.post(
            SEND_URL,
            data={**hidden_fields(client.get(SEND_URL).get_data(as_text=True)), "consent": "y"},
        )
    )
    receipt_of(
        other.post(
            SEND_URL,
            data={**hidden_fields(other.get(SEND_URL).get_data(as_text=True)), "consent": "y"},
        )
    )
    narratives = sorted(c.narrative for c in db.session.execute(select(Complaint)).scalars())
    assert narratives == ["Browser one wrote this account.", "Browser two wrote another account."]


def test_send_without_consent_shows_the_message_and_files_nothing(client, db):
    _fill(client, valid_complaint(), 6)
    send = hidden_fields(client.get(SEND_URL).get_data(as_text=True))
    response = client.post(SEND_URL, data=send)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Please confirm before you send." in response.get_data(as_text=True)
    assert _count(db, Complaint) == 0
    assert _count(db, FormDraft) == 1


def test_key_rotation_reseals_drafts_and_they_stay_readable(app, client, db):
    from complaints_app.crypto import new_key

    _fill(client, valid_complaint(narrative=NARRATIVE), 4)
    old_keys = list(app.config["ENCRYPTION_KEYS"])
    app.config["ENCRYPTION_KEYS"] = [new_key(), *old_keys]
    app.extensions.pop("complaints_keys", None)
    try:
        result = app.test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        app.config["ENCRYPTION_KEYS"] = app.config["ENCRYPTION_KEYS"][:1]
        app.extensions.pop("complaints_keys", None)
        account = _page(client, STEP_URL.format("your-account"))
        assert account.find("textarea", name="narrative").raw_text == NARRATIVE
    finally:
        app.config["ENCRYPTION_KEYS"] = old_keys
        app.extensions.pop("complaints_keys", None)


def test_a_draft_sealed_under_a_removed_key_starts_the_form_again(app, client, db):
    from complaints_app.crypto import new_key

    _fill(client, valid_complaint(narrative=NARRATIVE), 4)
    old_keys = list(app.config["ENCRYPTION_KEYS"])
    app.config["ENCRYPTION_KEYS"] = [new_key()]
    app.extensions.pop("complaints_keys", None)
    try:
        response = client.get(STEP_URL.format("your-account"))
        assert urlsplit(response.headers["Location"]).path == STEP_URL.format("what-happened")
    finally:
        app.config["ENCRYPTION_KEYS"] = old_keys
        app.extensions.pop("complaints_keys", None)


def test_send_with_a_refused_csrf_token_files_nothing_and_keeps_the_draft(client, db):
    _fill(client, valid_complaint(), 6)
    send = hidden_fields(client.get(SEND_URL).get_data(as_text=True))
    response = client.post(
        SEND_URL, data={**send, "csrf_token": send["csrf_token"][:-4] + "AAAA", "consent": "y"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Nothing was sent" in response.get_data(as_text=True)
    assert _count(db, Complaint) == 0
    assert _count(db, FormDraft) == 1
    receipt_of(client.post(SEND_URL, data={**send, "consent": "y"}))
