"""The staff case page: allegation changes told as from → to, reasons asked only when a
recorded value changes, a paged timeline without "case viewed" noise, grouped actions, and
words instead of internal values."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from sqlalchemy import event, select

from complaints_app.models import (
    Agency,
    Allegation,
    CaseEvent,
    Channel,
    Disposition,
    EventKind,
    Role,
    Status,
)
from complaints_app.services import audit
from tests.helpers import hidden_fields, post_complaint, receipt_of, valid_complaint
from tests.staff.conftest import complaint_by_reference, file_complaint
from tests.staff.test_workflow import _fields, _form, put_in_status


def _page(client, reference: str, query: str = "") -> str:
    response = client.get(f"/staff/cases/{reference}{query}")
    assert response.status_code == HTTPStatus.OK
    return response.get_data(as_text=True)


def _post_allegation(client, reference: str, allegation: Allegation, **values):
    path = f"/staff/cases/{reference}/allegations/{allegation.id}"
    p = f"a{allegation.id}-"
    page = _page(client, reference)
    data = {
        **_fields(_form(page, path)),
        p + "clause": allegation.clause.code,
        **({p + "confirmed": "y"} if allegation.clause_confirmed else {}),
        **{p + k: v for k, v in values.items()},
    }
    return client.post(path, data=data)


@pytest.fixture
def investigation(db, signed_in):
    """A case in investigation, assigned to a signed-in investigator."""
    client, investigator = signed_in(Role.INVESTIGATOR)
    complaint = file_complaint(db)
    for allegation in complaint.allegations:
        allegation.clause_confirmed = True
    put_in_status(db, complaint, Status.INVESTIGATION, investigator.id)
    return client, complaint_by_reference(db, complaint.reference)


def test_first_disposition_needs_no_reason_but_changing_it_does(db, investigation):
    client, complaint = investigation
    allegation = complaint.allegations[0]
    first = _post_allegation(
        client, complaint.reference, allegation, disposition=Disposition.SUSTAINED.value
    )
    assert first.status_code == HTTPStatus.SEE_OTHER, first.get_data(as_text=True)[-2000:]
    complaint = complaint_by_reference(db, complaint.reference)
    allegation = complaint.allegations[0]
    assert allegation.disposition == Disposition.SUSTAINED

    for reason in ("", "   "):
        refused = _post_allegation(
            client,
            complaint.reference,
            allegation,
            disposition=Disposition.UNFOUNDED.value,
            reason=reason,
        )
        assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        html = refused.get_data(as_text=True)
        field = f"a{allegation.id}-reason"
        # The message is at the field, and the error summary links to it.
        assert re.search(rf'id="{field}-error"[^>]*>.*Say why you change the recorded', html, re.S)
        assert f'href="#{field}"' in html
        # The form posts back to its own allegation, so the answer opens scrolled there.
        assert f'/allegations/{allegation.id}#allegation-{allegation.id}"' in html
        assert f'id="allegation-{allegation.id}"' in html
    assert complaint_by_reference(db, complaint.reference).allegations[0].disposition == (
        Disposition.SUSTAINED
    )

    changed = _post_allegation(
        client,
        complaint.reference,
        allegation,
        disposition=Disposition.UNFOUNDED.value,
        reason="Video shows release on time",
    )
    assert changed.status_code == HTTPStatus.SEE_OTHER
    html = _page(client, complaint.reference)
    assert "Disposition: none → Sustained" in html
    assert "Disposition: Sustained → Unfounded" in html
    assert "Allegation changed" not in html


def test_other_changes_still_need_a_reason(db, investigation):
    client, complaint = investigation
    allegation = complaint.allegations[0]
    refused = _post_allegation(client, complaint.reference, allegation, subject="Badge 4411")
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Say why you are changing this allegation." in refused.get_data(as_text=True)
    assert complaint_by_reference(db, complaint.reference).allegations[0].subject is None


def test_added_allegation_has_subject_and_summary_and_changes_read_as_from_to(db, signed_in):
    client, _user = signed_in(Role.INTAKE)
    complaint = file_complaint(db)
    reference = complaint.reference
    path = f"/staff/cases/{reference}/allegations"
    page = _page(client, reference)
    added = client.post(
        path,
        data={
            **_fields(_form(page, path)),
            "clause": "2d",
            "subject": "Officer Reyes, badge 4411",
            "summary": "Release date was given to ICE by phone.",
            "reason": "Heard on the intake call",
        },
    )
    assert added.status_code == HTTPStatus.SEE_OTHER, added.get_data(as_text=True)[-2000:]
    complaint = complaint_by_reference(db, reference)
    new = next(a for a in complaint.allegations if a.clause.code == "2d")
    assert new.subject == "Officer Reyes, badge 4411"
    assert new.summary == "Release date was given to ICE by phone."
    assert new.clause_confirmed

    suggested = next(a for a in complaint.allegations if not a.clause_confirmed)
    confirm = _post_allegation(
        client, reference, suggested, confirmed="y", subject="Sgt. Doe", reason="Checked"
    )
    assert confirm.status_code == HTTPStatus.SEE_OTHER
    html = _page(client, reference)
    assert "Allegation added under clause 2d" in html
    assert "Clause confirmation: suggested → confirmed" in html
    assert "Subject: none → given" in html
    assert "Release date was given to ICE by phone." in html
    # The subject's value is personal data: the event says it changed, never what it is.
    for e in db.session.execute(select(CaseEvent)).scalars():
        assert "Reyes" not in str(e.data) and "Doe" not in str(e.data)


def _queries_for_case(db, client, reference: str) -> tuple[int, str]:
    statements: list[str] = []

    def count_query(conn, cursor, statement, parameters, context, executemany):
        if statement != "BEGIN IMMEDIATE":  # SQLite's transaction start, not a query
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_query)
    try:
        html = _page(client, reference)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_query)
    return len(statements), html


def _add_events(db, reference: str, notes: int, views: int) -> None:
    complaint = complaint_by_reference(db, reference)
    for n in range(notes):
        audit.record(complaint, EventKind.NOTE, body=f"Note number {n}")
    for _ in range(views):
        audit.record(complaint, EventKind.CASE_VIEWED)
    db.session.commit()


def test_case_page_costs_the_same_queries_with_10_or_300_events(db, signed_in):
    client, _user = signed_in(Role.SUPERVISOR)
    small = file_complaint(db).reference
    large = file_complaint(db).reference
    _add_events(db, small, notes=5, views=4)
    _add_events(db, large, notes=150, views=150)
    _page(client, small)  # warm up anything cached per process
    small_count, small_html = _queries_for_case(db, client, small)
    large_count, large_html = _queries_for_case(db, client, large)
    assert small_count == large_count
    # 300 events, views hidden, 50 a page: the page stays near the small one's size.
    assert large_html.count('class="timeline__item"') == 50
    assert len(large_html) < len(small_html) + 40_000
    assert 'href="/staff/cases/' + large + '?page=4#timeline"' in large_html


def test_views_are_hidden_until_asked_for_and_pages_go_newest_first(db, signed_in):
    client, _user = signed_in(Role.SUPERVISOR)
    reference = file_complaint(db).reference
    _add_events(db, reference, notes=60, views=30)
    html = _page(client, reference)
    assert "Case viewed" not in html
    assert "Show views" in html
    first = html.index("Note number 59")
    assert "Note number 9<" not in html  # the 10th-oldest note is on page 2
    assert first > 0
    page_two = _page(client, reference, "?page=2")
    assert "Note number 9<" in page_two and "Note number 59" not in page_two
    with_views = _page(client, reference, "?views=1")
    assert "Case viewed" in with_views and "Hide views" in with_views
    # Past the end: the last page, not an error.
    assert "Note number 0<" in _page(client, reference, "?page=99")
    # Every view is still in the audit.
    complaint = complaint_by_reference(db, reference)
    views = db.session.scalars(
        select(CaseEvent).where(
            CaseEvent.complaint_id == complaint.id, CaseEvent.kind == EventKind.CASE_VIEWED
        )
    ).all()
    assert len(views) >= 34


def test_actions_are_grouped_under_the_status(db, signed_in):
    client, _user = signed_in(Role.SUPERVISOR)
    reference = file_complaint(db).reference
    html = _page(client, reference)
    assert re.search(r'<h3 class="action-group">In Submitted</h3>\s*<details', html)
    assert '<h3 class="action-group">At any open stage</h3>' in html
    assert html.index("In Submitted") < html.index("At any open stage")


@pytest.mark.parametrize(
    ("agency", "channel", "agency_words", "channel_words"),
    [
        (Agency.OTHER_CITY, Channel.WALK_IN, "Other city department", "Walk-in"),
        (Agency.JAIL, Channel.PHONE, "Jail or house of correction", "Phone"),
        (Agency.UNKNOWN, Channel.MAIL, "Not known", "Mail"),
    ],
)
def test_case_page_shows_words_not_internal_values(
    db, signed_in, agency, channel, agency_words, channel_words
):
    client, _user = signed_in(Role.INTAKE)
    complaint = file_complaint(db, agency=agency, channel=channel)
    html = _page(client, complaint.reference)
    assert agency_words in html and channel_words in html
    assert "Held for ICE" in html and "Asked about immigration status" in html
    assert "English" in html
    body = html[html.index("<main") :]
    for raw in ("other_city", "walk_in", "held_for_ice", "asked_status", "case_viewed", "[city]"):
        assert raw not in body
    assert not re.search(r"<dd>\s*en\s*</dd>", body)
    # The clause picker names its clauses with the city filled in.
    assert "{city}" not in body and "[city]" not in body


def test_staff_intake_receipt_speaks_to_the_staff_member(db, signed_in):
    client, _user = signed_in(Role.INTAKE)
    hidden = hidden_fields(client.get("/staff/intake").get_data(as_text=True))
    done = client.post("/staff/intake", data={**hidden, **valid_complaint(), "channel": "phone"})
    html = done.get_data(as_text=True)
    reference, _code = receipt_of(done)
    assert "Give the resident these two things" in html
    assert "Your complaint was received" not in html
    assert f'href="/staff/cases/{reference}"' in html
    # The resident filing on the web still reads it as their own receipt.
    resident = client.application.test_client()
    own = post_complaint(resident).get_data(as_text=True)
    assert "Your complaint was received" in own
    assert "Give the resident" not in own
