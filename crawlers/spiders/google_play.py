"""Google Play reviews of one app through the Play Developer API (a service account), or,
without one, the public reviews through google-play-scraper (crawlers/platforms/google_play_public.py).

Play lists the reviews created or changed in the last seven days, most recently changed first,
100 a page with a `token` to the next. Reading stops at the first review not changed since the
last run; an edited review (a new `lastModified`) comes back as an edit, kept as a revision.
Play's list cannot tell a deleted review from one older than a week: none is marked deleted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import quote

from google.oauth2 import service_account
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from crawlers.config import GooglePlaySource
from crawlers.incremental import Watermark
from crawlers.pagination import may_follow
from crawlers.platforms.google import GoogleError, access_token
from crawlers.platforms.google_play import (
    MIN_INTERVAL,
    describe_error,
    developer_reply,
    review_url,
    seconds_of,
    service_account_credentials,
    utc_of,
)
from crawlers.platforms.google_play_public import (
    fetch_public_reviews,
    public_review_items,
)
from crawlers.spiders.base import MentionSpider, json_body
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem, plain_text_body


# Play lists a week of reviews, 100 a page: 5,000 reviews a week is beyond any app this serves.
MAX_PAGES = 50


class GooglePlaySpider(MentionSpider):
    name = "google_play"
    source_type = "google_play"
    obeys_robots_txt = False

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._accounts: dict[str, service_account.Credentials] = {}

    def _token(self, source: GooglePlaySource) -> str:
        """The service account's access token: one refresh per run and token endpoint (a blocking
        call, once, as for google_business)."""
        key = source.token_url or ""
        account = self._accounts.get(key)
        if account is None:
            account = self._accounts[key] = service_account_credentials(self.credentials, source)
        if not account.valid:
            access_token(account, timeout=self.settings.getfloat("DOWNLOAD_TIMEOUT", 30))
        return account.token

    async def start(self) -> AsyncIterator[Any]:
        """API sources as requests; without a service account, the public reviews as items."""
        for target in self.targets:
            if self.credentials.google_play_service_account_file:
                for request in self.start_requests_for([target]):
                    yield request
                continue
            for item in await self._public(target):
                yield item

    async def _public(self, target: CrawlTarget) -> list[Any]:
        """google-play-scraper's blocking calls run in a thread, so the crawl goes on meanwhile."""
        source: GooglePlaySource = target.source  # type: ignore[assignment]
        target.responses += 1
        try:
            found = await maybe_deferred_to_future(
                threads.deferToThread(fetch_public_reviews, source, Watermark(target, "modified")))
            items = list(public_review_items(target, found, self.item))
        except Exception as exc:  # the library's own failures: one source fails, not the crawl
            target.fail(str(exc) if isinstance(exc, ValueError) else f"google-play-scraper: {type(exc).__name__}: {exc}"[:300])
            return []
        target.fetched += len(items)
        return items

    def first_requests(self, target: CrawlTarget) -> Iterable[Request]:
        try:
            yield self._page(target, None)
        except GoogleError as exc:
            target.fail(str(exc))

    def _page(self, target: CrawlTarget, page_token: str | None) -> Request:
        source: GooglePlaySource = target.source  # type: ignore[assignment]
        url = f"{source.api_base}applications/{source.package}/reviews?maxResults=100"
        if page_token:
            url += f"&token={quote(page_token, safe='')}"
        request = self.request(target, url, self.parse_page, conditional=False,
                               headers={"Accept": "application/json"},
                               credentials={"Authorization": f"Bearer {self._token(source)}"},
                               credential_origin=source.api_base,
                               meta={"pace_key": "google_play", "min_interval": MIN_INTERVAL})
        request.meta["handle_httpstatus_list"] = [304, 401, 403, 404, 429]
        return request

    def _review(self, target: CrawlTarget, source: GooglePlaySource, review: Any, watermark: Watermark) -> Any:
        """One review's mention; False when seen before; MalformedItem (a warning) when it is none."""
        comments = review.get("comments") if isinstance(review, dict) else None
        user = next((c.get("userComment") for c in comments if isinstance(c, dict)
                     and isinstance(c.get("userComment"), dict)), None) if isinstance(comments, list) else None
        review_id = review.get("reviewId") if isinstance(review, dict) else None
        if user is None or not isinstance(review_id, str) or not review_id:
            raise MalformedItem(f"a review without a reviewId or user comment: {str(review)[:60]}")
        position = seconds_of(user.get("lastModified")) or 0.0
        if not watermark.is_new(position, review_id):
            return False
        url = review_url(source.package, review_id)
        stars = user.get("starRating")
        item = self.item(target, url=url, text=plain_text_body(user.get("text")), author=review.get("authorName"),
                         published_at=utc_of(user.get("lastModified")),
                         rating=float(stars) if isinstance(stars, int) and 1 <= stars <= 5 else None)
        watermark.see(position, review_id)
        reply = developer_reply(review)
        if reply is not None:
            target.platform_replies[url] = (reply.text, reply.at)
        return item

    def parse_page(self, response: Response, target: CrawlTarget, page: int = 1) -> Iterable[Any]:
        if response.status >= 400:
            target.fail(describe_error(response.status, response.body))
            return
        source: GooglePlaySource = target.source  # type: ignore[assignment]
        answer = json_body(response)
        if not isinstance(answer, dict):
            raise ValueError("not a reviews.list answer (no JSON object)")
        watermark = Watermark(target, "modified")
        reached_known = False
        reviews = answer.get("reviews", [])
        if not isinstance(reviews, list):
            raise ValueError(f"not a reviews.list answer (reviews is {type(reviews).__name__}, not a list)")
        for review in reviews:
            item = self.entry(target, response, self._review, target, source, review, watermark)
            if item is False:
                reached_known = True
            elif item is not None:
                yield item
        pagination = answer.get("tokenPagination")
        next_token = pagination.get("nextPageToken") if isinstance(pagination, dict) else None
        if (isinstance(next_token, str) and next_token and not reached_known
                and may_follow(target, "reviews", page=page, max_pages=MAX_PAGES, token=next_token)):
            try:
                request = self._page(target, next_token)
                request.cb_kwargs["page"] = page + 1
                yield request
            except GoogleError as exc:
                target.fail(str(exc))
