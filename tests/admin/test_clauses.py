"""Amending the clause catalogue: new versions, old cases keep the text of their date."""

from __future__ import annotations

from datetime import date, timedelta
from http import HTTPStatus

import pytest
from sqlalchemy import select

from complaints_app.models import Allegation, Clause, Complaint, Role
from complaints_app.services import catalogue
from complaints_app.timeutil import city_today
from tests.admin.conftest import token
from tests.helpers import post_complaint, receipt_of, valid_complaint

NEW_TEXT = "Amended text: no person shall be held past release on a federal request alone."


def _amendment(client, code: str, effective_from: date, **overrides) -> dict:
    current = catalogue.clause_in_force(code, effective_from)
    data = {
        "csrf_token": token(client, f"/admin/clauses/{code}"),
        "title": "Amended title",
        "summary": "Amended summary.",
        "full_text": NEW_TEXT,
        "complaint_eligible": "y",
        "effective_from": effective_from.isoformat(),
    }
    for q in current.questions:
        data[f"q_{q.key}_prompt"] = f"Amended prompt for {q.key}?"
        data[f"q_{q.key}_hint"] = q.hint
    data.update(overrides)
    return data


def _allegation_clause(db, reference: str, code: str) -> Clause:
    db.session.expire_all()
    complaint = db.session.execute(
        select(Complaint).where(Complaint.reference == reference)
    ).scalar_one()
    found = [
        a.clause
        for a in db.session.execute(
            select(Allegation).where(Allegation.complaint_id == complaint.id)
        ).scalars()
        if a.clause and a.clause.code == code
    ]
    assert len(found) == 1
    return found[0]


def test_admin_lists_current_clauses(admin_client, db):
    response = admin_client.get("/admin/clauses")
    assert response.status_code == HTTPStatus.OK
    html = response.get_data(as_text=True)
    assert 'href="/admin/clauses/2c"' in html
    form = admin_client.get("/admin/clauses/2c")
    assert form.status_code == HTTPStatus.OK
    assert "q_held_for_ice_prompt" in form.get_data(as_text=True)
    assert admin_client.get("/admin/clauses/nope").status_code == HTTPStatus.NOT_FOUND


def test_amendment_is_a_new_version_and_old_cases_keep_the_old_text(app, admin_client, db):
    today = city_today()
    old = catalogue.clause_in_force("2c", today)
    old_text = old.full_text
    assert old.version == 1

    resident = app.test_client()
    past = valid_complaint(
        what_happened=["held_for_ice"], incident_date=(today - timedelta(days=5)).isoformat()
    )
    before, _code = receipt_of(post_complaint(resident, past))

    response = admin_client.post("/admin/clauses/2c", data=_amendment(admin_client, "2c", today))
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"].endswith("/admin/clauses")

    db.session.expire_all()
    versions = list(
        db.session.execute(
            select(Clause).where(Clause.code == "2c").order_by(Clause.version)
        ).scalars()
    )
    assert [(v.version, v.effective_from, v.effective_to) for v in versions] == [
        (1, catalogue.SEED_EFFECTIVE_FROM, today),
        (2, today, None),
    ]
    new = versions[1]
    assert new.full_text == NEW_TEXT and new.title == "Amended title"
    assert {q.key for q in new.questions} == {q.key for q in versions[0].questions}
    assert all(q.prompt.startswith("Amended prompt") for q in new.questions)
    assert new.created_by_id is not None

    policy = app.test_client().get("/policy").get_data(as_text=True)
    assert "Amended text: no person shall be held" in policy
    assert "Amended prompt for held_for_ice?" in resident.get(
        "/complaints/new", follow_redirects=True
    ).get_data(as_text=True)

    # The case filed before still cites version 1, whose text did not change.
    kept = _allegation_clause(db, before, "2c")
    assert kept.version == 1 and kept.full_text == old_text

    # An incident on the new effective date is linked to version 2.
    after, _code = receipt_of(
        post_complaint(
            app.test_client(),
            valid_complaint(what_happened=["held_for_ice"], incident_date=today.isoformat()),
        )
    )
    assert _allegation_clause(db, after, "2c").version == 2
    # And a late report of an old incident is still linked to version 1.
    late, _code = receipt_of(post_complaint(app.test_client(), past))
    assert _allegation_clause(db, late, "2c").version == 1
    assert catalogue.clause_in_force("2c", today).version == 2
    assert catalogue.clause_in_force("2c", today - timedelta(days=1)).version == 1


def test_effective_date_must_be_after_the_current_versions(admin_client, db):
    data = _amendment(admin_client, "2c", catalogue.SEED_EFFECTIVE_FROM)
    response = admin_client.post("/admin/clauses/2c", data=data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert "must take effect after" in html
    assert 'id="effective_from-error"' in html
    assert NEW_TEXT in html  # what the admin typed is kept
    db.session.expire_all()
    versions = db.session.execute(select(Clause).where(Clause.code == "2c")).scalars().all()
    assert [(v.version, v.effective_to) for v in versions] == [(1, None)]


def test_missing_title_is_shown_beside_the_field(admin_client, db):
    data = _amendment(admin_client, "2c", city_today(), title="")
    response = admin_client.post("/admin/clauses/2c", data=data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="title-error"' in response.get_data(as_text=True)


def test_amend_clause_refuses_unknown_question_keys(db, admin):
    import pytest

    with pytest.raises(catalogue.CatalogueError):
        catalogue.amend_clause(
            "2c",
            admin,
            title="t",
            summary="s",
            full_text="f",
            complaint_eligible=True,
            effective_from=city_today(),
            questions={"not_a_key": ("p", "h")},
        )
    db.session.rollback()


# Clause text is data typed by an admin: whatever formatting syntax it holds is shown as written.
FORMAT_LIKE = [
    "{2}",
    "{}",
    "{0}",
    "{city:>1000000}",
    "{city.__class__}",
    "{city.__class__.__mro__}",
    "{city!r}",
    "{city[0]}",
    "%(city)s",
    "%s",
    "%",
    "{{city}}",
    "{",
    "}",
    "}{",
    "{{ config }}",
    "{% raw %}",
    "{{ ''.__class__.__mro__ }}",
    "${city}",
    "<b>{office}</b>",
]


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


@pytest.mark.parametrize("payload", FORMAT_LIKE)
def test_clause_text_with_format_syntax_is_shown_literally(app, admin_client, db, payload):
    from tests.admin.conftest import make_user, sign_in

    today = city_today()
    marker = f"MARK-{FORMAT_LIKE.index(payload)}"
    title = f"Held on a hold in {{city}} {marker} {payload}"
    summary = f"Summary {marker} {payload} end"
    full_text = f"Text of [city] {marker} {payload} filed with the [city] Office of --."
    response = admin_client.post(
        "/admin/clauses/2c",
        data=_amendment(
            admin_client, "2c", today, title=title, summary=summary, full_text=full_text
        ),
    )
    assert response.status_code == HTTPStatus.SEE_OTHER

    city, office = app.config["CITY_NAME"], app.config["OFFICE_NAME"]

    # Known placeholders are replaced wherever they stand ("{{city}}" shows "{Springfield}");
    # every other character is shown as typed.
    def filled(text: str) -> str:
        for old, new in (("{city}", city), ("[city]", city), ("{office}", office)):
            text = text.replace(old, new)
        return text.replace("Office of --", office)

    shown_title, shown_summary = _escaped(filled(title)), _escaped(filled(summary))
    filled_text = filled(full_text)

    pages = {}
    pages["/admin/clauses"] = admin_client.get("/admin/clauses")
    pages["/admin/clauses/2c"] = admin_client.get("/admin/clauses/2c")
    pages["/policy"] = app.test_client().get("/policy")
    # A case citing the new version, read by intake staff.
    reference, _code = receipt_of(
        post_complaint(
            app.test_client(),
            valid_complaint(what_happened=["held_for_ice"], incident_date=today.isoformat()),
        )
    )
    intake = app.test_client()
    make_user(db, Role.INTAKE, "intake@example.org")
    sign_in(intake, "intake@example.org")
    pages["/staff/cases/<ref>"] = intake.get(f"/staff/cases/{reference}")
    pages["/staff/cases"] = intake.get("/staff/cases")

    for url, page in pages.items():
        assert page.status_code == HTTPStatus.OK, url
        # A format width or a Jinja expression would have made the page huge or leaked state.
        assert len(page.get_data()) < 200_000, url
    policy = pages["/policy"].get_data(as_text=True)
    assert shown_title in policy
    assert shown_summary in policy
    assert _escaped(filled_text) in policy
    assert shown_title in pages["/admin/clauses"].get_data(as_text=True)
    assert shown_title in pages["/staff/cases/<ref>"].get_data(as_text=True)
    # The edit form shows what the admin typed, placeholders unfilled.
    assert _escaped(full_text) in pages["/admin/clauses/2c"].get_data(as_text=True)
    for page in pages.values():
        html = page.get_data(as_text=True)
        assert "__mro__" not in html or _escaped(payload) in html
        assert "<class " not in html and "SECRET_KEY" not in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{city} and [city] and [City]", "Lowell and Lowell and Lowell"),
        ("the [city] Office of --.", "the Lowell Office of Rights."),
        ("Beginning on [date] ({reporting_start})", "Beginning on D (D)"),
        ("{office} {city:>9} {city!r} {0}", "Office of Rights {city:>9} {city!r} {0}"),
        # A configured name that looks like a placeholder is not expanded again.
        ("{office}", "Office of Rights"),
    ],
)
def test_only_known_placeholders_are_replaced(text, expected):
    from complaints_app.templating import fill_placeholders

    names = {"city": "Lowell", "office": "Office of Rights", "reporting_start": "D"}
    assert fill_placeholders(text, names) == expected
    assert fill_placeholders("{city}", {**names, "city": "{office}"}) == "{office}"
