"""Clause-specific facts: asked where the clause needs them, and saved with the allegation."""

from __future__ import annotations

import re
from http import HTTPStatus

from sqlalchemy import select

from complaints_app.models import Allegation, Role
from tests.helpers import hidden_fields


def test_2c_allegation_records_warrant_and_hours(db, signed_in, filed_case):
    reference, _ = filed_case
    client, _user = signed_in(Role.INTAKE)
    page = client.get(f"/staff/cases/{reference}").get_data(as_text=True)
    allegations = {a.clause.code: a for a in db.session.execute(select(Allegation)).scalars()}
    held, asked = allegations["2c"], allegations["2b"]
    assert f'name="a{held.id}-custody_extended_hours"' in page
    assert f'name="a{held.id}-warrant_presented"' in page
    assert f'name="a{asked.id}-custody_extended_hours"' not in page
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    done = client.post(
        f"/staff/cases/{reference}/allegations/{held.id}",
        data={
            "csrf_token": hidden_fields(page)["csrf_token"],
            f"a{held.id}-version": version,
            f"a{held.id}-clause": "2c",
            f"a{held.id}-confirmed": "y",
            f"a{held.id}-warrant_presented": "no",
            f"a{held.id}-custody_extended_hours": "14",
            f"a{held.id}-reason": "Booking log shows release at 02:00, ICE pickup 16:00",
        },
    )
    assert done.status_code == HTTPStatus.SEE_OTHER, done.get_data(as_text=True)[-1500:]
    db.session.expire_all()
    saved = db.session.get(Allegation, held.id)
    assert saved.clause_confirmed
    assert saved.facts == {"warrant_presented": "no", "custody_extended_hours": 14}


def test_allegation_form_without_the_csrf_token_is_refused(db, signed_in, filed_case):
    reference, _ = filed_case
    client, _user = signed_in(Role.INTAKE)
    page = client.get(f"/staff/cases/{reference}").get_data(as_text=True)
    held = db.session.execute(select(Allegation)).scalars().first()
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    refused = client.post(
        f"/staff/cases/{reference}/allegations/{held.id}",
        data={
            f"a{held.id}-version": version,
            f"a{held.id}-clause": "2d",
            f"a{held.id}-reason": "forged",
        },
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    db.session.expire_all()
    assert db.session.get(Allegation, held.id).clause.code != "2d"


def test_each_action_says_what_it_did(db, signed_in, filed_case):
    reference, _ = filed_case
    client, _user = signed_in(Role.INTAKE)
    page = client.get(f"/staff/cases/{reference}").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    done = client.post(
        f"/staff/cases/{reference}/actions/acknowledge",
        data={
            "csrf_token": hidden_fields(page)["csrf_token"],
            "version": version,
            "message": "We have your complaint.",
        },
        follow_redirects=True,
    )
    assert done.status_code == HTTPStatus.OK
    assert "Acknowledged. The complainant can read your message." in done.get_data(as_text=True)
    unknown = client.post(
        f"/staff/cases/{reference}/actions/delete",
        data={"csrf_token": hidden_fields(page)["csrf_token"]},
    )
    assert unknown.status_code == HTTPStatus.NOT_FOUND
