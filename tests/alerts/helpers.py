"""A real SQLite store with businesses, sources and mentions written straight to it, for the alerts'
in-process tests (the crawl is not what they test; the CLI tests cover the whole path)."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from alerts.cycle import DeliveryResult, after_crawl
from crawlers.state import sync_config
from mentionwatch.config import Settings
from pipeline.models import AlertMessage, Business, Mention, Source
from pipeline.store import open_engine
from respond.reactions import read_reactions

TOKEN = "xoxb-test-token"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)  # a Monday
_urls = itertools.count(1)


def settings_for(slack_api: str | None = None, businesses: list[dict[str, Any]] | None = None,
                 **sections: Any) -> Settings:
    """Settings as config.yaml would give them; posts paced at 0.05 s so tests stay fast."""
    slack = {"token": TOKEN, "api_url": slack_api, "post_interval": 0.05} if slack_api else {}
    slack.update(sections.pop("slack", {}))
    data = {
        "database": "sqlite:///unused.db",
        "slack": slack,
        "businesses": businesses or [joes()],
        **sections,
    }
    return Settings.model_validate(data)


def joes(**extra: Any) -> dict[str, Any]:
    return {"name": "Joe's Donuts", "keywords": ["Joe's Donuts", "Joes Donuts"],
            "sources": [{"type": "feed", "url": "https://news.example.com/joes.xml"}], **extra}


@dataclass
class Store:
    engine: Engine
    settings: Settings
    console: Console

    def source_id(self, business: str = "Joe's Donuts") -> int:
        with Session(self.engine) as session:
            return session.scalars(
                select(Source.id).join(Business, Business.id == Source.business_id).where(Business.name == business)
                .order_by(Source.id)
            ).first()  # type: ignore[return-value]

    def add(self, business: str = "Joe's Donuts", *, label: str = "negative", sentiment: float = -0.6,
            due: bool = True, urgent: bool = False, title: str | None = None, text: str | None = None,
            published_at: datetime | None = T0, first_seen_at: datetime = T0, source: int | None = None,
            **extra: Any) -> int:
        """Store one mention as the pipeline would; return its id."""
        n = next(_urls)
        with Session(self.engine) as session, session.begin():
            source = source or self.source_id(business)
            source_type = session.get(Source, source).type  # type: ignore[union-attr]
            business_id = session.scalar(select(Business.id).where(Business.name == business))
            mention = Mention(
                business_id=business_id, source_id=source, source_type=source_type,
                url=f"https://news.example.com/story-{n}", canonical_url=f"https://news.example.com/story-{n}",
                fingerprint=f"fp{n}", content_hash=f"h{n}",
                title=title or f"Story {n} about Joe's Donuts",
                text=text or f"Something happened at Joe's Donuts (story {n}). It was bad.",
                published_at=published_at, first_seen_at=first_seen_at, sentiment=sentiment, label=label,
                urgent=urgent, urgent_phrases="food poisoning" if urgent else None, alert_due=due,
                rating_conflict=False, alert_attempts=0, **extra,
            )
            session.add(mention)
            session.flush()
            return mention.id

    def cycle(self, now: datetime = T0, **kwargs: Any) -> DeliveryResult:
        """What a run does after its crawl, at time `now`."""
        kwargs.setdefault("read_reactions", read_reactions)  # as `mentionwatch run` composes it
        return after_crawl(self.settings, self.engine, self.console, clock=lambda: now, **kwargs)

    def mention(self, mention_id: int) -> Mention:
        with Session(self.engine, expire_on_commit=False) as session:
            mention = session.get(Mention, mention_id)
            assert mention is not None
            return mention

    def messages(self) -> list[AlertMessage]:
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.scalars(select(AlertMessage).order_by(AlertMessage.id)))


def make_store(folder: Path, settings: Settings, crawled: bool = True, url: str | None = None) -> Store:
    """A store with the settings' businesses and sources; `crawled` marks the sources crawled once.
    In an SQLite file in `folder`, or at `url` (a PostgreSQL database)."""
    engine = open_engine(url or f"sqlite:///{folder / 'store.db'}")
    with Session(engine) as session, session.begin():
        sync_config(session, settings)
        if crawled:
            for source in session.scalars(select(Source)):
                source.first_crawled_at = T0 - timedelta(days=30)
    return Store(engine, settings, Console(file=io.StringIO(), width=200))
