"""Admin account pages: create, role, deactivate, reset password, organisations, access."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import select

from complaints_app.models import Organisation, Role, User
from tests.admin.conftest import PASSWORD, make_user, sign_in, token


def _user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


@pytest.mark.parametrize("role", list(Role))
def test_admin_creates_account_of_each_role(admin_client, db, organisation, role):
    email = f"new-{role.value}@example.org"
    data = {
        "csrf_token": token(admin_client, "/admin/users/new"),
        "email": email.upper(),
        "display_name": "Nia New",
        "role": role.value,
        "organisation": organisation.slug if role is Role.ADVOCATE else "",
        "password": "granite lantern orchard seven",
    }
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == HTTPStatus.SEE_OTHER
    user = _user(db, email)
    assert user is not None and user.role is role and user.active
    assert user.display_name == "Nia New"
    assert user.organisation_id == (organisation.id if role is Role.ADVOCATE else None)
    assert response.headers["Location"].endswith(f"/admin/users/{user.id}")
    listing = admin_client.get("/admin/").get_data(as_text=True)
    assert email in listing


def test_advocate_needs_an_organisation(admin_client, db, organisation):
    data = {
        "csrf_token": token(admin_client, "/admin/users/new"),
        "email": "adv@example.org",
        "role": "advocate",
        "organisation": "",
        "password": "granite lantern orchard seven",
    }
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "An advocate belongs to an organisation" in response.get_data(as_text=True)
    assert _user(db, "adv@example.org") is None


def test_weak_password_refused_and_other_values_kept(admin_client, db, organisation):
    data = {
        "csrf_token": token(admin_client, "/admin/users/new"),
        "email": "weak@example.org",
        "display_name": "Walter Weak",
        "role": "advocate",
        "organisation": organisation.slug,
        "password": "short1",
    }
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert "Use at least 15 characters" in html
    assert 'id="password-error"' in html
    assert 'value="weak@example.org"' in html
    assert 'value="Walter Weak"' in html
    assert '<option selected value="advocate">' in html
    assert f'<option selected value="{organisation.slug}">' in html
    assert "short1" not in html
    assert _user(db, "weak@example.org") is None


def test_duplicate_email_refused_beside_the_email_field(admin_client, db):
    make_user(db, Role.INTAKE, "taken@example.org")
    data = {
        "csrf_token": token(admin_client, "/admin/users/new"),
        "email": "taken@example.org",
        "role": "intake",
        "organisation": "",
        "password": "granite lantern orchard seven",
    }
    response = admin_client.post("/admin/users/new", data=data)
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


def test_role_change_applies_immediately(app, admin_client, db):
    records = make_user(db, Role.RECORDS, "records@example.org")
    other = app.test_client()
    sign_in(other, records.email)
    assert other.get("/staff/cases").status_code == HTTPStatus.FORBIDDEN

    response = admin_client.post(
        f"/admin/users/{records.id}/role",
        data={"csrf_token": token(admin_client), "role": "intake"},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert _user(db, records.email).role is Role.INTAKE

    # The old session carried the old rights: it has ended.
    after = other.get("/staff/cases")
    assert after.status_code == HTTPStatus.FOUND
    assert after.headers["Location"].startswith("/login")
    sign_in(other, records.email)
    assert other.get("/staff/cases").status_code == HTTPStatus.OK


def test_staff_cannot_be_switched_to_advocate(admin_client, db):
    intake = make_user(db, Role.INTAKE, "intake@example.org")
    response = admin_client.post(
        f"/admin/users/{intake.id}/role",
        data={"csrf_token": token(admin_client), "role": "advocate"},
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert _user(db, intake.email).role is Role.INTAKE


def test_admin_resets_a_password(app, admin_client, db):
    intake = make_user(db, Role.INTAKE, "intake@example.org")
    other = app.test_client()
    sign_in(other, intake.email)

    weak = admin_client.post(
        f"/admin/users/{intake.id}/password",
        data={"csrf_token": token(admin_client), "password": "password"},
    )
    assert weak.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert 'id="password-error"' in weak.get_data(as_text=True)
    assert other.get("/staff/cases").status_code == HTTPStatus.OK

    new_password = "quiet meadow copper bicycle"
    response = admin_client.post(
        f"/admin/users/{intake.id}/password",
        data={"csrf_token": token(admin_client), "password": new_password},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert other.get("/staff/cases").status_code == HTTPStatus.FOUND
    fresh = app.test_client()
    sign_in(fresh, intake.email, new_password)
    assert fresh.get("/staff/cases").status_code == HTTPStatus.OK


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


def test_password_constant_is_strong():
    from complaints_app.services import passwords

    assert passwords.problems(PASSWORD) == []
