"""Every rule of the complaint form, through its steps (/complaints/new/<step>): the message
is shown at the top and beside the field, nothing typed is lost, and no case is filed. Forms
without a CSRF token are refused with a message a resident can act on."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from sqlalchemy import func, select

from complaints_app.models import CaseEvent, Complaint, Status
from complaints_app.timeutil import city_today
from tests.helpers import (
    FORM_STEPS,
    error_summary,
    hidden_fields,
    open_form,
    parse_page,
    post_complaint,
    receipt_of,
    sign_in_to_case,
    valid_complaint,
)

# Every field filled, with values that differ from any default, so that a value the page
# forgot would show.
TYPED = valid_complaint(
    what_happened=["asked_status", "info_shared_with_ice", "something_else"],
    urgent="yes",
    incident_time="about noon",
    incident_place="Booking desk, 5 Court Street",
    agency="jail",
    agency_detail="Second shift",
    officers="Officer Rivera, badge 2210",
    narrative="The officer said “ICE wants you” & kept me <until> the morning, after bail.",
    contact_name="Ana Example",
    contact_email="ana@example.org",
    contact_phone="617 555 0199",
    contact_postal="12 Elm Street\nSpringfield",
    contact_best_time="weekday mornings",
)

# Groups of radio buttons or checkboxes: the summary links to their first option.
GROUPS = {
    "what_happened",
    "urgent",
    "agency",
    "contact_choice",
    "contact_method",
    "safe_to_contact",
}
CHECKBOXES = {"consent"}


def _tomorrow(app) -> str:
    with app.app_context():
        return (city_today() + timedelta(days=1)).isoformat()


def _too_long_narrative(app) -> str:
    return "x" * (app.config["NARRATIVE_MAX_CHARS"] + 1)


def _too_long_message(app) -> str:
    limit = app.config["NARRATIVE_MAX_CHARS"]
    return f"Please keep this under {limit} characters. It is {limit + 1} now."


# (overrides of TYPED — None leaves the field out, a callable gets the app —, field, message)
RULES = [
    pytest.param(
        {"what_happened": None},
        "what_happened",
        "Choose at least one, or choose “Something else”.",
        id="nothing-chosen-in-what-happened",
    ),
    pytest.param({"urgent": None}, "urgent", "Please answer yes or no.", id="urgent-unanswered"),
    pytest.param(
        {"incident_date": ""}, "incident_date", "Enter the date it happened.", id="date-missing"
    ),
    pytest.param(
        {"incident_date": _tomorrow},
        "incident_date",
        "The date cannot be in the future.",
        id="date-in-future",
    ),
    pytest.param(
        {"incident_date": "1999-12-31"},
        "incident_date",
        "Please check the year.",
        id="date-before-2000",
    ),
    pytest.param(
        {"incident_place": ""},
        "incident_place",
        "Tell us where it happened, for example a street or a building.",
        id="place-missing",
    ),
    pytest.param(
        {"incident_place": "   "},
        "incident_place",
        "Tell us where it happened, for example a street or a building.",
        id="place-only-spaces",
    ),
    pytest.param(
        {"incident_place": "x" * 301},
        "incident_place",
        "Please keep this under 300 characters.",
        id="place-too-long",
    ),
    pytest.param(
        {"agency": None},
        "agency",
        "Choose who was involved, or “I am not sure”.",
        id="agency-missing",
    ),
    pytest.param(
        {"narrative": ""},
        "narrative",
        "Tell us what happened, in your own words.",
        id="narrative-missing",
    ),
    pytest.param(
        {"narrative": "            "},
        "narrative",
        "Tell us what happened, in your own words.",
        id="narrative-only-spaces",
    ),
    pytest.param(
        {"narrative": "Too short"},
        "narrative",
        "Please tell us a little more.",
        id="narrative-too-short",
    ),
    pytest.param(
        {"narrative": _too_long_narrative},
        "narrative",
        _too_long_message,
        id="narrative-over-max-chars",
    ),
    pytest.param({"consent": None}, "consent", "Please confirm before you send.", id="no-consent"),
    pytest.param(
        {"contact_method": None},
        "contact_method",
        "Choose how we should contact you.",
        id="contact-without-method",
    ),
    pytest.param(
        {"contact_method": "email", "contact_email": ""},
        "contact_email",
        "Enter your email address.",
        id="email-method-without-email",
    ),
    pytest.param(
        {"contact_email": "ana(at)example"},
        "contact_email",
        "Enter an email address like name@example.org.",
        id="invalid-email",
    ),
    pytest.param(
        {"contact_method": "phone", "contact_phone": ""},
        "contact_phone",
        "Enter your phone number.",
        id="phone-method-without-phone",
    ),
    pytest.param(
        {"contact_method": "text", "contact_phone": ""},
        "contact_phone",
        "Enter your phone number.",
        id="text-method-without-phone",
    ),
    pytest.param(
        {"contact_method": "phone", "contact_phone": "555-12"},
        "contact_phone",
        "Enter a phone number with at least 7 digits.",
        id="phone-under-7-digits",
    ),
    pytest.param(
        {"contact_method": "mail", "contact_postal": ""},
        "contact_postal",
        "Enter your postal address.",
        id="mail-method-without-address",
    ),
    pytest.param(
        {"safe_to_contact": None},
        "safe_to_contact",
        "Tell us whether this way is safe.",
        id="contact-without-safe-to-contact",
    ),
    pytest.param(
        {"contact_choice": None},
        "contact_choice",
        "Choose whether we may contact you.",
        id="contact-choice-missing",
    ),
]


def _resolve(app, value):
    return value(app) if callable(value) else value


def _typed(app, overrides: dict) -> dict:
    return valid_complaint(**{**TYPED, **{k: _resolve(app, v) for k, v in overrides.items()}})


def _complaints(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Complaint))


# The fields each page of the form asks, the send page's consent included.
PAGE_FIELDS = [names for _slug, names in FORM_STEPS] + [("consent",)]


def _page_fields(field: str) -> tuple[str, ...]:
    return next(names for names in PAGE_FIELDS if field in names)


def assert_form_keeps(page, posted: dict, names=None) -> None:
    """Every value of ``posted`` that the page asks (``names``, by default those of the page
    holding the first field with a mistake) is back in the form: text in its box, choices
    ticked, and nothing ticked that was not."""
    if names is None:
        first = next(n for n in TYPED if page.find(id=f"{n}-error") is not None)
        names = _page_fields(first)
    for name in (n for n in TYPED if n in names):
        value = posted.get(name)
        controls = [el for el in page.find_all(name=name) if el.tag in ("input", "textarea")]
        assert controls, f"no {name} on the page"
        first = controls[0]
        if first.get("type") in ("radio", "checkbox"):
            wanted = value if isinstance(value, list) else ([value] if value else [])
            ticked = [c.get("value") for c in controls if "checked" in c.attrs]
            assert sorted(ticked) == sorted(wanted), name
        elif first.tag == "textarea":
            assert first.raw_text == (value or ""), name
        else:
            assert first.get("value") == (value or ""), name


def _described_by(element) -> list[str]:
    return (element.get("aria-describedby") or "").split()


@pytest.mark.parametrize(("overrides", "field", "message"), RULES)
def test_form_error_is_shown_at_top_and_beside_field_and_keeps_everything_typed(
    app, client, db, overrides, field, message
):
    posted = _typed(app, overrides)
    message = _resolve(app, message)

    response = post_complaint(client, posted)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    anchor = f"#{field}-0" if field in GROUPS else f"#{field}"
    assert error_summary(page) == [(anchor, message)]
    assert page.find(id=anchor[1:]) is not None, "the summary links to nothing"
    beside = page.find(id=f"{field}-error")
    assert beside is not None and message in beside.text

    invalid = [el.get("id") for el in page.iter() if el.get("aria-invalid") == "true"]
    if field in GROUPS:
        fieldset = [fs for fs in page.find_all("fieldset") if fs.find(id=f"{field}-0")][-1]
        assert f"{field}-error" in _described_by(fieldset)
        assert invalid == []
    elif field in CHECKBOXES:
        assert f"{field}-error" in _described_by(page.find(id=field))
        assert invalid == []
    else:
        assert f"{field}-error" in _described_by(page.find(id=field))
        assert invalid == [field]

    assert_form_keeps(page, posted)
    assert _complaints(db) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"urgent": "maybe"}, id="urgent"),
        pytest.param({"agency": "federal"}, id="agency"),
        pytest.param({"contact_method": "pigeon"}, id="contact-method"),
        pytest.param({"safe_to_contact": "perhaps"}, id="safe-to-contact"),
        pytest.param({"contact_choice": "later"}, id="contact-choice"),
        pytest.param({"what_happened": ["asked_status", "made_up"]}, id="what-happened"),
    ],
)
def test_choice_no_button_offers_is_refused_not_a_server_error(app, client, db, overrides):
    response = post_complaint(client, _typed(app, overrides))

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert len(error_summary(parse_page(response.get_data(as_text=True)))) >= 1
    assert _complaints(db) == 0


@pytest.mark.parametrize(
    ("overrides", "anchors"),
    [
        pytest.param(
            {"what_happened": None, "urgent": None},
            ["#what_happened-0", "#urgent-0"],
            id="what-happened",
        ),
        pytest.param(
            {"incident_date": "", "incident_time": "x" * 41, "incident_place": ""},
            ["#incident_date", "#incident_time", "#incident_place"],
            id="when-and-where",
        ),
        pytest.param(
            {"agency": None, "officers": "x" * 301},
            ["#agency-0", "#officers"],
            id="who-was-involved",
        ),
        pytest.param(
            {"contact_email": "ana(at)example", "safe_to_contact": None},
            ["#contact_email", "#safe_to_contact-0"],
            id="contact",
        ),
    ],
)
def test_several_mistakes_on_one_step_are_all_listed_in_form_order(
    app, client, db, overrides, anchors
):
    posted = _typed(app, overrides)

    response = post_complaint(client, posted)

    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    page = parse_page(response.get_data(as_text=True))
    assert [href for href, _ in error_summary(page)] == anchors
    assert_form_keeps(page, posted)
    assert _complaints(db) == 0


def test_failed_post_title_starts_with_error(app, client, db):
    ok_page = parse_page(
        client.get("/complaints/new", follow_redirects=True).get_data(as_text=True)
    )
    assert not ok_page.find("title").text.startswith("Error:")

    response = post_complaint(client, _typed(app, {"narrative": ""}))

    assert parse_page(response.get_data(as_text=True)).find("title").text.startswith("Error:")


def test_corrected_form_files_the_case(app, client, db):
    first = post_complaint(client, _typed(app, {"consent": None}))
    assert first.status_code == HTTPStatus.UNPROCESSABLE_ENTITY

    hidden = hidden_fields(first.get_data(as_text=True))
    second = post_complaint(client, _typed(app, {}), hidden=hidden)

    assert second.status_code == HTTPStatus.OK
    receipt_of(second)
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.incident_place == TYPED["incident_place"]
    assert complaint.narrative == TYPED["narrative"]


CSRF_POSTS = [
    pytest.param(
        "/complaints/new/what-happened", lambda ref, code: valid_complaint(), id="new-complaint"
    ),
    pytest.param("/track", lambda ref, code: {"reference": ref, "code": code}, id="track"),
    pytest.param("/track/reply", lambda ref, code: {"message": "Hello office"}, id="reply"),
    pytest.param("/track/withdraw", lambda ref, code: {"confirm": "y"}, id="withdraw"),
    pytest.param("/track/leave", lambda ref, code: {}, id="leave"),
    pytest.param("/language", lambda ref, code: {"lang": "en", "next": "/"}, id="language"),
]


@pytest.mark.parametrize(("url", "payload"), CSRF_POSTS)
def test_post_without_csrf_token_is_refused_with_friendly_message_and_changes_nothing(
    client, db, url, payload
):
    reference, code = receipt_of(post_complaint(client))
    sign_in_to_case(client, reference, code)
    events = db.session.scalar(select(func.count()).select_from(CaseEvent))
    data = payload(reference, code)
    if url.startswith("/complaints/new"):
        data["submission_token"] = open_form(client)["submission_token"]

    response = client.post(url, data=data, content_type="multipart/form-data")

    if url == "/language":
        assert response.status_code == HTTPStatus.SEE_OTHER
        response = client.get(response.headers["Location"])
    else:
        assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Nothing was sent: this form had expired" in response.get_data(as_text=True)
    assert _complaints(db) == 1
    assert db.session.scalar(select(func.count()).select_from(CaseEvent)) == events
    complaint = db.session.execute(select(Complaint)).scalar_one()
    assert complaint.status == Status.SUBMITTED
    # Still signed in to the case: leaving needs the token too.
    assert reference in client.get("/track").get_data(as_text=True)
