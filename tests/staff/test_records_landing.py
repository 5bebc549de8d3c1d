"""Records officers land on the section 4 ledger, never a 403; every staff role's landing
after sign-in is a page it may open."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from complaints_app.models import Role
from tests.staff.conftest import login


def test_records_officer_signs_in_to_the_ledger(app, make_user):
    user = make_user(Role.RECORDS)
    client = app.test_client()
    response = login(client, user.email)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/staff/federal-requests"
    page = client.get("/staff/federal-requests")
    assert page.status_code == HTTPStatus.OK
    body = page.get_data(as_text=True)
    assert "administrative warrant" in body and "Semi-annual reports" in body
    # Linked from the navigation, marked as the current page.
    assert 'href="/staff/federal-requests" aria-current="page"' in body
    # No link to pages a records officer may not open.
    assert 'href="/staff/cases"' not in body


def test_staff_home_sends_a_records_officer_to_the_ledger_not_a_refusal(signed_in):
    client, _ = signed_in(Role.RECORDS)
    response = client.get("/staff/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == "/staff/federal-requests"
    assert client.get("/staff/cases").status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("role", [Role.INTAKE, Role.INVESTIGATOR, Role.RECORDS])
def test_each_staff_role_lands_on_a_page_it_may_open(app, make_user, role):
    user = make_user(role)
    client = app.test_client()
    response = login(client, user.email, follow_redirects=True)
    assert response.status_code == HTTPStatus.OK
    expected = "/staff/federal-requests" if role == Role.RECORDS else "/staff/cases"
    assert response.request.path == expected


@pytest.mark.parametrize("role", [Role.INTAKE, Role.INVESTIGATOR])
def test_case_roles_do_not_see_the_ledger(signed_in, role):
    client, _ = signed_in(role)
    assert client.get("/staff/federal-requests").status_code == HTTPStatus.FORBIDDEN
    assert 'href="/staff/federal-requests"' not in client.get("/staff/cases").get_data(as_text=True)


def test_supervisors_see_the_ledger_in_their_navigation(signed_in):
    client, _ = signed_in(Role.SUPERVISOR)
    assert 'href="/staff/federal-requests"' in client.get("/staff/cases").get_data(as_text=True)
