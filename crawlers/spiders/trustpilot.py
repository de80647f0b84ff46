"""Trustpilot reviews of one business: the public page's schema.org markup, or the API with a key.

Without `TRUSTPILOT_API_KEY` this is the `reviews` spider on trustpilot.com/review/{domain} (its
JSON-LD reviews and overall rating, page by page, revalidated, robots.txt obeyed). With a key and
the `business_unit_id`, it reads the Trustpilot API: the business unit's score and review count,
then `business-units/{id}/reviews` newest first, until a review seen before; the company's reply
is stored as the reply. Deletions are not tracked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawlers.config import TrustpilotSource
from crawlers.incremental import Watermark
from crawlers.pagination import may_follow
from crawlers.platforms.errors import answered
from crawlers.spiders.base import api_date, json_body
from crawlers.spiders.reviews import ReviewsSpider
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem, plain_text_body

# Trustpilot's API allows 833 calls in 5 minutes per key: two a second at most stays well under.
MIN_INTERVAL = 0.5
# 100 reviews a page: the newest 10,000 on a first run; later runs stop at the first known review.
API_MAX_PAGES = 100


def describe_error(status: int, body: bytes) -> str:
    """Trustpilot's refusals (its gateway answers {"fault": {"faultstring", "detail": {"errorcode"}}})."""
    try:
        answer = json.loads(body)
        fault = answer.get("fault") or {}
        said = str(fault.get("faultstring") or answer.get("message") or "")[:200]
    except (ValueError, AttributeError):
        said = ""
    if status == 401:
        return f"Trustpilot refused the API key ({said or 'HTTP 401'}): check TRUSTPILOT_API_KEY in the Trustpilot Business app"
    if status == 404:
        return f"Trustpilot does not know business unit (HTTP 404): check `business_unit_id:` ({said})"
    if status == 429:
        return "Trustpilot's API limit is used up (HTTP 429): the next run tries again"
    return answered("Trustpilot", status, said=said)


class TrustpilotSpider(ReviewsSpider):
    name = "trustpilot"
    source_type = "trustpilot"

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        source: TrustpilotSource = target.source  # type: ignore[assignment]
        if self.credentials.trustpilot_api_key is None or not source.business_unit_id:
            yield from super().first_requests(target)  # the public page
            return
        yield self._api(target, f"{source.api_base}business-units/{source.business_unit_id}", self.parse_unit)

    def _api(self, target: CrawlTarget, url: str, callback: Any) -> Request:
        key = self.credentials.trustpilot_api_key.get_secret_value()  # type: ignore[union-attr]
        source: TrustpilotSource = target.source  # type: ignore[assignment]
        request = self.request(target, url, callback, conditional=False, headers={"Accept": "application/json"},
                               credentials={"apikey": key}, credential_origin=source.api_base,
                               meta={"pace_key": "trustpilot", "min_interval": MIN_INTERVAL,
                                     "dont_obey_robotstxt": True})
        request.meta["handle_httpstatus_list"] = [304, 401, 403, 404, 429]
        return request

    def parse_unit(self, response: Response, target: CrawlTarget) -> Iterable[Any]:
        if response.status >= 400:
            target.fail(describe_error(response.status, response.body))
            return
        unit = json_body(response)
        score = (unit.get("score") or {}).get("stars") if isinstance(unit, dict) else None
        if isinstance(score, (int, float)):
            total = (unit.get("numberOfReviews") or {}).get("total")
            target.aggregate_rating = (float(score), total if isinstance(total, int) else None)
        source: TrustpilotSource = target.source  # type: ignore[assignment]
        yield self._api(target, f"{source.api_base}business-units/{source.business_unit_id}/reviews"
                                "?perPage=100&orderBy=createdat.desc", self.parse_api_reviews)

    def _api_review(self, target: CrawlTarget, review: Any, watermark: Watermark) -> Any:
        """One review's mention; False when seen before; MalformedItem (a warning) when it is none."""
        review_id = review.get("id") if isinstance(review, dict) else None
        if not isinstance(review_id, str) or not review_id:
            raise MalformedItem(f"a review without an id: {str(review)[:60]}")
        created = api_date(review.get("createdAt"))
        position = created.timestamp() if created else 0.0
        if not watermark.is_new(position, review_id):
            return False
        url = f"https://www.trustpilot.com/reviews/{review_id}"
        stars = review.get("stars")
        consumer = review.get("consumer") if isinstance(review.get("consumer"), dict) else {}
        item = self.item(target, url=url, title=plain_text_body(review.get("title")) or None,
                         text=plain_text_body(review.get("text")), author=consumer.get("displayName"),
                         published_at=created,
                         rating=float(stars) if isinstance(stars, int) and 1 <= stars <= 5 else None)
        watermark.see(position, review_id)
        reply = review.get("companyReply")
        if isinstance(reply, dict) and isinstance(reply.get("text"), str) and reply["text"]:
            target.platform_replies[url] = (reply["text"], reply.get("updatedAt") or reply.get("createdAt"))
        return item

    def parse_api_reviews(self, response: Response, target: CrawlTarget, page: int = 1) -> Iterable[Any]:
        if response.status >= 400:
            target.fail(describe_error(response.status, response.body))
            return
        answer = json_body(response)
        if not isinstance(answer, dict) or not isinstance(answer.get("reviews"), list):
            raise ValueError("not a Trustpilot reviews answer (no reviews list)")
        watermark = Watermark(target, "created")
        reached_known = False
        for review in answer["reviews"]:
            item = self.entry(target, response, self._api_review, target, review, watermark)
            if item is False:
                reached_known = True
            elif item is not None:
                yield item
        next_page = next((link.get("href") for link in answer.get("links") or ()
                          if isinstance(link, dict) and link.get("rel") == "next-page"), None)
        if not isinstance(next_page, str) or not next_page.strip() or reached_known:
            return
        source: TrustpilotSource = target.source  # type: ignore[assignment]
        next_url = response.urljoin(next_page.strip())
        if may_follow(target, "reviews", page=page, max_pages=API_MAX_PAGES, token=next_url,
                      next_url=next_url, home=source.api_base):
            request = self._api(target, next_url, self.parse_api_reviews)
            request.cb_kwargs["page"] = page + 1
            yield request
