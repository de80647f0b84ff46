"""The run lock: overlapping cron runs must never crawl or post twice.

Two layers: an OS file lock per database (beside an SQLite file, else in the temp folder), and,
for PostgreSQL, an advisory lock in the database itself, which also holds between machines that
share the database. `run` and `report` have separate locks, so a report due at the same minute as
a run is not skipped.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from pipeline.errors import AlreadyRunning, StoreError

RUN = "run"


def lock_path(database_url: str, name: str = RUN) -> Path:
    """One lock per database and purpose: beside an SQLite file, else in the temp folder, named by the URL."""
    url = make_url(database_url)
    suffix = ".lock" if name == RUN else f".{name}.lock"
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database + suffix)
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"mentionwatch-{digest}{suffix}"


@contextmanager
def run_lock(database_url: str, name: str = RUN) -> Iterator[None]:
    """Hold an exclusive lock for the database, or raise AlreadyRunning at once.

    An OS-level lock is released by the kernel when the process dies, and an advisory lock when
    its connection ends, so a crashed run never leaves a stale lock behind.
    """
    what = "run" if name == RUN else name
    path = lock_path(database_url, name)
    if not path.parent.is_dir():  # never created: a typo in `database:` must not make folders
        raise StoreError(f"the database folder {path.parent.absolute()} does not exist: create it "
                         f"(mkdir -p {path.parent.absolute()}) or change `database:` in config.yaml")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"another mentionwatch {what} holds {path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        with _database_lock(database_url, name, what):
            yield
    finally:
        os.close(fd)


@contextmanager
def _database_lock(database_url: str, name: str, what: str) -> Iterator[None]:
    """PostgreSQL's advisory lock, for runs on several machines; nothing for SQLite."""
    if make_url(database_url).get_backend_name() != "postgresql":
        yield
        return
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from pipeline.dialect import advisory_unlock, try_advisory_lock

    engine = create_engine(database_url, poolclass=NullPool)
    try:
        connection = engine.connect()
        taken = try_advisory_lock(connection, name)
    except SQLAlchemyError as exc:
        engine.dispose()
        from pipeline.store import describe_database_error

        raise StoreError(describe_database_error(exc, database_url)) from None
    try:
        if not taken:
            raise AlreadyRunning(f"another mentionwatch {what} holds the database's advisory lock")
        yield
        advisory_unlock(connection, name)
    finally:
        connection.close()
        engine.dispose()
