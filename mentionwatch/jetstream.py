"""Bluesky as it happens, in the long-running processes (`serve --schedule`, `listen`).

With `streams: bluesky:` configured and a business watching Bluesky, these processes hold one
Jetstream subscription (crawlers/streams/bluesky.py) in a thread of their own. A post that names
a business is judged and stored at once by the pipeline, as a run would, and the alert is
planned and sent through the outbox within seconds (under the run lock, so never alongside a
run: when a run holds it, delivery is tried again a few seconds later). The cursor (the last
`time_us` handled) is kept in the store, so a restart resumes where the last process stopped.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import datetime

from rich.console import Console
from sqlalchemy.orm import Session

from alerts.cycle import after_crawl
from crawlers.state import sync_config
from crawlers.streams.bluesky import JetstreamReader
from crawlers.streams.state import StreamState, load_cursors, save_stream
from mentionwatch.config import Settings
from mentionwatch.runner import make_scorer
from pipeline.errors import AlreadyRunning
from pipeline.flow import MentionFlow
from pipeline.items import MentionItem
from pipeline.keyword_index import KeywordIndex
from pipeline.lock import run_lock
from pipeline.match import BusinessMatcher
from pipeline.models import utcnow
from pipeline.store import open_engine
from pipeline.writer import AlertPolicy, MentionWriter
from respond.reactions import read_reactions

log = logging.getLogger(__name__)
CURSOR_SAVE_SECONDS = 5.0
"""How often the cursor is written when no post matched (each matched post writes it at once)."""
DELIVERY_RETRY_SECONDS = 2.0


class JetstreamHolder:
    """One Jetstream subscription for every business watching Bluesky, in a thread of its own."""

    def __init__(self, settings: Settings, console: Console | None = None):
        self.settings = settings
        self.console = console or Console(stderr=True, highlight=False)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="mentionwatch-jetstream", daemon=True)
        self._owed = False
        self._saved_at = 0.0

    @staticmethod
    def wanted(settings: Settings) -> bool:
        """Whether `streams: bluesky:` is set and some business watches Bluesky."""
        return settings.streams.bluesky is not None and any(
            s.type == "bluesky" for b in settings.businesses for s in b.sources)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Close the WebSocket cleanly and keep the cursor; returns when the thread has ended."""
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=15)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._hold())
        except Exception as exc:  # the web server or listener goes on; the next start tries again
            log.error("jetstream stopped: %s: %s", type(exc).__name__, exc)
        finally:
            self._loop.close()

    async def _hold(self) -> None:
        self._stop = asyncio.Event()
        settings = self.settings
        assert settings.streams.bluesky is not None
        self.engine = open_engine(settings.database_url(), writable=True)
        with Session(self.engine) as session, session.begin():
            business_ids, targets = sync_config(session, settings)
            cursor = (load_cursors(session).get("bluesky") or {}).get("time_us")
        targets = [t for t in targets if t.source.type == "bluesky"]  # type: ignore[attr-defined]
        sources: dict[str, int] = {}
        for target in targets:
            sources.setdefault(target.business, target.source_id)  # type: ignore[arg-type]
        matchers = {b.name: BusinessMatcher(b.keywords, b.exclude, b.require_any)
                    for b in settings.businesses if b.name in sources}
        self.flow = MentionFlow(
            needs_match={source_id: True for source_id in sources.values()}, matchers=matchers,
            scorer=make_scorer(settings),
            writer=MentionWriter(self.engine, business_ids, AlertPolicy(
                max_age_days=settings.alerts.max_age_days, alert_unscored=settings.alerts.unscored == "alert")),
        )
        self.stream = StreamState("bluesky", settings.streams.bluesky.jetstream, targets, KeywordIndex(matchers))
        for target in targets:
            target.finished = True  # a stream read by events is always "finished" for save_stream
        reader = JetstreamReader(settings.streams.bluesky.jetstream, self.stream.index, sources, cursor, self._on_event)
        deliverer = asyncio.ensure_future(self._deliver_when_owed())
        try:
            await reader.run(self._stop)
        finally:
            deliverer.cancel()
            self._save(reader.cursor)
            self.engine.dispose()

    def _on_event(self, items: list[MentionItem], time_us: int) -> None:
        if items:
            self.flow.process(items)
            self.flow.finish()
            self._owed = True
            self._save(time_us)
        elif time.monotonic() - self._saved_at > CURSOR_SAVE_SECONDS:
            self._save(time_us)

    def _save(self, time_us: int | None) -> None:
        if time_us is None:
            return
        self.stream.new_cursor = {"time_us": time_us}
        with Session(self.engine) as session, session.begin():
            save_stream(session, self.stream, utcnow())
        self._saved_at = time.monotonic()

    async def _deliver_when_owed(self) -> None:
        while True:
            await asyncio.sleep(DELIVERY_RETRY_SECONDS if self._owed else 0.2)
            if self._owed:
                self._owed = not await asyncio.to_thread(self._deliver)

    def _deliver(self) -> bool:
        """Plan and send what the stored posts owe; False when a run holds the lock (try again)."""
        started: datetime = utcnow()
        try:
            with run_lock(self.settings.database_url()):
                after_crawl(self.settings, self.engine, self.console, run_started=started,
                            read_reactions=read_reactions)
        except AlreadyRunning:
            return False
        return True
