"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask

from complaints_app.extensions import db


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("seed")
    def seed_command() -> None:
        """Load the clause catalogue and guided questions from the ordinance (idempotent)."""
        from complaints_app.services import catalogue

        result = catalogue.seed()
        db.session.commit()
        click.echo(f"Clauses created: {result.created}; already present: {result.unchanged}.")

    keys = click.Group("keys", help="Encryption keys.")
    app.cli.add_command(keys)

    @keys.command("generate")
    def generate_key() -> None:
        """Print a new random key for ENCRYPTION_KEYS (put it first in the list)."""
        from complaints_app.crypto import new_key

        click.echo(new_key())

    audit_group = click.Group("audit", help="The audit trail.")
    app.cli.add_command(audit_group)

    @audit_group.command("verify")
    def audit_verify() -> None:
        """Check the hash chain of case events; exit 1 naming the first bad event."""
        from complaints_app.services import audit

        problems = list(audit.verify())
        if problems:
            p = problems[0]
            where = f"event seq {p.seq}" + (f" (id {p.event_id})" if p.event_id else "")
            click.echo(f"Audit chain broken at {where}: {p.reason}.", err=True)
            raise SystemExit(1)
        click.echo("Audit chain intact.")
