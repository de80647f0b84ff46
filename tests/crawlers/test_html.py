"""Any page read with selectors from config.yaml, through `mentionwatch run`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.spiders.html import parse_rating
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

FORUM = {
    "type": "html",
    "item": "article.post",
    "text": ".body",
    "title": "h3.subject",
    "author": ".//span[@class='who']",  # XPath and CSS mix freely
    "date": "time, .posted",
    "rating": ".stars, .score",
    "link": "a.permalink",
    "next": "//a[@class='next-page']/@href",
}


def test_selectors_read_items_fields_and_the_next_page(web, workspace):
    web.add("/thread/42", fixture("html", "forum1.html"))
    web.add("/thread/42?page=2", fixture("html", "forum2.html"))
    url = f"{web.url}/thread/42"
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[
        {**FORUM, "url": url},
        {**FORUM, "url": f"{url}?layout=new", "item": "div.review", "name": "new layout"},
    ])])

    result = run(workspace)

    assert summary(result).startswith("1 source ok, 1 failed; 4 items fetched, 4 new mentions")
    assert failures(result) == [
        f"Joe's Donuts / new layout: cannot parse {url}?layout=new: "
        "the item selector 'div.review' matched nothing on the page"
    ]
    posts = by_author(stored(workspace, "html"))
    zoe = posts["Zoë"]
    assert zoe["title"] == "Weekend treat"
    assert zoe["text"] == "Joe's maple glaze is unreal.\n\nCafé au lait was great too."
    # <time datetime> wins over its human text; ★★★★★ is five stars.
    assert (zoe["published_at"], zoe["rating"]) == (utc("2026-11-21T07:30:00Z"), 5.0)
    # The link is only an anchor on the thread: the post gets the thread's address with its key.
    assert zoe["url"].startswith(f"{url}?mw_item=")
    dmitri = posts["Dmitri"]
    assert dmitri["url"] == "https://forum.example.com/p/1002"
    assert dmitri["text"] == "Waited 40 minutes & the order was wrong.\nNot coming back."
    assert (dmitri["published_at"], dmitri["rating"]) == (utc("2026-11-19T00:00:00Z"), 2.0)
    anonymous = posts[None]
    assert (anonymous["title"], anonymous["published_at"], anonymous["rating"]) == (None, None, None)
    assert anonymous["text"] == "Anyone know if they do vegan donuts?"
    ana = posts["Ana"]  # from page 2
    assert (ana["text"], ana["rating"]) == ("Prices went up again 😕", 2.0)
    assert abs(ana["published_at"] - (datetime.now(UTC) - timedelta(days=2))) < timedelta(hours=1)


@pytest.mark.parametrize(("shown", "stars"), [
    ("★★★☆☆", 3.0), ("4 out of 5", 4.0), ("4.5/5", 4.5), ("8 / 10", 4.11), ("80%", 4.2), ("4", 4.0),
    ("Note : 3 sur 5", 3.0), ("no rating yet", None), (None, None),
])
def test_ratings_as_pages_show_them(shown, stars):
    assert parse_rating(shown) == stars
