"""Public statistics at scale: the time to build ``public_statistics(period)`` (queries plus
small-count suppression) for every complete period, and how many figures it hides. The first
call computes the suppression; later ones with the same figures find it remembered.

Loads cases with the generator of ``benchmarks/stats.py`` into a scratch database (SQLite in
a temporary folder, or a new PostgreSQL database dropped afterwards), then times each period,
the median of --repeat runs after one warm-up.

    .venv/bin/python benchmarks/public_stats.py [--complaints 50000] [--repeat 3] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import stats as bench  # noqa: E402  (benchmarks/stats.py: generator, loaders, timing)
from scratch_db import scratch_database  # noqa: E402


def run(url: str, n: int, repeat: int, loader) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import select

    from complaints_app import create_app
    from complaints_app.extensions import db
    from complaints_app.models import Clause
    from complaints_app.services import catalogue
    from complaints_app.services.periods import periods
    from complaints_app.services.public_statistics import public_statistics
    from config import TestingConfig

    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=url,
        REPORTING_START=bench.START,
        TIMEZONE="America/New_York",
    )
    with app.app_context():
        upgrade()
        catalogue.seed()
        db.session.commit()
        ids = list(db.session.execute(select(Clause.id).where(Clause.complaint_eligible)).scalars())
        db.session.remove()
        loader(n, ids)
        with app.test_request_context("/"):
            for period in [p for p in periods(bench.NOW.date()) if p.end_utc <= bench.NOW]:
                began = time.perf_counter()
                data = public_statistics(period)
                first = (time.perf_counter() - began) * 1000
                cells = [
                    c
                    for t in data["tables"]
                    for r in [*t["rows"], *([t["total"]] if t["total"] else [])]
                    for c in r["cells"].values()
                ]
                hidden = sum(1 for c in cells if c.get("suppressed"))
                ms = bench._timed(lambda p=period: public_statistics(p), repeat)
                print(
                    f"  period {period.name}: first {first:7.1f} ms, then {ms:7.1f} ms "
                    f"(suppression remembered), {hidden} of {len(cells)} figures hidden"
                )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("APP_ENV", "testing")
    if args.postgres:
        with scratch_database("complaints_bench") as url:
            print(f"postgresql, {args.complaints:,} complaints:")
            run(url, args.complaints, args.repeat, lambda n, ids: bench.load_postgres(url, n, ids))
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "stats.sqlite3"
            print(f"sqlite, {args.complaints:,} complaints:")
            run(
                f"sqlite:///{path}",
                args.complaints,
                args.repeat,
                lambda n, ids: bench.load_sqlite(path, n, ids),
            )


if __name__ == "__main__":
    main()
