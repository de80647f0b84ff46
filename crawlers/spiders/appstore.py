"""Apple App Store customer reviews, from Apple's public JSON review feed, with their stars."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawlers.config import AppStoreSource
from crawlers.incremental import Watermark
from crawlers.pagination import may_follow
from crawlers.links import item_url
from crawlers.spiders.base import MentionSpider, json_body
from crawlers.target import CrawlTarget
from pipeline.items import plain_text_body
from pipeline.normalize import to_utc

_PAGE = re.compile(r"/page=\d+/")


def page_url(source: AppStoreSource, page: int) -> str | None:
    """Page `page` of the feed; an explicit `url:` pages only if it names its page ("/page=1/")."""
    if source.url:
        if page == 1:
            return source.url
        return _PAGE.sub(f"/page={page}/", source.url, count=1) if _PAGE.search(source.url) else None
    return (f"https://itunes.apple.com/{source.country.lower()}/rss/customerreviews/page={page}"
            f"/id={source.app_id}/sortby=mostrecent/json")


def _label(entry: dict[str, Any], *path: str) -> str | None:
    """Apple's feed wraps every value as {"label": ...}: entry["author"]["name"]["label"]."""
    value: Any = entry
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    value = value.get("label") if isinstance(value, dict) else None
    return value if isinstance(value, str) and value.strip() else None


class AppStoreSpider(MentionSpider):
    """The most recent reviews of `app_id:` in the `country:` store, up to `max_pages` pages of 50.

    Reading stops at the first page that holds a review seen before.
    """

    name = "appstore"
    source_type = "appstore"
    obeys_robots_txt = False

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        yield self.page_request(target, page_url(target.source, 1), 1)  # type: ignore[arg-type]

    def page_request(self, target: CrawlTarget, url: str, page: int) -> Request:
        return self.request(target, url, self.parse_page, headers={"Accept": "application/json"},
                            cb_kwargs={"page": page})

    def parse_page(self, response: Response, target: CrawlTarget, page: int) -> Iterable[Any]:
        source: AppStoreSource = target.source  # type: ignore[assignment]
        answer = json_body(response)
        feed = answer.get("feed") if isinstance(answer, dict) else None
        if not isinstance(feed, dict):
            raise ValueError("not an App Store review feed (no feed object)")
        entries = feed.get("entry") or []
        if isinstance(entries, dict):  # a page with a single review has it bare, not in a list
            entries = [entries]
        watermark = Watermark(target, "updated")
        reached_known = False
        reviews = 0
        for entry in entries:
            rating = _label(entry, "im:rating")
            review_id = _label(entry, "id")
            if rating is None or review_id is None:
                continue  # older feeds start with the app itself, which has no rating
            reviews += 1
            published = to_utc(_label(entry, "updated"), zone=target.timezone)
            position = published.timestamp() if published else 0.0
            if not watermark.is_new(position, review_id):
                reached_known = True
                continue
            watermark.see(position, review_id)
            yield self.item(
                target,
                url=item_url(f"https://apps.apple.com/{source.country.lower()}/app/id{source.app_id}?see-all=reviews",
                             review_id),
                title=_label(entry, "title"),
                text=plain_text_body(_label(entry, "content")),
                author=_label(entry, "author", "name"),
                published_at=published,
                rating=_stars(rating),
            )
        next_url = page_url(source, page + 1)
        # The configured window of the newest pages is read every run: reaching it says nothing.
        if (reviews and not reached_known and next_url
                and may_follow(target, "reviews", page=page, max_pages=source.max_pages, token=next_url,
                               gap_at_cap=False)):
            yield self.page_request(target, next_url, page + 1)


def _stars(label: str) -> float | None:
    try:
        stars = float(label)
    except ValueError:
        return None
    return stars if 1 <= stars <= 5 else None
