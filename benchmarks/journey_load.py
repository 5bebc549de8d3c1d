"""Load figures for the resident's journey, measured against a real gunicorn server.

Starts gunicorn on a fresh SQLite database (or DATABASE_URL), then for a fixed time drives
concurrent clients through: the health check (a baseline of the server's own overhead), the
policy page, the blank complaint form, a full complaint submission, and a tracking look-up.
Prints requests per second and latency percentiles for each. Traffic goes to 127.0.0.1 only.

    .venv/bin/python benchmarks/journey_load.py [--seconds 10] [--clients 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HIDDEN = re.compile(r'name="(csrf_token|submission_token)"[^>]*value="([^"]*)"')
RECEIPT = re.compile(r'id="reference">([^<]+)<.*?id="tracking-code">([^<]+)<', re.S)


class Session:
    """One client with its own cookie jar and keep-alive-free connections."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        cookie = resp.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        conn.close()
        return resp.status, text


def serve(env: dict, port: int, workers: int) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:``port`` with ``workers`` workers, once /healthz answers."""
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            if Session(port).request("GET", "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    return server


def complaint_body(hidden: dict) -> dict:
    return {
        **hidden,
        "what_happened": ["held_for_ice"],
        "urgent": "no",
        "incident_date": (date.today() - timedelta(days=2)).isoformat(),
        "incident_place": "Central station",
        "agency": "police",
        "narrative": "Held overnight after bail because of an ICE detainer form. " * 5,
        "contact_choice": "anonymous",
        "consent": "y",
    }


# The resident's form asks one topic per page: each step's address and the fields it posts.
FORM_STEPS = (
    ("what-happened", ("what_happened", "urgent")),
    ("when-and-where", ("incident_date", "incident_place")),
    ("who-was-involved", ("agency",)),
    ("your-account", ("narrative",)),
    ("files", ()),
    ("contact", ("contact_choice",)),
)


def fill_form(s: Session) -> dict:
    """Start a form and answer every step up to the send page; the send page's hidden
    fields (CSRF and the one-time submission token)."""
    s.request("GET", "/complaints/new")
    _, page = s.request("GET", "/complaints/new/what-happened")
    csrf = dict(HIDDEN.findall(page))["csrf_token"]
    body = complaint_body({})
    for slug, names in FORM_STEPS:
        fields = {"csrf_token": csrf, **{n: body[n] for n in names}}
        status, _ = s.request("POST", f"/complaints/new/{slug}", fields)
        if status != 303:
            raise SystemExit(f"the form's {slug} step answered {status}")
    _, page = s.request("GET", "/complaints/new/send")
    return dict(HIDDEN.findall(page))


def scenario(name: str, port: int, receipts: list):
    def run() -> float:
        s = Session(port)
        start = time.perf_counter()
        if name == "healthz":
            status, _ = s.request("GET", "/healthz")
        elif name == "policy":
            status, _ = s.request("GET", "/policy")
        elif name == "form":
            status, _ = s.request("GET", "/complaints/new")
        elif name == "submit":
            # Timed: the send POST only (the steps before it are not part of the figure).
            hidden = fill_form(s)
            start = time.perf_counter()
            status, page = s.request("POST", "/complaints/new/send", {**hidden, "consent": "y"})
            match = RECEIPT.search(page)
            if match:
                receipts.append(match.groups())
        elif name == "track":
            ref, code = receipts[int(time.perf_counter() * 1000) % len(receipts)]
            _, page = s.request("GET", "/track")
            hidden = dict(HIDDEN.findall(page))
            start = time.perf_counter()
            status, _ = s.request("POST", "/track", {**hidden, "reference": ref, "code": code})
        else:
            raise ValueError(name)
        if status >= 400:
            raise RuntimeError(f"{name}: HTTP {status}")
        return time.perf_counter() - start

    return run


def measure(fn, seconds: float, clients: int) -> dict:
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker():
        while time.perf_counter() < deadline:
            try:
                took = fn()
            except Exception:
                with lock:
                    errors[0] += 1
                continue
            with lock:
                latencies.append(took)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    return {
        "n": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000 if latencies else 0,
        "p95": pct(0.95) if latencies else 0,
        "errors": errors[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="bench-")
    env = {
        **os.environ,
        "INSTANCE_PATH": instance,
        "SUBMIT_LIMIT_PER_CLIENT": "1000000 per hour",
        "TRACK_LIMIT_PER_CLIENT": "1000000 per hour",
    }
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = serve(env, args.port, args.workers)
    try:
        receipts: list = []
        print(
            f"gunicorn -w {args.workers}, {args.clients} clients, {args.seconds:.0f} s each, "
            f"database: {env.get('DATABASE_URL', 'SQLite (WAL)')}"
        )
        print(
            f"{'scenario':<10}{'requests':>10}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}"
            f"{'errors':>8}"
        )
        for name in ("healthz", "policy", "form", "submit", "track"):
            r = measure(scenario(name, args.port, receipts), args.seconds, args.clients)
            print(
                f"{name:<10}{r['n']:>10}{r['rps']:>10.1f}{r['p50']:>10.1f}{r['p95']:>10.1f}"
                f"{r['errors']:>8}"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
