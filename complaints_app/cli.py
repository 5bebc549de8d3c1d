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
    @click.option(
        "--against",
        "against",
        type=click.File("r", encoding="utf-8"),
        help="A checkpoint written earlier by 'audit checkpoint': no chain in it may have "
        "gone backwards or vanished since.",
    )
    def audit_verify(against) -> None:
        """Check every audit chain (each case's timeline, account events), every chain head's
        MAC, and that every case still has its chain; exit 1 naming each broken chain and
        its first problem."""
        from complaints_app.services import audit

        entries: list = []
        if against is not None:
            try:
                entries = audit.read_checkpoint(against)
            except audit.CheckpointError as exc:
                raise click.ClickException(f"{against.name}: {exc}") from exc
        problems = list(audit.verify(against=entries))
        db.session.rollback()
        if problems:
            for p in problems:
                where = ""
                if p.seq is not None:
                    where = f" at event seq {p.seq}" + (f" (id {p.event_id})" if p.event_id else "")
                click.echo(f"Audit chain {p.chain} broken{where}: {p.reason}.", err=True)
            click.echo(f"{len(problems)} chain(s) broken.", err=True)
            raise SystemExit(1)
        checked = f" against {len(entries)} checkpointed chain(s)" if against is not None else ""
        click.echo(f"Audit chains intact{checked}.")

    @audit_group.command("checkpoint")
    @click.option(
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        help="Write to this file instead of standard output.",
    )
    def audit_checkpoint(output: str | None) -> None:
        """Write every chain's head (name, last sequence number, last hash, MAC, time) as JSON
        lines, to keep somewhere the database's writers cannot reach; 'audit verify
        --against' later proves that no chain went backwards or vanished."""
        from complaints_app.services import audit

        lines = [entry.as_json() for entry in audit.checkpoint()]
        db.session.rollback()
        text = "".join(line + "\n" for line in lines)
        if output is None:
            click.echo(text, nl=False)
            return
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"Wrote {len(lines)} chain head(s) to {output}.", err=True)
