"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys

import click
from flask import Flask

from complaints_app import uow
from complaints_app.authz import System
from complaints_app.extensions import db
from complaints_app.models import Role


def init_app(app: Flask) -> None:
    """Register the commands."""
    from complaints_app import report_commands

    report_commands.init_app(app)

    @app.cli.command("seed")
    def seed_command() -> None:
        """Load the clause catalogue and guided questions from the ordinance (idempotent)."""
        from complaints_app.services import catalogue

        result = catalogue.seed()
        uow.commit()
        click.echo(
            f"Clauses created: {result.created}; already present: {result.unchanged}; "
            f"official texts in other languages added: {result.translated}."
        )

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
        uow.commit()
        click.echo(f"Created {user.email} ({user.role.value}).")

    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--name", required=True, help="What the token is for, e.g. the script's name.")
    @click.option(
        "--scope", type=click.Choice(["read", "write"]), default="read", show_default=True
    )
    @click.option("--days", type=int, default=90, show_default=True, help="Days until it expires.")
    def create_token(email: str, name: str, scope: str, days: int) -> None:
        """Create an API token for an advocate; the token is the last line printed, and it is
        shown only this once."""
        from sqlalchemy import select

        from complaints_app.models import TokenScope, User
        from complaints_app.services import api_tokens

        user = db.session.execute(
            select(User).where(User.email == email.strip().lower())
        ).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"No account with the email {email}.")
        try:
            token, text = api_tokens.issue(user, name, TokenScope(scope), days)
        except api_tokens.TokenError as exc:
            raise click.ClickException(str(exc)) from exc
        uow.commit()
        click.echo(
            f"Token {token.name!r} ({scope}) for {user.email}, expires "
            f"{token.expires_at:%Y-%m-%d}. It is shown once:",
            err=True,
        )
        click.echo(text)

    @app.cli.command("create-org")
    @click.argument("slug")
    @click.option("--name", required=True, help="The organisation's name.")
    @click.option("--contact", "contact", default="", help="Email the office writes to.")
    def create_org(slug: str, name: str, contact: str) -> None:
        """Create a legal aid organisation (SLUG: its short name, e.g. legal-aid-east)."""
        from complaints_app.services import accounts, organisations

        try:
            organisation = organisations.create_organisation(slug, name, contact or None)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        uow.commit()
        click.echo(f"Created organisation {organisation.slug} ({organisation.name}).")

    keys = click.Group(
        "keys",
        help=(
            "Encryption and hash keys.\n\n"
            "\b\n"
            "Rotating the encryption key (ENCRYPTION_KEYS, newest first):\n"
            "  1. keys generate; put the new key first in ENCRYPTION_KEYS; restart.\n"
            "  2. keys rotate: re-encrypts everything under it.\n"
            "  3. Remove the old key once keys rotate says nothing is left.\n"
            "\b\n"
            "Rotating the hash key (HASH_KEYS, newest first; HASH_KEY is a one-key list):\n"
            "  1. keys generate-hash; set HASH_KEYS=NEW,OLD (OLD is the current HASH_KEY);\n"
            "     restart. New keyed hashes are made under NEW; old ones still match.\n"
            "  2. keys rotate: remakes contact hashes (duplicate hints) under NEW.\n"
            "  3. keys hash-status: what still needs OLD. Tracking codes, open forms and\n"
            "     recovery codes cannot be remade (the app never keeps them): keep OLD\n"
            "     listed for as long as those cases must stay trackable. Removing it makes\n"
            "     every hash under it unmatchable: residents with such a code can no longer\n"
            "     open their case."
        ),
    )
    app.cli.add_command(keys)

    @keys.command("generate-hash")
    def generate_hash_key() -> None:
        """Print a new random hash key for HASH_KEYS (put it first in the list)."""
        import secrets

        click.echo(secrets.token_urlsafe(48))

    @keys.command("hash-status")
    def hash_status() -> None:
        """Count stored keyed hashes by the hash key that made them; exit 1 if some name a
        key that is no longer configured (they can never match again)."""
        from complaints_app.services import hash_keys

        uses = hash_keys.key_uses()
        for use in uses:
            state = "newest" if use.newest else "older" if use.configured else "NOT CONFIGURED"
            click.echo(f"{use.kind}: {use.count} under key {use.key_id} ({state})")
        if not uses:
            click.echo("No keyed hashes stored yet.")
        lost = hash_keys.unmatchable(uses)
        if lost:
            for use in lost:
                click.echo(
                    f"{use.count} {use.kind} were made under hash key {use.key_id}, which is not "
                    "in HASH_KEYS: they can never match. Put that key back in HASH_KEYS "
                    "(after the newest) to restore them.",
                    err=True,
                )
            raise SystemExit(1)

    @keys.command("generate")
    def generate_key() -> None:
        """Print a new random key for ENCRYPTION_KEYS (put it first in the list)."""
        from complaints_app.crypto import new_key

        click.echo(new_key())

    @keys.command("rotate")
    def rotate_keys() -> None:
        """Re-encrypt everything under the newest key (the first of ENCRYPTION_KEYS).
        Safe to interrupt: run it again and it carries on where it stopped."""
        from complaints_app.crypto import newest_hash_key_id
        from complaints_app.services import hash_keys, privacy

        total = privacy.count_stale()
        if not total:
            click.echo("Everything is already sealed with the newest key.")
        else:
            done = 0
            with click.progressbar(length=total, label="Re-encrypting") as bar:
                for size in privacy.rotate_batches():
                    uow.commit()  # one batch at a time: an interruption loses nothing
                    done += size
                    bar.update(size)
            click.echo(f"Re-encrypted {done} rows and files under key {privacy.newest_key_id()}.")
        rehashed = hash_keys.rehash_contacts(hash_keys.stale_contact_hashes())
        uow.commit()
        click.echo(
            f"Contact hashes remade under hash key {newest_hash_key_id()}: {rehashed} case(s)."
        )

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
        system = System("retention purge")
        with click.progressbar(candidates, label="Purging") as bar:
            for complaint in bar:
                privacy.purge(complaint, system)
                uow.commit()  # each case on its own; its files go once it is committed
        click.echo(f"Purged {len(candidates)} case(s).")

    sessions_group = click.Group(
        "sessions", help="Server-side session grants and unsent complaint form drafts."
    )
    app.cli.add_command(sessions_group)

    @sessions_group.command("purge")
    def sessions_purge() -> None:
        """Delete session grants that can open nothing any more (revoked, idle too long or
        past their absolute limit). Signing in sweeps them too; this keeps the table small
        on a quiet site. Also deletes complaint form drafts left unsent for longer than
        FORM_DRAFT_IDLE_HOURS (starting a form sweeps them too)."""
        from complaints_app.services import drafts, session_grants

        removed = session_grants.purge_expired()
        forgotten = drafts.purge_expired()
        uow.commit()
        click.echo(f"Removed {removed} expired or revoked session grant(s).")
        click.echo(f"Removed {forgotten} expired complaint form draft(s).")

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

    stats_group = click.Group("stats", help="Statistics.")
    app.cli.add_command(stats_group)

    @stats_group.command("rebuild")
    def stats_rebuild_command() -> None:
        """Recount the statistics' stored counts from the cases: after changing
        REPORTING_START or TIMEZONE, or after loading cases with bulk SQL."""
        from complaints_app.services import stat_summary

        rows = stat_summary.rebuild()
        uow.commit()
        click.echo("Statistics recounted: " + ", ".join(f"{k} {v} rows" for k, v in rows.items()))

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

    @app.cli.command("demo-data")
    @click.option("--cases", type=click.IntRange(min=1), required=True, help="How many cases.")
    @click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same cases.")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="The day the demo's story ends (default: today in the city).",
    )
    @click.option("--force", is_flag=True, help="Add demo cases even beside real ones.")
    def demo_data(cases: int, seed: int, as_of, force: bool) -> None:
        """Write synthetic cases, timelines and ledger entries for demonstrations and
        benchmarks. Refuses a database holding real cases unless --force."""
        from complaints_app import demo

        try:
            with click.progressbar(length=cases, label="Writing demo cases") as bar:
                summary = demo.generate(
                    cases,
                    seed,
                    progress=bar.update,
                    force=force,
                    as_of=as_of.date() if as_of else None,
                )
        except demo.DemoRefused as exc:
            raise click.ClickException(str(exc)) from exc
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_status.items()))
        click.echo(
            f"Wrote {summary.cases} cases ({summary.first_reference} to "
            f"{summary.last_reference}; {statuses}), {summary.allegations} allegations, "
            f"{summary.events} timeline events and {summary.federal_requests} ledger entries "
            f"as of {summary.as_of.isoformat()} with seed {summary.seed} "
            f"in {summary.seconds:.1f} s."
        )
        if summary.sample_tracking:
            reference, code = summary.sample_tracking
            click.echo(f"Try /track with reference {reference} and tracking code {code}.")
