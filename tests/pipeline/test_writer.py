"""The writer stores a batch as multi-row INSERTs: every row once, its counts and its full-text entry."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.dialect import fulltext_join
from pipeline.models import Business, Mention, MentionDay, Source
from pipeline.record import MentionRecord, add_dedup_keys
from pipeline.store import open_engine
from pipeline.writer import AlertPolicy, MentionWriter
from tests.postgres import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'store.db'}"
        else:
            url = stack.enter_context(fresh_database(request.getfixturevalue("postgres_url"), "mentionwatch_writer"))
        engine = open_engine(url)
        stack.callback(engine.dispose)
        with Session(engine) as session, session.begin():
            session.add(Business(id=1, name="Joe's Donuts"))
            session.add(Source(id=1, business_id=1, type="feed", identity="feed:x", http_validators={}, cursor={}))
        yield engine


def records(numbers: range) -> list[MentionRecord]:
    made = []
    for i in numbers:
        record = MentionRecord(
            business="Joe's Donuts", source_id=1, source_type="feed", url=f"https://news.example.com/{i}",
            title=f"Visit number {i}", text=f"Joe's Donuts served a marmalade cruller on visit {i}.",
            author=None, published_at=datetime(2026, 11, 1 + i % 20, tzinfo=UTC), rating=None)
        add_dedup_keys(record)
        made.append(record)
    return made


def search(engine, word: str) -> set[str]:
    with Session(engine) as session:
        query, _ = fulltext_join(select(Mention.url), engine.dialect.name, Mention.id, [word])
        return set(session.scalars(query))


def test_a_batch_partly_stored_meanwhile_is_written_once_and_every_row_is_searchable(engine):
    policy = AlertPolicy(max_age_days=36500)
    ours, racing = (MentionWriter(engine, {"Joe's Donuts": 1}, policy) for _ in range(2))
    batch = records(range(2500))  # more rows than one INSERT statement carries
    triaged = ours.triage(batch)
    racing.write(racing.triage(records(range(1000, 1010))))  # another writer stores ten of them first

    ours.write(triaged)

    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Mention)) == 2500
        assert session.scalar(select(func.count(func.distinct(Mention.canonical_url)))) == 2500
        assert session.scalar(select(func.sum(MentionDay.mentions))) == 2500  # the trend counts too
    found = search(engine, "marmalade")
    assert len(found) == 2500 and f"https://news.example.com/{2499}" in found
    assert search(engine, "cruller*") == found
