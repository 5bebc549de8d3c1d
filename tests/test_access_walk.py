"""Deny by default: every staff and admin endpoint the app has, whatever it is, refuses
anyone without a staff role that the permission table lets in."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from complaints_app.authz import ROLE_PERMISSIONS
from complaints_app.models import Organisation, Role
from complaints_app.services import accounts
from tests.helpers import hidden_fields

PASSWORD = "a perfectly fine passphrase"
VALUES = {"reference": "TA-2026-0001", "code": "2c"}


def guarded_rules(app):
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".", 1)[0]
        if blueprint in ("staff", "admin"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def path_of(rule) -> str:
    # Objects that do not exist: the role check comes first; nothing is changed.
    values = {arg: VALUES.get(arg, 999) for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def client_for(app, db, role: Role | None):
    client = app.test_client()
    if role is None:
        return client
    org = None
    if role == Role.ADVOCATE:
        db.session.add(Organisation(slug="aid", name="Aid"))
        db.session.commit()
        org = "aid"
    email = f"{role.value}@example.org"
    accounts.create_user(email, role, PASSWORD, org_slug=org)
    db.session.commit()
    hidden = hidden_fields(client.get("/login").get_data(as_text=True))
    client.post("/login", data={**hidden, "email": email, "password": PASSWORD})
    return client


@pytest.mark.parametrize("role", [None, Role.ADVOCATE, Role.RECORDS, Role.ADMIN, Role.INTAKE])
def test_every_guarded_endpoint_refuses_roles_without_its_permission(app, db, role):
    client = client_for(app, db, role)
    token = hidden_fields(client.get("/login").get_data(as_text=True)).get("csrf_token", "")
    checked = 0
    for rule, method in guarded_rules(app):
        view = app.view_functions[rule.endpoint]
        needed = view.required_permissions
        response = client.open(path_of(rule), method=method, data={"csrf_token": token})
        if role is None:
            assert response.status_code == HTTPStatus.FOUND, (rule.rule, method)
            assert "/login" in response.headers["Location"]
        elif role == Role.ADVOCATE or not needed <= ROLE_PERMISSIONS[role]:
            assert response.status_code == HTTPStatus.FORBIDDEN, (rule.rule, method, role)
        else:
            # Allowed in: whatever the answer, it is not a refusal of the role.
            assert response.status_code not in (HTTPStatus.FORBIDDEN, HTTPStatus.FOUND) or (
                response.status_code == HTTPStatus.FOUND
                and "/login" not in response.headers.get("Location", "")
            ), (rule.rule, method, role)
        checked += 1
    assert checked >= 25  # the walk really covered the staff and admin surface
