"""Hash keys rotate: keyed hashes name the key that made them, every configured key still
matches, and a removed key makes its hashes unmatchable (and the app says so)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from sqlalchemy import select

from complaints_app import crypto
from complaints_app.models import CaseEvent, Complaint, EventKind, RecoveryCode, Role, User
from complaints_app.services import accounts, casework, two_factor
from tests.helpers import (
    hidden_fields,
    open_form,
    post_complaint,
    receipt_of,
    sign_in_to_case,
    valid_complaint,
)


@pytest.fixture
def hash_keys(app) -> Iterator[callable]:
    """Set HASH_KEYS (newest first) for the rest of the test; restored afterwards."""
    before = (list(app.config["HASH_KEYS"]), app.config["HASH_KEY"])

    def use(*keys: str) -> None:
        app.config["HASH_KEYS"] = list(keys)
        app.config["HASH_KEY"] = keys[0]

    yield use
    app.config["HASH_KEYS"], app.config["HASH_KEY"] = before


def _case(db, reference: str) -> Complaint:
    db.session.expire_all()
    return db.session.execute(
        select(Complaint).where(Complaint.reference == reference)
    ).scalar_one()


def test_keyed_hash_names_its_key_and_every_listed_key_matches(app, hash_keys):
    old, new = app.config["HASH_KEY"], secrets.token_urlsafe(48)
    with app.app_context():
        made_old = crypto.keyed_hash("tracking-code", "ABCD")
        assert made_old.startswith(crypto.hash_key_id(old) + "$")
        assert len(made_old) == 8 + 1 + 64

        hash_keys(new, old)
        made_new = crypto.keyed_hash("tracking-code", "ABCD")
        assert made_new.startswith(crypto.hash_key_id(new) + "$") and made_new != made_old
        for stored in (made_old, made_new):
            assert crypto.keyed_hash_matches("tracking-code", "ABCD", stored)
            assert not crypto.keyed_hash_matches("tracking-code", "ABCE", stored)
            assert not crypto.keyed_hash_matches("submission-token", "ABCD", stored)
        assert crypto.keyed_hash_candidates("tracking-code", "ABCD") == [made_new, made_old]

        hash_keys(new)
        assert not crypto.keyed_hash_matches("tracking-code", "ABCD", made_old)
        assert not crypto.hash_key_configured(made_old)
        assert crypto.keyed_hash_matches("tracking-code", "ABCD", made_new)
        # A hash without a key id, or with a forged one, matches nothing.
        bare = made_new.split("$", 1)[1]
        for forged in (bare, "00000000$" + bare, "$" + bare, ""):
            assert not crypto.keyed_hash_matches("tracking-code", "ABCD", forged)


def test_hash_key_for_a_purpose_is_versioned(app, hash_keys):
    old, new = app.config["HASH_KEY"], secrets.token_urlsafe(48)
    with app.app_context():
        hash_keys(new, old)
        old_id, new_id = crypto.hash_key_id(old), crypto.hash_key_id(new)
        assert crypto.hash_key("audit-chain") == crypto.hash_key("audit-chain", new_id)
        assert crypto.hash_key("audit-chain", old_id) != crypto.hash_key("audit-chain", new_id)
        assert crypto.hash_key("audit-chain", old_id) != crypto.hash_key("other", old_id)
        # The derivation the audit chain has used so far, so chains made before stay valid.
        import hashlib

        assert (
            crypto.hash_key("audit-chain", old_id)
            == hashlib.sha256(b"audit-chain:" + old.encode()).digest()
        )
        with pytest.raises(crypto.UnknownHashKey):
            crypto.hash_key("audit-chain", "ffffffff")


def test_tracking_survives_a_new_key_and_ends_with_the_old_one(app, client, db, hash_keys, caplog):
    old, new = app.config["HASH_KEY"], secrets.token_urlsafe(48)
    before, before_code = receipt_of(post_complaint(client))
    assert _case(db, before).tracking_hash.startswith(crypto.hash_key_id(old) + "$")

    hash_keys(new, old)
    resident = app.test_client()
    assert sign_in_to_case(resident, before, before_code).status_code == HTTPStatus.SEE_OTHER
    after, after_code = receipt_of(post_complaint(app.test_client()))
    stored = _case(db, after)
    assert stored.tracking_hash.startswith(crypto.hash_key_id(new) + "$")
    assert stored.submission_hash.startswith(crypto.hash_key_id(new) + "$")
    assert stored.contact_email_hash.startswith(crypto.hash_key_id(new) + "$")

    hash_keys(new)
    with caplog.at_level(logging.WARNING):
        refused = sign_in_to_case(app.test_client(), before, before_code)
    assert refused.status_code != HTTPStatus.SEE_OTHER
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert crypto.hash_key_id(old) in warning and "no longer in HASH_KEYS" in warning
    assert before_code not in warning and before not in warning
    assert sign_in_to_case(app.test_client(), after, after_code).status_code == HTTPStatus.SEE_OTHER


def test_form_posted_again_after_rotation_shows_its_first_receipt(app, client, db, hash_keys):
    hidden = open_form(client)
    first = receipt_of(post_complaint(client, valid_complaint(), hidden=hidden))
    hash_keys(secrets.token_urlsafe(48), app.config["HASH_KEY"])
    again = receipt_of(post_complaint(client, valid_complaint(), hidden=hidden))
    assert again == first
    assert db.session.execute(select(Complaint)).scalars().all().__len__() == 1


def test_recovery_codes_follow_the_hash_keys(app, db, hash_keys):
    old, new = app.config["HASH_KEY"], secrets.token_urlsafe(48)
    user = accounts.create_user(
        "sup@office.example", Role.SUPERVISOR, "violet harbour kettle mountain"
    )
    db.session.flush()
    codes = two_factor._new_recovery_codes(user)
    db.session.commit()
    stored = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
    assert all(h.startswith(crypto.hash_key_id(old) + "$") for h in stored)

    hash_keys(new, old)
    user = db.session.get(User, user.id)
    assert two_factor.use_recovery_code(user, codes[0])
    assert not two_factor.use_recovery_code(user, codes[0])  # once only
    hash_keys(new)
    assert not two_factor.use_recovery_code(user, codes[1])
    db.session.rollback()


# Intake sees every case, so its duplicate hints are the whole picture.
INTAKE = User(role=Role.INTAKE, active=True)


def test_rotate_moves_contact_hashes_so_duplicates_are_still_found(app, db, hash_keys):
    old, new = app.config["HASH_KEY"], secrets.token_urlsafe(48)
    first, _ = receipt_of(post_complaint(app.test_client()))
    hash_keys(new, old)
    second, _ = receipt_of(
        post_complaint(app.test_client(), valid_complaint(incident_date="2025-01-02"))
    )
    a, b = _case(db, first), _case(db, second)
    assert a.contact_email_hash != b.contact_email_hash  # same email, two keys
    assert a not in casework.duplicate_hints(b, INTAKE)

    runner = app.test_cli_runner()
    status = runner.invoke(args=["keys", "hash-status"])
    assert status.exit_code == 0, status.output
    assert f"contact emails: 1 under key {crypto.hash_key_id(old)} (older)" in status.output

    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Contact hashes remade under hash key " + crypto.hash_key_id(new) in result.output
    a, b = _case(db, first), _case(db, second)
    assert a.contact_email_hash == b.contact_email_hash
    assert a in casework.duplicate_hints(b, INTAKE)

    # The tracking code of the first case still needs the old key: hash-status says so.
    hash_keys(new)
    lost = runner.invoke(args=["keys", "hash-status"])
    assert lost.exit_code == 1
    assert f"1 tracking codes were made under hash key {crypto.hash_key_id(old)}" in lost.output
    assert "contact emails: 2 under key " + crypto.hash_key_id(new) + " (newest)" in lost.output


def test_keys_help_explains_hash_key_rotation(app):
    result = app.test_cli_runner().invoke(args=["keys", "--help"])
    assert "HASH_KEYS" in result.output and "generate-hash" in result.output
    made = app.test_cli_runner().invoke(args=["keys", "generate-hash"]).output.strip()
    from config import secret_weakness

    assert secret_weakness(made) is None


def test_the_audit_trail_verifies_across_a_hash_key_rotation(app, db, hash_keys):
    """Chains written under the old hash key keep verifying once a new key is put first,
    new links are made under the new key, and taking the old key away is noticed."""
    old, new = app.config["HASH_KEY"], secrets.token_urlsafe(48)
    reference, code = receipt_of(
        post_complaint(app.test_client(), valid_complaint(narrative="Before the rotation."))
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    hash_keys(new, old)
    tracker = app.test_client()
    assert sign_in_to_case(tracker, reference, code).status_code == HTTPStatus.SEE_OTHER
    page = tracker.get("/track").get_data(as_text=True)
    token = hidden_fields(page)["csrf_token"]
    sent = tracker.post("/track/reply", data={"csrf_token": token, "message": "After it."})
    assert sent.status_code == HTTPStatus.SEE_OTHER
    db.session.expire_all()
    reply = db.session.execute(
        select(CaseEvent).where(CaseEvent.kind == EventKind.MESSAGE_FROM_COMPLAINANT)
    ).scalar_one()
    assert reply.body_digest.startswith(crypto.hash_key_id(new) + "$")
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output

    hash_keys(new)  # the old key removed: what it made can no longer be checked
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "case:" in broken.output
