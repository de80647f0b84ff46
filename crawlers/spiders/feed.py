"""RSS 0.9x/1.0/2.0 and Atom feeds, parsed with feedparser."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus

import feedparser
from scrapy import Request
from scrapy.http import Response

from crawlers.items import MentionItem
from crawlers.spiders.base import MentionSpider
from crawlers.target import CrawlTarget
from mentionwatch.config import FeedSource


def feed_url(source: FeedSource) -> str:
    """The source's own URL, or a news search feed for its query."""
    if source.url:
        return source.url
    query = quote_plus(f'"{source.query}"')
    if source.engine == "bing":
        return f"https://www.bing.com/news/search?q={query}&format=rss"
    language = source.language
    return (
        f"https://news.google.com/rss/search?q={query}"
        f"&hl={language}&gl={source.country}&ceid={source.country}:{language.split('-')[0]}"
    )


class FeedSpider(MentionSpider):
    name = "feed"
    source_type = "feed"

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        yield self.request(target, feed_url(target.source), self.parse_feed)  # type: ignore[arg-type]

    def parse_feed(self, response: Response, target: CrawlTarget) -> Iterator[MentionItem]:
        # feedparser is given the bytes Scrapy fetched: it never touches the network itself.
        parsed = feedparser.parse(
            response.body,
            response_headers={k.decode().lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v},
        )
        if parsed.bozo and not parsed.entries:
            problem = parsed.get("bozo_exception")
            raise ValueError(f"not a feed ({type(problem).__name__}: {problem})" if problem else "not a feed")
        for entry in parsed.entries:
            link = entry.get("link") or entry.get("id")
            if not link:
                continue
            yield MentionItem(
                business=target.business,
                source_id=target.source_id,
                source_type="feed",
                url=response.urljoin(link),
                title=entry.get("title"),
                text=_entry_body(entry),
                author=entry.get("author"),
                published_at=_entry_date(entry),
            )


def _entry_body(entry: Any) -> str:
    # Full content beats the summary when a feed carries both.
    for content in entry.get("content") or ():
        if content.get("value"):
            return content["value"]
    return entry.get("summary") or ""


def _entry_date(entry: Any) -> datetime | None:
    """feedparser's parsed dates are UTC struct_times; the crawl time is never used instead."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    return None
