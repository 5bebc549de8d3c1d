"""No IP address and no personal data in the application's logs, over a whole journey."""

from __future__ import annotations

import logging
from http import HTTPStatus

from sqlalchemy import select

from complaints_app.models import Complaint, Role
from complaints_app.services import accounts
from tests.helpers import (
    hidden_fields,
    post_complaint,
    receipt_of,
    sign_in_to_case,
    valid_complaint,
)

NAME = "Rosalind Marker-Name"
EMAIL = "rosalind.marker@example.org"
PHONE = "617-555-0199"
NARRATIVE = "Narrative-marker-44Z officers called ICE from the booking desk."
REPLY = "Reply-marker-91K more details"


def test_whole_journey_leaves_no_personal_data_or_address_in_logs(app, client, db, caplog):
    caplog.set_level(logging.DEBUG)
    # Every SQL statement with its parameters goes to the log too: none may carry plain text.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    environ = {"REMOTE_ADDR": "203.0.113.77"}
    client.environ_base.update(environ)
    data = valid_complaint(
        narrative=NARRATIVE,
        contact_name=NAME,
        contact_email=EMAIL,
        contact_phone=PHONE,
        contact_method="phone",
    )
    reference, code = receipt_of(post_complaint(client, data))
    # Wrong guesses until the limiter logs its refusal, then the right pair from elsewhere.
    limit = int(app.config["TRACK_LIMIT_PER_CLIENT"].split()[0])
    for _ in range(limit + 1):
        sign_in_to_case(client, reference, "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF")
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    assert sign_in_to_case(client, reference, code).status_code == HTTPStatus.SEE_OTHER
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    client.post("/track/reply", data={"csrf_token": token, "message": REPLY})
    # Staff read the case and reveal the contact details.
    accounts.create_user("inv@example.org", Role.INTAKE, "a perfectly fine passphrase")
    db.session.commit()
    staff = app.test_client()
    staff.environ_base.update(environ)
    hidden = hidden_fields(staff.get("/login").get_data(as_text=True))
    staff.post(
        "/login",
        data={**hidden, "email": "inv@example.org", "password": "a perfectly fine passphrase"},
    )
    page = staff.get(f"/staff/cases/{reference}")
    assert page.status_code == HTTPStatus.OK
    token = hidden_fields(page.get_data(as_text=True))["csrf_token"]
    revealed = staff.post(
        f"/staff/cases/{reference}/contact", data={"csrf_token": token, "reason": "call back"}
    )
    assert EMAIL in revealed.get_data(as_text=True)
    assert db.session.execute(select(Complaint)).scalar_one().reference == reference

    text = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for secret in (
        NAME,
        EMAIL,
        PHONE,
        "6175550199",
        NARRATIVE,
        REPLY,
        code,
        code.replace("-", ""),
        "203.0.113.77",
    ):
        assert secret not in text, secret
