"""One organisation's advocates never reach another's cases, on any page or endpoint, and
advocates never reach the staff pages; an admin's move takes a case from one organisation
to the next. The routes are read from the app's URL map, so a route added later is covered
without editing this file."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from sqlalchemy import select

from complaints_app.models import CaseEvent, EventKind, Role, Status, Visibility
from complaints_app.services import workflow
from tests.helpers import hidden_fields
from tests.org.conftest import filed, sign_in
from tests.staff.conftest import complaint_by_reference


def _org_case_rules(app):
    rules = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("org.") and "reference" in rule.arguments
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    assert len(rules) >= 3  # the case page, reply and withdraw at least
    return rules


def _all_org_rules(app):
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("org.")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def _path(rule, **values) -> str:
    defaults = {"reference": "TA-2026-9999", "user_id": 999_999}
    args = {name: values.get(name, defaults[name]) for name in rule.arguments}
    return rule.build(args, append_unknown=False)[1]


def _post_data(client) -> dict:
    token = hidden_fields(client.get("/org/complaints/new").get_data(as_text=True))["csrf_token"]
    return {"csrf_token": token, "message": "Hello", "confirm": "y"}


def test_every_org_route_with_a_reference_answers_404_for_another_organisations_case(
    app, db, orgs, east, west
):
    theirs = filed(west[0], db)
    client = east[0]
    data = _post_data(client)
    for rule, method in _org_case_rules(app):
        their_path, missing_path = _path(rule, reference=theirs.reference), _path(rule)
        other = client.open(their_path, method=method, data=data)
        missing = client.open(missing_path, method=method, data=data)
        assert other.status_code == HTTPStatus.NOT_FOUND, (rule.rule, method)
        # Exactly the answer of a case that does not exist: nothing tells them apart but the
        # address asked for, which the language switcher returns to.
        assert other.get_data(as_text=True).replace(their_path, "PATH") == missing.get_data(
            as_text=True
        ).replace(missing_path, "PATH"), (rule.rule, method)
        # Lower case and spaces are the same reference: still nothing.
        guessed = client.open(
            _path(rule, reference=f" {theirs.reference.lower()} "), method=method, data=data
        )
        assert guessed.status_code == HTTPStatus.NOT_FOUND, (rule.rule, method)
    case = complaint_by_reference(db, theirs.reference)
    assert case.status == Status.SUBMITTED
    assert not db.session.execute(
        select(CaseEvent).where(
            CaseEvent.complaint_id == case.id, CaseEvent.kind == EventKind.MESSAGE_FROM_COMPLAINANT
        )
    ).first()


def test_the_same_routes_work_for_the_filing_organisation(app, db, orgs, east):
    mine = filed(east[0], db)
    client = east[0]
    for rule, method in _org_case_rules(app):
        if method != "GET":
            continue
        response = client.get(_path(rule, reference=mine.reference))
        assert response.status_code == HTTPStatus.OK, rule.rule


def test_no_list_or_export_shows_another_organisations_case(app, db, orgs, east, west):
    theirs = filed(west[0], db)
    client = east[0]
    for rule, method in _all_org_rules(app):
        if method != "GET" or rule.arguments:
            continue
        response = client.get(_path(rule))
        assert theirs.reference not in response.get_data(as_text=True), rule.rule


@pytest.mark.parametrize("role", [Role.INTAKE, Role.SUPERVISOR, Role.ADMIN])
def test_staff_do_not_reach_the_organisation_pages(app, db, orgs, browser, role):
    case_owner = filed(browser(Role.ADVOCATE, "ana@east.example", "east")[0], db)
    client, _ = browser(role, f"{role.value}@office.example")
    token = hidden_fields(client.get("/login").get_data(as_text=True))["csrf_token"]
    for rule, method in _all_org_rules(app):
        response = client.open(
            _path(rule, reference=case_owner.reference),
            method=method,
            data={"csrf_token": token, "message": "Hello", "confirm": "y"},
        )
        assert response.status_code == HTTPStatus.FORBIDDEN, (rule.rule, method)
    assert complaint_by_reference(db, case_owner.reference).status == Status.SUBMITTED


def test_an_advocate_is_refused_every_staff_and_admin_page(app, db, orgs, east):
    client = east[0]
    token = _post_data(client)["csrf_token"]
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] not in ("staff", "admin"):
            continue
        values = {arg: {"reference": "TA-2026-0001"}.get(arg, 1) for arg in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={"csrf_token": token})
            assert response.status_code == HTTPStatus.FORBIDDEN, (rule.rule, method)
            checked += 1
    assert checked >= 25


def test_signed_out_visitors_are_sent_to_sign_in(app, db, orgs, east):
    mine = filed(east[0], db)
    client = app.test_client()
    token = hidden_fields(client.get("/login").get_data(as_text=True))["csrf_token"]
    for rule, method in _all_org_rules(app):
        response = client.open(
            _path(rule, reference=mine.reference), method=method, data={"csrf_token": token}
        )
        assert response.status_code == HTTPStatus.FOUND, rule.rule
        assert "/login" in response.headers["Location"]


def test_an_admin_moves_a_case_and_the_old_organisation_loses_it(
    app, db, orgs, east, west, make_account
):
    case = filed(east[0], db)
    make_account(Role.ADMIN, "admin@office.example")
    admin = app.test_client()
    sign_in(admin, "admin@office.example")
    page = admin.get("/admin/organisations")
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    moved = admin.post(
        "/admin/organisations/move-case",
        data={"csrf_token": token, "reference": case.reference, "organisation": "west"},
    )
    assert moved.status_code == HTTPStatus.SEE_OTHER, moved.get_data(as_text=True)[-2000:]

    assert east[0].get(f"/org/complaints/{case.reference}").status_code == HTTPStatus.NOT_FOUND
    assert case.reference not in east[0].get("/org/").get_data(as_text=True)
    assert west[0].get(f"/org/complaints/{case.reference}").status_code == HTTPStatus.OK
    assert case.reference in west[0].get("/org/export.csv").get_data(as_text=True)

    case = complaint_by_reference(db, case.reference)
    assert case.organisation_id == orgs["west"].id
    event = db.session.execute(
        select(CaseEvent).where(
            CaseEvent.complaint_id == case.id, CaseEvent.kind == EventKind.ORGANISATION_CHANGED
        )
    ).scalar_one()
    assert event.data == {"from": orgs["east"].id, "to": orgs["west"].id}
    assert event.visibility == Visibility.INTERNAL
    # The move is part of the case's audit chain, which still verifies.
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_moving_refuses_a_case_no_organisation_filed_and_the_same_organisation(
    app, db, orgs, east, make_account
):
    from tests.staff.conftest import file_complaint

    web_case = file_complaint(db)
    mine = filed(east[0], db)
    make_account(Role.ADMIN, "admin@office.example")
    admin = app.test_client()
    sign_in(admin, "admin@office.example")
    token = hidden_fields(admin.get("/admin/organisations").get_data(as_text=True))["csrf_token"]
    for reference, org, words in (
        (web_case.reference, "west", "Only a case filed by an organisation"),
        (mine.reference, "east", "already belongs"),
        ("TA-2026-9999", "west", "No case with that reference"),
    ):
        response = admin.post(
            "/admin/organisations/move-case",
            data={"csrf_token": token, "reference": reference, "organisation": org},
        )
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        assert words in response.get_data(as_text=True)
    assert complaint_by_reference(db, mine.reference).organisation_id == orgs["east"].id


def test_an_advocate_of_a_closed_case_can_still_read_it_but_not_change_it(
    db, orgs, east, make_account
):
    client = east[0]
    case = filed(client, db)
    intake = make_account(Role.INTAKE, "intake@office.example")
    case = complaint_by_reference(db, case.reference)
    workflow.withdraw_by_staff(case, intake, "Client phoned.", "Closed at your request.")
    db.session.commit()
    assert client.get(f"/org/complaints/{case.reference}").status_code == HTTPStatus.OK
    data = _post_data(client)
    response = client.post(f"/org/complaints/{case.reference}/withdraw", data=data)
    assert response.status_code == HTTPStatus.SEE_OTHER  # refused with the reason, shown
    page = client.get(f"/org/complaints/{case.reference}").get_data(as_text=True)
    assert "This case is closed" in page
    assert "Client phoned." not in page  # the staff note on the withdrawal is internal
