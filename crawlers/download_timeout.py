"""A download timeout that measures the network, not our own busy process.

Scrapy's download timeout is a plain timer started when the request goes to the downloader.
While the crawl's one thread parses a big feed (or the machine gives the process no CPU), no
socket is read and no request is sent, yet that timer runs on: under load a backfill lost
feeds to "timed out after 30s" that the servers had answered in milliseconds.

Here the timeout counts only the time the event loop could have run: a ticker notes how late
the loop wakes it, and those stalls are left out (`LoopClock`). A server that stays silent still
fails after `download_timeout` seconds of a responsive loop, with the same one line. As a last
resort, Scrapy's own wall-clock timer stays armed, far out (`wall_clock_limit`).
"""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import Response

TICK = 0.01
"""Seconds between the clock's ticks: a stall shorter than this is counted as network time."""


def wall_clock_limit(timeout: float) -> float:
    """Scrapy's own wall-clock timeout for a download timed by the loop: ten times `timeout` and
    at least ten minutes, a bound only for a process that is hardly ever given the CPU."""
    return max(10 * timeout, 600.0)


class LoopClock:
    """Seconds during which the event loop ran on time: wall time less the loop's stalls.

    A stall is the time a tick came late (the loop was busy with other work, or the process
    was not scheduled); `now()` also leaves out a stall still in progress, so a timer that
    fires late right after a long parse does not count that parse. It ticks only while a
    download holds it (`hold` / `release`): an idle worker process is not woken for nothing.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, tick: float = TICK):
        self._loop = loop
        self._tick = tick
        self._stalled = 0.0
        self._last = monotonic()
        self._holders = 0
        self._handle: asyncio.TimerHandle | None = None

    def hold(self) -> None:
        """A download starts: tick while it lasts."""
        self._holders += 1
        if self._handle is None:
            self._last = monotonic()
            self._handle = self._loop.call_later(self._tick, self._on_tick)

    def release(self) -> None:
        """A download ended; the last one stops the ticking."""
        self._holders -= 1
        if self._holders <= 0:
            self._holders = 0
            self.stop()

    def _on_tick(self) -> None:
        now = monotonic()
        self._stalled += max(0.0, now - self._last - self._tick)
        self._last = now
        self._handle = self._loop.call_later(self._tick, self._on_tick)

    def now(self) -> float:
        """A monotonic reading that advances only while the loop runs on time (read it while
        holding the clock)."""
        wall = monotonic()
        return wall - self._stalled - max(0.0, wall - self._last - self._tick)

    def stop(self) -> None:
        """Stop ticking."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class NetworkTimeoutHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler with the timeout on the `LoopClock`."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self._default_timeout: float = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")
        self._clock: LoopClock | None = None

    async def download_request(self, request: Request) -> Response:
        timeout = float(request.meta.get("download_timeout") or self._default_timeout)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a reactor other than asyncio's (not mentionwatch's): Scrapy's own timer
            return await super().download_request(request)
        if self._clock is None:
            self._clock = LoopClock(loop)
        clock = self._clock
        # Scrapy's own timer, far out: the bound for a process that never gets the CPU.
        wide = request.replace(meta={**request.meta, "download_timeout": wall_clock_limit(timeout)})
        download = asyncio.ensure_future(super().download_request(wide))
        clock.hold()
        began = clock.now()
        expired = False

        def check() -> None:
            nonlocal watchdog, expired
            left = timeout - (clock.now() - began)
            if left > 0:  # the loop stalled meanwhile: that time was not the server's
                watchdog = loop.call_later(left, check)
            else:
                expired = True
                download.cancel()  # cancels the download's Deferred, which drops the connection

        watchdog = loop.call_later(timeout, check)
        try:
            return await download
        except asyncio.CancelledError:
            if expired:
                raise DownloadTimeoutError(f"Getting {request.url} took longer than {timeout:g} seconds.") from None
            raise
        finally:
            watchdog.cancel()
            clock.release()
            # What the handler notes on the request it was given (the latency AutoThrottle
            # reads) belongs on the crawl's own request.
            for key in wide.meta.keys() - request.meta.keys():
                request.meta[key] = wide.meta[key]

    async def close(self) -> None:
        if self._clock is not None:
            self._clock.stop()
        await super().close()
