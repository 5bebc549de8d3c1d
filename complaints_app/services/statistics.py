"""Statistics: every figure the office reports, as tables built from SQL GROUP BY queries.

The public API is small and stable:

- ``dashboard(period) -> list[Table]``: every table, for one reporting period or, with
  ``period=None``, for all periods together (plus a table by period);
- ``table(key, period) -> Table``: one table, the key checked against ``TABLE_KEYS``;
- ``data_dictionary() -> list[TableInfo]``: what each table and column means.

A case belongs to the period holding its ``received_at`` in the city's time zone
(``Period.start_utc`` ≤ received_at < ``Period.end_utc``); its allegations go with it. Purged
cases stay in every figure: retention removes personal data, not the counts.

A ``Table`` carries raw figures with stable machine keys (enum values, clause codes) and
translated labels. Columns of kind ``count`` hold ints (what small-count suppression works
on); ``percent``, ``hours`` and ``days`` hold floats or None when nothing was measured. Every
table lists the same rows whatever the data (every status, agency, channel, finding, and every
clause complaints may be filed under), so tables of two periods line up. ``Table.public``
marks the tables public statistics may show; ``open_workload`` (today's overdue and waiting
cases) is for staff only.

Queries: the counts come from tables kept current with every change to a case
(services/stat_summary.py) — a few hundred rows per period — or, while those are not usable,
from the cases themselves, with the same results. One query for every complaint table, two for
the allegation tables, two for the time figures (the stored counts by band, then the amounts
of the few bands holding a wanted rank; or one over the cases, through an index that holds
them), one for the open workload (through partial indexes that hold only the cases it
counts), one for the clause names and one to check the stored counts: the number of queries
does not grow with the data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import (
    Float,
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    text,
    type_coerce,
    union_all,
)

from complaints_app.extensions import db
from complaints_app.labels import label
from complaints_app.models import (
    OPEN_STATUSES,
    Agency,
    Allegation,
    Channel,
    Clause,
    Complaint,
    Disposition,
    StatAllegationCount,
    StatClauseComplaintCount,
    StatComplaintCount,
    StatDurationBand,
    StatDurationCount,
    Status,
)
from complaints_app.models.complaint import ACK_PENDING_SQL, INVESTIGATION_RUNNING_SQL, WAITING_SQL
from complaints_app.models.types import UTCDateTime
from complaints_app.services import stat_summary
from complaints_app.services.percentile import (
    dialect_name,
    percentiles_from_bands,
    spreads,
    units_between,
)
from complaints_app.services.periods import Period, periods
from complaints_app.services.stat_summary import ACK_UNIT, BAND_WIDTH, CLOSE_UNIT
from complaints_app.services.stat_tables import (
    COUNT,
    DAYS,
    HOURS,
    PENDING,
    PERCENT,
    TABLE_KEYS,
    TABLES,
    UNCLASSIFIED,
    Column,
    Row,
    Table,
    TableInfo,
    UnknownTable,
)
from complaints_app.timeutil import utcnow

__all__ = [
    "COUNT",
    "DAYS",
    "HOURS",
    "PENDING",
    "PERCENT",
    "TABLES",
    "TABLE_KEYS",
    "UNCLASSIFIED",
    "Column",
    "Row",
    "Table",
    "TableInfo",
    "UnknownTable",
    "dashboard",
    "data_dictionary",
    "period_label",
    "table",
]

#: Dispositions that decide an allegation on its merits: the sustained share's denominator.
DECIDED = (
    Disposition.SUSTAINED,
    Disposition.NOT_SUSTAINED,
    Disposition.EXONERATED,
    Disposition.UNFOUNDED,
    Disposition.POLICY_FAILURE,
)
#: Complaint fields a table may be grouped by; nothing else is ever put in a GROUP BY.
COMPLAINT_DIMENSIONS = {
    "status": Complaint.status,
    "agency": Complaint.agency,
    "channel": Complaint.channel,
}
WAITING_LONG_DAYS = 30
FRACTIONS = (0.5, 0.9)


# ---------------------------------------------------------------------------------------------
# Scope: one period, or every period so far


def _periods_in(period: Period | None) -> list[Period]:
    return [period] if period is not None else periods()


def _in_scope(period: Period | None):
    spanned = _periods_in(period)
    return (Complaint.received_at >= spanned[0].start_utc) & (
        Complaint.received_at < spanned[-1].end_utc
    )


def _period_key(period: Period | None):
    """SQL naming the period of a case's ``received_at`` (a literal within one period)."""
    spanned = _periods_in(period)
    if len(spanned) == 1:
        return literal(spanned[0].name, String)
    return case(
        *[(Complaint.received_at < p.end_utc, literal(p.name, String)) for p in spanned[:-1]],
        else_=literal(spanned[-1].name, String),
    )


def period_label(period: Period) -> str:
    return _(
        "%(start)s to %(end)s",
        start=format_date(period.start, "medium"),
        end=format_date(period.last_day, "medium"),
    )


# ---------------------------------------------------------------------------------------------
# Queries


def _rollup(base, branches: dict[str, tuple], measures) -> dict[str, dict[tuple, list[int]]]:
    """Sum ``measures`` of the grouped CTE ``base`` along each branch's columns, all in one
    UNION ALL statement: {branch: {(key, sub): [measure, …]}}."""
    selects = []
    for name, columns in branches.items():
        key = type_coerce(columns[0], String)
        sub = type_coerce(columns[1], String) if len(columns) > 1 else literal("", String)
        selects.append(
            select(
                literal(name, String).label("branch"), key.label("k"), sub.label("s"), *measures
            ).group_by(*columns)
        )
    result: dict[str, dict[tuple, list[int]]] = defaultdict(dict)
    for branch, key, sub, *values in db.session.execute(union_all(*selects)):
        result[branch][(key, sub)] = [int(v or 0) for v in values]
    return result


def _complaint_figures(period: Period | None, counted: bool) -> dict[str, dict[tuple, list[int]]]:
    """Complaints and urgent complaints by status, agency, channel and period: one query,
    over the stored counts when ``counted`` (see services/stat_summary.py), else the cases."""
    keys = ("period", *COMPLAINT_DIMENSIONS, "urgent")
    if counted:
        table = StatComplaintCount.__table__
        base = (
            select(*[table.c[k] for k in keys], table.c.n)
            .where(table.c.period.in_([p.name for p in _periods_in(period)]), table.c.n > 0)
            .cte("complaint_base")
        )
    else:
        rows = (
            select(
                _period_key(period).label("period"),
                *[col.label(name) for name, col in COMPLAINT_DIMENSIONS.items()],
                Complaint.urgent.label("urgent"),
            )
            .where(_in_scope(period))
            .subquery()
        )
        grouped = [rows.c[k] for k in keys]
        base = select(*grouped, func.count().label("n")).group_by(*grouped).cte("complaint_base")
    branches = {name: (base.c[name],) for name in ("period", *COMPLAINT_DIMENSIONS)}
    return _rollup(
        base, branches, [func.sum(base.c.n), func.sum(case((base.c.urgent, base.c.n), else_=0))]
    )


def _allegation_figures(period: Period | None, counted: bool) -> dict[str, dict[tuple, list[int]]]:
    """Allegations by the complaint's status, agency, channel and period, by clause and
    finding, and complaints per clause: one query for the allegations, one for the complaints
    per clause, over the stored counts when ``counted``, else the cases."""
    keys = ("period", *COMPLAINT_DIMENSIONS, "clause", "disposition")
    names = [p.name for p in _periods_in(period)]
    if counted:
        table = StatAllegationCount.__table__
        # '' stands for "none" in the stored keys; the tables expect NULL. A count that fell to
        # zero stays as a row, which the cases themselves would not give.
        base = (
            select(
                *[table.c[k] for k in ("period", *COMPLAINT_DIMENSIONS)],
                func.nullif(table.c.clause_code, "").label("clause"),
                func.nullif(table.c.disposition, "").label("disposition"),
                table.c.n,
            )
            .where(table.c.period.in_(names), table.c.n > 0)
            .cte("allegation_base")
        )
        clauses = StatClauseComplaintCount.__table__
        per_clause = (
            select(func.nullif(clauses.c.clause_code, ""), func.sum(clauses.c.n))
            .where(clauses.c.period.in_(names), clauses.c.n > 0)
            .group_by(clauses.c.clause_code)
        )
    else:
        joined = Allegation.__table__.join(
            Complaint.__table__, Allegation.complaint_id == Complaint.id
        ).outerjoin(Clause.__table__, Allegation.clause_id == Clause.id)
        rows = (
            select(
                _period_key(period).label("period"),
                *[col.label(name) for name, col in COMPLAINT_DIMENSIONS.items()],
                Clause.code.label("clause"),
                Allegation.disposition.label("disposition"),
            )
            .select_from(joined)
            .where(_in_scope(period))
            .subquery()
        )
        grouped = [rows.c[k] for k in keys]
        base = select(*grouped, func.count().label("n")).group_by(*grouped).cte("allegation_base")
        # Complaints per clause cannot be summed from the groups above (a complaint can hold
        # two allegations under one clause), so they are counted distinct.
        per_clause = (
            select(Clause.code, func.count(func.distinct(Allegation.complaint_id)))
            .select_from(joined)
            .where(_in_scope(period))
            .group_by(Clause.code)
        )
    branches = {name: (base.c[name],) for name in COMPLAINT_DIMENSIONS}
    branches["clause"] = (base.c.clause, base.c.disposition)
    branches["period"] = (base.c.period, base.c.disposition)
    figures = _rollup(base, branches, [func.sum(base.c.n)])
    figures["clause_complaints"] = {
        (code, ""): [int(n)] for code, n in db.session.execute(per_clause)
    }
    return figures


def _duration_figures(period: Period | None, counted: bool) -> dict[str, object]:
    """Median and 90th percentile of time to acknowledge (all cases, and urgent ones, which
    have hours where others have days), in whole minutes, and to close, in whole hours: from
    the stored counts when ``counted`` — one query for the counts by band, one for the
    amounts of the bands holding the wanted ranks — else one query over the cases (see
    services/percentile.py for the definition; both give the same figures)."""
    if counted:
        names = [p.name for p in _periods_in(period)]
        figures = {
            "ack:all": ("ack", False),
            "ack:urgent": ("ack", True),
            "close:all": ("close", False),
        }

        def chosen(table, figure: str, urgency: tuple[bool, ...] = (False, True)) -> list:
            measure, urgent_only = figures[figure]
            return [
                table.c.period.in_(names),
                table.c.measure == measure,
                table.c.urgent.in_((True,) if urgent_only else urgency),
                table.c.n > 0,
            ]

        bands = StatDurationBand.__table__
        by_band = union_all(
            *[
                select(
                    literal(figure, String).label("grp"),
                    bands.c.band,
                    cast(func.sum(bands.c.n), Integer).label("n"),
                )
                .where(*chosen(bands, figure))
                .group_by(bands.c.band)
                for figure in figures
            ]
        )
        amounts = StatDurationCount.__table__

        def values_in(figure: str, band: int):
            width = BAND_WIDTH[figures[figure][0]]
            # One branch per urgency: the key is (period, measure, urgent, amount), so the
            # index reaches a band's amounts only past a single urgency value.
            return union_all(
                *[
                    select(amounts.c.amount.label("v"), amounts.c.n).where(
                        *chosen(amounts, figure, (urgent,)),
                        amounts.c.amount >= band * width,
                        amounts.c.amount < (band + 1) * width,
                    )
                    for urgent in ((True,) if figures[figure][1] else (False, True))
                ]
            )

        return percentiles_from_bands(by_band, values_in, FRACTIONS)
    rows = select(
        Complaint.urgent.label("urgent"),
        cast(
            units_between(Complaint.received_at, Complaint.acknowledged_at, ACK_UNIT), Float
        ).label("ack"),
        cast(units_between(Complaint.received_at, Complaint.closed_at, CLOSE_UNIT), Float).label(
            "close"
        ),
    ).where(_in_scope(period))
    return spreads(
        rows,
        {
            "ack:all": ("ack", None),
            "ack:urgent": ("ack", lambda c: c.urgent.is_(True)),
            "close:all": ("close", None),
        },
        FRACTIONS,
    )


#: The open workload's counts: (index, its predicate, the moment compared with a bound time).
_WORKLOAD_COUNTS = (
    ("ix_complaint_ack_pending", ACK_PENDING_SQL, "ack_due_at < :now"),
    (
        "ix_complaint_investigation_running",
        INVESTIGATION_RUNNING_SQL,
        "investigation_due_at < :now",
    ),
    ("ix_complaint_waiting", WAITING_SQL, ""),
    ("ix_complaint_waiting", WAITING_SQL, "waiting_since < :long_ago"),
)


def _workload_figures(
    period: Period | None, now: datetime, by_status: dict[tuple, list[int]]
) -> dict[str, int]:
    """Open cases received in the period, as of ``now``. How many are open, and open and
    urgent, comes from the complaints by status (``by_status``, already counted); those past
    a deadline or waiting are counted in one query, each count through the partial index that
    holds only its cases (models/complaint.py). The SQL is written out because it must say
    each index's predicate in the index's own words for the planner to match them, and
    because SQLite must be told the index (``INDEXED BY``): its planner prefers the index on
    (status, received_at), which is not a covering one, and reads the table for every case."""
    sqlite = dialect_name() == "sqlite"
    subqueries = []
    for index, predicate, moment in _WORKLOAD_COUNTS:
        hint = f" INDEXED BY {index}" if sqlite else ""
        conditions = [predicate, moment, "received_at >= :start", "received_at < :end"]
        where = " AND ".join(f"({c})" for c in conditions if c)
        # Every piece is a constant of this module or models/complaint.py; values are bound.
        subqueries.append(f"(SELECT count(*) FROM complaint{hint} WHERE {where})")  # noqa: S608 # nosec B608
    spanned = _periods_in(period)
    stmt = text("SELECT " + ", ".join(subqueries)).bindparams(
        *[
            bindparam(name, value, type_=UTCDateTime())
            for name, value in (
                ("now", now),
                ("long_ago", now - timedelta(days=WAITING_LONG_DAYS)),
                ("start", spanned[0].start_utc),
                ("end", spanned[-1].end_utc),
            )
        ]
    )
    values = [int(v or 0) for v in db.session.execute(stmt).one()]
    open_counts = [by_status.get((s.value, ""), [0, 0]) for s in OPEN_STATUSES]
    keys = ("ack_overdue", "investigation_overdue", "waiting", "waiting_long")
    return {
        "open": sum(n for n, _urgent in open_counts),
        "urgent_open": sum(urgent for _n, urgent in open_counts),
        **dict(zip(keys, values, strict=True)),
    }


def _clause_names() -> dict[str, tuple[str, bool]]:
    """Every clause code in ordinance order: its current title and whether complaints may
    be filed under it."""
    from complaints_app.services.clause_texts import clause_text

    # In the reader's language: the same figures are labelled for whoever reads them.
    return {
        c.code: (f"{c.code} — {clause_text(c).title}", c.complaint_eligible)
        for c in db.session.execute(Clause.current_select()).scalars()
    }


# ---------------------------------------------------------------------------------------------
# Tables


def _make(key: str, period: Period | None, rows: list[Row]) -> Table:
    info = TABLES[key]
    return Table(
        key=key,
        title=str(info.title),
        description=str(info.description),
        dimension=info.dimension,
        dimension_label=str(info.dimension_label),
        columns=tuple(info.columns()),
        rows=tuple(rows),
        public=info.public,
        period=period,
    )


def _enum_rows(enum_cls, complaints: dict, allegations: dict) -> list[Row]:
    rows = []
    for member in enum_cls:
        number, urgent = complaints.get((member.value, ""), [0, 0])
        (alleged,) = allegations.get((member.value, ""), [0])
        values = {"complaints": number, "allegations": alleged, "urgent": urgent}
        rows.append(Row(member.value, label(member), values))
    return rows


def _clause_rows(
    names: dict[str, tuple[str, bool]], by_clause: dict, complaints: dict
) -> tuple[list[Row], list[Row]]:
    """The clause × finding rows and the sustained share rows, in ordinance order; clauses no
    complaint may be filed under appear only when an allegation names them."""
    counts: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (code, disposition), (n,) in by_clause.items():
        counts[code][disposition or PENDING] += n
    codes = [c for c, (_name, eligible) in names.items() if eligible or c in counts]
    codes += sorted(c for c in counts if c is not None and c not in names)
    if None in counts:
        codes.append(None)
    clause_rows, share_rows = [], []
    for code in codes:
        key = code or UNCLASSIFIED
        words = names[code][0] if code in names else (code or _("Not yet placed under a clause"))
        found = counts.get(code, {})
        values: dict[str, int | float | None] = {
            "complaints": complaints.get((code, ""), [0])[0],
            "allegations": sum(found.values()),
            **{d.value: found.get(d.value, 0) for d in Disposition},
            PENDING: found.get(PENDING, 0),
        }
        clause_rows.append(Row(key, words, values))
        decided = sum(found.get(d.value, 0) for d in DECIDED)
        sustained = found.get(Disposition.SUSTAINED.value, 0)
        share = round(100 * sustained / decided, 1) if decided else None
        share_rows.append(
            Row(key, words, {"decided": decided, "sustained": sustained, "share": share})
        )
    return clause_rows, share_rows


def _duration_rows(found: dict, measure: str, scale: float, groups: tuple[str, ...]) -> list[Row]:
    words = {"all": _("All cases"), "urgent": _("Urgent cases")}
    rows = []
    for group in groups:
        spread = found.get(f"{measure}:{group}")
        values: dict[str, int | float | None] = {"cases": 0, "median": None, "p90": None}
        if spread is not None:
            values = {
                "cases": spread.count,
                "median": round(spread.values[0.5] / scale, 2),
                "p90": round(spread.values[0.9] / scale, 2),
            }
        rows.append(Row(group, words[group], values))
    return rows


def _workload_rows(figures: dict[str, int]) -> list[Row]:
    words = {
        "open": _("Open"),
        "urgent_open": _("Open and urgent"),
        "ack_overdue": _("Overdue for acknowledgement"),
        "investigation_overdue": _("Overdue in investigation"),
        "waiting": _("Waiting on the complainant"),
        "waiting_long": _(
            "Waiting on the complainant for over %(days)s days", days=WAITING_LONG_DAYS
        ),
    }
    return [Row(key, text, {"cases": figures[key]}) for key, text in words.items()]


def _period_rows(spanned: list[Period], complaints: dict, allegations: dict) -> list[Row]:
    alleged: dict[str, int] = defaultdict(int)
    sustained: dict[str, int] = defaultdict(int)
    for (name, disposition), (n,) in allegations.items():
        alleged[name] += n
        if disposition == Disposition.SUSTAINED.value:
            sustained[name] += n
    rows = []
    for period in spanned:
        number, urgent = complaints.get((period.name, ""), [0, 0])
        values = {
            "complaints": number,
            "allegations": alleged[period.name],
            "urgent": urgent,
            "sustained": sustained[period.name],
        }
        rows.append(Row(period.name, period_label(period), values))
    return rows


def dashboard(period: Period | None, *, now: datetime | None = None) -> list[Table]:
    """Every table for ``period`` (None: every period so far, plus the table by period), in
    the order of ``TABLE_KEYS``. A fixed number of queries, whatever the data."""
    now = now or utcnow()
    counted = stat_summary.is_current()
    complaints = _complaint_figures(period, counted)
    allegations = _allegation_figures(period, counted)
    durations = _duration_figures(period, counted)
    workload = _workload_figures(period, now, complaints["status"])
    names = _clause_names()
    clause_rows, share_rows = _clause_rows(
        names, allegations["clause"], allegations["clause_complaints"]
    )
    by_disposition: dict[str, int] = defaultdict(int)
    for (_code, disposition), (n,) in allegations["clause"].items():
        by_disposition[disposition or PENDING] += n
    built = {
        "complaints_by_status": _enum_rows(Status, complaints["status"], allegations["status"]),
        "complaints_by_agency": _enum_rows(Agency, complaints["agency"], allegations["agency"]),
        "complaints_by_channel": _enum_rows(Channel, complaints["channel"], allegations["channel"]),
        "allegations_by_clause": clause_rows,
        "allegations_by_disposition": [
            *[
                Row(d.value, label(d), {"allegations": by_disposition[d.value]})
                for d in Disposition
            ],
            Row(PENDING, _("No finding yet"), {"allegations": by_disposition[PENDING]}),
        ],
        "sustained_share_by_clause": share_rows,
        "time_to_acknowledge": _duration_rows(durations, "ack", 60, ("all", "urgent")),
        "time_to_close": _duration_rows(durations, "close", 24, ("all",)),
        "open_workload": _workload_rows(workload),
    }
    if period is None:
        built["complaints_by_period"] = _period_rows(
            periods(), complaints["period"], allegations["period"]
        )
    return [_make(key, period, rows) for key, rows in built.items()]


def table(key: str, period: Period | None) -> Table:
    """One table by its key; ``UnknownTable`` for any key not in ``TABLE_KEYS`` (or a table
    that exists only for all periods, asked for one period)."""
    info = TABLES.get(key)
    if info is None or (info.all_periods_only and period is not None):
        raise UnknownTable(key)
    return next(t for t in dashboard(period) if t.key == key)


def data_dictionary() -> list[TableInfo]:
    """Every table's key, title, description and columns (``info.columns()``)."""
    return list(TABLES.values())
