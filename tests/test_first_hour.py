"""The README's first hour works as written: the accounts it creates can sign in and land
where it says."""

from __future__ import annotations

import re
import shlex
from http import HTTPStatus
from pathlib import Path

from tests.staff.conftest import login

README = Path(__file__).resolve().parent.parent / "README.md"


def _first_hour() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## The first hour")
    return text[start : text.index("\n## ", start + 1)]


def _commands(section: str) -> list[tuple[str, list[str]]]:
    """(password, arguments) for each documented create-user command."""
    found = []
    joined = section.replace("\\\n", " ")
    for line in joined.splitlines():
        match = re.search(r"printf '%s\\n' '([^']+)' \|\s+\.venv/bin/flask --app wsgi (.*)$", line)
        if match:
            found.append((match.group(1), shlex.split(match.group(2))))
    return found


def test_readme_accounts_are_made_by_the_cli_and_land_where_it_says(app, db):
    section = _first_hour()
    commands = _commands(section)
    assert [args[args.index("--role") + 1] for _p, args in commands] == [
        "admin",
        "intake",
        "supervisor",
    ]
    runner = app.test_cli_runner()
    landing = {"admin": "/admin/", "intake": "/staff/", "supervisor": "/staff/"}
    for password, args in commands:
        result = runner.invoke(args=args, input=password + "\n")
        assert result.exit_code == 0, result.output
        client = app.test_client()
        response = login(client, args[1], password)
        assert response.status_code == HTTPStatus.SEE_OTHER
        role = args[args.index("--role") + 1]
        assert response.headers["Location"].endswith(landing[role])
        assert f"`{landing[role]}" in section or "/staff/cases" in section
    assert "TOTP_REQUIRED_ROLES" in section and "demo-data" in section
