"""Google Business Profile reviews of one location, through the owner's OAuth grant.

Reads `GET {url}{location}/reviews?pageSize=50&orderBy=updateTime desc` page by page, newest
change first, and stops at the first review not changed since the last run (the `updated`
watermark), so an edited review comes back as an edit (a revision) and nothing else is read
again. Each crawl records the location's averageRating and totalReviewCount.

Deleted reviews: Google lists only reviews that exist, and says how many there are. When the
reviews known alive (those seen before plus those new this run) outnumber `totalReviewCount`,
some were removed; only then is the listing read to its end, and every known review missing
from that full listing is marked deleted. So a quiet location costs one request per run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import quote

import google.oauth2.credentials
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from crawlers.config import GoogleBusinessSource
from crawlers.incremental import Watermark
from crawlers.links import item_url
from crawlers.pagination import may_follow
from crawlers.platforms.google import (
    MIN_INTERVAL,
    STARS,
    GoogleError,
    access_token,
    describe_api_error,
    oauth_credentials,
)
from crawlers.spiders.base import MentionSpider, api_date, json_body
from crawlers.target import CrawlTarget
from pipeline.items import MalformedItem, plain_text_body
from pipeline.normalize import to_utc

ERROR_STATUSES = [304, 401, 403, 404, 429]


def review_url(location: str, review_id: str) -> str:
    """The stored address of a review: the location's reviews in Business Profile, with its id."""
    return item_url(f"https://business.google.com/reviews?location={quote(location, safe='')}", review_id)


def listing_url(source: GoogleBusinessSource, page_token: str | None = None) -> str:
    url = f"{source.api_base}{source.location}/reviews?pageSize=50&orderBy={quote('updateTime desc')}"
    return url + (f"&pageToken={quote(page_token, safe='')}" if page_token else "")


class GoogleBusinessSpider(MentionSpider):
    """Reviews of `location:`; the token comes from `token_url:` through google-auth."""

    name = "google_business"
    source_type = "google_business"
    obeys_robots_txt = False

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # One OAuth grant serves every location of the run: one token per token endpoint.
        self._grants: dict[str, google.oauth2.credentials.Credentials] = {}

    async def start(self) -> AsyncIterator[Request]:
        for target in self.targets:
            if not target.ok:  # failed before the crawl (a stored token that cannot be decrypted)
                continue
            source: GoogleBusinessSource = target.source  # type: ignore[assignment]
            try:
                # google-auth's refresh blocks: it runs in a thread, so other sources crawl meanwhile.
                token = await maybe_deferred_to_future(threads.deferToThread(self._token, source.token_url))
            except GoogleError as exc:
                target.fail(str(exc))
                continue
            yield self.page_request(target, token, None, {"seen": [], "listed": [], "full": False})

    def _token(self, token_url: str, renew: bool = False) -> str:
        """An access token for `token_url`'s grant, asked for once per run (again after a 401).

        Refreshed once per run in a worker thread (`start`); the rare refresh after a 401 is made
        where the 401 is read, a short pause of the crawl rather than a second HTTP stack.
        """
        grant = self._grants.get(token_url)
        if grant is None:
            grant = self._grants[token_url] = oauth_credentials(self.credentials, token_url)
        if renew or not grant.valid:
            access_token(grant, timeout=self.settings.getfloat("DOWNLOAD_TIMEOUT", 30))
        return grant.token

    def page_request(self, target: CrawlTarget, token: str, page_token: str | None, state: dict[str, Any],
                     refreshed: bool = False) -> Request:
        source: GoogleBusinessSource = target.source  # type: ignore[assignment]
        request = self.request(
            target, listing_url(source, page_token), self.parse_page, conditional=False,
            headers={"Accept": "application/json"}, credentials={"Authorization": f"Bearer {token}"},
            credential_origin=source.api_base,
            meta={"pace_key": "google_business", "min_interval": MIN_INTERVAL},
            cb_kwargs={"page_token": page_token, "state": state, "refreshed": refreshed},
        )
        # Google's refusals carry the reason in their body: the callback reads it.
        request.meta["handle_httpstatus_list"] = ERROR_STATUSES
        return request

    def parse_page(self, response: Response, target: CrawlTarget, page_token: str | None,
                   state: dict[str, Any], refreshed: bool) -> Iterable[Any]:
        source: GoogleBusinessSource = target.source  # type: ignore[assignment]
        if response.status == 401 and not refreshed:
            # The access token expired or was revoked mid-crawl: refresh it once and ask again.
            try:
                token = self._token(source.token_url, renew=True)
            except GoogleError as exc:
                target.fail(str(exc))
                return
            yield self.page_request(target, token, page_token, state, refreshed=True)
            return
        if response.status >= 400:
            retry_after = response.headers.get(b"Retry-After")
            target.fail(describe_api_error(response.status, response.body,
                                           retry_after.decode("latin-1") if retry_after else None))
            return
        answer = json_body(response)
        if not isinstance(answer, dict):
            raise ValueError("not a reviews.list answer (no JSON object)")
        if page_token is None and isinstance(answer.get("averageRating"), (int, float)):
            count = answer.get("totalReviewCount")
            target.aggregate_rating = (float(answer["averageRating"]), count if isinstance(count, int) else None)
        known: list[str] = list(target.cursor.get("known") or [])
        watermark = Watermark(target, "updated")
        reached_known = False
        reviews = answer.get("reviews", [])
        if not isinstance(reviews, list):
            raise ValueError(f"not a reviews.list answer (reviews is {type(reviews).__name__}, not a list)")
        for review in reviews:
            item = self.entry(target, response, self._listed, target, source, review, state, watermark)
            if item is False:
                reached_known = True
            elif item is not None:
                yield item
        next_token = answer.get("nextPageToken")
        if reached_known and not state["full"] and not watermark.first_run:
            alive = set(known) | set(state["seen"])
            total = target.aggregate_rating[1] if target.aggregate_rating else None
            # More reviews known than Google counts: some were removed. Only a full listing says which.
            state["full"] = total is not None and len(alive) > total
        if not isinstance(next_token, str):
            next_token = None
        state["pages"] = state.get("pages", 1)
        if next_token and (not reached_known or state["full"]):
            if not may_follow(target, "reviews", page=state["pages"], max_pages=source.max_pages, token=next_token):
                self._finish(target, known, state, complete=False)
                return
            state["pages"] += 1
            try:
                token = self._token(source.token_url)
            except GoogleError as exc:
                target.fail(str(exc))
                return
            yield self.page_request(target, token, next_token, state, refreshed)
            return
        # Read to the end without meeting a known review, or on purpose: the listing is complete.
        self._finish(target, known, state, complete=not next_token and (state["full"] or not reached_known))

    def _finish(self, target: CrawlTarget, known: list[str], state: dict[str, Any], complete: bool) -> None:
        """Remember which reviews are alive; with a complete listing, the missing ones are deleted."""
        source: GoogleBusinessSource = target.source  # type: ignore[assignment]
        if complete:
            listed = set(state["listed"])
            target.deleted_urls.extend(review_url(source.location, r) for r in known if r not in listed)
            target.new_cursor["known"] = sorted(listed)
        else:
            target.new_cursor["known"] = sorted(set(known) | set(state["seen"]))

    def _listed(self, target: CrawlTarget, source: GoogleBusinessSource, review: Any, state: dict[str, Any],
                watermark: Watermark) -> Any:
        """One listed review's mention; False when it is known (the listing reached the last run's
        news); MalformedItem (via `entry`, a warning) when it is no review."""
        review_id = review.get("reviewId") if isinstance(review, dict) else None
        if not isinstance(review_id, str) or not review_id:
            raise MalformedItem(f"a review without a reviewId: {str(review)[:60]}")
        state["listed"].append(review_id)
        updated = to_utc(review.get("updateTime")) if isinstance(review.get("updateTime"), str) else None
        position = updated.timestamp() if updated else 0.0
        if not watermark.is_new(position, review_id):
            return False
        item = self._item(target, source, review)
        watermark.see(position, review_id)
        state["seen"].append(review_id)
        return item

    def _item(self, target: CrawlTarget, source: GoogleBusinessSource, review: dict[str, Any]) -> Any:
        url = review_url(source.location, review["reviewId"])
        reply = review.get("reviewReply")
        if isinstance(reply, dict) and isinstance(reply.get("comment"), str) and reply["comment"].strip():
            target.platform_replies[url] = (reply["comment"], reply.get("updateTime"))
        reviewer = review.get("reviewer") if isinstance(review.get("reviewer"), dict) else {}
        author = None if reviewer.get("isAnonymous") else reviewer.get("displayName")
        comment = review.get("comment") if isinstance(review.get("comment"), str) else ""
        stars = review.get("starRating")
        return self.item(
            target,
            url=url,
            text=plain_text_body(comment),
            author=author or "A Google user",
            published_at=api_date(review.get("createTime")),
            rating=float(STARS[stars]) if isinstance(stars, str) and stars in STARS else None,
        )
