"""Database behaviour that must hold on every connection."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from complaints_app.extensions import db
from complaints_app.private_files import create_private_file


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling starts a transaction only at the first INSERT or
    # UPDATE, so a request's reads (the last sequence number of a chain, say) happen outside
    # it and two processes can read the same value. Turn that off; _begin_immediate below
    # opens every transaction itself (SQLAlchemy's pysqlite recipe).
    dbapi_connection.isolation_level = None
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


def _begin_immediate(connection) -> None:
    # IMMEDIATE takes SQLite's write lock at BEGIN (waiting up to busy_timeout for it), so what
    # a transaction reads cannot change before it writes: SQLite's stand-in for the row locks
    # (SELECT … FOR UPDATE) that it ignores. A connection asked for AUTOCOMMIT (for PRAGMAs
    # that refuse to run in a transaction, such as wal_checkpoint) gets no transaction.
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    driver = connection.connection.driver_connection
    if driver.isolation_level is not None:
        # Handing back an AUTOCOMMIT connection restores pysqlite's own handling: undo that.
        driver.isolation_level = None
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    """On SQLite: set the pragmas on every new connection and begin every transaction with
    BEGIN IMMEDIATE, so concurrent writers queue instead of both reading the same state."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _begin_immediate)
            path = sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
            if path is not None:
                # Made here, owner-only, before SQLite would create it with the umask's
                # mode; SQLite gives its -wal and -shm files the database file's mode.
                create_private_file(path)
