"""Mastodon: an instance's public hashtag timeline, or its status search (with a token)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from scrapy import Request
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from crawlers.config import MastodonSource
from crawlers.incremental import Watermark
from crawlers.pagination import may_follow
from crawlers.spiders.base import MentionSpider, api_date, json_body
from crawlers.target import CrawlTarget

MAX_PAGES = 5
PAGE_SIZE = 40  # the API's maximum


def instance_base(instance: str) -> str:
    """"mastodon.social" or "https://mastodon.social/" -> "https://mastodon.social"."""
    instance = instance.strip().rstrip("/")
    return instance if instance.startswith(("http://", "https://")) else f"https://{instance}"


def endpoint(source: MastodonSource) -> str:
    if source.url:
        return source.url
    base = instance_base(source.instance)
    if source.tag:
        return f"{base}/api/v1/timelines/tag/{quote(source.tag.lstrip('#'), safe='')}?limit={PAGE_SIZE}"
    return f"{base}/api/v2/search?q={quote(source.query or '')}&type=statuses&resolve=false&limit={PAGE_SIZE}"


def _position(status_id: str) -> int:
    # Mastodon's ids are numeric strings that grow with time (snowflakes); compare as integers
    # (they are past a float's exact range).
    return int(status_id) if status_id.isdigit() else 0


class MastodonSpider(MentionSpider):
    """Statuses of the hashtag `tag:` on `instance:` (public; no token needed on most instances),
    or statuses matching `query:` through the search API, which needs `mastodon_token`.

    After the first run it asks only for statuses newer than the newest seen (`min_id`), paging
    forward until it has them all.
    """

    name = "mastodon"
    source_type = "mastodon"
    obeys_robots_txt = False

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        source: MastodonSource = target.source  # type: ignore[assignment]
        token = self.credentials.mastodon_token
        if not source.tag and token is None:
            raise ValueError("Mastodon search needs an access token: set MASTODON_TOKEN "
                             "(or credentials.mastodon_token in config.yaml), or watch a `tag:`")
        url = endpoint(source)
        since = Watermark(target, "id").since
        if since is not None:
            url = add_or_replace_parameter(url, "min_id", str(int(since)))
        yield self.page_request(target, url, 1)

    def page_request(self, target: CrawlTarget, url: str, page: int) -> Request:
        token = self.credentials.mastodon_token
        return self.request(target, url, self.parse_statuses, headers={"Accept": "application/json"},
                            credentials={"Authorization": f"Bearer {token.get_secret_value()}"} if token else None,
                            cb_kwargs={"page": page})

    def parse_statuses(self, response: Response, target: CrawlTarget, page: int) -> Iterable[Any]:
        answer = json_body(response)
        statuses = answer.get("statuses") if isinstance(answer, dict) else answer
        if not isinstance(statuses, list):
            raise ValueError("not a list of Mastodon statuses")
        watermark = Watermark(target, "id")
        newest: str | None = None
        for status in statuses:
            if not isinstance(status, dict) or not str(status.get("id", "")).isdigit():
                self.drop(target, response, f"not a status with a numeric id: {str(status)[:60]}")
                continue
            status_id = str(status["id"])
            if newest is None or _position(status_id) > _position(newest):
                newest = status_id
            if not watermark.is_new(_position(status_id), status_id):
                continue
            watermark.see(_position(status_id), status_id)
            item = self.entry(target, response, self._mention, target, status)
            if item is not None:
                yield item
        # With min_id the API gives the page just after it; a full page means more are newer.
        if (not watermark.first_run and newest and len(statuses) >= PAGE_SIZE
                and may_follow(target, "statuses", page=page, max_pages=MAX_PAGES, token=newest)):
            next_url = add_or_replace_parameter(response.request.url, "min_id", newest)  # type: ignore[union-attr]
            yield self.page_request(target, next_url, page + 1)

    def _mention(self, target: CrawlTarget, status: dict[str, Any]) -> Any:
        return self.item(target, **status_fields(status))


def status_fields(status: dict[str, Any]) -> dict[str, Any]:
    """A Mastodon Status's mention fields (a boost is the boosted status), polled or streamed alike."""
    shown = status.get("reblog") if isinstance(status.get("reblog"), dict) else status
    account = shown.get("account") or {}
    author = account.get("acct") or account.get("username")
    return {
        "url": shown.get("url") or shown.get("uri") or "",
        "title": shown.get("spoiler_text") or None,  # a content warning is the post's own headline
        "text": shown.get("content") or "",
        "author": f"@{author}" if author else None,
        "published_at": api_date(shown.get("created_at")),
    }
