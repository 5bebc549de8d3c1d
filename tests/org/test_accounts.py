"""Organisations and advocates: made on the command line, lead advocates named by an admin,
and a lead adding and deactivating the advocates of their own organisation only."""

from __future__ import annotations

import re
from http import HTTPStatus

from sqlalchemy import select

from complaints_app.models import AccountEvent, AccountEventKind, Organisation, Role, User
from tests.helpers import hidden_fields
from tests.org.conftest import PASSWORD, sign_in

LINK_RE = re.compile(r'id="one-time-link">https?://[^/<]+(/account/link/[^<]+)<')


def _user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def test_create_org_then_an_advocate_of_it_on_the_command_line(app, db):
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=["create-org", "east", "--name", "Legal Aid East", "--contact", "Desk@East.example"]
    )
    assert made.exit_code == 0, made.output
    assert "Created organisation east" in made.output
    org = db.session.execute(select(Organisation).where(Organisation.slug == "east")).scalar_one()
    assert (org.name, org.contact_email) == ("Legal Aid East", "desk@east.example")

    advocate = runner.invoke(
        args=["create-user", "ana@east.example", "--role", "advocate", "--org", "east"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert advocate.exit_code == 0, advocate.output
    assert _user(db, "ana@east.example").organisation_id == org.id


def test_create_org_refuses_a_taken_or_malformed_short_name_and_a_bad_contact(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-org", "east", "--name", "East"]).exit_code == 0
    again = runner.invoke(args=["create-org", "east", "--name", "Other"])
    assert again.exit_code != 0 and "exists" in again.output
    bad = runner.invoke(args=["create-org", "East Side", "--name", "East"])
    assert bad.exit_code != 0 and "lower-case" in bad.output
    contact = runner.invoke(args=["create-org", "west", "--name", "W", "--contact", "nope"])
    assert contact.exit_code != 0 and "email address" in contact.output
    assert db.session.execute(select(Organisation.slug)).scalars().all() == ["east"]


def test_create_user_advocate_needs_an_existing_organisation(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "x@example.org", "--role", "advocate", "--org", "nowhere"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code != 0 and "No organisation" in result.output


def test_an_advocate_lands_on_the_organisation_dashboard(app, db, orgs, make_account):
    make_account(Role.ADVOCATE, "ana@east.example", "east")
    response = sign_in(app.test_client(), "ana@east.example")
    assert response.headers["Location"] == "/org/"


def test_admin_names_a_lead_advocate_and_it_is_recorded(app, db, orgs, make_account):
    make_account(Role.ADMIN, "admin@office.example")
    ana = make_account(Role.ADVOCATE, "ana@east.example", "east")
    admin = app.test_client()
    sign_in(admin, "admin@office.example")
    page = admin.get(f"/admin/users/{ana.id}")
    assert "Lead advocate" in page.get_data(as_text=True)
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    done = admin.post(f"/admin/users/{ana.id}/lead", data={"csrf_token": token, "lead": "yes"})
    assert done.status_code == HTTPStatus.SEE_OTHER
    assert _user(db, "ana@east.example").is_lead
    event = db.session.execute(
        select(AccountEvent).where(
            AccountEvent.user_id == ana.id, AccountEvent.kind == AccountEventKind.LEAD_CHANGED
        )
    ).scalar_one()
    assert event.data == {"lead": True, "organisation": orgs["east"].id}


def test_admin_cannot_make_staff_a_lead_advocate(app, db, orgs, make_account):
    make_account(Role.ADMIN, "admin@office.example")
    intake = make_account(Role.INTAKE, "intake@office.example")
    admin = app.test_client()
    sign_in(admin, "admin@office.example")
    token = hidden_fields(admin.get(f"/admin/users/{intake.id}").get_data(as_text=True))[
        "csrf_token"
    ]
    refused = admin.post(
        f"/admin/users/{intake.id}/lead", data={"csrf_token": token, "lead": "yes"}
    )
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert not _user(db, "intake@office.example").is_lead


def test_a_lead_adds_an_advocate_who_sets_a_password_through_a_one_time_link(
    app, db, orgs, browser
):
    lead, _ = browser(Role.ADVOCATE, "lead@east.example", "east", lead=True)
    page = lead.get("/org/people")
    assert page.status_code == HTTPStatus.OK
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    added = lead.post(
        "/org/people",
        data={"csrf_token": token, "email": "New@East.example", "display_name": "New"},
    )
    assert added.status_code == HTTPStatus.OK
    path = LINK_RE.search(added.get_data(as_text=True)).group(1)
    new = _user(db, "new@east.example")
    assert (new.role, new.organisation_id, new.active) == (
        Role.ADVOCATE,
        orgs["east"].id,
        True,
    )

    newcomer = app.test_client()
    assert newcomer.get(path).status_code == HTTPStatus.SEE_OTHER
    form = newcomer.get("/account/link")
    hidden = hidden_fields(form.get_data(as_text=True))
    chosen = "amber lantern orchard river"
    set_up = newcomer.post(
        "/account/link", data={**hidden, "new_password": chosen, "confirm": chosen}
    )
    assert set_up.status_code == HTTPStatus.SEE_OTHER
    assert sign_in(app.test_client(), "new@east.example", chosen).headers["Location"] == "/org/"


def test_a_lead_deactivates_an_advocate_of_their_own_organisation(app, db, orgs, browser):
    lead, _ = browser(Role.ADVOCATE, "lead@east.example", "east", lead=True)
    colleague, member = browser(Role.ADVOCATE, "bo@east.example", "east")
    token = hidden_fields(lead.get("/org/people").get_data(as_text=True))["csrf_token"]
    done = lead.post(f"/org/people/{member.id}/deactivate", data={"csrf_token": token})
    assert done.status_code == HTTPStatus.SEE_OTHER
    assert not _user(db, "bo@east.example").active
    # Signed out everywhere.
    assert colleague.get("/org/").status_code == HTTPStatus.FOUND


def test_a_lead_cannot_touch_anyone_outside_their_organisation(app, db, orgs, browser):
    lead, lead_user = browser(Role.ADVOCATE, "lead@east.example", "east", lead=True)
    _, other = browser(Role.ADVOCATE, "wes@west.example", "west")
    _, staff = browser(Role.INTAKE, "intake@office.example")
    page = lead.get("/org/people").get_data(as_text=True)
    assert "wes@west.example" not in page and "intake@office.example" not in page
    token = hidden_fields(page)["csrf_token"]
    for target in (other.id, staff.id, lead_user.id, 999_999):
        response = lead.post(f"/org/people/{target}/deactivate", data={"csrf_token": token})
        assert response.status_code == HTTPStatus.NOT_FOUND, target
    db.session.expire_all()
    assert all(db.session.get(User, u.id).active for u in (other, staff, lead_user))


def test_a_lead_cannot_add_anything_but_an_advocate_of_their_own_organisation(
    app, db, orgs, browser
):
    lead, _ = browser(Role.ADVOCATE, "lead@east.example", "east", lead=True)
    token = hidden_fields(lead.get("/org/people").get_data(as_text=True))["csrf_token"]
    # Extra fields are ignored: the account is always an advocate of the lead's organisation.
    lead.post(
        "/org/people",
        data={
            "csrf_token": token,
            "email": "sneaky@east.example",
            "role": "supervisor",
            "organisation": "west",
        },
    )
    made = _user(db, "sneaky@east.example")
    assert (made.role, made.organisation_id) == (Role.ADVOCATE, orgs["east"].id)
    # An address already in use keeps the form and says so at the field.
    taken = lead.post("/org/people", data={"csrf_token": token, "email": "sneaky@east.example"})
    assert taken.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "already exists" in taken.get_data(as_text=True)


def test_an_advocate_who_is_not_lead_cannot_manage_people(app, db, orgs, browser):
    client, _ = browser(Role.ADVOCATE, "ana@east.example", "east")
    _, member = browser(Role.ADVOCATE, "bo@east.example", "east")
    assert client.get("/org/people").status_code == HTTPStatus.FORBIDDEN
    token = hidden_fields(client.get("/org/complaints/new").get_data(as_text=True))["csrf_token"]
    response = client.post(f"/org/people/{member.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _user(db, "bo@east.example").active
