"""Fuzz the API with schemathesis against a live server, from the app's own OpenAPI document.

Starts gunicorn on a free port with a fresh SQLite database (migrated and seeded), makes an
organisation, an advocate and a write token, then runs every schemathesis phase (examples,
coverage, fuzzing, stateful) with every check, bounded by --max-examples and --max-time.
Exits non-zero if schemathesis reports any failure. Run by ``make api-fuzz`` (and .ci/run).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
MAX_EXAMPLES = os.environ.get("API_FUZZ_MAX_EXAMPLES", "40")
MAX_TIME = os.environ.get("API_FUZZ_MAX_TIME", "120")  # seconds, the whole run
ADVOCATE = "fuzz-advocate@legal-aid.example"


def say(text: str) -> None:
    print(f"== {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'fuzz.sqlite3'}",
        "UPLOAD_FOLDER": str(instance / "uploads"),
        # Thousands of requests from one token: the limit itself is tested by the suite.
        "API_LIMIT_PER_TOKEN": "1000000 per minute",
    }


def flask(env: dict, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(  # noqa: S603 — our own commands
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def wait_for(url: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 — our own server
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="api-fuzz-") as folder:
        instance = Path(folder)
        instance.chmod(0o700)
        env = server_env(instance)
        say("database, catalogue, organisation, advocate, token")
        flask(env, "db", "upgrade")
        flask(env, "seed")
        flask(env, "create-org", "fuzz-legal-aid", "--name", "Fuzz Legal Aid")
        flask(
            env,
            *("create-user", ADVOCATE, "--role", "advocate", "--org", "fuzz-legal-aid"),
            "--password-stdin",
            stdin=secrets.token_urlsafe(24) + "\n",
        )
        token = flask(env, "create-token", ADVOCATE, "--name", "fuzz", "--scope", "write")
        token = token.strip().splitlines()[-1]

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        say(f"gunicorn on {base}")
        server = subprocess.Popen(  # noqa: S603
            [
                str(BIN / "gunicorn"),
                "-w",
                "2",
                "--timeout",
                "90",
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(f"{base}/healthz", server)
            say(f"schemathesis: all phases, {MAX_EXAMPLES} examples per operation, {MAX_TIME} s")
            done = subprocess.run(  # noqa: S603
                [
                    str(BIN / "schemathesis"),
                    "--config-file",
                    str(ROOT / ".ci" / "schemathesis.toml"),
                    "run",
                    f"{base}/api/v1/openapi.json",
                    "--url",
                    base,
                    "--header",
                    f"Authorization: Bearer {token}",
                    "--phases",
                    "examples,coverage,fuzzing,stateful",
                    "--max-examples",
                    MAX_EXAMPLES,
                    "--max-time",
                    MAX_TIME,
                    "--request-timeout",
                    "30",
                    "--workers",
                    "2",
                    "--no-color",
                ],
                cwd=ROOT,
                env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
                timeout=int(MAX_TIME) + 300,
                check=False,
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    if done.returncode != 0:
        say(f"schemathesis found failures (exit {done.returncode})")
        return 1
    say("schemathesis: no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
