"""Reddit's site-wide stream: the newest posts (/r/all/new) and comments (/r/all/comments).

Each cycle reads each listing from its newest item back (`after=` the last fullname of a page)
until it reaches the newest item of the last read (the cursor), so every post and comment made
in between is read once, whatever the number of businesses. Reddit ids are base-36 numbers given
out in order, so "reached" is a comparison, not a lookup. When the listing ends, the page budget
is spent or the rate limit would stall the cycle before the cursor is reached, what lies between
the cursor and the oldest item read is a gap: recorded, and shown by `check` and the report.

The pace is Reddit's: 9 requests a minute without OAuth, 60 with (`requests_per_minute`), and a
pause whenever `x-ratelimit-remaining` runs out (crawlers/middlewares.py); a reset further off
than `RATE_LIMIT_WAIT_MAX` ends the read for this cycle rather than hold it up.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from crawlers.middlewares import parse_rate_limit_reset
from crawlers.spiders.base import api_date, json_body
from crawlers.spiders.reddit import (
    AUTHENTICATED_PER_MINUTE,
    OAUTH_API,
    UNAUTHENTICATED_PER_MINUTE,
    WEB,
    child_fields,
    json_suffix,
    token_url,
)
from crawlers.streams.base import StreamSpider
from crawlers.streams.state import Gap
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem

LISTINGS = {"posts": "/r/all/new", "comments": "/r/all/comments"}
PAGE_SIZE = 100
RATE_LIMIT_WAIT_MAX = 60.0
"""Seconds a read may wait for Reddit's rate limit to reset; a longer wait ends it (a gap)."""


@dataclass
class _ListingRead:
    """One listing's read in this cycle: the cursor it reads back to, what it has read."""

    key: str
    since_id: int | None
    since_at: float | None
    newest: tuple[int, float] | None = None
    oldest: tuple[int, float] | None = None
    reached: bool = False

    def see(self, number: int, created: float) -> None:
        if self.newest is None or number > self.newest[0]:
            self.newest = (number, created)
        if self.oldest is None or number < self.oldest[0]:
            self.oldest = (number, created)


class RedditStreamSpider(StreamSpider):
    """Every new Reddit post and comment since the last read, matched against every business."""

    name = "reddit_stream"
    source_type = "reddit"
    obeys_robots_txt = False
    max_pages: int = 10
    requests_per_minute: float | None = None

    def first_stream_requests(self) -> Iterable[Request]:
        client_id = self.credentials.reddit_client_id
        secret = self.credentials.reddit_client_secret
        if not (client_id and secret):
            yield from self.listing_requests(self.stream.api_url or WEB, token=None)
            return
        api = self.stream.api_url or OAUTH_API
        basic = base64.b64encode(f"{client_id.get_secret_value()}:{secret.get_secret_value()}".encode()).decode()
        yield self.stream_request(
            token_url(api), self.parse_token, step="reddit login", method="POST",
            body="grant_type=client_credentials",
            headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
            cb_kwargs={"api": api},
        )

    def parse_token(self, response: Response, target: CrawlTarget, api: str) -> Iterable[Request]:
        answer = json_body(response)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise ValueError("no access_token in the answer")
        yield from self.listing_requests(api, token=token)

    def listing_requests(self, api: str, token: str | None) -> Iterable[Request]:
        for key, path in LISTINGS.items():
            old = self.stream.cursor.get(key) or {}
            read = _ListingRead(key, old.get("id"), old.get("at"))
            url = f"{api}{path}{json_suffix(api)}?limit={PAGE_SIZE}&raw_json=1"
            yield self.listing_request(url, read, token, page=1)

    def listing_request(self, url: str, read: _ListingRead, token: str | None, page: int) -> Request:
        per_minute = self.requests_per_minute or (AUTHENTICATED_PER_MINUTE if token else UNAUTHENTICATED_PER_MINUTE)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"bearer {token}"
        return self.stream_request(
            url, self.parse_listing, headers=headers,
            meta={"pace_key": "reddit", "min_interval": 60.0 / per_minute},
            cb_kwargs={"read": read, "token": token, "page": page},
        )

    def parse_listing(self, response: Response, target: CrawlTarget, read: _ListingRead, token: str | None,
                      page: int) -> Iterable[Any]:
        listing = json_body(response)
        if not isinstance(listing, dict) or listing.get("kind") != "Listing":
            raise ValueError("not a Reddit listing")
        data = listing.get("data") or {}
        for child in data.get("children") or ():
            kind = child.get("kind") if isinstance(child, dict) else None
            if kind not in ("t1", "t3"):
                continue  # other kinds (more, t5, ...) are not mentions
            items = self.entry(target, response, self._new_child, read, kind, child.get("data"))
            yield from items or ()
        if read.newest is not None:
            number, created = read.newest
            self.stream.new_cursor[read.key] = {"id": number, "at": created}
        if read.since_id is None or read.reached:
            return  # the first read takes the newest page as its start; or all that is new is read
        after = data.get("after")
        stalled = _rate_limit_wait(response) > RATE_LIMIT_WAIT_MAX
        if after and page < self.max_pages and not stalled:
            next_url = add_or_replace_parameter(response.request.url, "after", after)  # type: ignore[union-attr]
            yield self.listing_request(next_url, read, token, page + 1)
        elif read.oldest is not None and read.since_at is not None and read.oldest[1] > read.since_at:
            self.stream.gaps.append(Gap("reddit", read.key, _moment(read.since_at), _moment(read.oldest[1])))

    def _new_child(self, read: _ListingRead, kind: str, post: Any) -> list[Any]:
        if not isinstance(post, dict):
            raise MalformedItem(f"{kind} without data: {str(post)[:60]}")
        try:
            number = int(str(post.get("id")), 36)
        except ValueError:
            raise MalformedItem(f"not a Reddit id: {str(post.get('id'))[:40]}") from None
        if read.since_id is not None and number <= read.since_id:
            read.reached = True
            return []
        created = post.get("created_utc")
        if not isinstance(created, (int, float)):
            raise MalformedItem(f"no created_utc: {str(created)[:60]}")
        published = api_date(created)
        read.see(number, float(created))
        return list(self.matched(self.stream_item(**child_fields(kind, post, published))))


def _rate_limit_wait(response: Response) -> float:
    """Seconds until Reddit takes requests again: 0 while `x-ratelimit-remaining` lasts."""
    remaining = response.headers.get(b"x-ratelimit-remaining")
    try:
        if remaining is None or float(remaining.decode("latin-1")) >= 1:
            return 0.0
    except ValueError:
        return 0.0
    return parse_rate_limit_reset(response.headers.get(b"x-ratelimit-reset")) or 0.0


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
