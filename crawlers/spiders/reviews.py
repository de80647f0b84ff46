"""Review pages with schema.org markup (JSON-LD, microdata or RDFa): one mention per review."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from scrapy.http import TextResponse

from crawlers.schemaorg import extract_nodes, find_aggregate, find_reviews
from crawlers.spiders.pages import PagedSpider
from crawlers.target import CrawlTarget
from pipeline.normalize import to_utc


class ReviewsSpider(PagedSpider):
    """Every schema.org `Review` on the page and the pages after it, with its rating on 1..5.

    The first page's `AggregateRating` (value on 1..5, count) is recorded at every crawl, also
    when the page is unchanged, so the weekly report can draw its trend.
    """

    name = "reviews"
    source_type = "reviews"

    def parse_items(self, response: TextResponse, target: CrawlTarget, page: int) -> Iterable[Any]:
        nodes, problems = extract_nodes(response.body, response.url)
        reviews = find_reviews(nodes)
        aggregate = find_aggregate(nodes)
        if page == 1:
            if aggregate is not None:
                target.aggregate_rating = aggregate
                target.new_cursor["aggregate_rating"] = list(aggregate)
            if not reviews and aggregate is None:
                # A review page without markup is a changed site or a script-built page, not
                # "no reviews": say so rather than report an empty success.
                raise ValueError("; ".join(problems) or "no schema.org Review or AggregateRating markup on the page")
        for review in reviews:
            yield self.item(
                target,
                url=self.own_or_item_url(target, response, review.own_url, review.author, review.date,
                                         *(() if review.author and review.date else (review.body,))),
                title=review.title,
                text=review.body,
                author=review.author,
                published_at=to_utc(review.date, zone=target.timezone),
                rating=review.rating,
            )

    def page_not_modified(self, target: CrawlTarget, page: int) -> None:
        remembered = target.cursor.get("aggregate_rating")
        if page == 1 and isinstance(remembered, list) and len(remembered) == 2:
            # Unchanged page, unchanged rating: still a point on the trend for this crawl.
            target.aggregate_rating = (float(remembered[0]), remembered[1])
            target.new_cursor["aggregate_rating"] = remembered
