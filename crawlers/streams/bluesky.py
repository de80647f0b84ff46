"""Bluesky as it happens: Jetstream's WebSocket of every new public post, matched on arrival.

Jetstream (github.com/bluesky-social/jetstream) sends one JSON event per message:
`{"did", "time_us", "kind": "commit", "commit": {"operation": "create", "collection":
"app.bsky.feed.post", "rkey", "record": {"text", "createdAt", ...}}}`; `wantedCollections`
narrows it to posts, and `cursor=<time_us>` replays from that moment, so a reader that remembers
the last `time_us` it handled resumes after a restart or a dropped connection with nothing lost
(what is replayed twice is skipped here, and the store's dedup would keep it once anyway).
The reader reconnects with an exponential backoff and closes the socket cleanly when stopped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import websockets
from websockets.asyncio.client import connect

from crawlers.spiders.bluesky import post_url
from crawlers.streams.live import BACKOFF_FIRST, BACKOFF_MAX, matched_items, pause
from pipeline.items import MalformedItem, MentionItem, plain_text_body
from pipeline.keyword_index import KeywordIndex
from pipeline.normalize import to_utc

log = logging.getLogger(__name__)
POSTS = "app.bsky.feed.post"


def subscribe_url(jetstream: str, cursor: int | None) -> str:
    """The subscription for new posts, from `cursor` (a time_us) when one is known."""
    parts = urlsplit(jetstream)
    query = [("wantedCollections", POSTS)] + ([("cursor", str(cursor))] if cursor is not None else [])
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
    business to the store's id of its bluesky source.
    """

    def __init__(self, jetstream: str, index: KeywordIndex, sources: dict[str, int], cursor: int | None,
                 on_event: Callable[[list[MentionItem], int], None]):
        self.jetstream, self.index, self.sources = jetstream, index, sources
        self.cursor = cursor
        self.on_event = on_event
        self.connections = 0
        self.connected = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Read until `stop` is set, reconnecting (with backoff) whenever the connection drops."""
        backoff = BACKOFF_FIRST
        while not stop.is_set():
            try:
                async with connect(subscribe_url(self.jetstream, self.cursor), open_timeout=30,
                                   max_size=2**20) as socket:
                    self.connections += 1
                    self.connected.set()
                    backoff = BACKOFF_FIRST
                    await self._read(socket, stop)
            except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError) as exc:
                log.info("jetstream: %s: %s; reconnecting in %.0f s", type(exc).__name__, exc, backoff)
            self.connected.clear()
            if stop.is_set():
                return
            await pause(stop, backoff)
            backoff = min(BACKOFF_MAX, backoff * 2)

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
                self.handle(receiving.result())
        finally:
            stopping.cancel()

    def handle(self, message: str | bytes) -> None:
        """One Jetstream message: matched, handed over, and the cursor moved past it."""
        try:
            event = json.loads(message)
            time_us = event["time_us"]
            if not isinstance(time_us, int):
                raise ValueError("time_us is not a number")
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("jetstream: an event that cannot be read: %s", str(exc)[:120])
            return
        if self.cursor is not None and time_us <= self.cursor:
            return  # replayed after a reconnect: handled already
        items: list[MentionItem] = []
        try:
            fields = post_fields(event)
            if fields is not None:
                items = self.matched(fields)
        except (MalformedItem, ValueError) as exc:
            log.warning("jetstream: dropped a malformed post: %s", str(exc)[:160])
        self.on_event(items, time_us)
        self.cursor = time_us

    def matched(self, fields: dict[str, Any]) -> list[MentionItem]:
        """The post once per business it names."""
        return matched_items(self.index, self.sources, "bluesky", fields)
