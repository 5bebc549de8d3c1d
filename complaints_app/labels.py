"""Words for the app's internal values. Every enum value, question key or code a page shows
goes through ``label``; a raw value (``other_city``, ``held_for_ice``) never reaches a page."""

from __future__ import annotations

import enum
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints_app.models import (
    Agency,
    Channel,
    ClosureReason,
    ConsentMethod,
    ContactMethod,
    Disposition,
    EventKind,
    Role,
    Status,
    Visibility,
)

STATUS = {
    Status.SUBMITTED: _l("Submitted"),
    Status.TRIAGE: _l("Triage"),
    Status.INVESTIGATION: _l("Investigation"),
    Status.REVIEW: _l("Review"),
    Status.CLOSED: _l("Closed"),
}
CLOSURE_REASON = {
    ClosureReason.NO_TRUST_ACT_ALLEGATION: _l("No Trust Act allegation"),
    ClosureReason.OUTSIDE_JURISDICTION: _l("Outside jurisdiction"),
    ClosureReason.DUPLICATE: _l("Duplicate"),
    ClosureReason.REFERRED: _l("Referred elsewhere"),
    ClosureReason.WITHDRAWN: _l("Withdrawn"),
    ClosureReason.FINDINGS_APPROVED: _l("Findings approved"),
}
AGENCY = {
    Agency.POLICE: _l("Police department"),
    Agency.JAIL: _l("Jail or house of correction"),
    Agency.OTHER_CITY: _l("Other city department"),
    Agency.UNKNOWN: _l("Not known"),
}
CHANNEL = {
    Channel.WEB: _l("Web form"),
    Channel.ADVOCATE: _l("Filed by an advocate"),
    Channel.API: _l("API"),
    Channel.PHONE: _l("Phone"),
    Channel.WALK_IN: _l("Walk-in"),
    Channel.MAIL: _l("Mail"),
}
DISPOSITION = {
    Disposition.SUSTAINED: _l("Sustained"),
    Disposition.NOT_SUSTAINED: _l("Not sustained"),
    Disposition.EXONERATED: _l("Exonerated"),
    Disposition.UNFOUNDED: _l("Unfounded"),
    Disposition.POLICY_FAILURE: _l("Policy failure"),
    Disposition.NO_FINDING: _l("No finding"),
}
CONTACT_METHOD = {
    ContactMethod.EMAIL: _l("Email"),
    ContactMethod.PHONE: _l("Phone call"),
    ContactMethod.TEXT: _l("Text message"),
    ContactMethod.MAIL: _l("Post"),
}
EVENT_KIND = {
    EventKind.SUBMITTED: _l("Complaint filed"),
    EventKind.STATUS_CHANGED: _l("Status changed"),
    EventKind.ASSIGNED: _l("Assigned"),
    EventKind.CLAUSE_CHANGED: _l("Allegation's clause changed"),
    EventKind.ALLEGATION_CHANGED: _l("Allegation changed"),
    EventKind.NOTE: _l("Internal note"),
    EventKind.MESSAGE_TO_COMPLAINANT: _l("Message to the complainant"),
    EventKind.MESSAGE_FROM_COMPLAINANT: _l("Message from the complainant"),
    EventKind.ATTACHMENT_ADDED: _l("Evidence added"),
    EventKind.ATTACHMENT_DOWNLOADED: _l("Evidence downloaded"),
    EventKind.CASE_VIEWED: _l("Case viewed"),
    EventKind.CONTACT_REVEALED: _l("Contact details revealed"),
    EventKind.MERGED: _l("Merged"),
    EventKind.LEGAL_HOLD: _l("Legal hold"),
    EventKind.PURGED: _l("Personal data purged"),
    EventKind.ORGANISATION_CHANGED: _l("Moved to another organisation"),
}
CONSENT_METHOD = {
    ConsentMethod.IN_PERSON: _l("In person"),
    ConsentMethod.PHONE: _l("By phone"),
    ConsentMethod.VIDEO: _l("By video call"),
    ConsentMethod.WRITING: _l("In writing (signed form, letter or message)"),
}
ROLE = {
    Role.INTAKE: _l("Intake"),
    Role.INVESTIGATOR: _l("Investigator"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.RECORDS: _l("Records officer"),
    Role.ADMIN: _l("Administrator"),
    Role.ADVOCATE: _l("Advocate"),
}
VISIBILITY = {
    Visibility.INTERNAL: _l("Internal"),
    Visibility.COMPLAINANT: _l("Visible to the complainant"),
}
# The guided questions' keys (complaints_app/data/clauses.json), as staff read them.
QUESTION = {
    "treated_for_status": _l("Treated differently because of immigration status"),
    "asked_status": _l("Asked about immigration status"),
    "held_for_ice": _l("Held for ICE"),
    "info_shared_with_ice": _l("Information shared with ICE"),
    "ice_access": _l("ICE given access"),
    "copy_refused": _l("Copy of an ICE request refused"),
    "u_visa": _l("U visa certification refused"),
    "helped_ice": _l("City staff helped ICE"),
    "acted_as_ice": _l("Acted as an immigration officer"),
}

_BY_ENUM: dict[type[enum.Enum], dict] = {
    Status: STATUS,
    ClosureReason: CLOSURE_REASON,
    Agency: AGENCY,
    Channel: CHANNEL,
    Disposition: DISPOSITION,
    ContactMethod: CONTACT_METHOD,
    ConsentMethod: CONSENT_METHOD,
    EventKind: EVENT_KIND,
    Role: ROLE,
    Visibility: VISIBILITY,
}
_BY_NAME: dict[str, dict] = {
    "status": {k.value: v for k, v in STATUS.items()},
    "closure_reason": {k.value: v for k, v in CLOSURE_REASON.items()},
    "agency": {k.value: v for k, v in AGENCY.items()},
    "channel": {k.value: v for k, v in CHANNEL.items()},
    "disposition": {k.value: v for k, v in DISPOSITION.items()},
    "event": {k.value: v for k, v in EVENT_KIND.items()},
    "role": {k.value: v for k, v in ROLE.items()},
    "question": QUESTION,
}


def _fallback(value: Any) -> str:
    # A value with no label yet still reads as words, never as an identifier.
    raw = value.value if isinstance(value, enum.Enum) else str(value)
    return raw.replace("_", " ").capitalize()


def label(value: Any, kind: str | None = None) -> str:
    """The translated words for ``value``: an enum member, or a raw stored string with the
    ``kind`` it belongs to (``status``, ``closure_reason``, ``agency``, ``channel``,
    ``disposition``, ``event``, ``role``, ``question``, ``language``). None gives ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, enum.Enum):
        table = _BY_ENUM.get(type(value), {})
        return str(table[value]) if value in table else _fallback(value)
    if kind == "language":
        return str(current_app.config["LANGUAGES"].get(value, value))
    table = _BY_NAME.get(kind or "", {})
    return str(table[value]) if value in table else _fallback(value)


def allegation_changes(data: dict) -> list[str]:
    """What one allegation event changed, as sentences "what: from → to". Subject values are
    personal data and never stored in the event, so only that the subject changed is said."""
    if "added" in data:
        return [_("Allegation added under clause %(code)s", code=data["added"])]
    if "removed" in data:
        return [_("Allegation removed (clause %(code)s)", code=data["removed"] or "—")]
    before, after = data.get("before") or {}, data.get("after") or {}
    changes = []
    none = _("none")
    if before.get("clause") != after.get("clause"):
        changes.append(
            _(
                "Clause: %(old)s → %(new)s",
                old=before.get("clause") or none,
                new=after.get("clause") or none,
            )
        )
    if bool(before.get("confirmed")) != bool(after.get("confirmed")):
        yes, no = _("confirmed"), _("suggested")
        changes.append(
            _(
                "Clause confirmation: %(old)s → %(new)s",
                old=yes if before.get("confirmed") else no,
                new=yes if after.get("confirmed") else no,
            )
        )
    if before.get("disposition") != after.get("disposition"):
        changes.append(
            _(
                "Disposition: %(old)s → %(new)s",
                old=label(before.get("disposition"), "disposition") or none,
                new=label(after.get("disposition"), "disposition") or none,
            )
        )
    if data.get("subject_changed"):
        words = {"none": none, "given": _("given")}
        old, new = before.get("subject"), after.get("subject")
        if old == new:
            changes.append(_("Subject: changed"))
        else:
            changes.append(
                _(
                    "Subject: %(old)s → %(new)s",
                    old=words.get(old, none),
                    new=words.get(new, none),
                )
            )
    if data.get("facts_changed"):
        changes.append(_("Facts of the allegation updated"))
    return changes


ACTION = {
    "acknowledge": _l("Acknowledge"),
    "screen_in": _l("Screen in"),
    "screen_out": _l("Screen out"),
    "submit_findings": _l("Submit findings"),
    "return_findings": _l("Return findings"),
    "approve": _l("Approve findings"),
    "withdraw": _l("Record a withdrawal"),
    "reopen": _l("Reopen"),
}
_BY_NAME["action"] = ACTION

# Keys of the details recorded with account events and of a revealed contact.
DETAIL = {
    "from": _l("From"),
    "to": _l("To"),
    "resets": _l("Resets"),
    "approval": _l("Needs approval"),
    "change": _l("Change number"),
    "change_kind": _l("Kind of change"),
    "approved_by": _l("Approved by account"),
    "requested_by": _l("Requested by account"),
    "lead": _l("Lead advocate"),
    "organisation": _l("Organisation"),
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "postal": _l("Postal address"),
    "best_time": _l("Best time to contact"),
}
_BY_NAME["detail"] = DETAIL


def detail_value(key: str, value: Any) -> str:
    """A recorded detail's value in words: roles and booleans translated, the rest as is."""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if key in ("from", "to") and value in _BY_NAME["role"]:
        return label(value, "role")
    if isinstance(value, list):
        return ", ".join(label(v) if isinstance(v, str) else str(v) for v in value)
    return str(value)
