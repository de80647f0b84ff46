"""The inbox and the mentions page read the same on SQLite and PostgreSQL: filters, full-text search, pages."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pipeline.models import Mention
from pipeline.store import open_engine
from respond import actions
from respond.web import listing
from tests.web.conftest import seed_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty store: an SQLite file, or a database of its own on the session's PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"web_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def ids(page: listing.Page) -> list[int]:
    return [row.mention.id for row in page.rows]


def test_search_filters_and_the_inbox_agree_on_both_databases(database):
    engine, known = seed_engine(database)
    with Session(engine) as session:
        def search(**values: str) -> list[int]:
            return ids(listing.mentions_page(session, listing.Filters(**values)))

        assert search(q="refund") == [known["rude"]]
        assert search(q="Café") == search(q="cafe") == [known["love"]]
        assert search(q="poison") == [] and search(q="poison*") == [known["sick"]]
        assert search(q='"); DROP TABLE mentions; --') == []
        # Words between < and > are words too (PostgreSQL's parser took them for an HTML tag).
        assert search(q="script") == search(q="img") == [known["hostile"]]
        assert search(q="joe's donuts", label="positive") == [known["love"]]
        assert search(handled="no", label="negative") == [known["rude"], known["hostile"], known["sick"]]
        assert ids(listing.inbox_page(session)) == [known["sick"], known["rude"], known["hostile"]]

        # The index follows edits and deletions (triggers), whoever makes them.
        session.get(Mention, known["shop"]).text = "Now they give refunds at the counter."
        session.commit()
        assert search(q="refunds") == [known["shop"]]
        actions.handle(session, known["sick"], by="dana", via="web")
        session.delete(session.get(Mention, known["rude"]))
        session.commit()
        assert search(q="refund") == []
        assert ids(listing.inbox_page(session)) == [known["hostile"]]
    engine.dispose()


def test_pages_follow_each_other_without_gaps_or_repeats(database, monkeypatch):
    monkeypatch.setattr(listing, "PAGE", 2)
    engine, known = seed_engine(database)
    with Session(engine) as session:
        seen, cursor = [], ""
        while True:
            page = listing.mentions_page(session, listing.Filters(q="joe's", before=cursor))
            seen += ids(page)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == sorted(known.values(), reverse=True)
        inbox, cursor = [], ""
        while True:
            page = listing.inbox_page(session, cursor)
            inbox += ids(page)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert inbox == [known["sick"], known["rude"], known["hostile"]]
        with pytest.raises(listing.FilterError):
            listing.mentions_page(session, listing.Filters(before="x"))
    engine.dispose()



def test_date_filters_take_whole_days_even_when_ids_and_days_disagree(database, monkeypatch):
    monkeypatch.setattr(listing, "PAGE", 2)  # the answers span pages
    engine, known = seed_engine(database)
    found = {"sick": "2026-11-01T10:00", "shop": "2026-11-02T09:00", "hostile": "2026-11-02T23:30",
             "love": "2026-11-03T08:00",
             "rude": "2026-10-30T12:00"}  # the newest id, found first (a backfill): the bound must not cut it
    with Session(engine) as session:
        for name, when in found.items():
            session.get(Mention, known[name]).first_seen_at = datetime.fromisoformat(when).replace(tzinfo=UTC)
        session.commit()

        def dated(**values: str) -> list[int]:
            seen, cursor = [], ""
            while True:
                page = listing.mentions_page(session, listing.Filters(before=cursor, **values))
                seen += ids(page)
                if page.next_cursor is None:
                    return seen
                cursor = page.next_cursor

        by_id = sorted(known.values(), reverse=True)  # rude, love, hostile, shop, sick
        assert dated(until="2026-11-02") == [i for i in by_id if i not in (known["love"],)]
        assert dated(since="2026-11-02", until="2026-11-02") == [known["hostile"], known["shop"]]
        assert dated(since="2026-11-03") == [known["love"]]
        assert dated(until="2026-10-29") == []
        # Dates early and late in the span: the list starts at the period's newest mention, or
        # walks down from the newest of all.
        assert dated(until="2026-10-30") == [known["rude"]]
        assert dated(until="2026-11-01") == [known["rude"], known["sick"]]
        assert listing._recent(session, datetime(2026, 11, 3, tzinfo=UTC))
        assert not listing._recent(session, datetime(2026, 11, 1, tzinfo=UTC))
        with pytest.raises(listing.FilterError, match="not a date"):
            dated(until="2026-13-01")
    engine.dispose()


def test_aspect_and_language_filters(database):
    engine, known = seed_engine(database)
    with Session(engine) as session:
        session.get(Mention, known["rude"]).aspects = ["service and staff", "price and billing"]
        session.get(Mention, known["sick"]).aspects = ["safety"]
        session.get(Mention, known["love"]).language = "en"
        session.get(Mention, known["shop"]).language = "es"
        session.commit()

        def search(**values: str) -> list[int]:
            return ids(listing.mentions_page(session, listing.Filters(**values)))

        assert search(aspect="price and billing") == [known["rude"]]
        assert search(aspect="safety") == [known["sick"]]
        assert search(aspect="delivery") == []
        assert search(language="es") == [known["shop"]]
        assert search(aspect="100%_") == []  # LIKE's wildcards are taken literally
    engine.dispose()

def test_search_survives_a_later_migration_that_copies_the_mentions_table(tmp_path):
    # Alembic's batch mode on SQLite copies a table to change it, which drops its triggers;
    # opening the store puts them back and re-indexes what was written in between.
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine, known = seed_engine(url)
    with engine.begin() as connection:
        with Operations(MigrationContext.configure(connection)).batch_alter_table("mentions", recreate="always"):
            pass
    with Session(engine) as session:
        session.get(Mention, known["shop"]).text = "Refunds at the counter now."
        session.commit()
    engine.dispose()
    engine = open_engine(url)
    with Session(engine) as session:
        assert ids(listing.mentions_page(session, listing.Filters(q="refunds"))) == [known["shop"]]
        assert ids(listing.mentions_page(session, listing.Filters(q="main"))) == []
        session.get(Mention, known["love"]).text = "Refunds too."
        session.commit()
        assert ids(listing.mentions_page(session, listing.Filters(q="refunds"))) == [known["love"], known["shop"]]
    engine.dispose()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_postgresql_store_indexed_before_0018_finds_words_between_brackets_once_opened(database):
    # Index the mentions as a store of 0017 did (the brackets' words left out), then open it again.
    engine = open_engine(database)
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE OR REPLACE FUNCTION mentions_fts_sync() RETURNS trigger AS $$ BEGIN "
            "INSERT INTO mentions_fts (mention_id, document) VALUES (NEW.id, to_tsvector('mentionwatch_search', "
            "coalesce(NEW.title, '') || ' ' || coalesce(NEW.text, ''))) "
            "ON CONFLICT (mention_id) DO UPDATE SET document = EXCLUDED.document; RETURN NULL; END $$ LANGUAGE plpgsql"))
    engine.dispose()
    engine, known = seed_engine(database)
    with Session(engine) as session:
        assert ids(listing.mentions_page(session, listing.Filters(q="script"))) == []
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0017'"))
    engine.dispose()
    engine = open_engine(database)
    with Session(engine) as session:
        assert ids(listing.mentions_page(session, listing.Filters(q="script"))) == [known["hostile"]]
        assert ids(listing.mentions_page(session, listing.Filters(q="refund"))) == [known["rude"]]
    engine.dispose()
