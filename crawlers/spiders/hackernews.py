"""Hacker News stories and comments through the Algolia search API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from scrapy import Request
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from crawlers.config import HackerNewsSource
from crawlers.incremental import Watermark
from crawlers.pagination import may_follow
from crawlers.spiders.base import MentionSpider, api_date, json_body
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem, plain_text_body
from pipeline.normalize import to_utc

API = "https://hn.algolia.com/api/v1"
ITEM = "https://news.ycombinator.com/item?id="
MAX_PAGES = 5
PAGE_SIZE = 100
# Algolia allows an IP about 10,000 API requests an hour; all of a run's Hacker News searches
# share one pace a little under it (9,000 an hour), whatever the number of businesses.
MIN_INTERVAL = 0.4


def search_url(source: HackerNewsSource, api: str | None = None) -> str:
    """The source's search: its `url:`, else Algolia's search_by_date at `api` (default Algolia's)."""
    return source.url or (f"{api or API}/search_by_date?query={quote(source.query)}"
                          f"&tags=(story,comment)&hitsPerPage={PAGE_SIZE}")


class HackerNewsSpider(MentionSpider):
    """Stories and comments matching `query:`, newest first.

    The first run reads the newest page. Later runs ask Algolia only for items created since the
    newest one seen (`numericFilters=created_at_i>=N`), paging (`page=`) until all are read.
    """

    name = "hackernews"
    source_type = "hackernews"
    obeys_robots_txt = False
    api_url: str | None = None
    """`streams: hackernews: api_url:`, replacing Algolia's address (set by the runner)."""

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        url = search_url(target.source, self.api_url)  # type: ignore[arg-type]
        since = Watermark(target, "created_at_i").since
        if since is not None:
            # >= rather than >: items of that very second not seen yet are told apart by id.
            url = add_or_replace_parameter(url, "numericFilters", f"created_at_i>={int(since)}")
        yield self.page_request(target, url, 0)

    def page_request(self, target: CrawlTarget, url: str, page: int) -> Request:
        return self.request(target, url, self.parse_hits, headers={"Accept": "application/json"},
                            cb_kwargs={"page": page},
                            meta={"pace_key": "hackernews", "min_interval": MIN_INTERVAL})

    def parse_hits(self, response: Response, target: CrawlTarget, page: int) -> Iterable[Any]:
        answer = json_body(response)
        if not isinstance(answer, dict) or not isinstance(answer.get("hits"), list):
            raise ValueError("not an Algolia search answer (no hits)")
        watermark = Watermark(target, "created_at_i")
        for hit in answer["hits"]:
            item = self.entry(target, response, self._new_hit, target, hit, watermark)
            if item is not None:
                yield item
        pages = answer.get("nbPages")
        # The first run takes the newest page as its baseline; later runs read all that is new.
        # Algolia's pages are numbered by us (page=), so none can repeat; only the cap applies.
        if (isinstance(pages, int) and page + 1 < pages and not watermark.first_run
                and may_follow(target, "search", page=page + 1, max_pages=MAX_PAGES, token=str(page + 1))):
            yield self.page_request(target, add_or_replace_parameter(response.request.url, "page", str(page + 1)),  # type: ignore[union-attr]
                                    page + 1)

    def _new_hit(self, target: CrawlTarget, hit: Any, watermark: Watermark) -> Any:
        """The hit's mention, None when it was seen before; MalformedItem when it cannot be one."""
        if not isinstance(hit, dict) or not str(hit.get("objectID", "")).isdigit():
            raise MalformedItem(f"not a hit with a numeric objectID: {str(hit)[:60]}")
        created = hit.get("created_at_i")
        # Checked before the watermark moves: an impossible date must not hide later items.
        published = api_date(created) if created is not None else to_utc(hit.get("created_at"))
        object_id = str(hit["objectID"])
        if isinstance(created, (int, float)):
            if not watermark.is_new(created, object_id):
                return None
            watermark.see(created, object_id)
        return self.item(target, **hit_fields(hit, published))


def hit_fields(hit: dict[str, Any], published: Any) -> dict[str, Any]:
    """An Algolia hit's (story or comment) mention fields, linked on news.ycombinator.com."""
    tags = hit.get("_tags") or []
    if "comment" in tags or hit.get("comment_text"):
        story = hit.get("story_title")
        return dict(url=ITEM + str(hit["objectID"]), title=f"Re: {story}" if story else None,
                    text=hit.get("comment_text") or "", author=hit.get("author"), published_at=published)
    # A link story has only its title (and the link); an Ask HN has text.
    text = hit.get("story_text") or plain_text_body(hit.get("url"))
    return dict(url=ITEM + str(hit["objectID"]), title=hit.get("title"), text=text,
                author=hit.get("author"), published_at=published)
