"""How long ``flask --app wsgi demo-data --cases N`` takes on a fresh database, on SQLite and
on PostgreSQL, against the target of 100,000 cases in under two minutes.

For each database: a new one (an SQLite file in a temporary folder; a new PostgreSQL database,
dropped afterwards), ``db upgrade`` and ``seed``, then the timed ``demo-data`` command, run as
the operator would run it. Prints the wall time, the CPU time the command used (the machine
may be shared: the load average is printed beside it), cases per second and, with --verify,
how long ``audit verify`` takes on the result and that it passes.

    .venv/bin/python benchmarks/demo_data.py [--cases 100000] [--seed 1] [--verify]
        [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from scratch_db import create_database, drop_database, new_name  # noqa: E402

FLASK = Path(sys.executable).parent / "flask"
TARGET_SECONDS = 120.0
TARGET_CASES = 100_000


def _flask(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Run one flask command; its wall time, its CPU time (children included) and output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(FLASK), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    said = next((line for line in lines if line.startswith(("Wrote", "Audit"))), "")
    return wall, cpu, said


def run(backend: str, cases: int, seed: int, verify: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        name = new_name("demo_bench")
        if backend == "postgresql":
            url = create_database(name)
        else:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": url, "UPLOAD_FOLDER": str(Path(folder) / "up")}
        try:
            _flask(env, "db", "upgrade")
            _flask(env, "seed")
            load = os.getloadavg()[0]
            wall, cpu, said = _flask(env, "demo-data", "--cases", str(cases), "--seed", str(seed))
            rate = cases / wall
            projected = TARGET_CASES / rate
            verdict = "within" if projected < TARGET_SECONDS else "OVER"
            print(f"{backend}: {cases} cases in {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
            print(f"  load average before: {load:.1f} on {os.cpu_count()} CPUs")
            print(f"  {rate:.0f} cases/s; {TARGET_CASES} cases -> {projected:.0f} s ", end="")
            print(f"({verdict} the {TARGET_SECONDS:.0f} s target)")
            print(f"  {said}")
            if verify:
                wall, _cpu, said = _flask(env, "audit", "verify")
                print(f"  audit verify: {said} ({wall:.1f} s)")
        finally:
            if backend == "postgresql":
                drop_database(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=TARGET_CASES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verify", action="store_true", help="also time audit verify")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql"):
        if args.only in (None, backend):
            run(backend, args.cases, args.seed, args.verify)


if __name__ == "__main__":
    main()
