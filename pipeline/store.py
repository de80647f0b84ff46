"""Opening the store: engine, automatic migrations, sessions."""

from __future__ import annotations

import logging
import os
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, false, inspect, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.dburl import safe_url, without_passwords
from pipeline.dialect import (
    POSTGRES_LOCK_SECONDS,
    SQLITE_BUSY_SECONDS,
    ensure_fulltext,
    prepare_engine,
)
from pipeline.errors import StoreError
from pipeline.models import Run

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine_connection: object | None = None) -> AlembicConfig:
    """Alembic's configuration for this package's migrations (no alembic.ini needed)."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = engine_connection
    return cfg


_opened: list[str] = []
"""The URL of the database this process opened last, to name it when a later statement fails."""


def open_engine(url: str, *, writable: bool = False) -> Engine:
    """An engine for `url` with the schema brought up to date, so upgrades keep user data.

    Never creates a missing folder. `writable` (run, check) also proves that it can write: a
    read-only file or a locked database is then an error here, before any work, not halfway.
    """
    _check_location(url, writable)
    _create_private(url)
    try:
        engine = create_engine(url)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(without_passwords(f"cannot use database {safe_url(url)}: {exc}", url)) from None
    prepare_engine(engine)
    _opened[:] = [url]
    try:
        with engine.begin() as connection:
            upgrade(connection)
            ensure_fulltext(connection)
        if writable:
            with engine.begin() as connection:
                prove_writable(connection)
    except SQLAlchemyError as exc:
        log.debug("opening the database failed", exc_info=True)
        engine.dispose()
        raise StoreError(describe_database_error(exc, url)) from None
    return engine


def upgrade(connection: Connection) -> None:
    """Bring the schema to the newest migration; a store already there costs two small queries.

    Alembic's machinery (its script directory, every migration module, Mako) is loaded only when
    there is something to migrate: most commands open a store that is up to date.
    """
    if stored_revisions(connection) == migration_heads():
        return
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


def stored_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the store says it is at (Alembic's version table); none for a new store."""
    if not inspect(connection).has_table("alembic_version"):
        return frozenset()
    return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())


_REVISION_LINE = re.compile(r"^(down_)?revision\b[^=\n]*=(.*)$", re.MULTILINE)


@cache
def migration_heads() -> frozenset[str]:
    """The newest revisions of the shipped migrations, read from their files without Alembic.

    A revision no other migration names as its `down_revision` is a head. Reading the files can
    only make the store look out of date, never up to date when it is not: any doubt sends the
    store through Alembic's own upgrade, which decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for down, value in _REVISION_LINE.findall(path.read_text(encoding="utf-8")):
            (parents if down else revisions).update(re.findall(r"""['"]([^'"]+)['"]""", value))
    return frozenset(revisions - parents)


def _sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().absolute()


def _create_private(url: str) -> None:
    """Create a missing SQLite file readable by its owner only (0600), before SQLite would create it
    world-readable: it holds password and session hashes and the encrypted refresh token. SQLite
    gives its -wal and -shm files the database file's permissions."""
    try:
        path = _sqlite_file(url)
    except Exception:  # noqa: BLE001 - create_engine reports an unparseable URL
        return
    if path is None or path.exists() or not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process created it meanwhile
        pass
    except OSError:  # a folder we cannot write to: SQLite says so in its own words
        pass


def _check_location(url: str, writable: bool) -> None:
    """An SQLite file's folder must exist (it is never created) and, to write, be writable."""
    try:
        path = _sqlite_file(url)
    except Exception:  # noqa: BLE001 - create_engine reports an unparseable URL
        return
    if path is None:
        return
    folder = path.parent
    if not folder.is_dir():
        raise StoreError(f"the database folder {folder} does not exist: create it (mkdir -p {folder}) "
                         "or change `database:` in config.yaml")
    if not writable:
        return
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(f"the database file {path} is read-only: make it writable (chmod u+w {path}) "
                         "or change `database:` in config.yaml")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"the database folder {folder} is not writable (SQLite keeps its journal beside "
                         "the file): make it writable or change `database:` in config.yaml")


def prove_writable(connection: Connection) -> None:
    """Take the database's write lock and change nothing: fails on a read-only or locked database."""
    connection.execute(update(Run).where(false()).values(errors=None))


def describe_database_error(exc: BaseException, url: str | None = None) -> str:
    """One line for a database failure: which file or server, what happened, what to do.

    A driver's message may quote the URL: its passwords are masked."""
    url = url or (_opened[0] if _opened else None)
    line = _describe(exc, url)
    return without_passwords(line, url) if url else line


def _describe(exc: BaseException, url: str | None) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    lowered = text.lower()
    path = _sqlite_file(url) if url else None
    if path is not None:
        if "locked" in lowered:
            return (f"the database {path} stayed locked by another program for {SQLITE_BUSY_SECONDS} s: "
                    "try again when it is done (another mentionwatch command, or a tool like sqlite3 with "
                    "the file open)")
        if "readonly" in lowered or "read-only" in lowered:
            return f"the database file {path} is read-only: make it and its folder writable"
        if "unable to open" in lowered:
            return f"cannot open the database file {path}: check that it exists and can be read"
        if "disk i/o" in lowered or "full" in lowered:
            return f"the database file {path} cannot be written ({text}): check the disk"
        return f"the database {path}: {text.splitlines()[0] if text else type(orig).__name__}"
    where = _server(url) if url else "the database"
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (f"the PostgreSQL server {where} refused the user name or password: check them in "
                "`database:` in config.yaml (or the variable it names)")
    if "lock timeout" in lowered:
        return (f"a table in the PostgreSQL database {where} stayed locked by another session for "
                f"{POSTGRES_LOCK_SECONDS} s: try again when it is done")
    if "connection refused" in lowered or "could not connect" in lowered or "connection failed" in lowered \
            or "timeout expired" in lowered or "could not translate host" in lowered:
        return (f"cannot connect to the PostgreSQL server {where}: is it running, and is `database:` in "
                "config.yaml right?")
    if 'database "' in lowered and "does not exist" in lowered:
        return f"{text.splitlines()[0]} on the PostgreSQL server {where}: create it (createdb) or fix `database:`"
    first = text.splitlines()[0] if text else type(orig).__name__
    return f"the database {where}: {type(orig).__name__}: {first}"


def _server(url: str) -> str:
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        return "(unparseable URL)"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


