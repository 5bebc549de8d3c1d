"""Amending the clause catalogue: new versions, old cases keep the text of their date."""

from __future__ import annotations

from datetime import date, timedelta
from http import HTTPStatus

from sqlalchemy import select

from complaints_app.models import Allegation, Clause, Complaint
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
    assert "Amended prompt for held_for_ice?" in resident.get("/complaints/new").get_data(
        as_text=True
    )

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
