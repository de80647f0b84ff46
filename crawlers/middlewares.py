"""Downloader middleware that keeps the pace a site or API asks for.

Scrapy's RetryMiddleware retries 429 and 5xx answers at once, which is exactly what a rate-limited
server does not want, and it ignores `Retry-After`. `PoliteRetryMiddleware` replaces it:

* a retried request waits: `Retry-After` when the server sends one (seconds or an HTTP date),
  else an exponential backoff (`RETRY_BACKOFF_BASE` * 2^(n-1), capped at `RETRY_BACKOFF_MAX`);
* while a host has asked us to wait, every request to it waits, not only the retried one;
* a server that asks for a longer wait than `RETRY_AFTER_MAX` is not retried in this run: the
  source fails with the server's answer, and the next run tries again;
* a bot wall (a challenge page) is never retried: asking again only looks more like a bot;
* `min_interval` in a request's meta spaces the requests sharing its `pace_key` (default: the
  host) at least that many seconds apart, e.g. Reddit's ten requests a minute;
* `X-RateLimit-Remaining: 0` (Reddit, Mastodon, Bluesky's `RateLimit-*`) pauses the host until
  the announced reset and a second more, requests already waiting included; the requests sent
  since an answer count against what it said was left, so the last one of a window is not
  followed by a 429. A request that would wait longer than its `rate_limit_wait_max` (meta;
  default `RETRY_AFTER_MAX`), or a 429 whose reset is that far, ends with `RateLimited`
  instead: a stream reader ends its read for this cycle, any other source fails for this run.
  Until an API (a request with a `pace_key`) has answered once, its requests go one at a time.

Requests that wait do so in `process_request`, after robots.txt and before the download slot,
so waiting costs no connection and no download slot.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

from crawlers.budget import parse_rate_limit_reset
from crawlers.failures import bot_wall

logger = logging.getLogger(__name__)

# Status codes after which the server's Retry-After is worth honoring.
RETRY_AFTER_CODES = (429, 503)
RATE_LIMIT_MARGIN = 1.0
"""Seconds added to a rate limit's announced reset (PRAW adds one too)."""
_IN_FLIGHT = "_polite_in_flight"
RECHECK_SECONDS = 1.0
PROBE_POLL_SECONDS = 0.05
"""A waiting request looks again this often whether an answer has paused its host meanwhile."""


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # an HTTP date is GMT even when it fails to say so
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def _is_robots_txt(request: Request) -> bool:
    # robots.txt is asked for once per site by Scrapy's RobotsTxtMiddleware; when the site is
    # down, retrying it too would only double the wait before the page's own retries.
    return request.callback is NO_CALLBACK and urlparse_cached(request).path == "/robots.txt"


def pace_key(request: Request) -> str:
    return request.meta.get("pace_key") or urlparse_cached(request).hostname or ""


class RateLimited(IgnoreRequest):
    """Not sent: the host's rate limit is spent until later than this request may wait.

    A stream reader takes it as the end of its read for this cycle (its cursor keeps what was
    read); any other source fails with it and is read again next run."""

    def __init__(self, key: str, wait: float, most: float):
        self.wait = wait
        super().__init__(f"rate limit spent: {key} takes requests again in {wait:.0f}s, "
                         f"more than the {most:.0f}s a read waits; read again next run")


class PoliteRetryMiddleware(RetryMiddleware):
    """RetryMiddleware with backoff, Retry-After, per-host pauses and minimum intervals."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 120.0)
        # How long the requests of an API wait for its first answer at most: a download's time.
        self.first_answer_wait = settings.getfloat("DOWNLOAD_TIMEOUT", 180.0)
        self._first_sent_at: dict[str, float] = {}
        # pace key -> monotonic time before which no request may leave (Retry-After, a spent
        # rate limit); and the next free turn of the requests spaced by `min_interval`.
        self._paused_until: dict[str, float] = {}
        self._next_turn: dict[str, float] = {}
        # pace key -> requests left in the rate-limit window as the last answer said, less those
        # sent since; when the window resets; requests sent and not yet answered.
        self._remaining: dict[str, float] = {}
        self._reset_at: dict[str, float] = {}
        self._in_flight: dict[str, int] = {}
        self._heard_from: set[str] = set()

    # -- before the download

    def _wait_max(self, request: Request) -> float:
        return float(request.meta.get("rate_limit_wait_max", self.retry_after_max))

    def _take_turn(self, key: str, interval: float, earliest: float) -> float:
        start = max(earliest, self._next_turn.get(key, 0.0))
        if interval:
            # Reserve this request's turn at once, so concurrent requests queue up behind it.
            self._next_turn[key] = start + interval
        return start

    async def process_request(self, request: Request) -> None:
        # A copy of a request let go before whose answer this middleware never saw: the redirect
        # middleware answers a 3xx before it reaches here. It was answered all the same.
        self._answered(request)
        key = pace_key(request)
        interval = float(request.meta.get("min_interval") or 0)
        turn = self._take_turn(key, interval, time.monotonic())
        while True:
            now = time.monotonic()
            held = max(self._paused_until.get(key, 0.0), request.meta.get("not_before", 0.0))
            if held - now > self._wait_max(request):
                raise RateLimited(key, held - now, self._wait_max(request))
            if held > turn:
                # The host was paused while this request waited (an answer said remaining 0):
                # it takes a new turn after the pause, not the one it had.
                turn = self._take_turn(key, interval, held)
            if turn <= now and not self._first_answer_awaited(key, request):
                break
            if turn <= now:
                await sleep(PROBE_POLL_SECONDS)
                continue
            logger.debug("waiting %.1fs before %s", turn - now, request.url)
            # In steps: an answer that arrives meanwhile may pause the host further.
            await sleep(min(turn - now, RECHECK_SECONDS))
        self._sent(key, request)

    def _first_answer_awaited(self, key: str, request: Request) -> bool:
        # An API (a request with its own pace key) says what is left of its rate limit in its
        # answers; until the first one has, one request at a time: two sent together at the start
        # of a run could both find the window's last request.
        # Bounded by a download's time: an answer another middleware consumed is never seen here.
        return (bool(request.meta.get("pace_key")) and key not in self._heard_from and bool(self._in_flight.get(key))
                and time.monotonic() - self._first_sent_at.get(key, 0.0) < self.first_answer_wait)

    def _sent(self, key: str, request: Request) -> None:
        request.meta[_IN_FLIGHT] = key
        self._in_flight[key] = self._in_flight.get(key, 0) + 1
        self._first_sent_at.setdefault(key, time.monotonic())
        if key not in self._remaining:
            return
        now = time.monotonic()
        if now >= self._reset_at.get(key, 0.0):
            del self._remaining[key]  # a new window: the next answer says how much is left
            return
        self._remaining[key] -= 1
        if self._remaining[key] < 1:
            # This request takes the window's last one: the next waits for the reset (or for an
            # answer saying otherwise), not for a 429.
            self.pause(key, self._reset_at[key] - now)

    def pause(self, key: str, seconds: float) -> None:
        """Hold every request to `key` for `seconds` from now."""
        until = time.monotonic() + seconds
        self._paused_until[key] = max(self._paused_until.get(key, 0.0), until)

    # -- after the download

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        key = pace_key(request)
        self._answered(request)
        spent_for = self._note_rate_limit(key, response)
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        if _is_robots_txt(request):
            return response
        if bot_wall(response):
            return response
        if spent_for is not None and spent_for > self._wait_max(request):
            # A 429 with the window far off: asking again before the reset only earns another.
            raise RateLimited(key, spent_for, self._wait_max(request))
        wait = parse_retry_after(response.headers.get(b"Retry-After")) if response.status in RETRY_AFTER_CODES else None
        if wait is not None and wait > self.retry_after_max:
            logger.info("%s asks to wait %.0fs, more than %.0fs: not retried in this run",
                        request.url, wait, self.retry_after_max)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if wait is not None:
            # The server said when it will take requests again: the whole host waits, not just
            # this request, or the others would run into the same 429.
            self.pause(key, wait)
        elif spent_for is None:
            retry.meta["not_before"] = time.monotonic() + self._backoff(retry)
        # Else the rate limit's reset (and its margin) holds the retry, with every other request.
        return retry

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        self._answered(request)
        if _is_robots_txt(request):
            return None
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            retry.meta["not_before"] = time.monotonic() + self._backoff(retry)
        return retry

    def _answered(self, request: Request) -> None:
        # Only a request this middleware let go (not one it stopped, nor a retry's copy), under
        # the key it went out with (a redirect may lead to another host).
        key = request.meta.pop(_IN_FLIGHT, None)
        if key is not None and self._in_flight.get(key):
            self._in_flight[key] -= 1
            self._heard_from.add(key)

    def _backoff(self, retry: Request) -> float:
        attempt = retry.meta.get("retry_times", 1)
        return min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))

    def _note_rate_limit(self, key: str, response: Response) -> float | None:
        """Keep what the answer says of the rate limit; the seconds the host is paused for when
        it is spent (None while requests are left, or when the answer says nothing)."""
        headers = response.headers
        remaining = headers.get(b"X-RateLimit-Remaining") or headers.get(b"RateLimit-Remaining")
        if remaining is None:
            return None
        try:
            left = float(remaining.decode("latin-1"))
        except ValueError:
            return None
        reset = parse_rate_limit_reset(headers.get(b"X-RateLimit-Reset") or headers.get(b"RateLimit-Reset"))
        if reset is None:
            return None
        # The reset is whole seconds, "approximate" (Reddit): a request sent exactly then arrives
        # just before the window turns, so the pause runs a little past it.
        reset += RATE_LIMIT_MARGIN
        now = time.monotonic()
        # Requests sent before this answer arrived spend the window too.
        left -= self._in_flight.get(key, 0)
        self._remaining[key] = left
        self._reset_at[key] = now + reset
        if left >= 1:
            return None
        self.pause(key, reset)
        return reset
