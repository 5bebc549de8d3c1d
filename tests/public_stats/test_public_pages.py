"""The public statistics page, its CSV files and its JSON: the same figures, the same hidden
ones, nothing hidden recoverable, on a fixture worked out by hand."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape
from http import HTTPStatus

import pytest

from complaints_app.models import Agency, Channel, Disposition, Status
from complaints_app.public.stats import CHART_COLUMN
from complaints_app.services import public_statistics as ps
from complaints_app.services import statistics
from complaints_app.services.periods import parse_period
from complaints_app.services.suppression import Reason
from tests.public_stats.attack import feasible_values, solve_one_unknown
from tests.reports.conftest import at

HIDDEN_WORDS = ("fewer than 5", "hidden", "fewer than 5 cases", "not published")
FIRST = "2026-01-01"
CURRENT = "2026-07-01"
S, NS, EX, UN = (
    Disposition.SUSTAINED,
    Disposition.NOT_SUSTAINED,
    Disposition.EXONERATED,
    Disposition.UNFOUNDED,
)


@pytest.fixture
def fixture_cases(city, make_case):
    """First period: 11 closed police complaints under 2c (6 sustained, 5 not), 6 in
    investigation (2d and 2e), 2 at the jail in triage (2b), one urgent phone call about the
    jail not yet placed under a clause. Second period (in progress): two complaints."""
    start = at("2026-02-02 15:00")
    for n in range(11):
        received = start + timedelta(days=n)
        make_case(
            received,
            status=Status.CLOSED,
            allegations=[("2c", S if n < 6 else NS)],
            acknowledged=received + timedelta(hours=10 + n),
            closed=received + timedelta(days=30 + n),
        )
    for n in range(6):
        received = start + timedelta(days=20 + n)
        make_case(
            received,
            status=Status.INVESTIGATION,
            allegations=[("2d", None), ("2e", None)],
            acknowledged=received + timedelta(hours=20),
        )
    for n in range(2):
        make_case(
            start + timedelta(days=40 + n),
            status=Status.TRIAGE,
            agency=Agency.JAIL,
            allegations=[("2b", None)],
            acknowledged=start + timedelta(days=40 + n, hours=3),
        )
    make_case(
        start + timedelta(days=50),
        status=Status.TRIAGE,
        agency=Agency.JAIL,
        channel=Channel.PHONE,
        urgent=True,
        allegations=[(None, None)],
        acknowledged=start + timedelta(days=50, hours=1),
    )
    make_case(at("2026-08-03 12:00"), allegations=[("2c", None)])
    make_case(at("2026-09-03 12:00"), allegations=[("2d", None)])


def cell_texts_from_html(body: str, table_key: str) -> dict[str, str]:
    section = body.split(f'<table id="{table_key}" class="table">', 1)[1].split("</table>", 1)[0]
    found = re.findall(r'<td data-key="([^"]+)"(?: class="suppressed")?>([^<]*)</td>', section)
    return {key: unescape(text).removesuffix("%") for key, text in found}


def cell_texts_from_json(data: dict, table: dict) -> dict[str, str]:
    texts = {}
    for row in [*table["rows"], *([table["total"]] if table["total"] else [])]:
        for column, cell in row["cells"].items():
            texts[f"{row['key']}/{column}"] = ps.cell_text(cell, data["threshold"])
    return texts


def cell_texts_from_csv(body: str) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(body)))
    header, texts = rows[0], {}
    for row in rows[1:]:
        for column, text in zip(header[3:], row[3:], strict=True):
            if text:
                texts[f"{row[1]}/{column}"] = text
    return texts


def test_page_csv_and_json_agree_cell_by_cell(client, fixture_cases):
    page = client.get("/stats", query_string={"period": FIRST})
    assert page.status_code == HTTPStatus.OK
    html = page.get_data(as_text=True)
    data = client.get("/stats.json", query_string={"period": FIRST}).get_json()
    assert [t["key"] for t in data["tables"]] == list(ps.PUBLIC_TABLES)
    hidden_somewhere = False
    for table in data["tables"]:
        from_json = cell_texts_from_json(data, table)
        response = client.get(f"/stats/{table['key']}.csv", query_string={"period": FIRST})
        assert response.status_code == HTTPStatus.OK
        assert response.mimetype == "text/csv"
        from_csv = cell_texts_from_csv(response.get_data(as_text=True))
        from_html = cell_texts_from_html(html, table["key"])
        assert from_json == from_html, table["key"]
        # CSV leaves out "—" (nothing measured) no more than the page writes it.
        assert from_csv == {k: v for k, v in from_json.items() if v}, table["key"]
        hidden_somewhere |= any(v in ("fewer than 5", "hidden") for v in from_json.values())
    assert hidden_somewhere


def test_hand_worked_figures(client, fixture_cases):
    data = client.get("/stats.json", query_string={"period": FIRST}).get_json()
    tables = {t["key"]: {r["key"]: r["cells"] for r in t["rows"]} for t in data["tables"]}
    totals = {t["key"]: t["total"] and t["total"]["cells"] for t in data["tables"]}
    small = {"value": None, "suppressed": True, "reason": "small"}
    status = tables["complaints_by_status"]
    assert status["triage"]["complaints"] == small
    assert status["review"]["complaints"] == {"value": 0}
    # 3 at the jail is small; the police's 17 would give it away from the total of 20.
    agency = tables["complaints_by_agency"]
    assert agency["jail"]["complaints"] == small
    assert agency["police"]["complaints"].get("suppressed") or totals["complaints_by_agency"][
        "complaints"
    ].get("suppressed")
    assert tables["complaints_by_channel"]["phone"]["urgent"] == small
    assert tables["allegations_by_clause"]["2b"]["pending"] == small
    assert tables["allegations_by_clause"]["2c"]["sustained"] == {"value": 6}
    labels = [r["label"] for t in data["tables"] for r in t["rows"]]
    assert not [label for label in labels if "{" in label]
    assert any("Springfield" in label for label in labels)
    assert tables["sustained_share_by_clause"]["2c"]["share"] == {"value": 54.5}
    assert tables["sustained_share_by_clause"]["2d"]["share"] == {"value": None}
    close = tables["time_to_close"]["all"]
    assert (close["median"], close["p90"]) == ({"value": 35.0}, {"value": 39.0})
    # One urgent case was acknowledged: its time is not shown.
    urgent = tables["time_to_acknowledge"]["urgent"]
    assert urgent["median"] == {"value": None, "suppressed": True, "reason": "small_base"}
    assert urgent["cases"] == small


@pytest.mark.parametrize("name", [FIRST, CURRENT])
def test_no_body_reveals_a_hidden_figure(client, app, fixture_cases, name):
    """Raw bodies: a hidden figure's place holds only the words, never its number, and the
    figures that are shown, with every sum between them, cannot pin any hidden one."""
    data = client.get("/stats.json", query_string={"period": name}).get_json()
    raw_json = client.get("/stats.json", query_string={"period": name}).get_data(as_text=True)
    html = client.get("/stats", query_string={"period": name}).get_data(as_text=True)
    for match in re.finditer(r'"suppressed": true', raw_json):
        before = raw_json[max(0, match.start() - 40) : match.start()]
        assert re.search(r'"value": null,\s*$', before), before
    for cell in re.findall(r'<td data-key="[^"]+" class="suppressed">([^<]*)</td>', html):
        assert unescape(cell) in HIDDEN_WORDS
    # Each chart bar's own title reads "label: text"; a hidden figure's text is its words.
    charts = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(charts) == len(data["tables"])
    for chart, table in zip(charts, data["tables"], strict=True):
        bars = re.findall(r"<g><title>([^<]*)</title>", chart)
        column = CHART_COLUMN[table["key"]]
        for bar, row in zip(bars, table["rows"], strict=True):
            label, _, text = unescape(bar).rpartition(": ")
            assert label == row["label"]
            cell = row["cells"][column]
            if cell.get("suppressed"):
                assert text in HIDDEN_WORDS
            elif cell["value"] is not None:
                assert text.removesuffix("%") == str(cell["value"])

    with app.test_request_context():
        period = parse_period(name)
        tables = {t.key: t for t in statistics.dashboard(period) if t.key in ps.PUBLIC_TABLES}
        figures = ps._figures(tables)
    hidden = {}
    for table in data["tables"]:
        for row in [*table["rows"], *([table["total"]] if table["total"] else [])]:
            for column, cell in row["cells"].items():
                key = (table["key"], row["key"], column)
                if cell.get("suppressed") and key in figures.values:
                    hidden[key] = Reason(cell["reason"])
                elif key in figures.values:
                    assert cell["value"] == figures.values[key]
    assert hidden or name == CURRENT
    assert solve_one_unknown(figures, hidden) == {}
    for key, values in feasible_values(figures, hidden, 5).items():
        assert len(values) >= 2, key


def test_period_selector_lists_every_period_and_marks_the_current(client, fixture_cases):
    html = client.get("/stats").get_data(as_text=True)
    # The period selector's options (the page's foot has the language selector's too).
    selector = html[html.index('name="period"') :]
    selector = selector[: selector.index("</select>")]
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]*)</option>', selector)
    assert [o[0] for o in options] == [CURRENT, FIRST]
    # The newest complete period is shown unless another is asked for.
    assert [o[0] for o in options if o[1]] == [FIRST]
    assert "(in progress)" in options[0][2] and "(in progress)" not in options[1][2]
    current = client.get("/stats", query_string={"period": CURRENT}).get_data(as_text=True)
    assert "still in progress" in current
    data = client.get("/stats.json", query_string={"period": CURRENT}).get_json()
    assert data["period"] == {
        "name": CURRENT,
        "first_day": CURRENT,
        "last_day": "2026-12-31",
        "label": data["period"]["label"],
        "complete": False,
    }


@pytest.mark.parametrize(
    "path",
    [
        "/stats?period=2026-02-01",
        "/stats?period=2025-07-01",
        "/stats?period=2027-01-01",
        "/stats?period=nonsense",
        "/stats.json?period=2025-07-01",
        "/stats/complaints_by_status.csv?period=2030-01-01",
        "/stats/open_workload.csv",
        "/stats/nonsense.csv",
    ],
)
def test_unknown_period_or_table_answers_404(client, city, path):
    assert client.get(path).status_code == HTTPStatus.NOT_FOUND


def test_public_pages_need_no_account_and_may_be_cached(client, fixture_cases):
    for path, scope in (
        ("/stats", "private"),
        ("/stats/about", "private"),
        ("/stats.json", "public"),
        ("/stats/complaints_by_status.csv", "public"),
    ):
        response = client.get(path)
        assert response.status_code == HTTPStatus.OK, path
        assert response.headers["Cache-Control"] == f"{scope}, max-age=300"
        if scope == "public":
            assert "Set-Cookie" not in response.headers, path


def test_data_dictionary_explains_every_column(client, city):
    html = client.get("/stats/about").get_data(as_text=True)
    with client.application.test_request_context():
        infos = [i for i in statistics.data_dictionary() if i.key in ps.PUBLIC_TABLES]
        for info in infos:
            assert f"<code>{info.key}</code>" in html
            for column in info.columns():
                assert f"<code>{column.key}</code>" in html
    assert "Why some figures are hidden" in html


def test_threshold_comes_from_the_settings(client, app, fixture_cases):
    app.config["SUPPRESSION_THRESHOLD"] = 3
    try:
        data = client.get("/stats.json", query_string={"period": FIRST}).get_json()
        html = client.get("/stats", query_string={"period": FIRST}).get_data(as_text=True)
    finally:
        app.config["SUPPRESSION_THRESHOLD"] = 5
    assert data["threshold"] == 3
    assert "fewer than 3" in html
    status = {r["key"]: r["cells"] for r in data["tables"][0]["rows"]}
    # Three jail complaints are no longer small under a threshold of 3.
    agency = {r["key"]: r["cells"] for r in data["tables"][1]["rows"]}
    assert agency["jail"]["complaints"] == {"value": 3}
    assert status["triage"]["complaints"] == {"value": 3}


def test_a_new_case_shows_at_once(client, fixture_cases, make_case):
    def triage():
        data = client.get("/stats.json", query_string={"period": FIRST}).get_json()
        return {r["key"]: r["cells"] for r in data["tables"][0]["rows"]}["triage"]["complaints"]

    assert triage()["reason"] == "small"
    for n in range(2):
        make_case(at("2026-05-05 12:00") + timedelta(days=n), status=Status.TRIAGE)
    assert triage() == {"value": 5}
