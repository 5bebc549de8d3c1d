"""Anonymous means no contact fields, on the public form and on staff intake: the form hides them
with CSS alone, and the server keeps nothing typed there when the person chose to stay anonymous."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

import pytest
from sqlalchemy import select

from complaints_app.extensions import db as _db
from complaints_app.models import Complaint, Role
from tests.helpers import hidden_fields, parse_page, post_complaint, step_page, valid_complaint
from tests.staff.conftest import login

CONTACT = {
    "contact_name": "Zorana Quillfeather",
    "contact_method": "phone",
    "contact_email": "zq-marker-77@example.org",
    "contact_phone": "555-0199-4321",
    "contact_postal": "12 Marker Lane, Apt 9Q",
    "contact_best_time": "evenings after 7 marker",
    "safe_to_contact": "yes",
}


def _database_holds(text: str) -> list[str]:
    """Every table and column where ``text`` appears in a stored value, as stored."""
    found = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is not None and text.lower() in str(value).lower():
                    found.append(f"{table.name}.{column}")
    return found


def _filed(db) -> Complaint:
    db.session.expire_all()
    return db.session.execute(select(Complaint)).scalar_one()


@pytest.mark.parametrize("field", list(CONTACT))
def test_contact_typed_with_anonymous_is_not_stored(client, db, field):
    """Whatever contact field was filled before choosing anonymous, none of it is kept: not
    its value, not its hash, not the method or the "safe to contact" answer."""
    data = valid_complaint(contact_choice="anonymous", **CONTACT)
    response = post_complaint(client, data)
    assert response.status_code == HTTPStatus.OK
    complaint = _filed(db)
    assert complaint.anonymous
    assert complaint.contact_ct is None
    assert complaint.contact_email_hash is None and complaint.contact_phone_hash is None
    assert complaint.contact_method is None and complaint.safe_to_contact is None
    value = CONTACT[field]
    if field not in ("contact_method", "safe_to_contact"):
        assert _database_holds(value) == []


def test_contact_is_kept_when_contact_is_chosen(client, db):
    """The same values with "you may contact me" are kept (encrypted): the check above can
    tell the difference."""
    response = post_complaint(client, valid_complaint(contact_choice="contact", **CONTACT))
    assert response.status_code == HTTPStatus.OK
    complaint = _filed(db)
    assert not complaint.anonymous
    assert complaint.contact_ct is not None and complaint.contact_phone_hash is not None
    assert complaint.safe_to_contact is True


def test_staff_intake_drops_contact_of_an_anonymous_filing(app, db, make_user):
    staff = make_user(Role.INTAKE)
    browser = app.test_client()
    login(browser, staff.email)
    data = valid_complaint(contact_choice="anonymous", channel="phone", **CONTACT)
    html = browser.get("/staff/intake").get_data(as_text=True)
    response = browser.post(
        "/staff/intake",
        data={**hidden_fields(html), **data},
        content_type="multipart/form-data",
    )
    assert response.status_code == HTTPStatus.OK, response.get_data(as_text=True)[-2000:]
    complaint = _filed(db)
    assert complaint.anonymous and complaint.contact_ct is None
    for value in ("Zorana", "zq-marker-77", "555-0199", "Marker Lane"):
        assert _database_holds(value) == []


@pytest.mark.parametrize("url", ["/complaints/new", "/staff/intake"])
def test_contact_questions_follow_the_anonymous_choice_without_script(app, db, make_user, url):
    """The radio and the contact fields share one section, and the style sheet hides the
    fields inside it when "anonymous" is checked (no script on the page)."""
    browser = app.test_client()
    if url.startswith("/staff"):
        login(browser, make_user(Role.INTAKE).email)
    shown = step_page(browser, "contact") if url == "/complaints/new" else browser.get(url)
    page = parse_page(shown.get_data(as_text=True))
    section = next(
        s for s in page.find_all("section") if "contact-questions" in (s.get("class") or "")
    )
    radios = section.find_all("input", name="contact_choice")
    assert {r.get("value") for r in radios} == {"contact", "anonymous"}
    fields = next(d for d in section.find_all("div") if "contact-fields" in (d.get("class") or ""))
    for name in CONTACT:
        assert fields.find(name=name) is not None, name
    assert page.find_all("script") == []
    css = (Path(app.static_folder) / "css" / "app.css").read_text()
    assert (
        '.contact-questions:has(input[name="contact_choice"][value="anonymous"]:checked) '
        ".contact-fields { display: none; }"
    ) in css
