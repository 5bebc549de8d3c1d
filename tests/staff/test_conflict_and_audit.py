"""Two people on one case, and the audit trail every look at a case leaves."""

from __future__ import annotations

import json
from http import HTTPStatus

from sqlalchemy import event, select

from complaints_app.models import CaseEvent, EventKind, Role
from tests.helpers import post_complaint, receipt_of, small_pdf
from tests.staff.conftest import complaint_by_reference, file_complaint
from tests.staff.test_workflow import _fields, _form


def _events(db, reference: str, kind: EventKind) -> list[CaseEvent]:
    complaint = complaint_by_reference(db, reference)
    return list(
        db.session.execute(
            select(CaseEvent).where(CaseEvent.complaint_id == complaint.id, CaseEvent.kind == kind)
        ).scalars()
    )


def test_second_save_on_a_stale_view_is_a_conflict_that_keeps_the_typing(db, signed_in, filed_case):
    reference, _code = filed_case
    first, _ = signed_in(Role.INTAKE)
    second, _ = signed_in(Role.SUPERVISOR)
    path = f"/staff/cases/{reference}/actions/acknowledge"
    seen_first = _fields(_form(first.get(f"/staff/cases/{reference}").get_data(as_text=True), path))
    seen_second = _fields(
        _form(second.get(f"/staff/cases/{reference}").get_data(as_text=True), path)
    )

    ok = first.post(path, data={**seen_first, "message": "First acknowledgement."})
    assert ok.status_code == HTTPStatus.SEE_OTHER

    typed = "A long careful message the supervisor typed by hand."
    clash = second.post(path, data={**seen_second, "message": typed})
    assert clash.status_code == HTTPStatus.CONFLICT
    html = clash.get_data(as_text=True)
    assert "Someone else changed this case" in html
    assert typed in html
    assert len(_events(db, reference, EventKind.MESSAGE_TO_COMPLAINANT)) == 1


def test_allegation_form_on_a_stale_view_is_a_conflict(db, signed_in, filed_case):
    reference, _code = filed_case
    allegation_id = complaint_by_reference(db, reference).allegations[0].id
    path = f"/staff/cases/{reference}/allegations/{allegation_id}"
    p = f"a{allegation_id}-"
    first, _ = signed_in(Role.INTAKE)
    second, _ = signed_in(Role.INTAKE)
    seen_first = _fields(_form(first.get(f"/staff/cases/{reference}").get_data(as_text=True), path))
    seen_second = _fields(
        _form(second.get(f"/staff/cases/{reference}").get_data(as_text=True), path)
    )
    data = {p + "clause": "2c", p + "confirmed": "y"}
    ok = first.post(path, data={**seen_first, **data, p + "reason": "Confirmed on call"})
    assert ok.status_code == HTTPStatus.SEE_OTHER
    clash = second.post(
        path,
        data={**seen_second, **data, p + "subject": "Sgt Rivera, badge 9921", p + "reason": "x"},
    )
    assert clash.status_code == HTTPStatus.CONFLICT
    html = clash.get_data(as_text=True)
    assert "Someone else changed this case" in html
    assert "Sgt Rivera, badge 9921" in html


def test_viewing_a_case_is_recorded(db, signed_in, filed_case):
    reference, _code = filed_case
    client, user = signed_in(Role.INTAKE)
    assert client.get(f"/staff/cases/{reference}").status_code == HTTPStatus.OK
    viewed = _events(db, reference, EventKind.CASE_VIEWED)
    assert [e.actor_id for e in viewed] == [user.id]


def test_revealing_contact_needs_a_reason_and_is_recorded(db, signed_in, filed_case):
    reference, _code = filed_case
    client, user = signed_in(Role.INTAKE)
    page = client.get(f"/staff/cases/{reference}").get_data(as_text=True)
    assert "ana@example.org" not in page
    path = f"/staff/cases/{reference}/contact"
    fields = _fields(_form(page, path))

    refused = client.post(path, data={**fields, "reason": ""})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "ana@example.org" not in refused.get_data(as_text=True)
    assert _events(db, reference, EventKind.CONTACT_REVEALED) == []

    shown = client.post(path, data={**fields, "reason": "Calling back about the date"})
    assert shown.status_code == HTTPStatus.OK
    assert "ana@example.org" in shown.get_data(as_text=True)
    (revealed,) = _events(db, reference, EventKind.CONTACT_REVEALED)
    assert revealed.actor_id == user.id
    assert revealed.body == "Calling back about the date"


def test_attachment_download_is_forced_and_recorded(app, db, signed_in):
    reference, _code = receipt_of(
        post_complaint(app.test_client(), files=[(small_pdf(), "booking.pdf")])
    )
    attachment_id = complaint_by_reference(db, reference).attachments[0].id
    client, user = signed_in(Role.SUPERVISOR)
    response = client.get(f"/staff/cases/{reference}/attachments/{attachment_id}")
    assert response.status_code == HTTPStatus.OK
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF")
    (downloaded,) = _events(db, reference, EventKind.ATTACHMENT_DOWNLOADED)
    assert downloaded.actor_id == user.id
    assert downloaded.data == {"attachment_id": attachment_id}


def test_case_events_never_hold_contact_or_narrative_in_plain(db, signed_in, filed_case):
    reference, _code = filed_case
    client, _user = signed_in(Role.SUPERVISOR)
    page = client.get(f"/staff/cases/{reference}").get_data(as_text=True)
    path = f"/staff/cases/{reference}/contact"
    client.post(path, data={**_fields(_form(page, path)), "reason": "Need to call"})
    client.post(
        f"/staff/cases/{reference}/notes",
        data={
            "csrf_token": _fields(_form(page, f"/staff/cases/{reference}/notes"))["csrf_token"],
            "text": "Left a voicemail for Ana Example.",
        },
    )
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT data, body_ct FROM case_event").all()
    assert len(rows) >= 4
    for data, body_ct in rows:
        stored = json.dumps(data) if not isinstance(data, str) else data
        for secret in ("ana@example.org", "Ana Example", "kept overnight after bail"):
            assert secret not in stored
            assert secret not in (body_ct or "")


def _queries_for_queue(db, client) -> int:
    statements: list[str] = []

    def count_query(conn, cursor, statement, parameters, context, executemany):
        if statement != "BEGIN IMMEDIATE":  # SQLite's transaction start, not a query
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_query)
    try:
        response = client.get("/staff/cases")
    finally:
        event.remove(db.engine, "before_cursor_execute", count_query)
    assert response.status_code == HTTPStatus.OK
    return len(statements)


def test_queue_costs_the_same_queries_however_many_cases(db, signed_in):
    client, _user = signed_in(Role.SUPERVISOR)
    for _ in range(3):
        file_complaint(db)
    client.get("/staff/cases")  # warm up anything cached per process
    with_three = _queries_for_queue(db, client)
    for _ in range(27):
        file_complaint(db)
    with_thirty = _queries_for_queue(db, client)
    assert with_thirty == with_three
    # session grant, user, staff list, clauses (and their texts in each language), count,
    # page, allegations, clauses (and texts), counts
    assert with_three <= 11
