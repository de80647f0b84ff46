"""Review pages with schema.org markup, through `mentionwatch run`."""

from __future__ import annotations

import json
import sqlite3

import pytest

from crawlers.schemaorg import normalize_rating
from tests.conftest import business
from tests.crawlers.helpers import (
    ALERTS,
    by_author,
    failures,
    fixture,
    run,
    stored,
    summary,
    utc,
)


def serve_three_pages(web) -> str:
    web.add("/reviews/joes-donuts", fixture("reviews", "page1.html"))
    web.add("/reviews/joes-donuts?page=2", fixture("reviews", "page2.html"))
    web.add("/reviews/joes-donuts?page=3", fixture("reviews", "page3.html"))
    return f"{web.url}/reviews/joes-donuts"


def aggregate_ratings(workspace) -> list[tuple[float, int | None]]:
    with sqlite3.connect(workspace.database) as db:
        return db.execute("select value, count from aggregate_ratings order by id").fetchall()


def test_reviews_in_json_ld_microdata_and_rdfa_across_pages_then_revalidated_page_by_page(web, workspace):
    url = serve_three_pages(web)
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "reviews", "url": url}])])

    first = run(workspace)

    assert summary(first).startswith("1 source ok, 0 failed; 6 items fetched, 6 new mentions")
    reviews = by_author(stored(workspace, "reviews"))
    assert set(reviews) == {"Zoë Ångström", "Marc", None, "Priya", "Kenji 健二", "Olu"}
    zoe = reviews["Zoë Ångström"]
    assert zoe["title"] == "Crème brûlée perfection"
    assert zoe["text"] == "Die besten Krapfen der Stadt! The crème brûlée donut is perfection."
    assert (zoe["rating"], zoe["published_at"]) == (5.0, utc("2026-11-20T00:00:00Z"))
    # 2 on a 0..10 scale is 1.8 on 1..5; a local time with its offset is stored in UTC.
    assert (reviews["Marc"]["rating"], reviews["Marc"]["published_at"]) == (1.8, utc("2026-11-18T14:15:00Z"))
    # Missing optional fields stay missing: no author, no date (never the crawl time), no rating.
    anonymous = reviews[None]
    assert (anonymous["text"], anonymous["published_at"], anonymous["rating"]) == (
        "Decent donuts; long queue on Sundays.", None, None)
    assert (reviews["Priya"]["rating"], reviews["Priya"]["text"]) == (3.0, "Good glaze, but they forgot half my order.")
    assert (reviews["Kenji 健二"]["rating"], reviews["Kenji 健二"]["text"]) == (4.0, "美味しいドーナツ。Friendly staff.")
    assert (reviews["Olu"]["rating"], reviews["Olu"]["published_at"]) == (1.0, utc("2026-10-30T00:00:00Z"))
    # Reviews have no page of their own: each gets the review page's address with its own key.
    urls = [r["url"] for r in reviews.values()]
    assert len(set(urls)) == 6 and all(u.startswith(f"{url}?mw_item=") for u in urls)
    assert aggregate_ratings(workspace) == [(4.1, 87)]
    assert [r.status for r in web.requests_for("/reviews/")] == [200, 200, 200]

    second = run(workspace)

    # Nothing changed: every page answered 304, nothing was parsed, the rating is still recorded.
    assert summary(second).startswith("1 source ok, 0 failed; 0 items fetched, 0 new mentions")
    assert [r.status for r in web.requests_for("/reviews/")][3:] == [304, 304, 304]
    assert aggregate_ratings(workspace) == [(4.1, 87), (4.1, 87)]

    web.add("/reviews/joes-donuts?page=3", fixture("reviews", "page3.html").replace(
        "</body>", """<div typeof="Review"><span property="author">Ines</span>
        <span property="datePublished">2026-10-29</span><p property="reviewBody">Best churros, too.</p>
        <div property="reviewRating" typeof="Rating"><span property="ratingValue">5</span></div></div></body>"""))

    third = run(workspace)

    # A change on the last page is found although the pages before it were unchanged.
    assert summary(third).startswith("1 source ok, 0 failed; 2 items fetched, 1 new mention")
    assert [r.status for r in web.requests_for("/reviews/")][6:] == [304, 304, 200]
    assert by_author(stored(workspace))["Ines"]["rating"] == 5.0


def review_page(*bodies: str, more: str | None = None) -> str:
    reviews = [{"@type": "Review", "author": f"Author {b}", "datePublished": "2026-11-01", "reviewBody": b,
                "reviewRating": {"ratingValue": 4}} for b in bodies]
    link = f'<a class="more-reviews" href="{more}">More</a>' if more else ""
    return (f'<html><head><script type="application/ld+json">{json.dumps(reviews)}</script></head>'
            f"<body>{link}</body></html>")


def test_next_selector_and_max_pages_and_pages_without_usable_markup(web, workspace):
    web.add("/shop/reviews", review_page("Lovely", more="/shop/reviews/2"))
    web.add("/shop/reviews/2", review_page("Okay", more="/shop/reviews/3"))
    web.add("/shop/reviews/3", review_page("Never read"))
    # A "next" link to another host (here another loopback address) is not followed.
    web.add("/elsewhere/reviews", review_page("Stay here", more=f"http://127.0.0.2:{web.port}/shop/reviews"))
    web.add("/scripted/reviews", fixture("reviews", "no_markup.html"))
    web.add("/broken/reviews", '<html><script type="application/ld+json">{"@type": "Review", "reviewBody": </script></html>',
            content_type="text/html")
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[
        {"type": "reviews", "url": f"{web.url}/shop/reviews", "next": "a.more-reviews", "max_pages": 2},
        {"type": "reviews", "url": f"{web.url}/elsewhere/reviews", "next": "a.more-reviews"},
        {"type": "reviews", "url": f"{web.url}/scripted/reviews"},
        {"type": "reviews", "url": f"{web.url}/broken/reviews"},
    ])])

    result = run(workspace)

    assert summary(result).startswith("2 sources ok, 2 failed; 3 items fetched, 3 new mentions")
    assert sorted(r["text"] for r in stored(workspace)) == ["Lovely", "Okay", "Stay here"]
    assert web.requests_for("/shop/reviews/3") == []
    problems = failures(result)
    assert any("/scripted/reviews: cannot parse" in p and "no schema.org Review or AggregateRating markup" in p
               for p in problems), problems
    assert any("/broken/reviews: cannot parse" in p and "malformed json-ld: JSONDecodeError" in p
               for p in problems), problems


@pytest.mark.parametrize(("rating", "expected"), [
    ({"ratingValue": "4"}, 4.0),
    ({"ratingValue": "4,5", "bestRating": "5"}, 4.5),
    ({"ratingValue": 8, "bestRating": 10, "worstRating": 1}, 4.11),
    ({"ratingValue": 0, "bestRating": 10, "worstRating": 0}, 1.0),
    ({"ratingValue": "90", "bestRating": "100", "worstRating": "0"}, 4.6),
    ({"ratingValue": "7"}, None),  # above the default best of 5: the scale is unknown
    ({"ratingValue": "n/a"}, None),
    ({"bestRating": 5}, None),
])
def test_ratings_are_put_on_a_one_to_five_scale(rating, expected):
    assert normalize_rating(rating) == expected
