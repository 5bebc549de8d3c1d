"""The statistics' tables and their data dictionary: what each table and column means.

``services/statistics.py`` fills these tables from the database; this module only describes
them, so that pages, downloads and the public data dictionary all read the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from complaints_app.labels import label
from complaints_app.models import Disposition
from complaints_app.services.periods import Period

COUNT, PERCENT, HOURS, DAYS = "count", "percent", "hours", "days"
#: Allegations under no clause yet ("something else" before staff pick one).
UNCLASSIFIED = "unclassified"
#: Allegations with no disposition yet.
PENDING = "pending"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = COUNT
    description: str = ""


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    values: dict[str, int | float | None]

    def __getitem__(self, column: str) -> int | float | None:
        return self.values[column]


@dataclass(frozen=True)
class Table:
    """One table of figures: rows along one dimension, one value per column."""

    key: str
    title: str
    description: str
    dimension: str
    dimension_label: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    #: Whether the public statistics may show it (after small-count suppression).
    public: bool
    period: Period | None

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)

    def value(self, row: str, column: str) -> int | float | None:
        return self.row(row)[column]

    def total(self, column: str) -> int:
        """The sum of a count column over the rows (the rows never overlap)."""
        return sum(int(r[column] or 0) for r in self.rows)

    @property
    def count_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind == COUNT)


@dataclass(frozen=True)
class TableInfo:
    """A table's entry in the data dictionary."""

    key: str
    title: object
    description: object
    dimension: str
    dimension_label: object
    public: bool
    columns: Callable[[], list[Column]] = field(repr=False)
    all_periods_only: bool = False


class UnknownTable(LookupError):
    """A table key that is not in ``TABLE_KEYS``."""


# ---------------------------------------------------------------------------------------------
# Columns


def _complaint_columns() -> list[Column]:
    return [
        Column("complaints", _("Complaints"), COUNT, _("Complaints received in the period.")),
        Column(
            "allegations",
            _("Allegations"),
            COUNT,
            _("Allegations in those complaints (a complaint can hold several)."),
        ),
        Column(
            "urgent",
            _("Urgent"),
            COUNT,
            _("Complaints filed as urgent: someone was in custody at the time."),
        ),
    ]


def _clause_columns() -> list[Column]:
    return [
        Column(
            "complaints",
            _("Complaints"),
            COUNT,
            _("Complaints with at least one allegation under the clause."),
        ),
        Column("allegations", _("Allegations"), COUNT, _("Allegations under the clause.")),
        *[
            Column(
                d.value,
                label(d),
                COUNT,
                _("Allegations found: %(finding)s.", finding=label(d).lower()),
            )
            for d in Disposition
        ],
        Column(PENDING, _("No finding yet"), COUNT, _("Allegations not decided yet.")),
    ]


def _disposition_columns() -> list[Column]:
    return [Column("allegations", _("Allegations"), COUNT, _("Allegations with this finding."))]


def _share_columns() -> list[Column]:
    return [
        Column(
            "decided",
            _("Decided"),
            COUNT,
            _(
                "Allegations decided on their merits: sustained, not sustained, exonerated, "
                "unfounded or policy failure (not 'no finding', not undecided)."
            ),
        ),
        Column("sustained", _("Sustained"), COUNT, _("Decided allegations found sustained.")),
        Column(
            "share",
            _("Sustained share"),
            PERCENT,
            _("Sustained as a percentage of decided; empty when none was decided."),
        ),
    ]


def _duration_columns(unit: str) -> list[Column]:
    words = _("hours") if unit == HOURS else _("days")
    return [
        Column("cases", _("Cases"), COUNT, _("Cases measured.")),
        Column(
            "median",
            _("Median (%(unit)s)", unit=words),
            unit,
            _("Half the cases took this long or less."),
        ),
        Column(
            "p90",
            _("90th percentile (%(unit)s)", unit=words),
            unit,
            _("Nine cases in ten took this long or less."),
        ),
    ]


def _workload_columns() -> list[Column]:
    return [Column("cases", _("Cases"), COUNT, _("Cases in this state now."))]


def _period_columns() -> list[Column]:
    return [
        *_complaint_columns(),
        Column("sustained", _("Sustained"), COUNT, _("Allegations found sustained.")),
    ]


TABLES: dict[str, TableInfo] = {
    info.key: info
    for info in (
        TableInfo(
            "complaints_by_status",
            _l("Complaints by status"),
            _l("Where each complaint received in the period stands in the workflow today."),
            "status",
            _l("Status"),
            True,
            _complaint_columns,
        ),
        TableInfo(
            "complaints_by_agency",
            _l("Complaints by agency"),
            _l("The city agency each complaint is about."),
            "agency",
            _l("Agency"),
            True,
            _complaint_columns,
        ),
        TableInfo(
            "complaints_by_channel",
            _l("Complaints by channel"),
            _l("How each complaint reached the office."),
            "channel",
            _l("Channel"),
            True,
            _complaint_columns,
        ),
        TableInfo(
            "allegations_by_clause",
            _l("Allegations by clause and finding"),
            _l(
                "Each allegation under the clause of the ordinance it concerns, and the finding "
                "on it. Allegations staff have not yet placed under a clause are counted apart."
            ),
            "clause",
            _l("Clause"),
            True,
            _clause_columns,
        ),
        TableInfo(
            "allegations_by_disposition",
            _l("Allegations by finding"),
            _l("The finding on each allegation, whatever its clause."),
            "disposition",
            _l("Finding"),
            True,
            _disposition_columns,
        ),
        TableInfo(
            "sustained_share_by_clause",
            _l("Sustained share by clause"),
            _l("Of the allegations decided on their merits, how many were sustained."),
            "clause",
            _l("Clause"),
            True,
            _share_columns,
        ),
        TableInfo(
            "time_to_acknowledge",
            _l("Time to acknowledge"),
            _l(
                "From receipt to the office's acknowledgement, for the cases acknowledged so "
                "far: counted in whole minutes, shown in hours."
            ),
            "urgency",
            _l("Cases"),
            True,
            lambda: _duration_columns(HOURS),
        ),
        TableInfo(
            "time_to_close",
            _l("Time to close"),
            _l(
                "From receipt to closure, for the cases closed so far: counted in whole hours, "
                "shown in days (calendar time, including time spent waiting on the complainant)."
            ),
            "urgency",
            _l("Cases"),
            True,
            lambda: _duration_columns(DAYS),
        ),
        TableInfo(
            "open_workload",
            _l("Open cases, overdue and waiting"),
            _l(
                "The cases received in the period that are still open, as of now: overdue for "
                "acknowledgement, overdue in investigation (the clock stops while waiting on the "
                "complainant), and waiting on the complainant."
            ),
            "measure",
            _l("Cases"),
            False,
            _workload_columns,
        ),
        TableInfo(
            "complaints_by_period",
            _l("Complaints by reporting period"),
            _l("Complaints, allegations, urgent cases and sustained allegations per period."),
            "period",
            _l("Period"),
            True,
            _period_columns,
            all_periods_only=True,
        ),
    )
}
TABLE_KEYS = tuple(TABLES)
