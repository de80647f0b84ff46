"""Google Play's public reviews without a service account, through google-play-scraper.

The library is the well-kept way to read Play's public review listing (newest first, pages joined
by its continuation token). It makes its own HTTP calls to play.google.com, blocking, so the
spider runs it in a worker thread; and it hides Play's refusals (an error ends the listing), so
a listing that yields nothing is reported as a failure rather than as "no reviews".

Two things of the library are undone or bent here: importing it turns off certificate checks for
every urllib call of the process (slack-sdk posts through urllib), which `_scraper()` restores at
once; and its address is fixed when it is imported, so a source's `url:` (a local server in
tests, a mirror) is put in place for the duration of one listing, under a lock.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from crawlers.config import GooglePlaySource
from crawlers.incremental import Watermark
from crawlers.platforms.google_play import review_url
from crawlers.target import CrawlTarget
from pipeline.items import MentionItem, plain_text_body

PAGE = 100  # reviews asked of the library at a time
REVIEWS_PATH = "/_/PlayStoreUi/data/batchexecute?hl={lang}&gl={country}"
_address_lock = threading.Lock()


def _scraper() -> ModuleType:
    """google_play_scraper, imported without leaving certificate checks off for the process."""
    verified = ssl._create_default_https_context
    import google_play_scraper

    ssl._create_default_https_context = verified
    return google_play_scraper


@contextmanager
def _reviews_address(base: str | None) -> Iterator[None]:
    """The library's reviews endpoint on `base` (scheme and host) while the block runs."""
    if not base:
        yield
        return
    from google_play_scraper.constants.request import Formats

    with _address_lock:
        Formats.Reviews.URL_FORMAT = base.rstrip("/") + REVIEWS_PATH  # on the instance, over the class's
        try:
            yield
        finally:
            del Formats.Reviews.URL_FORMAT


def fetch_public_reviews(source: GooglePlaySource, seen: Watermark) -> list[dict[str, Any]]:
    """The newest public reviews, page after page, until one seen before or `max_reviews` (blocking)."""
    scraper = _scraper()
    found: list[dict[str, Any]] = []
    token = None
    with _reviews_address(source.url):
        while len(found) < source.max_reviews:
            batch, token = scraper.reviews(
                source.package, lang=source.language, country=source.country, sort=scraper.Sort.NEWEST,
                count=min(PAGE, source.max_reviews - len(found)), continuation_token=token)
            found.extend(batch)
            if not batch or token is None or token.token is None or any(
                    not seen.is_new(_seconds(r.get("at")), str(r.get("reviewId"))) for r in batch):
                break
    return found


def public_review_items(target: CrawlTarget, found: list[dict[str, Any]],
                        make_item: Any) -> Iterable[MentionItem]:
    """MentionItems of the reviews not seen before, from google-play-scraper's result dicts
    (reviewId, userName, content, score, at, replyContent, repliedAt)."""
    source: GooglePlaySource = target.source  # type: ignore[assignment]
    if not found:
        raise ValueError(f"google-play-scraper found no public reviews of {source.package} (the app has none, "
                         "or Play refused or changed its page: the library does not say which)")
    watermark = Watermark(target, "modified")
    for review in found:
        review_id = review.get("reviewId")
        if not isinstance(review_id, str):
            continue
        position = _seconds(review.get("at"))
        if not watermark.is_new(position, review_id):
            continue
        watermark.see(position, review_id)
        url = review_url(source.package, review_id)
        if review.get("replyContent"):
            replied = _utc(review.get("repliedAt"))
            target.platform_replies[url] = (review["replyContent"], replied.isoformat() if replied else None)
        score = review.get("score")
        yield make_item(target, url=url, text=plain_text_body(review.get("content")), author=review.get("userName"),
                        published_at=_utc(review.get("at")),
                        rating=float(score) if isinstance(score, int) and 1 <= score <= 5 else None)


def _utc(value: Any) -> datetime | None:
    # The library builds its datetimes with datetime.fromtimestamp: naive, in local time.
    return value.astimezone(UTC) if isinstance(value, datetime) else None


def _seconds(value: Any) -> float:
    moment = _utc(value)
    return moment.timestamp() if moment else 0.0
