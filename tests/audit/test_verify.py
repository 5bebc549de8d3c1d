"""``flask audit verify`` and ``flask audit checkpoint``: every way someone with write access
to the database (but not the hash key) could rewrite history is caught and named.

Each test changes the database behind the app's back with plain SQL, as such a person could,
then runs the real command through ``app.test_cli_runner()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from complaints_app.models import (
    AccountEvent,
    AccountEventKind,
    AuditChainHead,
    CaseEvent,
    Complaint,
    EventKind,
    Role,
)
from complaints_app.models.types import UTCDateTime
from complaints_app.services import audit
from tests.helpers import hidden_fields, post_complaint, receipt_of, sign_in_to_case
from tests.staff.conftest import complaint_by_reference, quick_user


@dataclass(frozen=True)
class Chains:
    first: int  # a case with four events, two of them with sealed text
    second: int  # a case with its SUBMITTED event only
    user: int

    @property
    def first_chain(self) -> str:
        return f"case:{self.first}"

    @property
    def second_chain(self) -> str:
        return f"case:{self.second}"


@pytest.fixture
def chains(client, db) -> Chains:
    """Two cases filed through the public form, a complainant's message, a staff view and
    note, and two account events."""
    first_ref, code = receipt_of(post_complaint(client))
    second_ref, _ = receipt_of(post_complaint(client.application.test_client()))
    sign_in_to_case(client, first_ref, code)
    token = hidden_fields(client.get("/track").get_data(as_text=True))["csrf_token"]
    client.post("/track/reply", data={"csrf_token": token, "message": "One more detail."})
    staff = quick_user(db, Role.SUPERVISOR)
    for kind in (AccountEventKind.CREATED, AccountEventKind.ROLE_CHANGED):
        audit.seal_account_event(
            AccountEvent(user_id=staff.id, actor_id=staff.id, kind=kind, data={"k": kind.value})
        )
    first = complaint_by_reference(db, first_ref)
    audit.record(first, EventKind.CASE_VIEWED, actor=staff)
    audit.record(first, EventKind.NOTE, actor=staff, body="Phoned the jail.")
    result = Chains(first.id, complaint_by_reference(db, second_ref).id, staff.id)
    db.session.commit()
    kinds = [e.kind for e in _events(db, result.first)]
    assert kinds == [
        EventKind.SUBMITTED,
        EventKind.MESSAGE_FROM_COMPLAINANT,
        EventKind.CASE_VIEWED,
        EventKind.NOTE,
    ]
    return result


def _events(db, complaint_id: int) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            sa.select(CaseEvent)
            .where(CaseEvent.complaint_id == complaint_id)
            .order_by(CaseEvent.seq)
        )
    )


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", *args])


def _raw(db, sql: str, **params) -> None:
    """Change the database behind the app's back, as someone with database access could."""
    statement = sa.text(sql)
    if "data" in params:
        statement = statement.bindparams(sa.bindparam("data", type_=sa.JSON))
    if "at" in params:
        statement = statement.bindparams(sa.bindparam("at", type_=UTCDateTime()))
    db.session.execute(statement, params)
    db.session.commit()


def _event_row(db, complaint_id: int, seq: int) -> CaseEvent:
    return next(e for e in _events(db, complaint_id) if e.seq == seq)


def _broken(result, chain: str, *words: str) -> None:
    assert result.exit_code == 1, result.output
    line = next(
        (ln for ln in result.output.splitlines() if ln.startswith(f"Audit chain {chain} ")), ""
    )
    assert line, result.output
    for word in words:
        assert word in line, line


# --- intact ---------------------------------------------------------------------------------


def test_verify_passes_on_an_intact_database(app, chains):
    result = _cli(app, "verify")

    assert result.exit_code == 0, result.output
    assert "Audit chains intact" in result.output


def test_verify_passes_on_an_empty_database(app, db):
    result = _cli(app, "verify")

    assert result.exit_code == 0, result.output


def test_checkpoint_lists_every_chain_head_with_its_mac(app, db, chains):
    result = _cli(app, "checkpoint")

    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in result.output.splitlines()]
    assert {e["chain"]: e["seq"] for e in entries} == {
        "accounts": 2,
        chains.first_chain: 4,
        chains.second_chain: 1,
    }
    heads = {h.name: h for h in db.session.scalars(sa.select(AuditChainHead))}
    for entry in entries:
        assert set(entry) == {"chain", "seq", "last_hash", "mac", "at"}
        assert entry["last_hash"] == heads[entry["chain"]].last_hash
        assert entry["mac"] == heads[entry["chain"]].mac
        assert entry["at"]


def test_verify_against_an_older_checkpoint_passes_after_new_events(app, db, chains, tmp_path):
    checkpoint = tmp_path / "heads.jsonl"
    assert _cli(app, "checkpoint", "--output", str(checkpoint)).exit_code == 0
    first = db.session.get(Complaint, chains.first)
    audit.record(first, EventKind.CASE_VIEWED)
    audit.record(first, EventKind.NOTE, body="Another note.")
    db.session.commit()

    result = _cli(app, "verify", "--against", str(checkpoint))

    assert result.exit_code == 0, result.output
    assert "against 3 checkpointed chain(s)" in result.output


# --- one event edited -----------------------------------------------------------------------


def _swap_events(db, c: Chains) -> None:
    _raw(db, "UPDATE case_event SET seq = -1 WHERE complaint_id = :c AND seq = 3", c=c.first)
    _raw(db, "UPDATE case_event SET seq = 3 WHERE complaint_id = :c AND seq = 4", c=c.first)
    _raw(db, "UPDATE case_event SET seq = 4 WHERE complaint_id = :c AND seq = -1", c=c.first)


def _copy_body(db, c: Chains) -> None:
    note = _event_row(db, c.first, 4)
    _raw(
        db,
        "UPDATE case_event SET body_ct = :b WHERE complaint_id = :c AND seq = 2",
        b=note.body_ct,
        c=c.first,
    )


def _flip_body(db, c: Chains) -> None:
    body = _event_row(db, c.first, 2).body_ct
    middle = len(body) // 2
    forged = body[:middle] + ("B" if body[middle] == "A" else "A") + body[middle + 1 :]
    _raw(
        db,
        "UPDATE case_event SET body_ct = :b WHERE complaint_id = :c AND seq = 2",
        b=forged,
        c=c.first,
    )


def _shift_time(db, c: Chains) -> None:
    at = _event_row(db, c.first, 2).created_at - timedelta(days=2)
    _raw(
        db,
        "UPDATE case_event SET created_at = :at WHERE complaint_id = :c AND seq = 2",
        at=at,
        c=c.first,
    )


EDITS = {
    "data": lambda db, c: _raw(
        db,
        "UPDATE case_event SET data = :data WHERE complaint_id = :c AND seq = 1",
        data={"channel": "phone", "urgent": True},
        c=c.first,
    ),
    "kind": lambda db, c: _raw(
        db, "UPDATE case_event SET kind = 'note' WHERE complaint_id = :c AND seq = 3", c=c.first
    ),
    "visibility": lambda db, c: _raw(
        db,
        "UPDATE case_event SET visibility = 'complainant' WHERE complaint_id = :c AND seq = 4",
        c=c.first,
    ),
    "actor": lambda db, c: _raw(
        db, "UPDATE case_event SET actor_id = NULL WHERE complaint_id = :c AND seq = 3", c=c.first
    ),
    "body digest": lambda db, c: _raw(
        db,
        "UPDATE case_event SET body_digest = :d WHERE complaint_id = :c AND seq = 2",
        d="a" * 64,
        c=c.first,
    ),
    "body ciphertext": _flip_body,
    "body copied from another event": _copy_body,
    "time": _shift_time,
    "order": _swap_events,
    "predecessor": lambda db, c: _raw(
        db,
        "UPDATE case_event SET prev_hash = :h WHERE complaint_id = :c AND seq = 2",
        h="f" * 64,
        c=c.first,
    ),
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_verify_names_the_case_chain_of_an_edited_event(app, db, chains, edit):
    edit(db, chains)

    result = _cli(app, "verify")

    _broken(result, chains.first_chain, "at event seq")
    assert chains.second_chain not in result.output
    assert "1 chain(s) broken" in result.output


def test_verify_names_an_event_moved_to_another_case(app, db, chains):
    second_last = _event_row(db, chains.second, 1)
    _raw(
        db,
        "UPDATE case_event SET complaint_id = :to, seq = 2, prev_hash = :h "
        "WHERE complaint_id = :c AND seq = 4",
        to=chains.second,
        h=second_last.hash,
        c=chains.first,
    )

    result = _cli(app, "verify")

    _broken(result, chains.second_chain, "event seq 2", "changed")
    _broken(result, chains.first_chain, "missing from the end")


def test_verify_names_an_edited_account_event(app, db, chains):
    _raw(db, "UPDATE account_event SET kind = 'password_reset' WHERE seq = 2")

    _broken(_cli(app, "verify"), "accounts", "event seq 2", "changed")


def test_verify_names_a_deleted_event_in_the_middle(app, db, chains):
    _raw(db, "DELETE FROM case_event WHERE complaint_id = :c AND seq = 2", c=chains.first)

    _broken(_cli(app, "verify"), chains.first_chain, "event seq 2", "missing")


# --- truncation -----------------------------------------------------------------------------


def test_verify_notices_newest_events_deleted_with_the_head_left_alone(app, db, chains):
    _raw(db, "DELETE FROM case_event WHERE complaint_id = :c AND seq = 4", c=chains.first)

    _broken(_cli(app, "verify"), chains.first_chain, "event seq 4", "missing from the end")


@pytest.mark.parametrize("keep", [1, 2, 3])
def test_verify_notices_newest_events_deleted_and_the_head_moved_back(app, db, chains, keep):
    new_last = _event_row(db, chains.first, keep)
    _raw(db, "DELETE FROM case_event WHERE complaint_id = :c AND seq > :k", c=chains.first, k=keep)
    _raw(
        db,
        "UPDATE audit_chain_head SET last_seq = :k, last_hash = :h WHERE name = :n",
        k=keep,
        h=new_last.hash,
        n=chains.first_chain,
    )

    _broken(_cli(app, "verify"), chains.first_chain, "MAC does not match")


def test_verify_notices_account_events_truncated_and_the_head_moved_back(app, db, chains):
    first = db.session.scalars(sa.select(AccountEvent).where(AccountEvent.seq == 1)).one()
    _raw(db, "DELETE FROM account_event WHERE seq = 2")
    _raw(
        db,
        "UPDATE audit_chain_head SET last_seq = 1, last_hash = :h WHERE name = 'accounts'",
        h=first.hash,
    )

    _broken(_cli(app, "verify"), "accounts", "MAC does not match")


@pytest.mark.parametrize(
    "forgery",
    [
        "UPDATE audit_chain_head SET mac = :f WHERE name = :n",
        "UPDATE audit_chain_head SET last_seq = last_seq + 1 WHERE name = :n",
        "UPDATE audit_chain_head SET last_hash = :f WHERE name = :n",
    ],
    ids=["mac", "seq", "hash"],
)
def test_verify_notices_a_forged_head(app, db, chains, forgery):
    params = {"n": chains.second_chain}
    if ":f" in forgery:
        params["f"] = "e" * 64
    _raw(db, forgery, **params)

    _broken(_cli(app, "verify"), chains.second_chain)


# --- whole chains gone ----------------------------------------------------------------------


def test_verify_notices_a_case_whose_whole_chain_was_removed(app, db, chains):
    _raw(db, "DELETE FROM case_event WHERE complaint_id = :c", c=chains.second)
    _raw(db, "DELETE FROM audit_chain_head WHERE name = :n", n=chains.second_chain)

    _broken(_cli(app, "verify"), chains.second_chain, "whole chain is missing")


def test_verify_notices_a_case_whose_events_were_removed_but_not_its_head(app, db, chains):
    _raw(db, "DELETE FROM case_event WHERE complaint_id = :c", c=chains.first)

    _broken(_cli(app, "verify"), chains.first_chain, "event seq 1", "missing")


def test_verify_notices_a_removed_head(app, db, chains):
    _raw(db, "DELETE FROM audit_chain_head WHERE name = :n", n=chains.first_chain)

    _broken(_cli(app, "verify"), chains.first_chain, "head is missing")


def _remove_case(db, complaint_id: int) -> None:
    """Everything of one case gone, as if it had never been filed."""
    for table in ("case_event", "allegation", "attachment"):
        _raw(db, f"DELETE FROM {table} WHERE complaint_id = :c", c=complaint_id)
    _raw(db, "DELETE FROM audit_chain_head WHERE name = :n", n=f"case:{complaint_id}")
    _raw(db, "DELETE FROM complaint WHERE id = :c", c=complaint_id)


def test_a_case_removed_with_its_chain_is_caught_against_a_checkpoint(
    app, db, chains, tmp_path: Path
):
    checkpoint = tmp_path / "heads.jsonl"
    assert _cli(app, "checkpoint", "--output", str(checkpoint)).exit_code == 0
    _remove_case(db, chains.second)

    # The database alone is consistent again: only the checkpoint kept elsewhere knows.
    assert _cli(app, "verify").exit_code == 0
    result = _cli(app, "verify", "--against", str(checkpoint))

    _broken(result, chains.second_chain, "vanished")


def test_removed_account_events_are_caught_against_a_checkpoint(app, db, chains, tmp_path):
    checkpoint = tmp_path / "heads.jsonl"
    assert _cli(app, "checkpoint", "--output", str(checkpoint)).exit_code == 0
    _raw(db, "DELETE FROM account_event")
    _raw(db, "DELETE FROM audit_chain_head WHERE name = 'accounts'")

    _broken(_cli(app, "verify", "--against", str(checkpoint)), "accounts", "vanished")


def test_a_head_replayed_from_earlier_is_caught_against_a_later_checkpoint(
    app, db, chains, tmp_path
):
    """The MAC cannot tell an old head from a new one; the checkpoint can."""
    old = db.session.get(AuditChainHead, chains.first_chain)
    old_values = {"s": old.last_seq, "h": old.last_hash, "m": old.mac}
    first = db.session.get(Complaint, chains.first)
    audit.record(first, EventKind.CASE_VIEWED)
    audit.record(first, EventKind.CASE_VIEWED)
    db.session.commit()
    checkpoint = tmp_path / "heads.jsonl"
    assert _cli(app, "checkpoint", "--output", str(checkpoint)).exit_code == 0

    _raw(db, "DELETE FROM case_event WHERE complaint_id = :c AND seq > 4", c=chains.first)
    _raw(
        db,
        "UPDATE audit_chain_head SET last_seq = :s, last_hash = :h, mac = :m WHERE name = :n",
        n=chains.first_chain,
        **old_values,
    )

    assert _cli(app, "verify").exit_code == 0
    _broken(_cli(app, "verify", "--against", str(checkpoint)), chains.first_chain, "backwards")


# --- the checkpoint file itself -------------------------------------------------------------


def test_an_edited_checkpoint_entry_is_refused(app, db, chains, tmp_path):
    checkpoint = tmp_path / "heads.jsonl"
    assert _cli(app, "checkpoint", "--output", str(checkpoint)).exit_code == 0
    entries = [json.loads(line) for line in checkpoint.read_text().splitlines()]
    for entry in entries:
        if entry["chain"] == chains.first_chain:
            entry["seq"] = 2
    checkpoint.write_text("".join(json.dumps(e) + "\n" for e in entries))

    _broken(_cli(app, "verify", "--against", str(checkpoint)), chains.first_chain, "checkpoint")


@pytest.mark.parametrize("bad", ["not json", '{"chain": "accounts"}', '["a", 1]'])
def test_an_unreadable_checkpoint_is_refused_naming_the_line(app, db, chains, tmp_path, bad):
    checkpoint = tmp_path / "heads.jsonl"
    assert _cli(app, "checkpoint", "--output", str(checkpoint)).exit_code == 0
    lines = checkpoint.read_text().splitlines()
    checkpoint.write_text("\n".join([lines[0], bad, *lines[1:]]) + "\n")

    result = _cli(app, "verify", "--against", str(checkpoint))

    assert result.exit_code == 1
    assert "line 2 is not a checkpoint entry" in result.output
