"""Trend alerts and share of voice on PostgreSQL: the same counts, one spike alert, the same shares."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.report.voice import share_of_voice
from crawlers.state import sync_config
from pipeline.models import Source
from pipeline.store import open_engine
from tests.alerts.helpers import T0, Store, joes, settings_for
from tests.alerts.test_trends import today, trend_posts, with_history
from tests.postgres import fresh_database


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A database of this test's own on the session's server, dropped afterwards."""
    with fresh_database(postgres_url, "mentionwatch_trends") as url:
        yield url


def test_a_spike_and_share_of_voice_on_postgresql(database, slack):
    rival = {"name": "Donut Palace", "sources": [{"type": "feed", "url": "https://news.example.com/rival.xml"}]}
    settings = settings_for(slack.api_url, [joes(competitors=[rival])])
    engine = open_engine(database)  # migrated to the head, 0009 included
    try:
        with Session(engine) as session, session.begin():
            sync_config(session, settings)
            for source in session.scalars(select(Source)):
                source.first_crawled_at = T0 - timedelta(days=30)
        s = Store(engine, settings, Console(file=io.StringIO(), width=200))
        with_history(s)
        today(s, 14, aspects=["service"])
        rival_source = s.source_id("Donut Palace")
        for n in range(20):  # a busier day for the competitor: never its alert
            s.add("Donut Palace", due=False, source=rival_source, published_at=T0 - timedelta(minutes=n + 1),
                  first_seen_at=T0 - timedelta(minutes=1))

        s.cycle(T0)
        s.cycle(T0 + timedelta(hours=1))
        spikes = trend_posts(slack, "Spike:")
        assert [m["text"].split(":")[1].strip() for m in spikes] == ["Joe's Donuts"]

        with Session(engine) as session:
            voices = share_of_voice(session, settings.businesses[0], T0 - timedelta(hours=12), T0 + timedelta(days=1))
        assert [(v.name, v.mentions, v.negative) for v in voices] == [("Joe's Donuts", 14, 14), ("Donut Palace", 20, 20)]
        assert round(voices[1].share, 3) == round(20 / 34, 3)
    finally:
        engine.dispose()
