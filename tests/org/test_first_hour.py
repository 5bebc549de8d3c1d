"""The README's legal aid first hour works as written: the organisation and the advocate it
creates exist, and the advocate signs in and lands on the organisation's dashboard."""

from __future__ import annotations

import re
import shlex
from http import HTTPStatus

from complaints_app import PROJECT_ROOT
from tests.org.conftest import sign_in


def _section() -> str:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## The legal aid group's first hour")
    return text[start : text.index("\n## ", start + 1)].replace("\\\n", " ")


def test_readme_commands_make_an_organisation_and_an_advocate_who_lands_on_org(app, db):
    runner = app.test_cli_runner()
    section = _section()
    org_line = re.search(r"\.venv/bin/flask --app wsgi (create-org .*)$", section, re.M)
    made = runner.invoke(args=shlex.split(org_line.group(1)))
    assert made.exit_code == 0, made.output
    user_line = re.search(
        r"printf '%s\\n' '([^']+)' \|\s+\.venv/bin/flask --app wsgi (create-user .*)$",
        section,
        re.M,
    )
    password, args = user_line.group(1), shlex.split(user_line.group(2))
    assert args[args.index("--role") + 1] == "advocate"
    created = runner.invoke(args=args, input=password + "\n")
    assert created.exit_code == 0, created.output

    response = sign_in(app.test_client(), args[1], password)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/org/"
