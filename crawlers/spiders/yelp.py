"""Yelp Fusion review excerpts of one business, with its overall rating.

Yelp's API returns at most three review excerpts per business (the newest, with `sort_by=newest`)
and no way to page further; each run reads the business (its rating and review count, recorded
for the report) and those three, and stores those not seen before. Deletions cannot be told from
three excerpts, so none are marked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from scrapy import Request
from scrapy.http import Response

from crawlers.config import YelpSource
from crawlers.incremental import Watermark
from crawlers.platforms.yelp import MIN_INTERVAL, describe_error
from crawlers.spiders.base import MentionSpider, json_body
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem, plain_text_body

# Yelp gives `time_created` as a local time in US Pacific time, without an offset.
YELP_ZONE = ZoneInfo("America/Los_Angeles")


class YelpSpider(MentionSpider):
    name = "yelp"
    source_type = "yelp"
    obeys_robots_txt = False

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        source: YelpSource = target.source  # type: ignore[assignment]
        if self.credentials.yelp_api_key is None:
            raise ValueError(f"YELP_API_KEY is not set: create an app at https://www.yelp.com/developers "
                             f"and set its API key (source {source.business_id})")
        yield self._get(target, f"{source.api_base}businesses/{source.business_id}", self.parse_business)

    def _get(self, target: CrawlTarget, url: str, callback: Any) -> Request:
        key = self.credentials.yelp_api_key.get_secret_value()  # type: ignore[union-attr]
        source: YelpSource = target.source  # type: ignore[assignment]
        request = self.request(target, url, callback, conditional=False, headers={"Accept": "application/json"},
                               credentials={"Authorization": f"Bearer {key}"}, credential_origin=source.api_base,
                               meta={"pace_key": "yelp", "min_interval": MIN_INTERVAL})
        request.meta["handle_httpstatus_list"] = [304, 400, 401, 403, 404, 429]
        return request

    def _refused(self, response: Response, target: CrawlTarget) -> bool:
        if response.status < 400:
            return False
        reset = response.headers.get(b"RateLimit-ResetTime")
        target.fail(describe_error(response.status, response.body, reset.decode("latin-1") if reset else None))
        return True

    def parse_business(self, response: Response, target: CrawlTarget) -> Iterable[Any]:
        if self._refused(response, target):
            return
        business = json_body(response)
        if not isinstance(business, dict):
            raise ValueError("not a Yelp business (no JSON object)")
        if isinstance(business.get("rating"), (int, float)):
            count = business.get("review_count")
            target.aggregate_rating = (float(business["rating"]), count if isinstance(count, int) else None)
        source: YelpSource = target.source  # type: ignore[assignment]
        yield self._get(target, f"{source.api_base}businesses/{source.business_id}/reviews?limit=3&sort_by=newest",
                        self.parse_reviews)

    def parse_reviews(self, response: Response, target: CrawlTarget) -> Iterable[Any]:
        if self._refused(response, target):
            return
        answer = json_body(response)
        if not isinstance(answer, dict) or not isinstance(answer.get("reviews", []), list):
            raise ValueError("not a Yelp reviews answer (no reviews list)")
        watermark = Watermark(target, "created")
        for review in answer.get("reviews") or []:
            item = self.entry(target, response, self._review, target, review, watermark)
            if item is not None:
                yield item

    def _review(self, target: CrawlTarget, review: Any, watermark: Watermark) -> Any:
        """One excerpt's mention; None when seen before; MalformedItem (a warning) when it is none."""
        review_id, url = (review.get("id"), review.get("url")) if isinstance(review, dict) else (None, None)
        if not isinstance(review_id, str) or not isinstance(url, str):
            raise MalformedItem(f"a review without an id or url: {str(review)[:60]}")
        created = _pacific(review.get("time_created"))
        position = created.timestamp() if created else 0.0
        if not watermark.is_new(position, review_id):
            return None
        user = review.get("user") if isinstance(review.get("user"), dict) else {}
        rating = review.get("rating")
        item = self.item(target, url=url, text=plain_text_body(review.get("text")), author=user.get("name"),
                         published_at=created,
                         rating=float(rating) if isinstance(rating, (int, float)) and 1 <= rating <= 5 else None)
        watermark.see(position, review_id)
        return item


def _pacific(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        local = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return local.replace(tzinfo=YELP_ZONE).astimezone(UTC)
