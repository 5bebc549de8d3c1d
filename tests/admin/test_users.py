"""Admin account pages: create, role, deactivate, reset password, organisations, access."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import select

from complaints_app.models import Organisation, Role, User
from complaints_app.services import passwords
from tests.admin.conftest import (
    PASSWORD,
    create_through_admin,
    link_path,
    make_user,
    request_reset,
    sign_in,
    token,
    use_link,
)


def _user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


@pytest.mark.parametrize("role", [Role.RECORDS, Role.ADMIN, Role.ADVOCATE])
def test_admin_creates_account_without_case_role_that_works_at_once(
    app, admin_client, db, organisation, role
):
    email = f"new-{role.value}@example.org"
    response = create_through_admin(
        admin_client,
        email.upper(),
        role,
        organisation.slug if role is Role.ADVOCATE else "",
        display_name="Nia New",
    )
    assert response.status_code == HTTPStatus.OK
    html = response.get_data(as_text=True)
    assert "waits for approval" not in html
    user = _user(db, email)
    assert user is not None and user.role is role and user.active
    assert user.display_name == "Nia New"
    assert user.organisation_id == (organisation.id if role is Role.ADVOCATE else None)
    assert email in admin_client.get("/admin/").get_data(as_text=True)
    # Nobody chose a password: nothing signs in until the person uses the link.
    for guess in (PASSWORD, "granite lantern orchard seven", "", "!"):
        assert passwords.verify(user.password_hash, guess) is False
    person = app.test_client()
    done = use_link(person, link_path(html), "juniper compass lighthouse ferry")
    assert done.status_code == HTTPStatus.SEE_OTHER
    sign_in(person, email, "juniper compass lighthouse ferry")


def test_new_account_form_has_no_password_field(admin_client):
    html = admin_client.get("/admin/users/new").get_data(as_text=True)
    assert 'type="password"' not in html
    assert "one-time link" in html


def test_advocate_needs_an_organisation(admin_client, db, organisation):
    response = create_through_admin(admin_client, "adv@example.org", Role.ADVOCATE, "")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "An advocate belongs to an organisation" in response.get_data(as_text=True)
    assert _user(db, "adv@example.org") is None


def test_refused_form_keeps_what_was_typed(admin_client, db, organisation):
    response = create_through_admin(
        admin_client, "kept@example.org", Role.INTAKE, organisation.slug, "Walter Kept"
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert "Only advocates belong to an organisation" in html
    assert 'value="kept@example.org"' in html
    assert 'value="Walter Kept"' in html
    assert '<option selected value="intake">' in html
    assert f'<option selected value="{organisation.slug}">' in html
    assert _user(db, "kept@example.org") is None


def test_duplicate_email_refused_beside_the_email_field(admin_client, db):
    make_user(db, Role.INTAKE, "taken@example.org")
    response = create_through_admin(admin_client, "taken@example.org", Role.RECORDS)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html
    assert "already exists" in html


def test_deactivation_ends_the_users_session(app, admin_client, db):
    intake = make_user(db, Role.INTAKE, "intake@example.org")
    other = app.test_client()
    sign_in(other, intake.email)
    assert other.get("/staff/cases").status_code == HTTPStatus.OK

    response = admin_client.post(
        f"/admin/users/{intake.id}/deactivate", data={"csrf_token": token(admin_client)}
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert _user(db, intake.email).active is False

    after = other.get("/staff/cases")
    assert after.status_code == HTTPStatus.FOUND
    assert after.headers["Location"].startswith("/login")

    response = admin_client.post(
        f"/admin/users/{intake.id}/reactivate", data={"csrf_token": token(admin_client)}
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert _user(db, intake.email).active is True
    sign_in(other, intake.email)
    assert other.get("/staff/cases").status_code == HTTPStatus.OK


def test_admin_cannot_deactivate_themselves(admin_client, db, admin):
    response = admin_client.post(
        f"/admin/users/{admin.id}/deactivate", data={"csrf_token": token(admin_client)}
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert _user(db, admin.email).active is True
    assert admin_client.get("/admin/").status_code == HTTPStatus.OK


def test_role_change_without_case_role_applies_immediately(app, admin_client, db):
    intake = make_user(db, Role.INTAKE, "intake@example.org")
    other = app.test_client()
    sign_in(other, intake.email)
    assert other.get("/staff/cases").status_code == HTTPStatus.OK

    response = admin_client.post(
        f"/admin/users/{intake.id}/role",
        data={"csrf_token": token(admin_client), "role": "records"},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert _user(db, intake.email).role is Role.RECORDS

    # The old session carried the old rights: it has ended.
    after = other.get("/staff/cases")
    assert after.status_code == HTTPStatus.FOUND
    assert after.headers["Location"].startswith("/login")
    sign_in(other, intake.email)
    assert other.get("/staff/cases").status_code == HTTPStatus.FORBIDDEN


def test_staff_cannot_be_switched_to_advocate(admin_client, db):
    intake = make_user(db, Role.INTAKE, "intake@example.org")
    response = admin_client.post(
        f"/admin/users/{intake.id}/role",
        data={"csrf_token": token(admin_client), "role": "advocate"},
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert _user(db, intake.email).role is Role.INTAKE


def test_admin_reset_of_account_without_case_role_gives_a_link(app, admin_client, db):
    records = make_user(db, Role.RECORDS, "records@example.org")
    other = app.test_client()
    sign_in(other, records.email)

    nothing = request_reset(admin_client, records.id, password=False)
    assert nothing.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Choose what to reset" in nothing.get_data(as_text=True)

    response = request_reset(admin_client, records.id)
    assert response.status_code == HTTPStatus.OK
    path = link_path(response.get_data(as_text=True))
    # Until the link is used the old password and session still work.
    assert other.get("/staff/cases").status_code == HTTPStatus.FORBIDDEN  # signed in
    sign_in(app.test_client(), records.email)

    person = app.test_client()
    weak = use_link(person, path, "password")
    assert weak.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="new_password-error"' in weak.get_data(as_text=True)
    done = use_link(person, path, "quiet meadow copper bicycle")
    assert done.status_code == HTTPStatus.SEE_OTHER
    assert other.get("/staff/cases").status_code == HTTPStatus.FOUND  # old session ended
    sign_in(app.test_client(), records.email, "quiet meadow copper bicycle")


def test_admin_adds_an_organisation(admin_client, db):
    url = "/admin/organisations"
    response = admin_client.post(
        url, data={"csrf_token": token(admin_client, url), "slug": "north-aid", "name": "North"}
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert "North" in admin_client.get(url).get_data(as_text=True)
    again = admin_client.post(
        url, data={"csrf_token": token(admin_client, url), "slug": "north-aid", "name": "Dup"}
    )
    assert again.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="slug-error"' in again.get_data(as_text=True)
    bad = admin_client.post(
        url, data={"csrf_token": token(admin_client, url), "slug": "Bad Slug", "name": "X"}
    )
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    count = db.session.execute(select(Organisation)).scalars().all()
    assert [o.slug for o in count] == ["north-aid"]


def _admin_routes(app, user_id: int) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] != "admin":
            continue
        url = rule.rule.replace("<int:user_id>", str(user_id)).replace("<code>", "2c")
        for method in sorted(rule.methods & {"GET", "POST"}):
            routes.append((method, url))
    return routes


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_non_admin_roles_get_403_on_every_admin_route(app, db, organisation, role):
    user = make_user(
        db, role, f"{role.value}@example.org", organisation.slug if role is Role.ADVOCATE else None
    )
    client = app.test_client()
    sign_in(client, user.email)
    csrf = token(client, "/")
    routes = _admin_routes(app, user.id)
    assert len(routes) >= 10
    for method, url in routes:
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf, "role": "admin"})
        assert response.status_code == HTTPStatus.FORBIDDEN, (method, url)
    assert _user(db, user.email).role is role


def test_signed_out_visitor_is_sent_to_login(client, db):
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"].startswith("/login")


def test_admin_cannot_open_staff_cases(admin_client, db):
    assert admin_client.get("/staff/cases").status_code == HTTPStatus.FORBIDDEN
    assert admin_client.get("/staff/").status_code == HTTPStatus.FORBIDDEN


def test_password_constant_is_strong(app):
    with app.app_context():
        assert passwords.problems(PASSWORD) == []
