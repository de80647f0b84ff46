"""Bluesky as it happens: Jetstream's WebSocket of every new public post, matched on arrival.

Jetstream (github.com/bluesky-social/jetstream) sends one JSON event per message:
`{"did", "time_us", "kind": "commit", "commit": {"operation": "create", "collection":
"app.bsky.feed.post", "rkey", "record": {"text", "createdAt", ...}}}`; `wantedCollections`
narrows it to posts, and `cursor=<time_us>` replays from that moment, so a reader that remembers
the last `time_us` it handled resumes after a restart or a dropped connection with nothing lost
(what is replayed twice is skipped here, and the store's dedup would keep it once anyway).
Before the first event is handled, the moment the first connection opened is where a reconnect
resumes, so a drop on a fresh install loses nothing either.

One event that cannot be read never stops the stream. The subscription asks Jetstream to leave
out events over MAX_EVENT_BYTES (`maxMessageSizeBytes`, its documented option); one that comes
anyway (a Jetstream without that option) is read up to READ_LIMIT_BYTES, skipped with a warning
and passed by its `time_us`. One larger still makes the WebSocket close (1009, message too big)
before its `time_us` can be known: the reader then resumes a little after the last event it
handled (SKIP_FIRST_US, doubled while the same happens again) and reports that stretch as a gap.
The reader reconnects with an exponential backoff (reset only once a connection has proven
healthy) and closes the socket cleanly when stopped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import websockets
from websockets.asyncio.client import connect

from crawlers.spiders.bluesky import post_url
from crawlers.streams.live import Reconnects, matched_items, pause
from pipeline.items import MalformedItem, MentionItem, plain_text_body
from pipeline.keyword_index import KeywordIndex
from pipeline.normalize import to_utc

log = logging.getLogger(__name__)
POSTS = "app.bsky.feed.post"
MAX_EVENT_BYTES = 2**20
"""An event larger than this (a post is a few KB; only a non-validating PDS makes more) is skipped."""
READ_LIMIT_BYTES = 16 * 2**20
"""The largest WebSocket message read at all (to learn an oversized event's time_us and pass it)."""
SKIP_FIRST_US = 1000
"""After an event too large to read even its time_us: the first stretch resumed past (1 ms)."""
CLOCK_MARGIN_US = 2_000_000
"""The first connection's moment, kept as where to resume, is taken this much early (clock skew)."""
MESSAGE_TOO_BIG = 1009


def subscribe_url(jetstream: str, cursor: int | None) -> str:
    """The subscription for new posts, from `cursor` (a time_us) when one is known; events over
    MAX_EVENT_BYTES are left out by Jetstream itself (`maxMessageSizeBytes`)."""
    parts = urlsplit(jetstream)
    query = [("wantedCollections", POSTS), ("maxMessageSizeBytes", str(MAX_EVENT_BYTES))]
    query += [("cursor", str(cursor))] if cursor is not None else []
    joined = f"{parts.query}&{urlencode(query)}" if parts.query else urlencode(query)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, ""))


def post_fields(event: dict[str, Any]) -> dict[str, Any] | None:
    """A Jetstream event's mention fields when it creates a post; None for anything else."""
    commit = event.get("commit")
    if event.get("kind") != "commit" or not isinstance(commit, dict):
        return None
    if commit.get("operation") != "create" or commit.get("collection") != POSTS:
        return None
    record = commit.get("record") or {}
    url = post_url(f"at://{event.get('did')}/{POSTS}/{commit.get('rkey')}")
    if url is None or not isinstance(record, dict):
        raise MalformedItem(f"not a post: {str(event)[:80]}")
    text = record.get("text")
    if not isinstance(text, str):
        raise MalformedItem(f"a post without text: {str(record)[:80]}")
    return {"url": url, "text": plain_text_body(text), "author": str(event.get("did")),
            "published_at": to_utc(record.get("createdAt"))}


class JetstreamReader:
    """Holds one Jetstream subscription; hands each handled event's matched items to `on_event`.

    `on_event(items, time_us)` is called for every post event in order (items empty when it names
    no business); once it returns, that `time_us` is the reader's cursor. `sources` maps each
    business to the store's id of its bluesky source. `on_gap(unread_from, unread_to)` is told of
    a stretch passed unread (an event too large to read); `on_health(failures, error)` after each
    connection that ended without proving healthy, and with (0, "") once one has.
    """

    def __init__(self, jetstream: str, index: KeywordIndex, sources: dict[str, int], cursor: int | None,
                 on_event: Callable[[list[MentionItem], int], None],
                 on_gap: Callable[[datetime, datetime], None] | None = None,
                 on_health: Callable[[int, str], None] | None = None,
                 reconnects: Reconnects | None = None, read_limit: int = READ_LIMIT_BYTES):
        self.jetstream, self.index, self.sources = jetstream, index, sources
        self.cursor = cursor
        self.started_at: int | None = None
        """Before any event is handled: the time_us the first connection opened (less a margin)."""
        self.on_event, self.on_gap, self.on_health = on_event, on_gap, on_health
        self.reconnects = reconnects.copy() if reconnects is not None else Reconnects()
        self.read_limit = read_limit
        self.connections = 0
        self.connected = asyncio.Event()
        self._skip_us = 0
        self._skipped: tuple[int, int] | None = None
        """The stretch passed unread since the last event handled (said as one gap once one is)."""

    @property
    def resume_point(self) -> int | None:
        """Where the next connection starts: the last event handled, else the first connection's moment."""
        return self.cursor if self.cursor is not None else self.started_at

    async def run(self, stop: asyncio.Event) -> None:
        """Read until `stop` is set, reconnecting (with backoff) whenever the connection drops."""
        while not stop.is_set():
            error, passed = "", False
            try:
                async with connect(subscribe_url(self.jetstream, self.resume_point), open_timeout=30,
                                   max_size=self.read_limit) as socket:
                    self.connections += 1
                    if self.resume_point is None:
                        self.started_at = int(time.time() * 1_000_000) - CLOCK_MARGIN_US
                    self.reconnects.opened()
                    self.connected.set()
                    await self._read(socket, stop)
            except websockets.exceptions.ConnectionClosed as exc:
                error = f"{type(exc).__name__}: {exc}"
                if exc.sent is not None and exc.sent.code == MESSAGE_TOO_BIG:  # our limit, not theirs
                    passed = self._pass_unreadable_event()
            except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            self.connected.clear()
            if stop.is_set():
                self._said_skipped()
                return
            backoff = self.reconnects.ended(error or "the connection ended")
            if passed:  # not the server failing: the next try starts further on, so no longer wait
                backoff = self.reconnects.backoff_first
            log.info("jetstream: %s; reconnecting in %.0f s", error or "the connection ended", backoff)
            if self.on_health is not None:
                self.on_health(self.reconnects.failures, self.reconnects.last_error)
            await pause(stop, backoff)

    def _pass_unreadable_event(self) -> bool:
        """The event after the resume point is too large to read even its time_us: resume a little
        past it, the stretch doubling while that happens again (the event's time_us is unknown,
        so what lies between is passed unread too, and said as a gap). True when passed."""
        start = self.resume_point
        if start is None:
            return False  # no position to pass: the next connection starts live, past the event
        if self._skip_us == 0:
            log.warning("jetstream: an event over %d bytes cannot be read; passing it (a gap)", self.read_limit)
        self._skip_us = SKIP_FIRST_US if self._skip_us == 0 else self._skip_us * 2
        self.cursor = start + self._skip_us
        first = self._skipped[0] if self._skipped is not None else start
        self._skipped = (first, self.cursor)
        return True

    def _said_skipped(self) -> None:
        """The stretch passed unread, as one gap."""
        if self._skipped is not None and self.on_gap is not None:
            self.on_gap(_moment(self._skipped[0]), _moment(self._skipped[1]))
        self._skipped, self._skip_us = None, 0

    async def _read(self, socket: Any, stop: asyncio.Event) -> None:
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                receiving = asyncio.ensure_future(socket.recv())
                done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done:
                    receiving.cancel()
                    await socket.close()  # a clean close (1000), not a dropped connection
                    return
                if self.handle(receiving.result()):
                    self._said_skipped()
                    if self.reconnects.delivered() and self.on_health is not None:
                        self.on_health(0, "")
        finally:
            stopping.cancel()

    def handle(self, message: str | bytes) -> bool:
        """One Jetstream message: matched, handed over, and the cursor moved past it; True when
        the cursor moved."""
        try:
            event = json.loads(message)
            time_us = event["time_us"]
            if not isinstance(time_us, int):
                raise ValueError("time_us is not a number")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("jetstream: an event that cannot be read: %s", str(exc)[:120])
            return False
        if self.cursor is not None and time_us <= self.cursor:
            return False  # replayed after a reconnect: handled already
        items: list[MentionItem] = []
        size = _size(message)
        if size > MAX_EVENT_BYTES:
            log.warning("jetstream: skipped an event of %d bytes (over %d) at time_us %d", size,
                        MAX_EVENT_BYTES, time_us)
        else:
            try:
                fields = post_fields(event)
                if fields is not None:
                    items = self.matched(fields)
            except (MalformedItem, ValueError) as exc:
                log.warning("jetstream: dropped a malformed post: %s", str(exc)[:160])
        self.on_event(items, time_us)
        self.cursor = time_us
        return True

    def matched(self, fields: dict[str, Any]) -> list[MentionItem]:
        """The post once per business it names."""
        return matched_items(self.index, self.sources, "bluesky", fields)


def _moment(time_us: int) -> datetime:
    return datetime.fromtimestamp(time_us / 1_000_000, UTC)


def _size(message: str | bytes) -> int:
    """The message's size in bytes where it could be over MAX_EVENT_BYTES, else its length: a text
    is encoded only when it could be that large (a character is at most 4 bytes), not for every
    post of the stream."""
    if isinstance(message, bytes):
        return len(message)
    if len(message) * 4 <= MAX_EVENT_BYTES:
        return len(message)
    return len(message.encode("utf-8", "surrogatepass"))
