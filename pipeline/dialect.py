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
    """INSERT … ON CONFLICT DO NOTHING: re-crawls stay idempotent even if two writers race.

    On SQLite, many rows go in as multi-row INSERTs (SQLAlchemy's "insertmanyvalues"; the
    RETURNING clause, whose rows nobody reads, is what makes it batch an upsert) instead of one
    statement a row: SQLite runs the full-text trigger's FTS5 insert as a statement of its own
    for each statement, which writes the index out every time (a 1,000-row batch of mentions
    costs about a third as much in one statement as in 1,000). PostgreSQL keeps psycopg's own
    executemany, which is faster there (10,000 mentions: 1.05 s against 2.6 s).
    """
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    statement = sqlite.insert(table).on_conflict_do_nothing()
    if not engine.dialect.insert_returning:  # SQLite before 3.35: one statement a row
        return statement
    return statement.returning(*table.primary_key.columns)


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


# --------------------------------------------------------------------------- full-text search
#
# Mentions are searched with each database's own engine: SQLite's FTS5 and PostgreSQL's
# tsvector. Both live in a side table the models do not describe (SQLite's is a virtual table),
# kept in step with `mentions` by triggers, so every writer (the pipeline, a migration, a hand
# edit) updates the index without knowing it exists.

# The side tables (and FTS5's own shadow tables), which autogenerate must not compare.
FULLTEXT_TABLE = "mentions_fts"
_FTS5_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")

_SQLITE_FULLTEXT = [
    # External content: the text stays in `mentions`; the index holds only the terms.
    # unicode61 with diacritics removed finds "cafe" in "café"; no stemming, as mentions are in
    # many languages.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FULLTEXT_TABLE} USING fts5(title, text, content='mentions', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS {FULLTEXT_TABLE}_ai AFTER INSERT ON mentions BEGIN "
    f"INSERT INTO {FULLTEXT_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    f"CREATE TRIGGER IF NOT EXISTS {FULLTEXT_TABLE}_ad AFTER DELETE ON mentions BEGIN "
    f"INSERT INTO {FULLTEXT_TABLE}({FULLTEXT_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "END",
    f"CREATE TRIGGER IF NOT EXISTS {FULLTEXT_TABLE}_au AFTER UPDATE OF title, text ON mentions BEGIN "
    f"INSERT INTO {FULLTEXT_TABLE}({FULLTEXT_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    f"INSERT INTO {FULLTEXT_TABLE}(rowid, title, text) VALUES (new.id, new.title, new.text); END",
]
_SQLITE_REBUILD = f"INSERT INTO {FULLTEXT_TABLE}({FULLTEXT_TABLE}) VALUES ('rebuild')"

# PostgreSQL: a configuration of our own, 'simple' (no stemming, no stop words) for the same
# reason, with accents folded by the unaccent extension where the server has it.
_PG_CONFIG = "mentionwatch_search"
# The parser of to_tsvector reads `<...>` as an HTML tag and leaves its words out ("<script>alert(1)
# </script>" held no "alert"); the brackets become spaces, so every word is found, as in FTS5.
_PG_TEXT = "translate(coalesce({row}title, '') || ' ' || coalesce({row}text, ''), '<>', '  ')"
_PG_DOCUMENT = f"to_tsvector('{_PG_CONFIG}', {_PG_TEXT.format(row='NEW.')})"
_PG_FULLTEXT = [
    f"""DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{_PG_CONFIG}') THEN
        CREATE TEXT SEARCH CONFIGURATION {_PG_CONFIG} (COPY = simple);
      END IF;
    END $$""",
    f"CREATE TABLE IF NOT EXISTS {FULLTEXT_TABLE} (mention_id integer PRIMARY KEY "
    "REFERENCES mentions(id) ON DELETE CASCADE, document tsvector NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS ix_{FULLTEXT_TABLE}_document ON {FULLTEXT_TABLE} USING gin (document)",
    f"""CREATE OR REPLACE FUNCTION {FULLTEXT_TABLE}_sync() RETURNS trigger AS $$
    BEGIN
      INSERT INTO {FULLTEXT_TABLE} (mention_id, document) VALUES (NEW.id, {_PG_DOCUMENT})
      ON CONFLICT (mention_id) DO UPDATE SET document = EXCLUDED.document;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {FULLTEXT_TABLE}_sync ON mentions",
    f"CREATE TRIGGER {FULLTEXT_TABLE}_sync AFTER INSERT OR UPDATE OF title, text ON mentions "
    f"FOR EACH ROW EXECUTE FUNCTION {FULLTEXT_TABLE}_sync()",
]
_PG_UNACCENT = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"ALTER TEXT SEARCH CONFIGURATION {_PG_CONFIG} ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
]
_PG_REBUILD = (f"INSERT INTO {FULLTEXT_TABLE} (mention_id, document) SELECT id, to_tsvector('{_PG_CONFIG}', "
               f"{_PG_TEXT.format(row='')}) FROM mentions ON CONFLICT (mention_id) DO NOTHING")
_PG_REINDEX_BRACKETS = (f"UPDATE {FULLTEXT_TABLE} SET document = to_tsvector('{_PG_CONFIG}', "
                        f"{_PG_TEXT.format(row='m.')}) FROM mentions m WHERE m.id = {FULLTEXT_TABLE}.mention_id "
                        "AND (m.title ~ '[<>]' OR m.text ~ '[<>]')")


def is_fulltext_table(name: str | None) -> bool:
    """Whether `name` is a table of the full-text index (not described by the models)."""
    return bool(name) and (name == FULLTEXT_TABLE or name in {FULLTEXT_TABLE + s for s in _FTS5_SHADOWS})


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic's name filter: leave the full-text index out of autogenerate's comparison."""
    return not (type_ == "table" and is_fulltext_table(name))


def create_fulltext(connection: Any) -> None:
    """Create the full-text index, its triggers, and index the mentions already stored."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    if connection.dialect.name != "postgresql":
        for statement in _SQLITE_FULLTEXT:
            connection.execute(text(statement))
        connection.execute(text(_SQLITE_REBUILD))
        return
    for statement in _PG_FULLTEXT:
        connection.execute(text(statement))
    try:
        with connection.begin_nested():
            for statement in _PG_UNACCENT:
                connection.execute(text(statement))
    except DBAPIError as exc:  # no contrib package, or no right to add extensions: accents then count
        import logging

        logging.getLogger(__name__).warning("full-text search will not fold accents: %s", exc.orig)
    connection.execute(text(_PG_REBUILD))


def reindex_bracketed_words(connection: Any) -> None:
    """PostgreSQL: the index function that keeps words written between < and > (migration 0018), and
    the mentions holding such brackets indexed again with it. Nothing to do on SQLite."""
    from sqlalchemy import text

    if connection.dialect.name == "postgresql":
        connection.execute(text(next(s for s in _PG_FULLTEXT if "CREATE OR REPLACE FUNCTION" in s)))
        connection.execute(text(_PG_REINDEX_BRACKETS))


def drop_fulltext(connection: Any) -> None:
    """Remove the full-text index and its triggers (the migration's downgrade)."""
    from sqlalchemy import text

    if connection.dialect.name == "postgresql":
        statements = [f"DROP TRIGGER IF EXISTS {FULLTEXT_TABLE}_sync ON mentions",
                      f"DROP FUNCTION IF EXISTS {FULLTEXT_TABLE}_sync()", f"DROP TABLE IF EXISTS {FULLTEXT_TABLE}",
                      f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {_PG_CONFIG}"]
    else:
        statements = [f"DROP TRIGGER IF EXISTS {FULLTEXT_TABLE}_{t}" for t in ("ai", "ad", "au")]
        statements.append(f"DROP TABLE IF EXISTS {FULLTEXT_TABLE}")
    for statement in statements:
        connection.execute(text(statement))


def ensure_fulltext(connection: Any) -> None:
    """Put back the SQLite triggers if a later migration recreated `mentions` (batch mode drops them).

    Alembic's batch mode copies a table to change it, and SQLite drops a table's triggers with
    it; the index is then rebuilt, since writes in between were not indexed.
    """
    from sqlalchemy import text

    if connection.dialect.name != "sqlite":
        return
    have = connection.execute(text(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE :pattern"),
        {"pattern": f"{FULLTEXT_TABLE}_a%"}).scalar()
    exists = connection.execute(text("SELECT count(*) FROM sqlite_master WHERE name = :name"),
                                {"name": FULLTEXT_TABLE}).scalar()
    if exists and have < 3:
        create_fulltext(connection)


def fulltext_join(query: Any, dialect_name: str, mention_id: Any, words: list[str]) -> tuple[Any, Any]:
    """`query` joined to the full-text index, keeping mentions that hold every word (`word*`: a prefix).

    Returns the query and the index's own mention id column: order and page by it, so the engine
    walks its index newest first and stops after a page, rather than collecting every match
    (SQLite's FTS5 reads its rowids in either order; `IN (SELECT ...)` would gather all of them).
    `words` are runs of letters and digits (see `search_words`), passed as a bound parameter and
    quoted for the engine's own query language, so nothing a person types is a syntax error.
    """
    from sqlalchemy import column, table, text

    if dialect_name == "postgresql":
        index = table(FULLTEXT_TABLE, column("mention_id"))
        key = index.c.mention_id
        query_text = " & ".join(f"'{w.rstrip('*')}'" + (":*" if w.endswith("*") else "") for w in words)
        condition = text(f"{FULLTEXT_TABLE}.document @@ to_tsquery('{_PG_CONFIG}', :fulltext)")
    else:
        index = table(FULLTEXT_TABLE, column("rowid"))
        key = index.c.rowid
        query_text = " ".join(f'"{w.rstrip("*")}"' + ("*" if w.endswith("*") else "") for w in words)
        condition = text(f"{FULLTEXT_TABLE} MATCH :fulltext")
    return query.join(index, key == mention_id).where(condition.bindparams(fulltext=query_text)), key


def search_words(query: str) -> list[str]:
    """The words of a search box's text, as both engines' tokenizers split them (at most 10).

    A word typed with a trailing `*` matches as a prefix (`refund*` finds "refunded"). Plain words
    match whole words only: a prefix search reads every word that starts so, which on a million
    mentions costs tens of milliseconds for a common word.
    """
    import re

    return re.findall(r"\w+\*?", query.lower())[:10]


# --------------------------------------------------------------------------- time buckets

HOUR, MINUTE = "hour", "minute"
_BUCKET_FORMATS = {HOUR: ("YYYY-MM-DD HH24", 13), MINUTE: ("YYYY-MM-DD HH24:MI", 16)}


def utc_bucket(dialect_name: str, column: Any, unit: str = HOUR) -> Any:
    """The UTC hour (or minute) a stored time falls in, as text 'YYYY-MM-DD HH' ('... HH:MM').

    Counts grouped by it are folded into a business's own calendar days in Python (a time zone is
    config, not data). SQLite stores times as UTC text, so a prefix is the bucket; PostgreSQL's
    timestamptz is formatted in UTC whatever the session's zone.
    """
    from sqlalchemy import func

    pattern, length = _BUCKET_FORMATS[unit]
    if dialect_name == "postgresql":
        return func.to_char(func.timezone("UTC", column), pattern)
    return func.substr(column, 1, length)
