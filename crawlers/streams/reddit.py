"""Reddit's site-wide stream: the newest posts (/r/all/new) and comments (/r/all/comments).

Each cycle reads each listing from the cursor (the newest item of the last read) towards the
present with `before=<the cursor item's fullname>`: Reddit answers the items just newer than it,
and each further page asks `before=` the newest item read so far, so every post and comment made
in between is read once, oldest pages first, whatever the number of businesses. When the page
budget or the rate limit ends the read first, the cursor is the newest item read and the next
cycle goes on from there: late, never lost.

`before` answers nothing when the cursor item is gone from the listing (removed, or pushed past
the 1,000 items Reddit keeps by a stream faster than the reads). Then the read walks back from the
top instead (`after=` the last fullname of a page) until it reaches the cursor; Reddit ids are
base-36 numbers given out in order, so "reached" is a comparison, not a lookup. When that walk
ends (the listing's end, the page budget, the rate limit) before the cursor is reached, what lies
between the cursor and the oldest item read is a gap: recorded, and shown by `check` and the report.

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
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from crawlers.budget import parse_rate_limit_reset
from crawlers.middlewares import RateLimited
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
KINDS = {"posts": "t3", "comments": "t1"}
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
    forward: bool = False
    """Reading towards the present with `before=` (else walking back from the top with `after=`)."""

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
            read = _ListingRead(key, old.get("id"), old.get("at"), forward=old.get("id") is not None)
            url = f"{api}{path}{json_suffix(api)}?limit={PAGE_SIZE}&raw_json=1"
            if read.forward:
                url = add_or_replace_parameter(url, "before", fullname(key, read.since_id))  # type: ignore[arg-type]
            yield self.listing_request(url, read, token, page=1)

    def listing_request(self, url: str, read: _ListingRead, token: str | None, page: int) -> Request:
        per_minute = self.requests_per_minute or (AUTHENTICATED_PER_MINUTE if token else UNAUTHENTICATED_PER_MINUTE)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"bearer {token}"
        return self.stream_request(
            url, self.parse_listing, headers=headers,
            meta={"pace_key": "reddit", "min_interval": 60.0 / per_minute,
                  # A longer wait for the rate limit's reset ends the read (see `rate_limited`).
                  "rate_limit_wait_max": RATE_LIMIT_WAIT_MAX},
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
        stalled = _rate_limit_wait(response) > RATE_LIMIT_WAIT_MAX
        if read.forward:
            yield from self._next_forward(response, read, token, page, data, stalled)
            return
        if read.since_id is None or read.reached:
            return  # the first read takes the newest page as its start; or all that is new is read
        after = data.get("after")
        if after and page < self.max_pages and not stalled:
            next_url = add_or_replace_parameter(response.request.url, "after", after)  # type: ignore[union-attr]
            yield self.listing_request(next_url, read, token, page + 1)
        else:
            if after and page < self.max_pages:
                self._stalled(response)
            self._walk_ended(read)

    def _stalled(self, response: Response) -> None:
        self.stream.rate_limited(_rate_limit_wait(response))

    def _walk_ended(self, read: _ListingRead) -> None:
        """The walk back from the top stopped: what lies between the cursor and the oldest item
        read is a gap (the cursor moves to the newest item read)."""
        if read.forward or read.since_id is None or read.reached:
            return
        if read.oldest is not None and read.since_at is not None and read.oldest[1] > read.since_at:
            self.stream.gaps.append(Gap("reddit", read.key, _moment(read.since_at), _moment(read.oldest[1])))

    def rate_limited(self, request: Request, exc: RateLimited) -> bool:
        """A listing's next page kept back by the rate limit ends its read as the page budget does."""
        read = request.cb_kwargs.get("read")
        if isinstance(read, _ListingRead):
            self._walk_ended(read)
        return super().rate_limited(request, exc)

    def _next_forward(self, response: Response, read: _ListingRead, token: str | None, page: int,
                      data: dict[str, Any], stalled: bool) -> Iterable[Request]:
        """After a page read with `before=`: the next page towards the present, or the walk back."""
        url: str = response.request.url  # type: ignore[union-attr]
        if read.newest is None:
            if page == 1:
                # Nothing newer than the cursor item: either nothing new, or that item is gone
                # from the listing. The walk back from the top tells which (and the gap, if any).
                read.forward = False
                yield self.listing_request(_without(url, "before"), read, token, page + 1)
            return
        # Reddit's `before` names the page's newest item while newer ones exist (a full page: maybe).
        newer = bool(data.get("before")) or len(data.get("children") or ()) >= PAGE_SIZE
        if newer and page < self.max_pages and not stalled:
            yield self.listing_request(add_or_replace_parameter(url, "before", fullname(read.key, read.newest[0])),
                                       read, token, page + 1)
        elif newer and page < self.max_pages:
            self._stalled(response)
        # Else all that is new is read, or the rest waits for the next cycle (from the new cursor).

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


def base36(number: int) -> str:
    """A Reddit id from its number (ids are base-36 numbers given out in order)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def fullname(key: str, number: int) -> str:
    """The fullname (t3_..., t1_...) of the item numbered `number` in listing `key`."""
    return f"{KINDS[key]}_{base36(number)}"


def _without(url: str, parameter: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != parameter]
    return urlunsplit(parts._replace(query=urlencode(query)))


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
