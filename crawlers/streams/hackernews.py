"""Hacker News' stream: every new story and comment, from Algolia's search_by_date.

Each cycle asks once for everything created since the newest item of the last read
(`numericFilters=created_at_i>=N`, `tags=(story,comment)`), newest first, paging (`page=`) until
the answer's `nbPages` or the page budget ends. Items of that very second already read are told
apart by id, so none is read twice or skipped. Algolia pages at most 1,000 hits of one query: when
more are new than can be paged, what lies between the cursor and the oldest hit read is a gap,
recorded and shown by `check` and the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from scrapy import Request
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from crawlers.spiders.base import api_date, json_body
from crawlers.spiders.hackernews import MIN_INTERVAL, hit_fields
from crawlers.streams.base import StreamSpider
from crawlers.streams.state import Gap
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem

PAGE_SIZE = 200
KEY = "items"


class HackerNewsStreamSpider(StreamSpider):
    """Every new Hacker News story and comment since the last read, matched against every business."""

    name = "hackernews_stream"
    source_type = "hackernews"
    obeys_robots_txt = False
    max_pages: int = 10

    def first_stream_requests(self) -> Iterable[Request]:
        old = self.stream.cursor.get(KEY) or {}
        self.since: int | None = old.get("at")
        self.seen_at_since: set[str] = set(old.get("ids") or ())
        self.newest: tuple[int, set[str]] | None = None
        self.oldest: int | None = None
        url = f"{self.stream.api_url}/search_by_date?tags=(story,comment)&hitsPerPage={PAGE_SIZE}"
        if self.since is not None:
            # >= rather than >: items of that very second not read yet are told apart by id.
            url += f"&numericFilters=created_at_i>={int(self.since)}"
        yield self.page_request(url, 0)

    def page_request(self, url: str, page: int) -> Request:
        # The same pace as the per-business searches: together they stay under Algolia's limit.
        return self.stream_request(url, self.parse_hits, headers={"Accept": "application/json"},
                                   cb_kwargs={"page": page},
                                   meta={"pace_key": "hackernews", "min_interval": MIN_INTERVAL})

    def parse_hits(self, response: Response, target: CrawlTarget, page: int) -> Iterable[Any]:
        answer = json_body(response)
        if not isinstance(answer, dict) or not isinstance(answer.get("hits"), list):
            raise ValueError("not an Algolia search answer (no hits)")
        for hit in answer["hits"]:
            yield from self.entry(target, response, self._new_hit, hit) or ()
        if self.newest is not None:
            self.stream.new_cursor[KEY] = {"at": self.newest[0], "ids": sorted(self.newest[1])}
        if self.since is None:
            return  # the first read takes the newest page as its start
        pages = answer.get("nbPages")
        more = isinstance(pages, int) and page + 1 < pages
        if more and page + 1 < self.max_pages:
            yield self.page_request(add_or_replace_parameter(response.request.url, "page", str(page + 1)),  # type: ignore[union-attr]
                                    page + 1)
            return
        hits = answer.get("nbHits")
        read_all = not more and not (isinstance(hits, int) and isinstance(pages, int)
                                     and hits > pages * _hits_per_page(answer))
        if not read_all and self.oldest is not None and self.oldest > self.since:
            self.stream.gaps.append(Gap("hackernews", "items", _moment(self.since), _moment(self.oldest)))

    def _new_hit(self, hit: Any) -> list[Any]:
        if not isinstance(hit, dict) or not str(hit.get("objectID", "")).isdigit():
            raise MalformedItem(f"not a hit with a numeric objectID: {str(hit)[:60]}")
        created = hit.get("created_at_i")
        if not isinstance(created, int):
            raise MalformedItem(f"no created_at_i: {str(created)[:60]}")
        published = api_date(created)
        object_id = str(hit["objectID"])
        if self.since is not None and (created < self.since or (created == self.since and object_id in self.seen_at_since)):
            return []
        if self.newest is None or created > self.newest[0]:
            self.newest = (created, {object_id})
        elif created == self.newest[0]:
            self.newest[1].add(object_id)
        self.oldest = created if self.oldest is None else min(self.oldest, created)
        return list(self.matched(self.stream_item(**hit_fields(hit, published))))


def _hits_per_page(answer: dict[str, Any]) -> int:
    value = answer.get("hitsPerPage")
    return value if isinstance(value, int) and value > 0 else PAGE_SIZE


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
