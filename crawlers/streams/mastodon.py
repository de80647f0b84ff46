"""Mastodon as it happens: an instance's public statuses from its streaming API, matched on arrival.

Mastodon's streaming API (docs.joinmastodon.org/methods/streaming) serves `GET
/api/v1/streaming/public` as server-sent events: `event: update` with a Status as JSON `data:`,
other events (`delete`, `status.update`) and `:thump` heartbeat comments every few seconds. The
stream may live on another host, which the instance names in `GET /api/v2/instance`
(`configuration.urls.streaming`). Since Mastodon 4.2 it needs an access token; an instance that
answers 401/403/404 (or 410, or a redirect elsewhere) refuses streaming, which the reader reports
once (`on_refused`) and then stops: that instance's sources are polled as without `streams:`.

The stream has no cursor. The reader remembers the id of the last status it handled (ids grow in
the order the instance received the statuses) and, each time it (re)connects, first reads what it
missed from the public timeline with `min_id=<that id>`, oldest page first (the Link header's
`prev`), so a drop or a restart loses nothing; a status read twice (by the timeline and by the
stream) is skipped by its id, and the store's dedup would keep it once anyway. Before any status
has been handled (a fresh install, a quiet instance), the newest public status when the first
connection was made (`GET /api/v1/timelines/public?limit=1`) is where the catch-up starts.
Reconnects back off exponentially, the backoff reset only once a connection has proven healthy.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from crawlers.config import mastodon_host
from crawlers.spiders.mastodon import instance_base, status_fields
from crawlers.streams.live import Reconnects, matched_items, pause
from pipeline.items import MalformedItem, MentionItem
from pipeline.keyword_index import KeywordIndex

log = logging.getLogger(__name__)
PAGE_SIZE = 40  # the timelines' maximum
CATCH_UP_PAGES = 100
"""Pages of the public timeline read after a reconnect (4,000 statuses); older ones are a gap."""
SILENCE_SECONDS = 90.0
"""No byte for this long (Mastodon sends a heartbeat every 15 s or so): the connection is dead."""
REFUSING = {401, 403, 404, 410, 422}
"""Answers that mean the instance does not serve its public stream (or timeline) to this reader."""


HTTP_SCHEME = {"wss": "https", "ws": "http", "https": "https", "http": "http"}
"""The streaming API is named as a WebSocket address; its server-sent events are at the same place."""


class StreamRefused(Exception):
    """The instance refuses its public stream: poll it instead."""


def status_number(status: Any) -> int | None:
    """A Status's id as a number (ids are numeric strings past a float's range), None if it has none."""
    value = str(status.get("id", "")) if isinstance(status, dict) else ""
    return int(value) if value.isdigit() else None


class MastodonStreamReader:
    """Holds one instance's public stream; hands each status's matched items to `on_status`.

    `on_status(items, status_id)` is called for every status in id order (items empty when it
    names no business); once it returns, that id is the reader's cursor. `sources` maps each
    business to the store's id of its mastodon source. `on_refused(reason)` is called once when
    the instance refuses; `on_gap(unread_from, unread_to)` when more was missed than can be read.
    """

    def __init__(self, instance: str, index: KeywordIndex, sources: dict[str, int], cursor: int | None,
                 on_status: Callable[[list[MentionItem], int], None], on_refused: Callable[[str], None],
                 token: str | None = None, user_agent: str = "mentionwatch",
                 on_gap: Callable[[datetime, datetime], None] | None = None,
                 on_health: Callable[[int, str], None] | None = None, reconnects: Reconnects | None = None):
        self.instance, self.host, self.base = instance, mastodon_host(instance), instance_base(instance)
        self.index, self.sources, self.cursor = index, sources, cursor
        self.on_status, self.on_refused, self.on_gap, self.on_health = on_status, on_refused, on_gap, on_health
        self.token, self.user_agent = token, user_agent
        self.reconnects = reconnects.copy() if reconnects is not None else Reconnects()
        self.started_at: int | None = None
        """Before any status is handled: the newest public status when the first connection was made."""
        self.connections = 0
        self.connected = asyncio.Event()
        self.refused: str | None = None
        self.silence = SILENCE_SECONDS
        self._last_seen_at: datetime | None = None

    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    @property
    def resume_point(self) -> int | None:
        """The id the next catch-up reads after: the last status handled, else the starting point."""
        return self.cursor if self.cursor is not None else self.started_at

    async def run(self, stop: asyncio.Event) -> None:
        """Read until `stop` is set, reconnecting (with backoff) whenever the connection drops;
        return at once when the instance refuses its stream."""
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=self.silence)
        async with aiohttp.ClientSession(headers=self._headers(), timeout=timeout) as http:
            while not stop.is_set():
                error = ""
                try:
                    streaming = await self._streaming_base(http)
                    if self.resume_point is None:
                        # Before the stream opens: a status posted meanwhile is read by the catch-up.
                        self.started_at = await self._newest_status(http)
                    async with http.get(f"{streaming}/api/v1/streaming/public", allow_redirects=False,
                                        headers={"Accept": "text/event-stream"}) as response:
                        await _check(response, "streaming")
                        self.connections += 1
                        self.reconnects.opened()
                        self.connected.set()
                        await self._catch_up(http)  # what was posted while no connection was open
                        await self._read(response, stop)
                except StreamRefused as exc:
                    self.refused = str(exc)
                    self.on_refused(self.refused)
                    return
                except (OSError, aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                    error = f"{type(exc).__name__}: {str(exc)[:160]}"
                finally:
                    self.connected.clear()
                if stop.is_set():
                    return
                backoff = self.reconnects.ended(error or "the stream ended")
                log.info("mastodon %s: %s; reconnecting in %.0f s", self.host, error or "the stream ended", backoff)
                if self.on_health is not None:
                    self.on_health(self.reconnects.failures, self.reconnects.last_error)
                await pause(stop, backoff)

    async def _newest_status(self, http: aiohttp.ClientSession) -> int | None:
        """The id of the newest public status (None when the timeline is empty or will not say:
        then the stream's own refusal, if any, is what is reported)."""
        try:
            async with http.get(f"{self.base}/api/v1/timelines/public?limit=1", allow_redirects=False) as response:
                if response.status != 200:
                    return None
                statuses = await response.json(content_type=None)
        except (aiohttp.ClientError, ValueError):
            return None
        numbers = [n for n in map(status_number, statuses if isinstance(statuses, list) else []) if n is not None]
        return max(numbers) if numbers else 0

    async def _streaming_base(self, http: aiohttp.ClientSession) -> str:
        """Where the instance serves its stream: `configuration.urls.streaming`, else itself."""
        try:
            async with http.get(f"{self.base}/api/v2/instance", allow_redirects=False) as response:
                if response.status == 200:
                    answer = await response.json(content_type=None)
                    url = ((answer.get("configuration") or {}).get("urls") or {}).get("streaming")
                    scheme = urlsplit(url).scheme if isinstance(url, str) else ""
                    if scheme in HTTP_SCHEME:
                        return HTTP_SCHEME[scheme] + str(url)[len(scheme):].rstrip("/")
        except (aiohttp.ClientError, ValueError, AttributeError):
            pass  # an older instance: it streams at its own address
        return self.base

    async def _catch_up(self, http: aiohttp.ClientSession) -> None:
        """Statuses newer than the cursor from the public timeline, oldest page first."""
        start = self.resume_point
        if start is None:
            return  # the timeline would not say where it stood: from now on
        url: str | None = f"{self.base}/api/v1/timelines/public?min_id={start}&limit={PAGE_SIZE}"
        for _ in range(CATCH_UP_PAGES):
            assert url is not None
            async with http.get(url, allow_redirects=False) as response:
                await _check(response, "the public timeline")
                statuses = await response.json(content_type=None)
                links = response.links
            if not isinstance(statuses, list):
                raise ValueError("not a list of statuses")
            if not statuses:
                return
            for status in sorted(statuses, key=lambda s: status_number(s) or 0):
                self.handle_status(status)
            prev = str(links["prev"]["url"]) if links.get("prev") else ""
            # The Link header's newer page, unless it leads elsewhere (the token stays with the instance).
            url = prev if _origin(prev) == _origin(self.base) else \
                f"{self.base}/api/v1/timelines/public?min_id={self.resume_point}&limit={PAGE_SIZE}"
        # Still more: what lies between the cursor and now was not read.
        if self.on_gap is not None and self._last_seen_at is not None:
            self.on_gap(self._last_seen_at, datetime.now(UTC))
        log.warning("mastodon %s: more was posted while disconnected than %d pages; the rest is a gap",
                    self.host, CATCH_UP_PAGES)

    async def _read(self, response: aiohttp.ClientResponse, stop: asyncio.Event) -> None:
        """Server-sent events until `stop` (then close) or until the connection ends (raise)."""
        event: str | None = None
        data: list[str] = []
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while True:
                reading = asyncio.ensure_future(response.content.readline())
                done, _ = await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if stopping in done:
                    reading.cancel()
                    response.close()  # our side ends the connection
                    return
                raw = reading.result()
                if not raw:
                    raise ConnectionResetError("the stream ended")
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line:  # a blank line ends an event
                    if event is not None and data:
                        self.handle_event(event, "\n".join(data))
                    event, data = None, []
                elif line.startswith(":"):
                    continue  # a heartbeat comment (":thump")
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        event = value
                    elif name == "data":
                        data.append(value)
        finally:
            stopping.cancel()

    def handle_event(self, event: str, data: str) -> None:
        """One server-sent event; only `update` (a new status) is read."""
        if event != "update":
            return  # delete, status.update (an edit), ...: not new mentions
        try:
            status = json.loads(data)
        except ValueError:
            log.warning("mastodon %s: an update that cannot be read: %s", self.host, data[:120])
            return
        self.handle_status(status)

    def handle_status(self, status: Any) -> None:
        """One status: matched, handed over, and the cursor moved past it."""
        number = status_number(status)
        if number is None:
            log.warning("mastodon %s: a status without a numeric id: %s", self.host, str(status)[:120])
            return
        if self.cursor is not None and number <= self.cursor:
            return  # read already (by the timeline, or before a reconnect)
        items: list[MentionItem] = []
        try:
            if status.get("visibility", "public") in ("public", "unlisted"):
                fields = status_fields(status)
                self._last_seen_at = fields["published_at"] or self._last_seen_at
                items = matched_items(self.index, self.sources, "mastodon", fields)
        except (MalformedItem, ValueError, TypeError, AttributeError) as exc:
            log.warning("mastodon %s: dropped a malformed status: %s", self.host, str(exc)[:160])
        self.on_status(items, number)
        self.cursor = number
        if self.reconnects.delivered() and self.on_health is not None:
            self.on_health(0, "")


async def _check(response: aiohttp.ClientResponse, what: str) -> None:
    """StreamRefused when the instance will not serve `what`; ClientResponseError for a passing
    failure (5xx, 429: tried again later)."""
    if response.status in REFUSING or 300 <= response.status < 400:
        reason = ""
        try:
            answer = json.loads(await response.text())
            reason = answer.get("error", "") if isinstance(answer, dict) else ""
        except (ValueError, aiohttp.ClientError, UnicodeDecodeError):
            pass
        if 300 <= response.status < 400:
            reason = f"redirects to {response.headers.get('Location', '?')}"
        raise StreamRefused(f"{what}: {response.status}{f' {reason}' if reason else ''}")
    response.raise_for_status()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
