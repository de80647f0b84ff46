"""App Store Connect customer reviews of one app, newest first, with the developer's responses.

Reads `GET /v1/apps/{id}/customerReviews?sort=-createdDate&include=response&limit=200` and follows
`links.next` until a review seen before (the `created` watermark). Apple gives no edit date and
lists no deleted reviews, so neither edits nor deletions can be told; new reviews are the news.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawlers.config import AppStoreConnectSource
from crawlers.incremental import Watermark
from crawlers.links import item_url
from crawlers.pagination import may_follow
from crawlers.platforms.appstore_connect import (
    MIN_INTERVAL,
    AppStoreConnectError,
    bearer_token,
    describe_error,
    response_of,
)
from crawlers.spiders.base import MentionSpider, api_date, json_body
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem, plain_text_body


def review_url(app_id: str, review_id: str) -> str:
    """Where the owner sees (and answers) the review in App Store Connect, with its id."""
    return item_url(f"https://appstoreconnect.apple.com/apps/{app_id}/distribution/activity/ios/ratingsResponses",
                    review_id)


class AppStoreConnectSpider(MentionSpider):
    name = "appstore_connect"
    source_type = "appstore_connect"
    obeys_robots_txt = False

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        source: AppStoreConnectSource = target.source  # type: ignore[assignment]
        url = (f"{source.api_base}v1/apps/{source.app_id}/customerReviews?sort=-createdDate"
               "&include=response&limit=200")
        try:
            yield self._get(target, url, 1)
        except AppStoreConnectError as exc:
            target.fail(str(exc))

    def _get(self, target: CrawlTarget, url: str, page: int) -> Request:
        source: AppStoreConnectSource = target.source  # type: ignore[assignment]
        request = self.request(target, url, self.parse_page, conditional=False,
                               headers={"Accept": "application/json"},
                               credentials={"Authorization": f"Bearer {bearer_token(self.credentials)}"},
                               credential_origin=source.api_base,
                               meta={"pace_key": "appstore_connect", "min_interval": MIN_INTERVAL},
                               cb_kwargs={"page": page})
        request.meta["handle_httpstatus_list"] = [304, 401, 403, 404, 429]
        return request

    def _review(self, target: CrawlTarget, source: AppStoreConnectSource, review: Any, included: list[Any],
                watermark: Watermark) -> Any:
        """One review's mention; False when seen before; MalformedItem (a warning) when it is none."""
        attributes = review.get("attributes") if isinstance(review, dict) else None
        if not isinstance(attributes, dict) or not isinstance(review.get("id"), str) or not review["id"]:
            raise MalformedItem(f"a customerReview without an id or attributes: {str(review)[:60]}")
        created = api_date(attributes.get("createdDate"))
        position = created.timestamp() if created else 0.0
        if not watermark.is_new(position, review["id"]):
            return False
        url = review_url(source.app_id, review["id"])
        rating = attributes.get("rating")
        title = attributes.get("title")
        # Plain text, as the body: the pipeline strips markup, so "<at>" must not look like a tag.
        title = html.escape(title, quote=False) if isinstance(title, str) else None
        item = self.item(target, url=url, title=title, text=plain_text_body(attributes.get("body")),
                         author=attributes.get("reviewerNickname"), published_at=created,
                         rating=float(rating) if isinstance(rating, int) and 1 <= rating <= 5 else None)
        watermark.see(position, review["id"])
        reply = response_of(review, included)
        if reply is not None:
            target.platform_replies[url] = (reply.text, reply.at)
        return item

    def parse_page(self, response: Response, target: CrawlTarget, page: int) -> Iterable[Any]:
        if response.status >= 400:
            limit = response.headers.get(b"X-Rate-Limit")
            target.fail(describe_error(response.status, response.body, limit.decode("latin-1") if limit else None))
            return
        source: AppStoreConnectSource = target.source  # type: ignore[assignment]
        answer = json_body(response)
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
            raise ValueError("not an App Store Connect customerReviews answer (no data list)")
        included = answer.get("included") or []
        watermark = Watermark(target, "created")
        reached_known = False
        if not isinstance(included, list):
            included = []
        for review in answer["data"]:
            item = self.entry(target, response, self._review, target, source, review, included, watermark)
            if item is False:
                reached_known = True
            elif item is not None:
                yield item
        links = answer.get("links")
        next_url = links.get("next") if isinstance(links, dict) else None
        if not isinstance(next_url, str) or not next_url or reached_known:
            return
        next_url = response.urljoin(next_url)
        # The first run reads the configured window; later runs stop at a known review, so the
        # cap reached then leaves a gap worth saying.
        if may_follow(target, "customerReviews", page=page, max_pages=source.max_pages, token=next_url,
                      next_url=next_url, home=source.api_base, gap_at_cap=not watermark.first_run):
            try:
                yield self._get(target, next_url, page + 1)
            except AppStoreConnectError as exc:
                target.fail(str(exc))
