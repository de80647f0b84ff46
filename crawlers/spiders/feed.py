"""RSS 0.9x/1.0/2.0 and Atom feeds, parsed with feedparser: news searches, Google Alerts, blogs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus
from xml.sax import SAXException

import feedparser
from scrapy import Request
from scrapy.http import Response

from crawlers.config import FeedSource
from crawlers.failures import body_kind, xml_problem
from crawlers.spiders.base import MentionSpider
from crawlers.target import CrawlTarget
from pipeline.items import MentionItem
from pipeline.normalize import to_utc, unwrap_redirect


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,19}):")


def feed_url(source: FeedSource) -> str:
    """The source's own URL, or a news search feed for its query (Google News, or Bing News)."""
    if source.url:
        return source.url
    query = quote_plus(f'"{source.query}"')
    if source.engine == "bing":
        return f"https://www.bing.com/news/search?q={query}&format=rss&mkt={source.language}"
    language = source.language
    return (
        f"https://news.google.com/rss/search?q={query}"
        f"&hl={language}&gl={source.country}&ceid={source.country}:{language.split('-')[0]}"
    )


class FeedSpider(MentionSpider):
    """One mention per feed entry.

    Aggregators (Google News, Bing News, Google Alerts) wrap each article's link in a redirect
    through their own site; the article's own URL is stored wherever the link carries it.
    """

    name = "feed"
    source_type = "feed"
    # A feed is parsed whole, in the crawl's one thread; feeds fetched faster than they are
    # parsed wait in memory, and downloads still in flight wait behind their parsing. With 64
    # big feeds at once (a backfill) that cost 200 MB and downloads timed out; 16 is plenty.
    custom_settings = {"CONCURRENT_REQUESTS": 16}

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        yield self.request(target, feed_url(target.source), self.parse_feed)  # type: ignore[arg-type]

    def parse_feed(self, response: Response, target: CrawlTarget) -> Iterator[MentionItem]:
        # feedparser is given the bytes Scrapy fetched: it never touches the network itself.
        parsed = feedparser.parse(
            response.body,
            response_headers={k.decode().lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v},
            # Made for showing entries' HTML in a browser, which nothing here does: the pipeline
            # reduces it to text. Skipping both saves about a third of the parse.
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        if not parsed.get("version"):
            # Neither RSS nor Atom: a login page, an error page, a moved site's home page.
            raise ValueError(f"not a feed: the server sent {body_kind(response)}")
        no_address: list[str] = []
        items = list(self._items(response, target, parsed.entries, no_address))
        notes: list[str] = []
        if no_address:
            # Left out, but said: a feed whose links all are tag: ids would otherwise look empty.
            schemes = ", ".join(dict.fromkeys(f"{s}:" if s else "no link" for s in no_address))
            notes.append(f"{len(no_address)} {'entry' if len(no_address) == 1 else 'entries'} skipped: "
                         f"{'its link is' if len(no_address) == 1 else 'their link is'} not a web address ({schemes})")
        if parsed.bozo:
            exception = parsed.get("bozo_exception")
            problem = xml_problem(exception)
            # XML that stops being XML (a feed cut off, a broken tag) with nothing before it is
            # nothing usable; lesser complaints (a wrong declared encoding) leave a good feed.
            if not items and isinstance(exception, SAXException):
                raise ValueError(f"feed cut off or broken before its first complete entry ({problem})")
            # What it yielded is good, and worth keeping; what is wrong is shown beside it.
            notes.insert(0, f"feed has errors, {len(items)} {'entry' if len(items) == 1 else 'entries'} read ({problem})")
        if notes:
            target.warn("; ".join(notes))
        yield from items

    def _items(self, response: Response, target: CrawlTarget, entries: list[Any],
               no_address: list[str]) -> Iterator[MentionItem]:
        """The entries' mentions; the scheme of each link that is no web address goes to `no_address`."""
        for entry in entries:
            link = entry.get("link") or entry.get("id")
            url = unwrap_redirect(response.urljoin(link)) if isinstance(link, str) else ""
            if not url.startswith(("http://", "https://")):
                # No address a person could open (a tag: id, a javascript: link): left out, counted.
                scheme = _SCHEME.match(url)
                no_address.append(scheme.group(1).lower() if scheme else "")
                continue
            yield self.item(
                target,
                url=url,
                title=entry.get("title"),
                text=_entry_body(entry),
                author=_entry_author(entry),
                published_at=_entry_date(entry, target.timezone),
            )


def _entry_body(entry: Any) -> str:
    # Full content beats the summary when a feed carries both.
    for content in entry.get("content") or ():
        if content.get("value"):
            return content["value"]
    return entry.get("summary") or ""


def _entry_author(entry: Any) -> str | None:
    """The writer, else the publisher an aggregator names (<source> in Google News, Bing's
    <News:Source>)."""
    if entry.get("author"):
        return entry["author"]
    source = entry.get("source") or {}
    return source.get("title") or entry.get("news_source") or None


def _entry_date(entry: Any, zone: str = "UTC") -> datetime | None:
    """feedparser's parsed dates are UTC struct_times; the crawl time is never used instead.

    Outside UTC the text is read first: feedparser takes a date without a time ("2026-11-25")
    or a time without an offset as UTC, where it is the business's local day or time."""
    if zone != "UTC":
        for key in ("published", "updated", "created"):
            moment = to_utc(entry.get(key), zone=zone)
            if moment is not None:
                return moment
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        moment = to_utc(entry.get(key))
        if moment is not None:
            return moment
    # Dates feedparser could not read ("23/11/2026 10:00", other languages) are tried again.
    for key in ("published", "updated", "created"):
        moment = to_utc(entry.get(key))
        if moment is not None:
            return moment
    return None
