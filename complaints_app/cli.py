"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys

import click
from flask import Flask

from complaints_app.extensions import db
from complaints_app.models import Role


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("seed")
    def seed_command() -> None:
        """Load the clause catalogue and guided questions from the ordinance (idempotent)."""
        from complaints_app.services import catalogue

        result = catalogue.seed()
        db.session.commit()
        click.echo(f"Clauses created: {result.created}; already present: {result.unchanged}.")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
    @click.option("--org", "org_slug", help="Organisation slug (advocates only).")
    @click.option("--name", "display_name", default="", help="Name shown to colleagues.")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_user(
        email: str, role: str, org_slug: str | None, display_name: str, password_stdin: bool
    ) -> None:
        """Create a staff or advocate account (prompts for the password)."""
        from complaints_app.services import accounts

        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = accounts.create_user(
                email, Role(role), password, org_slug=org_slug, display_name=display_name
            )
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"Created {user.email} ({user.role.value}).")

    keys = click.Group("keys", help="Encryption keys.")
    app.cli.add_command(keys)

    @keys.command("generate")
    def generate_key() -> None:
        """Print a new random key for ENCRYPTION_KEYS (put it first in the list)."""
        from complaints_app.crypto import new_key

        click.echo(new_key())

    @keys.command("rotate")
    def rotate_keys() -> None:
        """Re-encrypt everything under the newest key (the first of ENCRYPTION_KEYS).
        Safe to interrupt: run it again and it carries on where it stopped."""
        from complaints_app.services import privacy

        total = privacy.count_stale()
        if not total:
            click.echo("Everything is already sealed with the newest key.")
            return
        with click.progressbar(length=total, label="Re-encrypting") as bar:
            done = privacy.rotate(progress=bar.update)
        click.echo(f"Re-encrypted {done} rows and files under key {privacy.newest_key_id()}.")

    retention = click.Group("retention", help="Retention of personal data.")
    app.cli.add_command(retention)

    @retention.command("purge")
    @click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
    def retention_purge(dry_run: bool) -> None:
        """Remove personal data from cases closed longer than RETENTION_DAYS (not on legal
        hold), keeping what statistics need. Every purge is recorded on its case."""
        from complaints_app.services import privacy

        candidates = privacy.purge_candidates()
        if dry_run:
            for complaint in candidates:
                click.echo(f"{complaint.reference} closed {complaint.closed_at:%Y-%m-%d}")
            click.echo(f"{len(candidates)} case(s) would be purged.")
            return
        for complaint in candidates:
            files: list[str] = []
            privacy.purge(complaint, files)
            db.session.commit()
            privacy.remove_files(files)
        click.echo(f"Purged {len(candidates)} case(s).")

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

    uploads_group = click.Group("uploads", help="Evidence files.")
    app.cli.add_command(uploads_group)

    @uploads_group.command("sweep")
    def uploads_sweep() -> None:
        """Remove files kept for complaint forms that were not sent again within
        PENDING_FILES_HOURS. Safe to run from cron while the app serves."""
        from complaints_app.services import pending

        result = pending.sweep()
        click.echo(
            f"Removed {result.files} kept file(s) of {result.forms} form(s) left unsent for "
            f"more than {app.config['PENDING_FILES_HOURS']} hours."
        )
