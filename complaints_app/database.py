"""Database behaviour that must hold on every connection."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from complaints_app.extensions import db
from complaints_app.private_files import create_private_file


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Foreign keys are off by default in SQLite; secure_delete overwrites purged personal data.
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA journal_mode")
    mode = cursor.fetchone()
    if mode and mode[0] not in ("memory", "wal"):
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def sqlite_file(uri: str) -> str | None:
    """The file an SQLite URI names, or None for an in-memory or non-file database."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def init_app(app: Flask) -> None:
    """Set SQLite pragmas on every new connection and roll back whatever a request left."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            path = sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
            if path is not None:
                # Made here, owner-only, before SQLite would create it with the umask's
                # mode; SQLite gives its -wal and -shm files the database file's mode.
                create_private_file(path)
