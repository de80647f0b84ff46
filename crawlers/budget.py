"""How much of each platform API's allowance is left: read from its answers, kept for `check`.

APIs that say so in their answers' headers (as their documentation describes them):

* Reddit: `x-ratelimit-used`, `x-ratelimit-remaining`, `x-ratelimit-reset` (seconds to the end
  of the window; the window is 10 minutes, the allowance 100 a minute with OAuth);
* Yelp: `RateLimit-DailyLimit`, `RateLimit-Remaining`, `RateLimit-ResetTime` (ISO 8601, midnight UTC);
* App Store Connect: `X-Rate-Limit: user-hour-lim:3600;user-hour-rem:3545;` (a rolling hour per key);
* Mastodon: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (ISO 8601);
* Bluesky: `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (Unix time).

For the others (Algolia's Hacker News search, Trustpilot, Google Business Profile, Google Play),
whose answers carry no such header, the requests made today are counted against the allowance
their documentation gives (crawlers.pacing). Spiders note what an answer said on its
`CrawlTarget` (`api_budget`) and count their API requests (`api_requests`);
crawlers.api_budgets keeps one row per API after the crawl.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

API_TYPES = frozenset({"reddit", "hackernews", "mastodon", "bluesky", "yelp", "trustpilot", "google_business",
                       "google_play", "appstore_connect"})
"""Source types read through a platform's API, whose allowance is counted (web pages and feeds are
paced per site instead)."""

_APPLE_LIMIT = re.compile(r"user-hour-lim:(\d+)")
_APPLE_REMAINING = re.compile(r"user-hour-rem:(\d+)")


@dataclass(frozen=True)
class Budget:
    """What one answer's headers said of the API's allowance."""

    remaining: int
    limit: int | None
    window: str | None
    resets_at: datetime | None
    seen_at: datetime


def read_budget(header: Callable[[str], str | None], now: datetime) -> Budget | None:
    """The allowance an answer announces, from `header(name)` (case-insensitive); None when it says nothing."""
    apple = header("X-Rate-Limit")
    if apple:
        remaining, limit = _APPLE_REMAINING.search(apple), _APPLE_LIMIT.search(apple)
        if remaining is None:
            return None
        return Budget(int(remaining.group(1)), int(limit.group(1)) if limit else None, "rolling hour", None, now)
    if header("RateLimit-DailyLimit") is not None:  # Yelp
        remaining = _number(header("RateLimit-Remaining"))
        if remaining is None:
            return None
        return Budget(remaining, _number(header("RateLimit-DailyLimit")), "day",
                      _moment(header("RateLimit-ResetTime"), now), now)
    used = _number(header("x-ratelimit-used"))  # Reddit
    remaining = _number(header("X-RateLimit-Remaining") or header("RateLimit-Remaining"))
    if remaining is None:
        return None
    limit = _number(header("X-RateLimit-Limit") or header("RateLimit-Limit"))
    if limit is None and used is not None:
        limit = used + remaining
    return Budget(remaining, limit, None, _moment(header("X-RateLimit-Reset") or header("RateLimit-Reset"), now), now)


def parse_rate_limit_reset(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds until a rate-limit window resets, from the forms APIs use.

    Reddit sends seconds to go ("412"), Bluesky a Unix time ("1732372800"), Mastodon an ISO 8601
    time ("2024-11-23T15:00:00.000Z").
    """
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    current = time.time() if now is None else now
    try:
        number = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        return max(0.0, moment.timestamp() - current)
    # Anything that large is a point in time, not a duration.
    return max(0.0, number - current) if number > 1e9 else max(0.0, number)


def _number(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return max(0, int(float(value.strip())))  # Reddit sends "87.0"
    except ValueError:
        return None


def _moment(value: str | None, now: datetime) -> datetime | None:
    seconds = parse_rate_limit_reset(value, now.timestamp())
    return None if seconds is None else (now + timedelta(seconds=seconds)).replace(microsecond=0)


def response_header(headers: object) -> Callable[[str], str | None]:
    """`header(name)` over a Scrapy response's headers."""

    def header(name: str) -> str | None:
        value = headers.get(name.encode("ascii"))  # type: ignore[attr-defined]
        return value.decode("latin-1") if value is not None else None

    return header
