"""The run lock: overlapping cron runs must never crawl or post twice."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from mentionwatch.errors import AlreadyRunning


def lock_path(database_url: str) -> Path:
    """One lock per database: beside an SQLite file, else in the temp folder, named by the URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database + ".lock")
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"mentionwatch-{digest}.lock"


@contextmanager
def run_lock(database_url: str) -> Iterator[None]:
    """Hold an exclusive lock for the database, or raise AlreadyRunning at once.

    An OS-level lock is released by the kernel when the process dies, so a crashed run never
    leaves a stale lock behind.
    """
    path = lock_path(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"another mentionwatch run holds {path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)
