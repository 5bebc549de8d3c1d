"""Concurrent staff case views against a real gunicorn server: every view appends a
CASE_VIEWED event to the case's audit chain, so this is the audit trail under write load.

Starts gunicorn (2 workers by default) on a fresh SQLite database (or, with --postgres, a new
PostgreSQL database that is dropped afterwards), files a few cases through the public form,
creates an intake account with the CLI (intake staff need no second factor by default) and
signs every client in through /login. Then CLIENTS clients open case pages — half of them all
on the first case, the others spread over every case — until --requests pages were asked for
or --seconds passed. Prints requests per second (beside /healthz, the server's own overhead,
measured the same way), the answers that were not 200, and whether `audit verify` passes
afterwards. Traffic goes to 127.0.0.1 only.

    .venv/bin/python benchmarks/case_views_concurrent.py [--clients 8] [--requests 2000]
        [--seconds 20] [--cases 4] [--workers 2] [--postgres]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from journey_load import HIDDEN, RECEIPT, Session, fill_form, serve
from scratch_db import PG_SERVER, create_database, drop_database, new_name

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "staple battery horse correct lantern"  # noqa: S105 — a throwaway benchmark account


def _sign_in(port: int, email: str) -> Session:
    s = Session(port)
    _, page = s.request("GET", "/login")
    hidden = dict(HIDDEN.findall(page))
    status, _ = s.request(
        "POST", "/login", {"csrf_token": hidden["csrf_token"], "email": email, "password": PASSWORD}
    )
    if status != 303:
        raise RuntimeError(f"sign-in answered {status}")
    return s


def _run(sessions: list, paths_for, limit: int, seconds: float) -> tuple[int, float, Counter]:
    """Each session in its own thread asks for its paths in turn until ``limit`` requests in
    all or ``seconds``; returns (answered, elapsed, statuses)."""
    statuses: Counter = Counter()
    lock = threading.Lock()
    issued = [0]
    deadline = time.perf_counter() + seconds

    def client(index: int, session: Session) -> None:
        paths = paths_for(index)
        n = 0
        while time.perf_counter() < deadline:
            with lock:
                if issued[0] >= limit:
                    return
                issued[0] += 1
            try:
                status, _ = session.request("GET", paths[n % len(paths)])
            except OSError:
                status = "connection error"
            n += 1
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(sessions)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(statuses.values()), time.perf_counter() - began, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--cases", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5098)
    parser.add_argument(
        "--postgres", action="store_true", help=f"use a new database on {PG_SERVER}"
    )
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="bench-views-")
    env = {
        **os.environ,
        "INSTANCE_PATH": instance,
        "SUBMIT_LIMIT_PER_CLIENT": "1000000 per hour",
        "LOGIN_LIMIT_PER_ACCOUNT": "1000000 per hour",
        "LOGIN_LIMIT_PER_CLIENT": "1000000 per hour",
    }
    pg_name = None
    if args.postgres:
        pg_name = new_name("bench_views")
        env["DATABASE_URL"] = create_database(pg_name)
    else:
        env.pop("DATABASE_URL", None)
    flask = [str(BIN / "flask"), "--app", "wsgi"]

    def cli(*command: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*flask, *command], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
        )

    for command in (("db", "upgrade"), ("seed",)):
        done = cli(*command)
        if done.returncode:
            raise SystemExit(done.stderr)
    email = "intake-bench@office.example"
    made = cli("create-user", email, "--role", "intake", "--password-stdin", stdin=PASSWORD + "\n")
    if made.returncode:
        raise SystemExit(made.stderr or made.stdout)

    server = serve(env, args.port, args.workers)
    try:
        references = []
        for _ in range(args.cases):
            s = Session(args.port)
            hidden = fill_form(s)
            _, page = s.request("POST", "/complaints/new/send", {**hidden, "consent": "y"})
            match = RECEIPT.search(page)
            if not match:
                raise SystemExit("filing a case failed")
            references.append(match.group(1))
        sessions = [_sign_in(args.port, email) for _ in range(args.clients)]
        case_paths = [f"/staff/cases/{ref}" for ref in references]

        def paths_for(index: int) -> list[str]:
            # Half the clients all on one case (one chain), the rest over every case.
            return case_paths[:1] if index % 2 == 0 else case_paths

        base_n, base_t, base_s = _run(
            [Session(args.port) for _ in range(args.clients)],
            lambda i: ["/healthz"],
            args.requests,
            args.seconds,
        )
        n, elapsed, statuses = _run(sessions, paths_for, args.requests, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)
    verified = cli("audit", "verify")
    if pg_name:
        drop_database(pg_name)

    database = "PostgreSQL" if args.postgres else "SQLite (WAL)"
    print(
        f"gunicorn -w {args.workers}, {args.clients} clients, {args.cases} cases, "
        f"database: {database}"
    )
    print(f"/healthz          {base_n:>6} requests {base_n / base_t:>8.1f} req/s  {dict(base_s)}")
    not_ok = sum(count for status, count in statuses.items() if status != 200)
    print(f"staff case pages  {n:>6} requests {n / elapsed:>8.1f} req/s  not 200: {not_ok}")
    if not_ok:
        print(f"  answers: {dict(statuses)}")
    outcome = "passes" if verified.returncode == 0 else "FAILS"
    print(f"audit verify {outcome}: {(verified.stdout + verified.stderr).strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
