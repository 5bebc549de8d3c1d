"""A second person: an admin cannot make, elevate or reset an account that reads case
contents and then use it; one-time links expire, work once and not before approval; every
account change is an account event with its actor."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from complaints_app.models import (
    AccountChange,
    AccountEvent,
    AccountEventKind,
    AccountLink,
    ChangeStatus,
    Role,
    User,
)
from complaints_app.timeutil import utcnow
from tests.admin.conftest import (
    PASSWORD,
    create_through_admin,
    decide,
    link_path,
    make_user,
    open_link,
    pending_change,
    request_reset,
    sign_in,
    signed_in_as,
    token,
    use_link,
)
from tests.helpers import hidden_fields

CASE_ROLES = [Role.INTAKE, Role.INVESTIGATOR, Role.SUPERVISOR]
NEW_PASSWORD = "juniper compass lighthouse ferry"
K = AccountEventKind


def _user(db, email: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _events(db, user: User) -> list[tuple[AccountEventKind, int | None]]:
    db.session.expire_all()
    return [
        (e.kind, e.actor_id)
        for e in db.session.execute(
            select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id)
        ).scalars()
    ]


def _cannot_sign_in(app, email: str, password: str) -> None:
    client = app.test_client()
    hidden = hidden_fields(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={**hidden, "email": email, "password": password})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


@pytest.fixture
def approver_is_admin(app):
    previous = app.config["ACCOUNT_APPROVER_ROLE"]
    app.config["ACCOUNT_APPROVER_ROLE"] = "admin"
    yield
    app.config["ACCOUNT_APPROVER_ROLE"] = previous


@pytest.mark.parametrize("role", CASE_ROLES)
def test_new_case_role_account_works_only_after_a_supervisor_approves(
    app, db, admin, admin_client, supervisor_client, filed_case_reference, role
):
    email = f"new-{role.value}@example.org"
    response = create_through_admin(admin_client, email, role)
    assert response.status_code == HTTPStatus.OK
    html = response.get_data(as_text=True)
    assert "waits for approval" in html
    path = link_path(html)
    user = _user(db, email)
    assert user.role is role and user.active is False

    # The admin holds the link, but before approval it does nothing.
    thief = app.test_client()
    assert open_link(thief, path).status_code == HTTPStatus.CONFLICT
    posted = thief.post(
        "/account/link",
        data={"csrf_token": token(thief, "/login"), "new_password": NEW_PASSWORD},
    )
    assert posted.status_code == HTTPStatus.CONFLICT
    _cannot_sign_in(app, email, NEW_PASSWORD)
    assert passwords_unset(db, email)

    # The admin cannot approve it (not the approving role), nor reactivate it meanwhile.
    assert admin_client.get("/staff/account-changes").status_code == HTTPStatus.OK
    change = pending_change(db, user)
    assert decide(admin_client, change.id).status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    again = admin_client.post(
        f"/admin/users/{user.id}/reactivate", data={"csrf_token": token(admin_client)}
    )
    assert again.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert _user(db, email).active is False

    approved = decide(supervisor_client, change.id)
    assert approved.status_code == HTTPStatus.SEE_OTHER
    assert _user(db, email).active is True

    person = app.test_client()
    assert use_link(person, path, NEW_PASSWORD).status_code == HTTPStatus.SEE_OTHER
    sign_in(person, email, NEW_PASSWORD)
    assert person.get("/staff/cases").status_code == HTTPStatus.OK
    # Intake and supervisors open any case; an investigator only those given to them.
    opened = person.get(f"/staff/cases/{filed_case_reference}").status_code
    assert opened == (HTTPStatus.NOT_FOUND if role == Role.INVESTIGATOR else HTTPStatus.OK)


def passwords_unset(db, email: str) -> bool:
    return _user(db, email).password_changed_at is None


@pytest.fixture
def filed_case_reference(app, db) -> str:
    from tests.staff.conftest import file_complaint

    return file_complaint(db).reference


@pytest.mark.parametrize("role", CASE_ROLES)
@pytest.mark.parametrize("start", [Role.RECORDS, Role.ADMIN])
def test_granting_a_case_role_keeps_the_old_role_until_approved(
    app, db, admin_client, supervisor_client, role, start
):
    target, target_user = signed_in_as(app, db, start, f"{start.value}-x@example.org")
    response = admin_client.post(
        f"/admin/users/{target_user.id}/role",
        data={"csrf_token": token(admin_client), "role": role.value},
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert "waits for approval" in admin_client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert _user(db, target_user.email).role is start
    assert target.get("/staff/cases").status_code == HTTPStatus.FORBIDDEN  # still signed in

    change = pending_change(db, target_user)
    assert decide(supervisor_client, change.id).status_code == HTTPStatus.SEE_OTHER
    assert _user(db, target_user.email).role is role
    assert target.get("/staff/cases").status_code == HTTPStatus.FOUND  # signed out
    sign_in(target, target_user.email)
    assert target.get("/staff/cases").status_code == HTTPStatus.OK


def test_refused_role_change_never_applies(app, db, admin, admin_client, supervisor_client):
    records = make_user(db, Role.RECORDS, "records@example.org")
    admin_client.post(
        f"/admin/users/{records.id}/role",
        data={"csrf_token": token(admin_client), "role": "supervisor"},
    )
    change = pending_change(db, records)
    refused = decide(supervisor_client, change.id, "refuse")
    assert refused.status_code == HTTPStatus.SEE_OTHER
    assert _user(db, records.email).role is Role.RECORDS
    db.session.expire_all()
    assert db.session.get(AccountChange, change.id).status is ChangeStatus.REFUSED
    # Decided once: a second decision is refused.
    assert decide(supervisor_client, change.id).status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert _user(db, records.email).role is Role.RECORDS


@pytest.mark.parametrize("role", CASE_ROLES)
@pytest.mark.parametrize("what", ["password", "two_factor", "both"])
def test_admin_cannot_reset_a_case_role_account_to_a_password_they_know(
    app, db, admin_client, supervisor_client, role, what
):
    target = make_user(db, role, f"{role.value}-t@example.org")
    user = _user(db, target.email)
    user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    db.session.commit()
    # A password typed into the reset form is ignored: there is no such field.
    response = admin_client.post(
        f"/admin/users/{target.id}/reset",
        data={
            "csrf_token": token(admin_client, f"/admin/users/{target.id}"),
            "password": "y" if what != "two_factor" else "",
            "two_factor": "y" if what != "password" else "",
            "new_password": "admin knows this one now",
        },
    )
    assert response.status_code == HTTPStatus.OK
    path = link_path(response.get_data(as_text=True))
    thief = app.test_client()
    assert open_link(thief, path).status_code == HTTPStatus.CONFLICT
    _cannot_sign_in(app, target.email, "admin knows this one now")
    sign_in(app.test_client(), target.email)  # the old password still works
    assert _user(db, target.email).totp_secret_ct is not None  # and the old second factor

    change = pending_change(db, target)
    assert decide(supervisor_client, change.id).status_code == HTTPStatus.SEE_OTHER
    person = app.test_client()
    page = open_link(person, path)
    assert page.status_code == HTTPStatus.OK
    hidden = hidden_fields(page.get_data(as_text=True))
    fields = (
        {"current_password": PASSWORD}
        if what == "two_factor"
        else {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    done = person.post("/account/link", data={**hidden, **fields})
    assert done.status_code == HTTPStatus.SEE_OTHER
    user = _user(db, target.email)
    assert (user.totp_secret_ct is None) == (what != "password")
    sign_in(person, target.email, PASSWORD if what == "two_factor" else NEW_PASSWORD)


def test_second_factor_only_link_needs_the_current_password(app, db, admin_client):
    records = make_user(db, Role.RECORDS, "records@example.org")
    user = _user(db, records.email)
    user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    db.session.commit()
    response = request_reset(admin_client, records.id, password=False, two_factor=True)
    path = link_path(response.get_data(as_text=True))
    thief = app.test_client()
    page = open_link(thief, path)
    hidden = hidden_fields(page.get_data(as_text=True))
    for guess in ("not the password at all", PASSWORD.upper(), ""):
        wrong = thief.post("/account/link", data={**hidden, "current_password": guess})
        assert wrong.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert _user(db, records.email).totp_secret_ct is not None
    right = thief.post("/account/link", data={**hidden, "current_password": PASSWORD})
    assert right.status_code == HTTPStatus.SEE_OTHER
    assert _user(db, records.email).totp_secret_ct is None


def test_admin_cannot_approve_their_own_request_even_when_admins_approve(
    app, db, approver_is_admin, admin, admin_client
):
    other_admin, _ = signed_in_as(app, db, Role.ADMIN, "admin2@example.org")
    response = create_through_admin(admin_client, "inv@example.org", Role.INVESTIGATOR)
    path = link_path(response.get_data(as_text=True))
    change = pending_change(db, _user(db, "inv@example.org"))

    own = decide(admin_client, change.id)
    assert own.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "someone else must decide it" in own.get_data(as_text=True)
    assert pending_change(db, change.user_id).id == change.id

    # A supervisor is not the approving role in this configuration.
    supervisor, _ = signed_in_as(app, db, Role.SUPERVISOR, "sup@example.org")
    assert decide(supervisor, change.id).status_code == HTTPStatus.UNPROCESSABLE_ENTITY

    assert decide(other_admin, change.id).status_code == HTTPStatus.SEE_OTHER
    assert use_link(app.test_client(), path, NEW_PASSWORD).status_code == HTTPStatus.SEE_OTHER


def test_when_admins_approve_a_new_admin_needs_approval_too(
    app, db, approver_is_admin, admin_client
):
    # Otherwise one admin could make a second admin and approve their own requests with it.
    response = create_through_admin(admin_client, "puppet@example.org", Role.ADMIN)
    path = link_path(response.get_data(as_text=True))
    assert _user(db, "puppet@example.org").active is False
    assert open_link(app.test_client(), path).status_code == HTTPStatus.CONFLICT


def test_approver_cannot_decide_a_change_to_their_own_account(app, db, admin_client):
    sup_a, a = signed_in_as(app, db, Role.SUPERVISOR, "sup-a@example.org")
    sup_b, _b = signed_in_as(app, db, Role.SUPERVISOR, "sup-b@example.org")
    response = request_reset(admin_client, a.id)
    path = link_path(response.get_data(as_text=True))
    change = pending_change(db, a)

    listing = sup_a.get("/staff/account-changes").get_data(as_text=True)
    assert "concerns your own account" in listing
    own = decide(sup_a, change.id)
    assert own.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert pending_change(db, a).id == change.id
    assert open_link(app.test_client(), path).status_code == HTTPStatus.CONFLICT

    assert decide(sup_b, change.id).status_code == HTTPStatus.SEE_OTHER
    assert open_link(app.test_client(), path).status_code == HTTPStatus.OK


def test_decision_needs_confirmation_and_csrf(db, admin_client, supervisor_client):
    records = make_user(db, Role.RECORDS, "records@example.org")
    admin_client.post(
        f"/admin/users/{records.id}/role",
        data={"csrf_token": token(admin_client), "role": "investigator"},
    )
    change = pending_change(db, records)
    first = decide(supervisor_client, change.id, confirm=False)
    assert first.status_code == HTTPStatus.OK
    assert "Approve this change?" in first.get_data(as_text=True)
    assert pending_change(db, records).id == change.id  # nothing decided yet

    no_token = supervisor_client.post(
        f"/staff/account-changes/{change.id}", data={"decision": "approve", "confirm": "yes"}
    )
    assert no_token.status_code == HTTPStatus.BAD_REQUEST
    bogus = supervisor_client.post(
        f"/staff/account-changes/{change.id}",
        data={
            "csrf_token": token(supervisor_client, "/staff/account-changes"),
            "decision": "maybe",
            "confirm": "yes",
        },
    )
    assert bogus.status_code == HTTPStatus.BAD_REQUEST
    assert pending_change(db, records).id == change.id
    assert _user(db, records.email).role is Role.RECORDS


@pytest.mark.parametrize("role", [Role.INTAKE, Role.RECORDS, Role.ADVOCATE, None])
def test_only_supervisors_and_admins_see_account_changes(app, db, role, organisation):
    client = app.test_client()
    if role is not None:
        make_user(
            db,
            role,
            "someone@example.org",
            organisation.slug if role is Role.ADVOCATE else None,
        )
        sign_in(client, "someone@example.org")
    response = client.get("/staff/account-changes")
    assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.FOUND)


def test_supervisor_sees_pending_and_recent_changes(app, db, admin, admin_client):
    supervisor, _ = signed_in_as(app, db, Role.SUPERVISOR, "sup@example.org")
    create_through_admin(admin_client, "pending-intake@example.org", Role.INTAKE)
    records = make_user(db, Role.RECORDS, "records@example.org")
    admin_client.post(
        f"/admin/users/{records.id}/deactivate", data={"csrf_token": token(admin_client)}
    )
    html = supervisor.get("/staff/account-changes").get_data(as_text=True)
    pending_part, recent_part = html.split('id="recent-title"')
    assert "pending-intake@example.org" in pending_part
    assert "New account" in pending_part and admin.email in pending_part
    assert "Approve…" in pending_part and "Refuse…" in pending_part
    assert "Deactivated" in recent_part and "records@example.org" in recent_part
    assert "Approval requested" in recent_part


def test_expired_used_replaced_and_refused_links_are_refused(app, db, admin_client):
    records = make_user(db, Role.RECORDS, "records@example.org")
    # Expired: its time is up.
    first = link_path(request_reset(admin_client, records.id).get_data(as_text=True))
    db.session.execute(sa.update(AccountLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    page = open_link(app.test_client(), first)
    assert page.status_code == HTTPStatus.GONE
    assert "expired" in page.get_data(as_text=True)

    # Replaced by a newer link; then the newer one used, then used again.
    second = link_path(request_reset(admin_client, records.id).get_data(as_text=True))
    third = link_path(request_reset(admin_client, records.id).get_data(as_text=True))
    assert open_link(app.test_client(), second).status_code == HTTPStatus.NOT_FOUND
    assert use_link(app.test_client(), third, NEW_PASSWORD).status_code == HTTPStatus.SEE_OTHER
    again = open_link(app.test_client(), third)
    assert again.status_code == HTTPStatus.GONE
    assert "already been used" in again.get_data(as_text=True)

    # Made up, or cut short.
    for made_up in ("/account/link/" + "A" * 43, third[:-3], "/account/link/x"):
        assert open_link(app.test_client(), made_up).status_code == HTTPStatus.NOT_FOUND


def test_link_of_a_refused_creation_never_works(app, db, admin_client, supervisor_client):
    response = create_through_admin(admin_client, "no@example.org", Role.SUPERVISOR)
    path = link_path(response.get_data(as_text=True))
    change = pending_change(db, _user(db, "no@example.org"))
    assert decide(supervisor_client, change.id, "refuse").status_code == HTTPStatus.SEE_OTHER
    assert open_link(app.test_client(), path).status_code == HTTPStatus.NOT_FOUND
    assert _user(db, "no@example.org").active is False


def test_link_time_runs_from_approval(app, db, admin_client, supervisor_client):
    intake = make_user(db, Role.INTAKE, "intake@example.org")
    path = link_path(request_reset(admin_client, intake.id).get_data(as_text=True))
    db.session.execute(sa.update(AccountLink).values(expires_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert decide(supervisor_client, pending_change(db, intake).id).status_code == (
        HTTPStatus.SEE_OTHER
    )
    assert open_link(app.test_client(), path).status_code == HTTPStatus.OK


def test_link_made_before_elevation_stops_working(app, db, admin_client, supervisor_client):
    # A reset link of a records account (no approval needed) must not become a way into the
    # supervisor account it is later made into.
    records = make_user(db, Role.RECORDS, "records@example.org")
    path = link_path(request_reset(admin_client, records.id).get_data(as_text=True))
    admin_client.post(
        f"/admin/users/{records.id}/role",
        data={"csrf_token": token(admin_client), "role": "supervisor"},
    )
    assert open_link(app.test_client(), path).status_code == HTTPStatus.OK  # not elevated yet
    assert decide(supervisor_client, pending_change(db, records).id).status_code == (
        HTTPStatus.SEE_OTHER
    )
    assert open_link(app.test_client(), path).status_code == HTTPStatus.NOT_FOUND


def test_token_is_stored_only_as_a_keyed_hash_and_leaves_the_address(app, db, admin_client):
    records = make_user(db, Role.RECORDS, "records@example.org")
    path = link_path(request_reset(admin_client, records.id).get_data(as_text=True))
    raw = path.rsplit("/", 1)[1]
    assert len(raw) >= 40
    with db.engine.connect() as conn:
        for table in ("account_link", "account_event", "account_change", "user"):
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                assert all(raw not in str(value) for value in row), table
    client = app.test_client()
    opened = client.get(path)
    assert opened.headers["Location"] == "/account/link"
    assert opened.headers["Cache-Control"].startswith("no-store")


def test_every_account_change_is_an_event_with_its_actor(
    app, db, admin, admin_client, supervisor_client
):
    sup = _user(db, "supervisor@example.org")
    create_through_admin(admin_client, "life@example.org", Role.RECORDS)
    user = _user(db, "life@example.org")
    path = link_path(request_reset(admin_client, user.id).get_data(as_text=True))
    use_link(app.test_client(), path, NEW_PASSWORD)
    person = app.test_client()
    sign_in(person, user.email, NEW_PASSWORD)
    admin_client.post(
        f"/admin/users/{user.id}/role", data={"csrf_token": token(admin_client), "role": "intake"}
    )
    decide(supervisor_client, pending_change(db, user).id)
    admin_client.post(
        f"/admin/users/{user.id}/role", data={"csrf_token": token(admin_client), "role": "records"}
    )
    admin_client.post(
        f"/admin/users/{user.id}/deactivate", data={"csrf_token": token(admin_client)}
    )
    admin_client.post(
        f"/admin/users/{user.id}/reactivate", data={"csrf_token": token(admin_client)}
    )
    admin_client.post(
        f"/admin/users/{user.id}/role",
        data={"csrf_token": token(admin_client), "role": "investigator"},
    )
    decide(supervisor_client, pending_change(db, user).id, "refuse")

    assert _events(db, user) == [
        (K.CREATED, admin.id),
        (K.RESET_REQUESTED, admin.id),
        (K.RESET_COMPLETED, user.id),
        (K.APPROVAL_REQUESTED, admin.id),
        (K.APPROVED, sup.id),
        (K.ROLE_CHANGED, admin.id),
        (K.ROLE_CHANGED, admin.id),
        (K.DEACTIVATED, admin.id),
        (K.REACTIVATED, admin.id),
        (K.APPROVAL_REQUESTED, admin.id),
        (K.REFUSED, sup.id),
    ]
    events = (
        db.session.execute(
            select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.id)
        )
        .scalars()
        .all()
    )
    assert events[5].data == {"from": "records", "to": "intake", "approved_by": sup.id}
    raw = path.rsplit("/", 1)[1]
    for event in events:
        assert raw not in str(event.data)
        assert not any(word in key for key in event.data for word in ("password", "token"))


def test_operator_cli_account_is_recorded_without_an_actor(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-user", "op@example.org", "--role", "supervisor", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    user = _user(db, "op@example.org")
    assert _events(db, user) == [(K.CREATED, None)]


@pytest.mark.parametrize("value", ["records", "", "Supervisor", "investigator"])
def test_approver_role_setting_is_checked_at_start(value):
    from complaints_app import create_app
    from config import TestingConfig

    with pytest.raises(RuntimeError, match="ACCOUNT_APPROVER_ROLE"):
        create_app(TestingConfig, ACCOUNT_APPROVER_ROLE=value)
