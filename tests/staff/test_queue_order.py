"""The queue puts due work first: open cases only by default, overdue, then urgent, then the
nearest due date; a Due column in plain words; sortable columns whose links keep the
filters; closed cases one filter away; a card layout on narrow screens."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta
from http import HTTPStatus
from pathlib import Path

import pytest

from complaints_app.models import Agency, ClosureReason, Role, Status
from complaints_app.timeutil import city_tz, utcnow
from tests.staff.conftest import file_complaint

ROW_RE = re.compile(r"<tr[^>]*>\s*<th scope=\"row\".*?</tr>", re.S)
REF_RE = re.compile(r'href="/staff/cases/([A-Z]+-\d{4}-\d+)"')
HEAD_RE = re.compile(r'<th scope="col"( aria-sort="(\w+)")?><a href="([^"]+)">([^<]+)')
CELL_RE = re.compile(r"<t([hd])\b([^>]*)>")


def _end_of_city_today(app) -> datetime:
    with app.app_context():
        tz = city_tz()
        today = utcnow().astimezone(tz).date()
        return datetime.combine(today, time(23, 59, 0), tzinfo=tz)


@pytest.fixture
def mix(app, db):
    """Ten cases, one of each kind the queue must order, with dates set in the database."""
    now = utcnow()
    made = {}

    def case(name, *, status, received_days_ago, urgent=False, agency=Agency.POLICE, **dates):
        complaint = file_complaint(db, urgent=urgent, agency=agency)
        complaint.status = status
        complaint.received_at = now - timedelta(days=received_days_ago)
        for key, value in dates.items():
            setattr(complaint, key, value)
        db.session.commit()
        made[name] = complaint.reference

    case(
        "late_ack",
        status=Status.SUBMITTED,
        received_days_ago=9,
        ack_due_at=now - timedelta(days=3, hours=1),
    )
    case(
        "late_investigation",
        status=Status.INVESTIGATION,
        received_days_ago=100,
        investigation_due_at=now - timedelta(hours=2, minutes=5),
    )
    case(
        "urgent",
        status=Status.SUBMITTED,
        received_days_ago=0,
        urgent=True,
        ack_due_at=now + timedelta(hours=3),
    )
    case(
        "due_in_5",
        status=Status.INVESTIGATION,
        received_days_ago=80,
        investigation_due_at=now + timedelta(days=5),
    )
    case(
        "due_today",
        status=Status.SUBMITTED,
        received_days_ago=4,
        ack_due_at=max(_end_of_city_today(app), now + timedelta(seconds=30)),
    )
    case(
        "due_in_10",
        status=Status.SUBMITTED,
        received_days_ago=1,
        ack_due_at=now + timedelta(days=10),
    )
    case(
        "due_tomorrow",
        status=Status.SUBMITTED,
        received_days_ago=3,
        ack_due_at=now + timedelta(days=1),
    )
    # Waiting on the complainant: its deadline has passed, but the clock is stopped.
    case(
        "waiting",
        status=Status.INVESTIGATION,
        received_days_ago=20,
        investigation_due_at=now - timedelta(days=1),
        waiting_since=now - timedelta(days=4),
    )
    case("triage", status=Status.TRIAGE, received_days_ago=30, agency=Agency.JAIL)
    case(
        "closed",
        status=Status.CLOSED,
        received_days_ago=40,
        closed_at=now,
        closure_reason=ClosureReason.REFERRED,
    )
    return made


DEFAULT_ORDER = [
    "late_ack",
    "late_investigation",  # overdue, the longest overdue first
    "urgent",
    "due_today",
    "due_tomorrow",
    "due_in_5",
    "due_in_10",  # nearest due date first
    "triage",
    "waiting",  # nothing due: oldest received first
]


def _refs(page: str) -> list[str]:
    return [REF_RE.search(row).group(1) for row in ROW_RE.findall(page)]


def _rows(page: str) -> dict[str, str]:
    return {REF_RE.search(row).group(1): row for row in ROW_RE.findall(page)}


def _names(mix: dict[str, str], refs: list[str]) -> list[str]:
    by_ref = {ref: name for name, ref in mix.items()}
    return [by_ref[ref] for ref in refs]


def _headings(page: str) -> dict[str, tuple[str | None, str]]:
    return {
        label.strip(): (aria or None, html.unescape(href))
        for _, aria, href, label in HEAD_RE.findall(page)
    }


def test_default_queue_shows_open_cases_due_work_first(mix, signed_in):
    client, _ = signed_in(Role.SUPERVISOR)
    response = client.get("/staff/cases")
    assert response.status_code == HTTPStatus.OK
    assert _names(mix, _refs(response.get_data(as_text=True))) == DEFAULT_ORDER


def test_the_order_is_done_in_sql_so_pages_split_it_exactly(app, mix, signed_in, monkeypatch):
    from complaints_app.services import queue

    monkeypatch.setattr(queue, "PAGE_SIZE", 4)
    client, _ = signed_in(Role.SUPERVISOR)
    seen = []
    for page in (1, 2, 3):
        seen += _refs(client.get(f"/staff/cases?page={page}").get_data(as_text=True))
    assert _names(mix, seen) == DEFAULT_ORDER


def test_due_column_says_how_long_is_left_or_how_late_in_words(mix, signed_in):
    client, _ = signed_in(Role.SUPERVISOR)
    rows = _rows(client.get("/staff/cases?show=all").get_data(as_text=True))
    expected = {
        "late_ack": "Overdue by 3 days",
        "late_investigation": "Overdue by 2 hours",
        "urgent": "Due today" if "Due today" in rows[mix["urgent"]] else "Due tomorrow",
        "due_today": "Due today",
        "due_tomorrow": "Due tomorrow",
        "due_in_5": "Due in 5 days",
        "due_in_10": "Due in 10 days",
        "waiting": "Clock paused: waiting on the complainant",
        "triage": "No deadline at this step",
        "closed": "Closed",
    }
    for name, words in expected.items():
        row = rows[mix[name]]
        assert words in row, (name, row)
    # A date is shown beside every deadline that runs, and only there.
    for name in ("late_ack", "late_investigation", "due_today", "due_in_10"):
        assert "<time datetime=" in rows[mix[name]]
    for name in ("waiting", "triage", "closed"):
        assert "<time datetime=" not in rows[mix[name]]
    assert "badge--overdue" in rows[mix["late_ack"]]
    assert "badge--overdue" not in rows[mix["waiting"]]


def test_closed_cases_are_one_filter_away(mix, signed_in):
    client, _ = signed_in(Role.SUPERVISOR)
    closed = client.get("/staff/cases?show=closed").get_data(as_text=True)
    assert _names(mix, _refs(closed)) == ["closed"]
    everything = client.get("/staff/cases?show=all").get_data(as_text=True)
    assert _names(mix, _refs(everything)) == [*DEFAULT_ORDER, "closed"]
    # The counts' link for closed cases chooses the status, which wins over "open".
    by_status = client.get("/staff/cases?status=closed").get_data(as_text=True)
    assert _names(mix, _refs(by_status)) == ["closed"]
    default = client.get("/staff/cases").get_data(as_text=True)
    assert 'name="show" value="open" checked' in default


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Received", lambda c: (c.received_at, c.id)),
        ("Reference", lambda c: (c.reference,)),
        ("Status", None),
        ("Due", None),
    ],
)
def test_each_sort_link_sorts_both_ways_and_keeps_the_filters(db, mix, signed_in, label, key):
    from complaints_app.models import Complaint
    from complaints_app.services.queue import STATUS_ORDER, due_at

    client, _ = signed_in(Role.SUPERVISOR)
    filters = "/staff/cases?show=all&agency=police&urgent=&page=1"
    page = client.get(filters).get_data(as_text=True)
    aria, href = _headings(page)[label]
    assert aria is None
    cases = {c.reference: c for c in db.session.query(Complaint).all()}
    police = {ref for ref, c in cases.items() if c.agency is Agency.POLICE}
    for direction in ("ascending", "descending"):
        assert "show=all" in href and "agency=police" in href and "page=" not in href
        response = client.get(href)
        assert response.status_code == HTTPStatus.OK
        body = response.get_data(as_text=True)
        refs = _refs(body)
        assert set(refs) == police  # the filters still apply: jail case left out
        if label == "Status":
            ranks = [STATUS_ORDER.index(cases[r].status) for r in refs]
            assert ranks == sorted(ranks, reverse=direction == "descending")
        elif label == "Due":
            dated = [due_at(cases[r]) for r in refs if due_at(cases[r]) is not None]
            assert dated == sorted(dated, reverse=direction == "descending")
            # Nothing due sorts last both ways.
            assert all(due_at(cases[r]) is None for r in refs[len(dated) :])
        else:
            keys = [key(cases[r]) for r in refs]
            assert keys == sorted(keys, reverse=direction == "descending")
        aria, href = _headings(body)[label]
        assert aria == direction
        for other, (other_aria, _) in _headings(body).items():
            if other != label:
                assert other_aria is None
        # The filter form carries the order along when the filters change.
        assert 'name="sort"' in body and 'name="dir"' in body
        assert "Put due work first again" in body


def test_reference_sort_puts_number_10000_after_9999(app, db, signed_in):
    from complaints_app.models import Complaint

    client, _ = signed_in(Role.SUPERVISOR)
    year = utcnow().year
    names = [f"TA-{year}-9999", f"TA-{year}-10000", f"TA-{year}-1000", f"TA-{year + 1}-0001"]
    for reference in names:
        complaint = file_complaint(db)
        db.session.query(Complaint).filter_by(id=complaint.id).update({"reference": reference})
        db.session.commit()
    prefix = app.config["REFERENCE_PREFIX"]
    assert prefix == "TA"
    refs = _refs(client.get("/staff/cases?sort=reference&dir=asc").get_data(as_text=True))
    assert refs == [names[2], names[0], names[1], names[3]]


@pytest.mark.parametrize(
    "query",
    ["sort=password", "sort=due;drop", "dir=sideways", "sort=received&dir=DESC", "show=deleted"],
)
def test_an_unknown_order_or_show_is_refused_clearly_and_the_queue_still_shows(
    mix, signed_in, query
):
    client, _ = signed_in(Role.SUPERVISOR)
    response = client.get(f"/staff/cases?{query}")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    body = response.get_data(as_text=True)
    assert _names(mix, _refs(body)) == DEFAULT_ORDER


def test_investigator_queue_lists_only_cases_they_may_open(db, mix, signed_in):
    from complaints_app.models import Complaint

    client, user = signed_in(Role.INVESTIGATOR)
    mine = db.session.query(Complaint).filter_by(reference=mix["due_in_5"]).one()
    mine.assignee_id = user.id
    db.session.commit()
    for query in ("", "?show=all", "?sort=due&dir=desc", "?show=closed"):
        refs = _refs(client.get(f"/staff/cases{query}").get_data(as_text=True))
        assert set(refs) <= {mix["due_in_5"]}


def test_every_cell_carries_its_column_label_for_the_card_layout(mix, signed_in):
    client, _ = signed_in(Role.SUPERVISOR)
    page = client.get("/staff/cases?show=all").get_data(as_text=True)
    thead = page[page.index("<thead>") : page.index("</thead>")]
    columns = [
        html.unescape(re.sub(r"<[^>]+>", "", c)).split("(")[0].strip()
        for c in re.findall(r"<th scope=\"col\"[^>]*>(.*?)</th>", thead, re.S)
    ]
    columns = [c.replace("▲", "").replace("▼", "").strip() for c in columns]
    rows = ROW_RE.findall(page)
    assert len(rows) == 10
    for row in rows:
        labels = [re.search(r'data-label="([^"]*)"', attrs) for _, attrs in CELL_RE.findall(row)]
        assert all(labels), row
        assert [m.group(1) for m in labels] == columns
    assert 'class="table table--cards"' in page


def test_card_layout_css_hides_the_head_and_labels_each_cell_below_the_breakpoint(app):
    css = Path(app.static_folder, "css", "app.css").read_text()
    block = re.search(r"@media \(max-width: 47\.99em\) \{(.*?)\n\}", css, re.S)
    assert block, "no narrow-screen block for the queue"
    rules = block.group(1)
    assert ".table--cards thead" in rules and "clip-path" in rules
    assert "display: block" in rules
    assert "content: attr(data-label)" in rules
    assert "overflow-wrap: anywhere" in rules


def test_the_queue_filters_offer_words_not_stored_values(signed_in):
    """Status and agency choices read as the labels used everywhere else."""
    from complaints_app import labels

    client, _user = signed_in(Role.INTAKE)
    page = html.unescape(client.get("/staff/cases").get_data(as_text=True))
    for status in Status:
        assert f'value="{status.value}">{labels.STATUS[status]}</option>' in page
    for agency in Agency:
        assert f'value="{agency.value}">{labels.AGENCY[agency]}</option>' in page
