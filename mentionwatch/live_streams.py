"""Networks read as they happen, in the long-running processes (`serve --schedule`, `listen`).

With `streams: bluesky:` (Jetstream, crawlers/streams/bluesky.py) or `streams: mastodon:` (each
instance's streaming API, crawlers/streams/mastodon.py) configured and a business watching that
network, these processes hold the subscriptions in one thread of their own. A post that names a
business is judged and stored at once by the pipeline, as a run would, and the alert is planned
and sent through the outbox within seconds (under the run lock, so never alongside a run: when a
run holds it, delivery is tried again a few seconds later). Each reader's cursor (Jetstream's
last `time_us`, each Mastodon instance's last status id) is kept in the store, so a restart
resumes where the last process stopped. A Mastodon instance that refuses its stream is said once
in the log and kept in the store for `check`; its sources are polled by the runs as before.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from rich.console import Console
from sqlalchemy.orm import Session

from alerts.cycle import after_crawl
from crawlers.config import mastodon_host
from crawlers.settings import user_agent
from crawlers.state import sync_config
from crawlers.streams.bluesky import JetstreamReader
from crawlers.streams.mastodon import MastodonStreamReader
from crawlers.streams.state import Gap, StreamState, load_cursors, record_stream_health, save_stream
from crawlers.target import CrawlTarget
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
"""How often a cursor is written when no post matched (each matched post writes it at once)."""
DELIVERY_RETRY_SECONDS = 2.0


def mastodon_instances(settings: Settings) -> list[str]:
    """The Mastodon instances to stream: `streams: mastodon: instances:`, else every instance a
    mastodon source names (each once)."""
    if settings.streams.mastodon is None:
        return []
    named = settings.streams.mastodon.instances
    if named is None:
        named = [s.instance for b in settings.businesses for s in b.sources if s.type == "mastodon"]  # type: ignore[union-attr]
    return list({mastodon_host(i): i for i in named}.values())


class LiveStreams:
    """The live subscriptions (Jetstream, Mastodon instances) for every business, in one thread."""

    def __init__(self, settings: Settings, console: Console | None = None,
                 request_delivery: Callable[[], bool] | None = None):
        """`request_delivery`, when given, is asked to have what the stored posts owe delivered
        (a worker queues its delivery job) instead of planning and sending here."""
        self.settings = settings
        self.request_delivery = request_delivery
        self.console = console or Console(stderr=True, highlight=False)
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="mentionwatch-live-streams", daemon=True)
        self._owed = False
        self._saved_at: dict[str, float] = {}
        self.streams: dict[str, StreamState] = {}

    @staticmethod
    def networks(settings: Settings) -> list[str]:
        """The live networks configured in `streams:` that some business watches ("bluesky", "mastodon")."""
        watched = {s.type for b in settings.businesses for s in b.sources}
        found = []
        if settings.streams.bluesky is not None and "bluesky" in watched:
            found.append("bluesky")
        if "mastodon" in watched and mastodon_instances(settings):
            found.append("mastodon")
        return found

    @classmethod
    def wanted(cls, settings: Settings) -> bool:
        """Whether any live network is configured and watched."""
        return bool(cls.networks(settings))

    @classmethod
    def description(cls, settings: Settings) -> str:
        """"Bluesky's Jetstream and Mastodon's streaming API (2 instances)": what is held."""
        parts = []
        for network in cls.networks(settings):
            if network == "bluesky":
                parts.append("Bluesky's Jetstream")
            else:
                count = len(mastodon_instances(settings))
                parts.append(f"Mastodon's streaming API ({count} instance{'s' if count != 1 else ''})")
        return " and ".join(parts)

    def start(self) -> None:
        self._thread.start()

    def running(self) -> bool:
        """Whether the streams' thread still runs (it ends on stop, or when reading failed)."""
        return self._thread.is_alive()

    def stop(self) -> None:
        """Close every connection cleanly and keep the cursors; returns when the thread has ended."""
        if self._stop is not None and self._thread.is_alive():
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:
                pass  # every reader has ended (refused) and the loop with them
        self._thread.join(timeout=15)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._hold())
        except Exception as exc:  # the web server or listener goes on; the next start tries again
            log.error("live streams stopped: %s: %s", type(exc).__name__, exc)
        finally:
            self._loop.close()

    async def _hold(self) -> None:
        self._stop = asyncio.Event()
        settings = self.settings
        networks = self.networks(settings)
        self.engine = open_engine(settings.database_url(), writable=True)
        with Session(self.engine) as session, session.begin():
            business_ids, all_targets = sync_config(session, settings)
            cursors = load_cursors(session)
        matchers = {b.name: BusinessMatcher(b.keywords, b.exclude, b.require_any) for b in settings.businesses}
        sources: dict[str, dict[str, int]] = {}
        for network in networks:
            targets = [t for t in all_targets if t.source.type == network and t.business in matchers]  # type: ignore[attr-defined]
            for target in targets:
                target.finished = True  # a stream read by events is always "finished" for save_stream
            sources[network] = {}
            for target in targets:
                sources[network].setdefault(target.business, target.source_id)  # type: ignore[arg-type]
            self.streams[network] = self._stream_state(network, targets, matchers, sources[network])
        self.flow = MentionFlow(
            needs_match={i: True for by_name in sources.values() for i in by_name.values()}, matchers=matchers,
            scorer=make_scorer(settings),
            writer=MentionWriter(self.engine, business_ids, AlertPolicy(
                max_age_days=settings.alerts.max_age_days, alert_unscored=settings.alerts.unscored == "alert")),
        )
        readers: list[Coroutine[Any, Any, None]] = []
        if "bluesky" in self.streams:
            assert settings.streams.bluesky is not None
            stream = self.streams["bluesky"]
            def on_bluesky_gap(unread_from: datetime, unread_to: datetime) -> None:
                self.streams["bluesky"].gaps.append(Gap("bluesky", "posts", unread_from, unread_to))
                self._save("bluesky", {"time_us": reader.cursor})  # past the event that cannot be read

            reader = JetstreamReader(settings.streams.bluesky.jetstream, stream.index, sources["bluesky"],
                                     (cursors.get("bluesky") or {}).get("time_us"),
                                     lambda items, time_us: self._on_post("bluesky", items, {"time_us": time_us}),
                                     on_gap=on_bluesky_gap,
                                     on_health=lambda failures, error: self._health("bluesky", "Jetstream",
                                                                                   failures, error))
            # At the end, where to resume: the last event handled, else the first connection's moment.
            readers.append(self._read(reader.run, lambda: self._save("bluesky", {"time_us": reader.resume_point})))
        if "mastodon" in self.streams:
            stream = self.streams["mastodon"]
            token = settings.credentials.mastodon_token
            for instance in mastodon_instances(settings):
                readers.append(self._read_mastodon(instance, stream, sources["mastodon"],
                                                   (cursors.get("mastodon") or {}).get(mastodon_host(instance)) or {},
                                                   token.get_secret_value() if token else None))
        deliverer = asyncio.ensure_future(self._deliver_when_owed())
        try:
            await asyncio.gather(*readers)
        finally:
            deliverer.cancel()
            self.engine.dispose()

    @staticmethod
    def _stream_state(network: str, targets: list[CrawlTarget], matchers: dict[str, BusinessMatcher],
                      sources: dict[str, int]) -> StreamState:
        return StreamState(network, "", targets, KeywordIndex({name: matchers[name] for name in sources}))

    async def _read(self, run: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
                    save_last: Callable[[], None]) -> None:
        assert self._stop is not None
        try:
            await run(self._stop)
        finally:
            save_last()

    def _read_mastodon(self, instance: str, stream: StreamState, sources: dict[str, int], old: dict[str, Any],
                       token: str | None) -> Coroutine[Any, Any, None]:
        host = mastodon_host(instance)
        last = old.get("id")

        def on_status(items: list[MentionItem], status_id: int) -> None:
            self._on_post("mastodon", items, {host: {"id": str(status_id)}})

        def on_refused(reason: str) -> None:
            # Said once per process start (the reader stops asking); `check` shows it from the store.
            log.warning("Mastodon %s refuses streaming (%s): its sources are polled as without streams:",
                        host, reason)
            self._save("mastodon", {host: {"id": reader.cursor and str(reader.cursor), "refused": reason,
                                           "refused_at": utcnow().isoformat()}})

        def on_gap(unread_from: datetime, unread_to: datetime) -> None:
            stream.gaps.append(Gap("mastodon", host, unread_from, unread_to))

        reader = MastodonStreamReader(instance, stream.index, sources, int(last) if str(last or "").isdigit() else None,
                                      on_status, on_refused, token=token,
                                      user_agent=user_agent(self.settings.crawler.contact), on_gap=on_gap,
                                      on_health=lambda failures, error: self._health("mastodon", host, failures, error))

        def save_last() -> None:
            # The last status handled, else the starting point: a restart catches up from there.
            if reader.refused is None and reader.resume_point is not None:
                self._save("mastodon", {host: {"id": str(reader.resume_point)}})

        async def run(stop: asyncio.Event) -> None:
            forget = asyncio.ensure_future(self._forget_refusal(reader, host)) if old.get("refused") else None
            try:
                await reader.run(stop)
            finally:
                if forget is not None:
                    forget.cancel()

        return self._read(run, save_last)

    async def _forget_refusal(self, reader: MastodonStreamReader, host: str) -> None:
        """An instance that refused before and streams now: `check` no longer says it refuses."""
        await reader.connected.wait()
        self._save("mastodon", {host: {"id": str(reader.cursor) if reader.cursor is not None else None}})

    def _on_post(self, network: str, items: list[MentionItem], cursor: dict[str, Any]) -> None:
        if items:
            self.flow.process(items)
            self.flow.finish()
            self._owed = True
            self._save(network, cursor)
        elif time.monotonic() - self._saved_at.get(network, 0.0) > CURSOR_SAVE_SECONDS:
            self._save(network, cursor)
        else:
            self.streams[network].new_cursor.update(cursor)  # kept by the next save

    def _save(self, network: str, cursor: dict[str, Any]) -> None:
        if any(value is None for value in cursor.values()):
            return
        stream = self.streams[network]
        stream.new_cursor.update(cursor)
        with Session(self.engine) as session, session.begin():
            save_stream(session, stream, utcnow())
        stream.new_cursor, stream.gaps = {}, []
        self._saved_at[network] = time.monotonic()

    def _health(self, network: str, listing: str, failures: int, error: str) -> None:
        """How a held stream fares, kept for `check` (which names one that keeps failing)."""
        with Session(self.engine) as session, session.begin():
            record_stream_health(session, network, listing, failures, error, utcnow())

    async def _deliver_when_owed(self) -> None:
        while True:
            await asyncio.sleep(DELIVERY_RETRY_SECONDS if self._owed else 0.2)
            if self._owed:
                # Cleared first: a post stored while this delivery runs is owed again, not lost.
                self._owed = False
                if not await asyncio.to_thread(self._deliver):
                    self._owed = True

    def _deliver(self) -> bool:
        """Plan and send what the stored posts owe; False when a run holds the lock (try again)."""
        if self.request_delivery is not None:
            return self.request_delivery()
        started: datetime = utcnow()
        try:
            with run_lock(self.settings.database_url()):
                after_crawl(self.settings, self.engine, self.console, run_started=started,
                            read_reactions=read_reactions)
        except AlreadyRunning:
            return False
        return True
