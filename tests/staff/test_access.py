"""Who reaches which staff and admin page: every route against every role and anonymous."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from complaints_app.authz import ROLE_PERMISSIONS, Permission
from complaints_app.models import Role
from tests.helpers import post_complaint, receipt_of, small_pdf
from tests.staff.conftest import complaint_by_reference, fresh_token, login

# (name, method, path template, permission the route declares, status when allowed)
ROUTES = [
    ("staff home", "GET", "/staff/", Permission.VIEW_CASES, HTTPStatus.FOUND),
    ("queue", "GET", "/staff/cases", Permission.VIEW_CASES, HTTPStatus.OK),
    ("case page", "GET", "/staff/cases/{ref}", Permission.VIEW_CASES, HTTPStatus.OK),
    ("staff intake", "GET", "/staff/intake", Permission.STAFF_INTAKE, HTTPStatus.OK),
    (
        "attachment",
        "GET",
        "/staff/cases/{ref}/attachments/{att}",
        Permission.DOWNLOAD_EVIDENCE,
        HTTPStatus.OK,
    ),
    ("admin home", "GET", "/admin/", Permission.MANAGE_USERS, HTTPStatus.OK),
    ("note", "POST", "/staff/cases/{ref}/notes", Permission.VIEW_CASES, HTTPStatus.SEE_OTHER),
    (
        "message",
        "POST",
        "/staff/cases/{ref}/messages",
        Permission.VIEW_CASES,
        HTTPStatus.SEE_OTHER,
    ),
    ("reveal contact", "POST", "/staff/cases/{ref}/contact", Permission.REVEAL_CONTACT, 200),
    ("assign", "POST", "/staff/cases/{ref}/assign", Permission.SUPERVISE, HTTPStatus.SEE_OTHER),
    (
        "allegation",
        "POST",
        "/staff/cases/{ref}/allegations/{alg}",
        Permission.VIEW_CASES,
        HTTPStatus.SEE_OTHER,
    ),
    (
        "acknowledge",
        "POST",
        "/staff/cases/{ref}/actions/acknowledge",
        Permission.VIEW_CASES,
        HTTPStatus.SEE_OTHER,
    ),
]


def _expected(role: Role | None, permission: Permission, allowed: int, name: str) -> int:
    if role is None:
        return HTTPStatus.FOUND  # to the sign-in page
    permissions = ROLE_PERMISSIONS[role]
    if role == Role.ADVOCATE or permission not in permissions:
        return HTTPStatus.FORBIDDEN
    if name in ("acknowledge", "allegation") and Permission.TRIAGE not in permissions:
        # The page is reachable, but confirming a clause or acknowledging needs TRIAGE.
        return HTTPStatus.UNPROCESSABLE_ENTITY
    return allowed


ROLES = [*Role, None]
TABLE = [
    pytest.param(role, *route, id=f"{route[0]}-{role.value if role else 'anonymous'}")
    for route in ROUTES
    for role in ROLES
]


def _form_data(name: str, complaint, allegation_id: int) -> dict:
    version = str(complaint.version)
    prefix = f"a{allegation_id}-"
    return {
        "note": {"text": "Called the station."},
        "message": {"text": "Could you tell us the officer's badge?"},
        "reveal contact": {"reason": "Need to call back"},
        "assign": {"version": version, "assignee": ""},
        "allegation": {
            prefix + "version": version,
            prefix + "clause": "2c",
            prefix + "confirmed": "y",
            prefix + "reason": "Matches the narrative",
        },
        "acknowledge": {"version": version, "message": "We received your complaint."},
    }.get(name, {})


@pytest.mark.parametrize(("role", "name", "method", "path", "permission", "allowed"), TABLE)
def test_route_access_by_role(app, db, make_user, role, name, method, path, permission, allowed):
    resident = app.test_client()
    reference, _code = receipt_of(post_complaint(resident, files=[(small_pdf(), "a.pdf")]))
    complaint = complaint_by_reference(db, reference)
    attachment_id = complaint.attachments[0].id
    allegation_id = complaint.allegations[0].id

    client = app.test_client()
    if role is not None:
        user = make_user(role)
        assert login(client, user.email).status_code == HTTPStatus.SEE_OTHER
    url = path.format(ref=reference, att=attachment_id, alg=allegation_id)
    if method == "GET":
        response = client.get(url)
    else:
        data = {"csrf_token": fresh_token(client), **_form_data(name, complaint, allegation_id)}
        response = client.post(url, data=data)

    expected = _expected(role, permission, allowed, name)
    assert response.status_code == expected, response.get_data(as_text=True)[-2000:]
    if role is None:
        assert response.headers["Location"].startswith("/login")


# A few rows written out, so the table above cannot drift with the permission map unnoticed.
@pytest.mark.parametrize(
    ("role", "path", "expected"),
    [
        (None, "/staff/cases", HTTPStatus.FOUND),
        (Role.ADVOCATE, "/staff/cases", HTTPStatus.FORBIDDEN),
        (Role.ADVOCATE, "/admin/", HTTPStatus.FORBIDDEN),
        (Role.RECORDS, "/staff/cases/{ref}", HTTPStatus.FORBIDDEN),
        (Role.ADMIN, "/staff/cases/{ref}", HTTPStatus.FORBIDDEN),
        (Role.ADMIN, "/admin/", HTTPStatus.OK),
        (Role.INTAKE, "/admin/", HTTPStatus.FORBIDDEN),
        (Role.INTAKE, "/staff/cases/{ref}", HTTPStatus.OK),
        (Role.INVESTIGATOR, "/staff/cases/{ref}", HTTPStatus.OK),
        (Role.SUPERVISOR, "/staff/cases/{ref}", HTTPStatus.OK),
        (Role.INVESTIGATOR, "/staff/intake", HTTPStatus.FORBIDDEN),
        (Role.INTAKE, "/staff/intake", HTTPStatus.OK),
    ],
)
def test_explicit_access_rows(app, make_user, filed_case, role, path, expected):
    client = app.test_client()
    if role is not None:
        login(client, make_user(role).email)
    response = client.get(path.format(ref=filed_case[0]))
    assert response.status_code == expected
    if expected == HTTPStatus.FOUND:
        assert response.headers["Location"].startswith("/login")


def test_unknown_reference_is_not_found(signed_in):
    client, _user = signed_in(Role.INTAKE)
    assert client.get("/staff/cases/TA-2020-9999").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/staff/cases/TA-2020-9999/attachments/1").status_code == HTTPStatus.NOT_FOUND


def test_attachment_of_another_case_is_not_found(app, db, signed_in):
    resident = app.test_client()
    first, _ = receipt_of(post_complaint(resident, files=[(small_pdf(), "a.pdf")]))
    second, _ = receipt_of(post_complaint(app.test_client()))
    attachment_id = complaint_by_reference(db, first).attachments[0].id
    client, _user = signed_in(Role.INVESTIGATOR)
    response = client.get(f"/staff/cases/{second}/attachments/{attachment_id}")
    assert response.status_code == HTTPStatus.NOT_FOUND
