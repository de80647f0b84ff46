"""Everything that differs between SQLite and PostgreSQL lives here, and only here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


SQLITE_BUSY_SECONDS = 30
"""How long an SQLite statement waits for another program's write lock before it fails."""
POSTGRES_LOCK_SECONDS = 30
"""How long a PostgreSQL statement waits for a lock (a table locked by another session)."""


def prepare_engine(engine: Engine) -> None:
    """Per-connection settings a backend needs to behave like the other."""
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _postgres_lock_timeout(dbapi_connection: Any, _record: Any) -> None:
            # Without it a table lock held by another session makes a run wait without limit.
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET lock_timeout = '{POSTGRES_LOCK_SECONDS}s'")
            cursor.close()
            dbapi_connection.commit()

        return
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless asked; WAL lets `mentions` read while a run writes;
        # busy_timeout waits for a writer instead of failing at once.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.close()


def insert_ignoring_conflicts(engine: Engine, table: Table) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: re-crawls stay idempotent even if two writers race."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def advisory_lock_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock named `name`."""
    import hashlib

    return int.from_bytes(hashlib.sha256(f"mentionwatch:{name}".encode()).digest()[:8], "big", signed=True)


def try_advisory_lock(connection: Any, name: str) -> bool:
    """PostgreSQL: take the session-level advisory lock `name` if free; True when taken.

    Held until `advisory_unlock` or until the connection closes (so a crashed run frees it),
    and shared by every machine using the database, which a lock file is not.
    """
    from sqlalchemy import text

    taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_lock_key(name)}).scalar()
    connection.commit()
    return bool(taken)


def advisory_unlock(connection: Any, name: str) -> None:
    """PostgreSQL: release the advisory lock `name` taken by `try_advisory_lock`."""
    from sqlalchemy import text

    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_lock_key(name)})
    connection.commit()
