"""Scratch PostgreSQL databases for the benchmarks: made new for one run on the server at
PG_SERVER (default: postgres on 127.0.0.1:5432, trust authentication) and dropped after it,
its connections ended first.

    with scratch_database("complaints_bench") as url:
        ...  # a SQLAlchemy URL of a new, empty database
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

PG_SERVER = os.environ.get("PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _admin():
    import psycopg

    dsn = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    return psycopg.connect(dsn, autocommit=True)


def create_database(name: str) -> str:
    """Create the database ``name`` (made by ``new_name``, never input); its URL."""
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def drop_database(name: str) -> None:
    with _admin() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def new_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


@contextmanager
def scratch_database(prefix: str, *, keep: bool = False) -> Iterator[str]:
    """A new database's URL for the ``with`` block; dropped afterwards unless ``keep``."""
    name = new_name(prefix)
    url = create_database(name)
    try:
        yield url
    finally:
        if not keep:
            drop_database(name)
