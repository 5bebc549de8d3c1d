"""/staff/reports: who may open it, the charts beside their tables, the CSV downloads, and a
query count that does not grow with the data."""

from __future__ import annotations

import csv
import io
import re
from http import HTTPStatus

import pytest
from sqlalchemy import event

from complaints_app.extensions import db as _db
from complaints_app.models import Disposition, Role, Status
from complaints_app.services import statistics
from complaints_app.staff.reports import csv_cell
from tests.reports.conftest import at


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.SUPERVISOR, True),
        (Role.RECORDS, True),
        (Role.INTAKE, False),
        (Role.INVESTIGATOR, False),
        (Role.ADMIN, False),
        (Role.ADVOCATE, False),
    ],
)
def test_only_supervisors_and_records_officers_open_the_reports(signed_in, role, allowed):
    client, _user = signed_in(role)
    page = client.get("/staff/reports")
    csv_download = client.get("/staff/reports/complaints_by_status.csv?period=all")
    expected = HTTPStatus.OK if allowed else HTTPStatus.FORBIDDEN
    assert page.status_code == expected
    assert csv_download.status_code == expected
    if role is not Role.ADVOCATE:
        # The staff navigation links the reports for exactly the roles that may open them.
        nav = client.get("/account/password")
        assert ('href="/staff/reports"' in nav.get_data(as_text=True)) is allowed


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/reports")
    assert response.status_code == HTTPStatus.FOUND
    assert "/login" in response.headers["Location"]


def test_each_chart_is_an_image_with_words_and_its_table_beside_it(city, signed_in, make_case):
    make_case(at("2026-02-01 12:00"), allegations=[("2c", Disposition.SUSTAINED)])
    client, _user = signed_in(Role.SUPERVISOR)
    html = client.get("/staff/reports?period=2026-01-01").get_data(as_text=True)
    sections = re.findall(r'<section class="report" id="([a-z_]+)".*?</section>', html, re.S)
    assert sections == [k for k in statistics.TABLE_KEYS if k != "complaints_by_period"]
    for key in sections:
        body = html.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]
        assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+-title [^"]+-desc"', body)
        assert "<title id=" in body and "<desc id=" in body
        assert "<caption>" in body and 'th scope="col"' in body and 'th scope="row"' in body
        assert f"/staff/reports/{key}.csv?period=2026-01-01" in body
    status = html.split('id="complaints_by_status"', 1)[1].split("</section>", 1)[0]
    # The bar's own words: the label and the count, not only a length or a colour.
    assert ">Submitted</text>" in status and ">1</text>" in status


def test_the_period_defaults_to_the_current_one_and_all_adds_the_trend(city, signed_in):
    client, _user = signed_in(Role.RECORDS)
    current = statistics.periods()[-1]
    html = client.get("/staff/reports").get_data(as_text=True)
    assert f'<option selected value="{current.name}">' in html
    assert 'id="complaints_by_period"' not in html
    everything = client.get("/staff/reports?period=all").get_data(as_text=True)
    assert 'id="complaints_by_period"' in everything


def test_a_period_that_does_not_exist_is_refused_at_the_field(city, signed_in):
    client, _user = signed_in(Role.SUPERVISOR)
    response = client.get("/staff/reports?period=2026-02-30")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert "Choose one of the reporting periods in the list." in html
    assert 'aria-describedby="period-hint period-error"' in html


def test_csv_download_is_the_table_as_an_attachment(city, signed_in, make_case):
    make_case(at("2026-02-01 12:00"), urgent=True, allegations=[("2c", None), ("2b", None)])
    make_case(at("2026-03-01 12:00"), status=Status.TRIAGE, allegations=[("2c", None)])
    client, _user = signed_in(Role.SUPERVISOR)
    response = client.get("/staff/reports/complaints_by_status.csv?period=2026-01-01")
    assert response.status_code == HTTPStatus.OK
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="complaints_by_status-2026-01-01.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["key", "Status", "Complaints", "Allegations", "Urgent"]
    assert rows[1] == ["submitted", "Submitted", "1", "2", "1"]
    assert rows[2] == ["triage", "Triage", "1", "1", "0"]
    assert [r[0] for r in rows[1:]] == [s.value for s in Status]


@pytest.mark.parametrize(
    "path",
    [
        "/staff/reports/no_such_table.csv?period=all",
        "/staff/reports/complaints_by_status.csv?period=2026-02-01",
        "/staff/reports/complaints_by_status.csv",
        "/staff/reports/complaints_by_period.csv?period=2026-01-01",
    ],
)
def test_unknown_tables_and_periods_are_not_found(city, signed_in, path):
    client, _user = signed_in(Role.SUPERVISOR)
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+2", "'=1+2"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("2c", "2c")],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert csv_cell(value) == cell


def test_the_page_costs_the_same_queries_however_many_cases(app, city, signed_in, make_case):
    client, _user = signed_in(Role.SUPERVISOR)

    def queries_for_page() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        with app.app_context():
            engine = _db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/staff/reports?period=all").status_code == HTTPStatus.OK
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    def closed_case(day: int) -> None:
        make_case(
            at(f"2026-0{day % 6 + 1}-0{day} 12:00"),
            status=Status.CLOSED,
            allegations=[("2c", Disposition.SUSTAINED), (None, None)],
            acknowledged=at(f"2026-0{day % 6 + 1}-0{day} 18:00"),
            closed=at(f"2026-0{day % 6 + 1}-2{day} 12:00"),
        )

    # With no measured case the percentiles need no second query (the amounts of a band).
    empty = queries_for_page()
    closed_case(1)
    one = queries_for_page()
    assert one <= empty + 1
    for day in range(2, 8):
        closed_case(day)
    assert queries_for_page() == one
