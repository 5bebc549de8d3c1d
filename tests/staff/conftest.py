"""Fixtures for the staff side: accounts of every role, signing in, a filed case."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from complaints_app.models import Complaint, Organisation, Role, User
from complaints_app.services import accounts
from tests.helpers import hidden_fields, post_complaint, receipt_of

PASSWORD = "correct horse battery staple"
ORG_SLUG = "legal-aid"


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    """Create (and commit) an active account of ``role``; advocates get an organisation."""
    counter = iter(range(1, 10_000))

    def make(role: Role, email: str | None = None, password: str = PASSWORD) -> User:
        email = email or f"{role.value}{next(counter)}@office.example"
        org_slug = None
        if role == Role.ADVOCATE:
            org_slug = ORG_SLUG
            exists = db.session.execute(
                select(Organisation).where(Organisation.slug == ORG_SLUG)
            ).scalar_one_or_none()
            if exists is None:
                db.session.add(Organisation(slug=ORG_SLUG, name="Legal Aid Group"))
                db.session.flush()
        user = accounts.create_user(
            email, role, password, org_slug=org_slug, display_name=email.split("@")[0]
        )
        db.session.commit()
        return user

    return make


def login(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs):
    """Sign in the way a browser does: open the form for its CSRF token, then post it."""
    page = client.get("/login", **kwargs)
    assert page.status_code == HTTPStatus.OK
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        **kwargs,
    )


@pytest.fixture
def signed_in(app, make_user) -> Callable[[Role], tuple[FlaskClient, User]]:
    """A fresh browser signed in as a new user of ``role``."""

    def sign_in(role: Role) -> tuple[FlaskClient, User]:
        user = make_user(role)
        client = app.test_client()
        response = login(client, user.email)
        assert response.status_code == HTTPStatus.SEE_OTHER, response.get_data(as_text=True)
        return client, user

    return sign_in


@pytest.fixture
def filed_case(app, db) -> tuple[str, str]:
    """A complaint filed through the public form: (reference, tracking code)."""
    resident = app.test_client()
    response = post_complaint(resident)
    assert response.status_code == HTTPStatus.OK
    return receipt_of(response)


def fresh_token(client: FlaskClient) -> str:
    """A CSRF token for the client's current session (the sign-in page always has one)."""
    return hidden_fields(client.get("/login").get_data(as_text=True))["csrf_token"]


def complaint_by_reference(db, reference: str) -> Complaint:
    db.session.expire_all()
    return db.session.execute(
        select(Complaint).where(Complaint.reference == reference)
    ).scalar_one()


def file_complaint(db, token: str | None = None, **overrides) -> Complaint:
    """File a complaint through the intake service (no HTTP, no rate limit) and commit."""
    import secrets
    from datetime import date, timedelta

    from complaints_app.models import Agency, Channel
    from complaints_app.services import intake
    from complaints_app.services.uploads import FileBatch

    fields = {
        "channel": Channel.WEB,
        "submission_token": token or secrets.token_urlsafe(24),
        "answers": ["held_for_ice", "asked_status"],
        "urgent": False,
        "incident_date": date.today() - timedelta(days=3),
        "incident_place": "Central police station",
        "agency": Agency.POLICE,
        "narrative": "I was kept overnight after bail was posted because of an ICE form.",
        "anonymous": False,
        "contact": intake.Contact(name="Ana Example", email="ana@example.org"),
    }
    fields.update(overrides)
    receipt = intake.submit(intake.IntakeData(**fields), FileBatch())
    db.session.commit()
    return complaint_by_reference(db, receipt.reference)


def quick_user(db, role: Role, email: str | None = None) -> User:
    """An account for calling services directly: no real password hash, so no sign-in."""
    organisation = None
    if role == Role.ADVOCATE:
        organisation = db.session.execute(
            select(Organisation).where(Organisation.slug == ORG_SLUG)
        ).scalar_one_or_none() or Organisation(slug=ORG_SLUG, name="Legal Aid Group")
    user = User(
        email=email or f"{role.value}@svc.example",
        role=role,
        organisation=organisation,
        password_hash="!",
    )
    db.session.add(user)
    db.session.commit()
    return user
