"""The semi-annual report as CSV and JSON, for the office and for the public.

The public version goes through ``semiannual.published`` (small counts hidden); the office's
has every figure. Both carry the amendments made after finalising, never their reasons in
the public version, and never the cross-check.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from complaints_app.labels import label
from complaints_app.models import RequestKind, RequestReason
from complaints_app.services import semiannual
from complaints_app.services.periods import Period

CSV_HEADER = ["section", "item", "kind", "detail", "value", "note"]


def period_words(period: Period) -> str:
    """A period as people say it: "1 January 2026 to 30 June 2026"."""
    return _(
        "%(start)s to %(end)s",
        start=format_date(period.start, "long"),
        end=format_date(period.last_day, "long"),
    )


def reasons_words(values: list[str]) -> str:
    """The reasons a request gave together, in words."""
    return "; ".join(label(RequestReason(v)) for v in values) or label(RequestReason.NONE_GIVEN)


def _safe(text: str) -> str:
    """Text typed by staff, kept from being read as a formula by a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cell(value: Any) -> tuple[str, str]:
    """A count as (value, note): a hidden one is empty with the reason it is hidden."""
    if isinstance(value, dict):
        if value.get("hidden") == "small":
            return "", _("fewer than %(n)s", n=semiannual.threshold())
        if value.get("hidden"):
            return "", _("hidden to protect a small count")
        return str(value.get("value")), ""
    return str(value), ""


def figure_rows(figures: dict[str, Any], item_prefix: str = "") -> list[list[str]]:
    """One CSV row per figure: (a) by kind and reasons, (b), (c), (d) by case, complaints."""
    rows: list[list[str]] = []

    def add(section: str, item: str, kind: str, detail: str, value: Any) -> None:
        shown, note = _cell(value)
        rows.append([section, item_prefix + item, kind, detail, shown, note])

    for kind in figures["requests"]["kinds"]:
        kind_words = label(RequestKind(kind["kind"]))
        for row in kind["reasons"]:
            add("a", "requests", kind_words, reasons_words(row["reasons"]), row["count"])
        add("a", "requests", kind_words, _("total"), kind["total"])
    add("a", "requests", _("all kinds"), _("total"), figures["requests"]["total"])
    add("b", "individuals_detained", "", "", figures["detained"])
    add("c", "individuals_transferred", "", "", figures["transferred"])
    for case in figures["reimbursements"]["cases"]:
        rows.append(
            ["d", item_prefix + "reimbursement", "", _safe(case["case"]), case["amount"], "USD"]
        )
    rows.append(
        [
            "d",
            item_prefix + "reimbursement",
            "",
            _("total"),
            figures["reimbursements"]["total"],
            "USD",
        ]
    )
    complaints = figures.get("complaints") or {}
    for row in complaints.get("by_status", []):
        add("complaints", "complaints_by_status", row["key"], row["label"], row["count"])
    if complaints:
        add("complaints", "complaints_by_status", "", _("total"), complaints["total"])
    for row in complaints.get("by_clause", []):
        add("complaints", "allegations_by_clause", row["key"], row["label"], row["count"])
    if complaints:
        add("complaints", "allegations_by_clause", "", _("total"), complaints["allegations"])
    return rows


def _amendment_rows(report: semiannual.Report, public: bool) -> list[list[str]]:
    rows = []
    for amendment in report.amendments:
        fields = ", ".join(str(label(name, "ledger_field")) for name in amendment.changed)
        rows.append(
            [
                "amendment",
                amendment.created_at.date().isoformat(),
                "",
                fields,
                "",
                "" if public else _safe(amendment.reason or ""),
            ]
        )
    return rows


def as_dict(report: semiannual.Report, public: bool) -> dict[str, Any]:
    """The report as one JSON-ready value."""
    show = semiannual.published if public else (lambda figures: figures)
    return {
        "period": report.period.name,
        "first_day": report.period.start.isoformat(),
        "last_day": report.period.last_day.isoformat(),
        "state": report.state.value,
        "finalised_at": report.finalised.finalised_at.isoformat() if report.finalised else None,
        "figures": show(report.figures),
        "amendments": [
            {
                "at": a.created_at.isoformat(),
                "request": None if public else a.federal_request_id,
                "changed": list(a.changed),
                **({} if public else {"reason": a.reason}),
            }
            for a in report.amendments
        ],
        "amended_figures": show(report.amended) if report.amended is not None else None,
        "suppression_threshold": semiannual.threshold() if public else None,
    }


def render(report: semiannual.Report, kind: str, *, public: bool) -> str:
    """The report as ``csv`` or ``json`` text."""
    if kind == "json":
        return json.dumps(as_dict(report, public), indent=2, sort_keys=True) + "\n"
    show = semiannual.published if public else (lambda figures: figures)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(figure_rows(show(report.figures)))
    if report.amended is not None:
        writer.writerows(figure_rows(show(report.amended), item_prefix="amended_"))
    writer.writerows(_amendment_rows(report, public))
    return out.getvalue()
