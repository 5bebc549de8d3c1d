"""Legal aid organisations: creating them, their lead advocates, the advocates a lead adds or
deactivates, and moving a case to another organisation when a client changes lawyers.

An admin (or the server operator on the command line) creates organisations and names lead
advocates; a lead manages the advocates of their own organisation and nothing else. Nothing
here commits.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from complaints_app.authz import (
    Actor,
    CaseAction,
    Refused,
    check,
    is_lead_advocate,
    may_manage_advocate,
)
from complaints_app.extensions import db
from complaints_app.models import (
    AccountEventKind,
    Complaint,
    EventKind,
    Organisation,
    Role,
    User,
    Visibility,
)
from complaints_app.services import account_changes, audit
from complaints_app.services.accounts import AccountError, record_event

SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _contact(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise AccountError(_("Enter an email address like intake@legal-aid.example."), "contact")
    return email


def create_organisation(slug: str, name: str, contact_email: str | None = None) -> Organisation:
    """A new active organisation. The slug is its short name (lower-case letters, digits,
    single hyphens) and must be free; ``contact_email`` is where the office writes about the
    cases it files."""
    slug = (slug or "").strip()
    name = (name or "").strip()
    if not SLUG_RE.match(slug) or len(slug) > 60:
        raise AccountError(_("Use lower-case letters, digits and single hyphens only."), "slug")
    if not name or len(name) > 200:
        raise AccountError(_("Enter the organisation's name (up to 200 characters)."), "name")
    contact = _contact(contact_email)
    if db.session.execute(select(Organisation.id).where(Organisation.slug == slug)).first():
        raise AccountError(_("An organisation with this short name exists."), "slug")
    organisation = Organisation(slug=slug, name=name, contact_email=contact)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def set_contact(organisation: Organisation, contact_email: str | None) -> None:
    """Change where the office writes about the organisation's cases."""
    organisation.contact_email = _contact(contact_email)


def set_lead(actor: User | None, user: User, lead: bool) -> None:
    """Make an advocate their organisation's lead, or no longer; recorded on the account."""
    if user.role != Role.ADVOCATE or user.organisation_id is None:
        raise AccountError(_("Only an advocate can be an organisation's lead."))
    if bool(user.is_lead) == lead:
        return
    user.is_lead = lead
    record_event(
        user,
        AccountEventKind.LEAD_CHANGED,
        actor=actor,
        data={"lead": lead, "organisation": user.organisation_id},
    )


def advocates_of(lead: User) -> list[User]:
    """The advocates of the lead's organisation, by email."""
    if not is_lead_advocate(lead):
        return []
    return list(
        db.session.execute(
            select(User)
            .where(User.role == Role.ADVOCATE, User.organisation_id == lead.organisation_id)
            .order_by(User.email)
        ).scalars()
    )


def add_advocate(lead: User, email: str, display_name: str = "") -> account_changes.Issued:
    """A new advocate of the lead's own organisation, with a one-time link to set their
    password (the lead never chooses it)."""
    if not is_lead_advocate(lead):
        raise AccountError(_("Only your organisation's lead advocate can add advocates."))
    return account_changes.create_account(
        lead,
        email,
        Role.ADVOCATE,
        org_slug=lead.organisation.slug,
        display_name=display_name,
    )


def deactivate_advocate(lead: User, member: User) -> None:
    """Deactivate an advocate of the lead's own organisation, ending their sessions."""
    if not may_manage_advocate(lead, member):
        raise Refused(_("There is no such advocate."), hidden=True)
    account_changes.set_active(lead, member, False)


def move_case(actor: Actor, complaint: Complaint, organisation: Organisation) -> None:
    """Give a case filed by one organisation to another (the client changed lawyers). The old
    organisation's advocates lose it at once; the move is on the case's audit trail."""
    check(actor, complaint, CaseAction.MOVE_ORGANISATION)
    if complaint.organisation_id is None:
        raise Refused(_("Only a case filed by an organisation can be moved to another."))
    if not organisation.active:
        raise Refused(_("That organisation is not active."))
    if organisation.id == complaint.organisation_id:
        raise Refused(_("The case already belongs to that organisation."))
    previous = complaint.organisation_id
    complaint.organisation_id = organisation.id
    audit.record(
        complaint,
        EventKind.ORGANISATION_CHANGED,
        actor=actor if isinstance(actor, User) else None,
        visibility=Visibility.INTERNAL,
        data={"from": previous, "to": organisation.id},
    )
