"""The statistics' counts, kept current in the same transaction as every change to a case.

Counting a period's allegations means joining hundreds of thousands of rows, and a median
means sorting every case: too slow for a page at a million allegations. So the counts per
period and key (models/statistics.py) — complaints, allegations, complaints per clause, and
cases per whole minute to acknowledge and whole hour to close, and those same durations
counted by band (hours to acknowledge, days to close) — are stored, and every flush
that adds, changes or removes a complaint or an allegation corrects them: just before the
flush it reads what the touched cases contributed, just after it reads what they contribute
now, and it adds the difference. Whatever changed — a status, a clause, a
disposition, a case deleted with its allegations — the counts follow, with no list of
attributes to keep in step.

They are used only while ``stat_basis`` names the current REPORTING_START and TIMEZONE:
periods cut with other settings would be wrong. ``rebuild()`` (``flask --app wsgi stats
rebuild``) recounts everything from the cases and sets the basis; run it after changing either
setting and after loading cases with bulk SQL, which no flush sees (a bulk loader that also
files a case through the ORM first must call ``rebuild()`` at its end). A database with no
cases starts counting on its first flush, so a new office never needs it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import (
    Connection,
    String,
    Table,
    case,
    event,
    func,
    inspect,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from complaints_app.extensions import db
from complaints_app.models import (
    Allegation,
    Clause,
    Complaint,
    StatAllegationCount,
    StatBasis,
    StatClauseComplaintCount,
    StatComplaintCount,
    StatDurationBand,
    StatDurationCount,
)
from complaints_app.services.percentile import (
    floor_divide,
    units_between,
    units_between_values,
)
from complaints_app.services.periods import period_at, period_number, period_of_moment

_PENDING = "stat_summary_pending"
_CHUNK = 500
COMPLAINT_KEYS = ("period", "status", "agency", "channel", "urgent")
ALLEGATION_KEYS = ("period", "status", "agency", "channel", "clause_code", "disposition")
CLAUSE_KEYS = ("period", "clause_code")
DURATION_KEYS = ("period", "measure", "urgent", "amount")
BAND_KEYS = ("period", "measure", "urgent", "band")
#: Durations are counted in whole units: minutes to acknowledge, hours to close.
ACK_UNIT = timedelta(minutes=1)
CLOSE_UNIT = timedelta(hours=1)
#: How many units make a band of ``StatDurationBand``: an hour of minutes, a day of hours.
#: A percentile reads every band of its periods and the single amounts of one band (at most
#: this many per period), so these keep both reads to a few hundred rows.
BAND_WIDTH = {"ack": 60, "close": 24}
TABLES: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (StatComplaintCount.__table__, COMPLAINT_KEYS),
    (StatAllegationCount.__table__, ALLEGATION_KEYS),
    (StatClauseComplaintCount.__table__, CLAUSE_KEYS),
    (StatDurationCount.__table__, DURATION_KEYS),
    (StatDurationBand.__table__, BAND_KEYS),
)


def _settings() -> tuple:
    return current_app.config["REPORTING_START"], current_app.config["TIMEZONE"]


def _stored_basis(conn: Connection) -> tuple | None:
    row = conn.execute(
        select(StatBasis.reporting_start, StatBasis.timezone).where(StatBasis.id == 1)
    ).first()
    return tuple(row) if row is not None else None


def is_current(conn: Connection | None = None) -> bool:
    """Whether the stored counts were cut with today's settings (and so may be read)."""
    return _stored_basis(conn or db.session.connection()) == _settings()


def _set_basis(conn: Connection) -> None:
    start, zone = _settings()
    conn.execute(StatBasis.__table__.delete())
    conn.execute(StatBasis.__table__.insert().values(id=1, reporting_start=start, timezone=zone))


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for i in range(0, len(ordered), _CHUNK):
        yield ordered[i : i + _CHUNK]


def contributions(conn: Connection, ids: set[int]) -> list[Counter]:
    """What the cases ``ids`` add to each count table, as they stand in the database."""
    cells: list[Counter] = [Counter() for _ in TABLES]
    for chunk in _chunks(ids):
        keys = {}
        for cid, received, status, agency, channel, urgent, acked, closed in conn.execute(
            select(
                Complaint.id,
                Complaint.received_at,
                Complaint.status,
                Complaint.agency,
                Complaint.channel,
                Complaint.urgent,
                Complaint.acknowledged_at,
                Complaint.closed_at,
            ).where(Complaint.id.in_(chunk))
        ):
            period = period_of_moment(received).name
            keys[cid] = (period, status.value, agency.value, channel.value, bool(urgent))
            cells[0][keys[cid]] += 1
            for measure, stamp, unit in (("ack", acked, ACK_UNIT), ("close", closed, CLOSE_UNIT)):
                if stamp is not None:
                    amount = units_between_values(received, stamp, unit)
                    cells[3][(period, measure, bool(urgent), amount)] += 1
                    cells[4][(period, measure, bool(urgent), amount // BAND_WIDTH[measure])] += 1
        codes: dict[int, set[str]] = defaultdict(set)
        for cid, code, disposition, n in conn.execute(
            select(Allegation.complaint_id, Clause.code, Allegation.disposition, func.count())
            .select_from(Allegation)
            .outerjoin(Clause, Allegation.clause_id == Clause.id)
            .where(Allegation.complaint_id.in_(chunk))
            .group_by(Allegation.complaint_id, Clause.code, Allegation.disposition)
        ):
            period, status, agency, channel, _urgent = keys[cid]
            finding = disposition.value if disposition else ""
            cells[1][(period, status, agency, channel, code or "", finding)] += n
            codes[cid].add(code or "")
        for cid, found in codes.items():
            for code in found:
                cells[2][(keys[cid][0], code)] += 1
    return cells


def _upsert(conn: Connection, table: Table, keys: tuple[str, ...], delta: Counter) -> None:
    # Sorted, so two transactions touching the same cells lock them in the same order.
    rows = [dict(zip(keys, key, strict=True), n=n) for key, n in sorted(delta.items()) if n]
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={"n": table.c.n + stmt.excluded.n}
    )
    conn.execute(stmt, rows)


def _touched_ids(objects: Iterable[object]) -> set[int]:
    """Ids of the cases the flushed objects belong to (before or after the flush)."""
    ids = set()
    for obj in objects:
        if isinstance(obj, Complaint):
            ids.add(obj.id)
        else:
            ids.add(obj.complaint_id)
            ids.update(inspect(obj).attrs.complaint_id.history.deleted or ())
            parent = obj.__dict__.get("complaint")
            if parent is not None:
                ids.add(parent.id)
    ids.discard(None)
    return ids


def _tracking(conn: Connection) -> bool:
    stored = _stored_basis(conn)
    if stored is not None:
        return stored == _settings()
    # No counts yet: on a database with no case they can start from nothing.
    if conn.execute(select(Complaint.id).limit(1)).first() is not None:
        return False
    _set_basis(conn)
    return True


def _before_flush(session: Session, _context, _instances) -> None:
    objects = [
        o
        for o in (*session.new, *session.dirty, *session.deleted)
        if isinstance(o, Complaint | Allegation)
    ]
    if not objects:
        return
    conn = session.connection()
    if not _tracking(conn):
        return
    before_ids = _touched_ids(objects)
    session.info[_PENDING] = (objects, before_ids, contributions(conn, before_ids))


def _after_flush(session: Session, _context) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    objects, before_ids, before = pending
    conn = session.connection()
    after = contributions(conn, before_ids | _touched_ids(objects))
    for (table, keys), now, was in zip(TABLES, after, before, strict=True):
        now.subtract(was)
        _upsert(conn, table, keys, now)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def init_app(_app: Flask) -> None:
    """Keep the counts current on every session's flush."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))


def _period_of_received(first: datetime, last: datetime):
    """SQL naming the period of ``received_at`` for cases received from ``first`` to
    ``last`` (bind values only; no period is missed, even before REPORTING_START)."""
    spanned = [
        period_at(i)
        for i in range(
            period_number(period_of_moment(first).start),
            period_number(period_of_moment(last).start) + 1,
        )
    ]
    if len(spanned) == 1:
        return literal(spanned[0].name)
    return case(
        *[(Complaint.received_at < p.end_utc, literal(p.name)) for p in spanned[:-1]],
        else_=literal(spanned[-1].name),
    )


def rebuild() -> dict[str, int]:
    """Recount everything from the cases and record today's settings as the basis. Flushes,
    never commits. Returns how many count rows each table now holds."""
    session = db.session
    session.flush()
    conn = session.connection()
    for table, _keys in TABLES:
        conn.execute(table.delete())
    first, last = conn.execute(
        select(func.min(Complaint.received_at), func.max(Complaint.received_at))
    ).one()
    if first is not None:
        _insert_counts(conn, _period_of_received(first, last))
    _set_basis(conn)
    return {
        table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
        for table, _keys in TABLES
    }


def _insert_counts(conn: Connection, period) -> None:
    cases = select(
        period.label("period"),
        Complaint.status,
        Complaint.agency,
        Complaint.channel,
        Complaint.urgent,
    ).subquery()
    grouped = [cases.c[k] for k in COMPLAINT_KEYS]
    conn.execute(
        StatComplaintCount.__table__.insert().from_select(
            [*COMPLAINT_KEYS, "n"], select(*grouped, func.count()).group_by(*grouped)
        )
    )
    rows = (
        select(
            period.label("period"),
            Complaint.status,
            Complaint.agency,
            Complaint.channel,
            func.coalesce(Clause.code, "").label("clause_code"),
            func.coalesce(type_coerce(Allegation.disposition, String), "").label("disposition"),
            Allegation.complaint_id,
        )
        .select_from(Allegation)
        .join(Complaint, Allegation.complaint_id == Complaint.id)
        .outerjoin(Clause, Allegation.clause_id == Clause.id)
        .subquery()
    )
    grouped = [rows.c[k] for k in ALLEGATION_KEYS]
    conn.execute(
        StatAllegationCount.__table__.insert().from_select(
            [*ALLEGATION_KEYS, "n"], select(*grouped, func.count()).group_by(*grouped)
        )
    )
    for measure, stamp, unit in (
        ("ack", Complaint.acknowledged_at, ACK_UNIT),
        ("close", Complaint.closed_at, CLOSE_UNIT),
    ):
        timed = (
            select(
                period.label("period"),
                literal(measure).label("measure"),
                Complaint.urgent.label("urgent"),
                units_between(Complaint.received_at, stamp, unit).label("amount"),
            )
            .where(stamp.is_not(None))
            .subquery()
        )
        grouped = [timed.c[k] for k in DURATION_KEYS]
        conn.execute(
            StatDurationCount.__table__.insert().from_select(
                [*DURATION_KEYS, "n"], select(*grouped, func.count()).group_by(*grouped)
            )
        )
    conn.execute(
        StatClauseComplaintCount.__table__.insert().from_select(
            [*CLAUSE_KEYS, "n"],
            select(
                rows.c.period, rows.c.clause_code, func.count(func.distinct(rows.c.complaint_id))
            ).group_by(rows.c.period, rows.c.clause_code),
        )
    )
    conn.execute(_insert_bands())


def _insert_bands():
    """INSERT … SELECT filling ``stat_duration_band`` from ``stat_duration_count``, each band
    the sum of its amounts."""
    durations = StatDurationCount.__table__
    band = case(
        *[
            (durations.c.measure == measure, floor_divide(durations.c.amount, width))
            for measure, width in BAND_WIDTH.items()
        ]
    ).label("band")
    banded = (
        select(durations.c.period, durations.c.measure, durations.c.urgent, band, durations.c.n)
        .where(durations.c.measure.in_(list(BAND_WIDTH)))
        .subquery()
    )
    grouped = [banded.c[k] for k in BAND_KEYS]
    return StatDurationBand.__table__.insert().from_select(
        [*BAND_KEYS, "n"], select(*grouped, func.sum(banded.c.n)).group_by(*grouped)
    )
