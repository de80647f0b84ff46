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
  the announced reset.

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


class PoliteRetryMiddleware(RetryMiddleware):
    """RetryMiddleware with backoff, Retry-After, per-host pauses and minimum intervals."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX", 120.0)
        # pace key -> monotonic time before which no request may leave.
        self._not_before: dict[str, float] = {}

    # -- before the download

    async def process_request(self, request: Request) -> None:
        key = pace_key(request)
        now = time.monotonic()
        start = max(now, self._not_before.get(key, 0.0), request.meta.get("not_before", 0.0))
        interval = float(request.meta.get("min_interval") or 0)
        if interval:
            # Reserve this request's turn at once, so concurrent requests queue up behind it.
            self._not_before[key] = start + interval
        if start > now:
            logger.debug("waiting %.1fs before %s", start - now, request.url)
            await sleep(start - now)

    def pause(self, key: str, seconds: float) -> None:
        """Hold every request to `key` for `seconds` from now."""
        until = time.monotonic() + seconds
        self._not_before[key] = max(self._not_before.get(key, 0.0), until)

    # -- after the download

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        self._note_rate_limit(request, response)
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        if _is_robots_txt(request):
            return response
        if bot_wall(response):
            return response
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
            self.pause(pace_key(request), wait)
        else:
            retry.meta["not_before"] = time.monotonic() + self._backoff(retry)
        return retry

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if _is_robots_txt(request):
            return None
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request):
            retry.meta["not_before"] = time.monotonic() + self._backoff(retry)
        return retry

    def _backoff(self, retry: Request) -> float:
        attempt = retry.meta.get("retry_times", 1)
        return min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))

    def _note_rate_limit(self, request: Request, response: Response) -> None:
        headers = response.headers
        remaining = headers.get(b"X-RateLimit-Remaining") or headers.get(b"RateLimit-Remaining")
        if remaining is None:
            return
        try:
            left = float(remaining.decode("latin-1"))
        except ValueError:
            return
        if left >= 1:
            return
        reset = parse_rate_limit_reset(headers.get(b"X-RateLimit-Reset") or headers.get(b"RateLimit-Reset"))
        if reset is not None:
            self.pause(pace_key(request), min(reset, self.retry_after_max))
