"""Apple App Store customer reviews (the public JSON feed), through `mentionwatch run`."""

from __future__ import annotations

from crawlers.config import AppStoreSource
from crawlers.spiders.appstore import page_url
from mentionwatch.sandbox.web import Response
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

FEED = "/us/rss/customerreviews/page={}/id=1234567890/sortby=mostrecent/json"


def test_reviews_with_stars_across_pages_and_a_truncated_feed_fails_only_its_source(web, workspace):
    web.add(FEED.format(1), fixture("appstore", "page1.json"))
    web.add(FEED.format(2), fixture("appstore", "page2.json"))  # a single review: an object, not a list
    web.add(FEED.format(3), fixture("appstore", "empty.json"))  # past the last page: no "entry" at all
    page1 = fixture("appstore", "page1.json").encode()
    other = "/gb/rss/customerreviews/page=1/id=999/sortby=mostrecent/json"
    # Cut short on every attempt: the retries see the same.
    web.script(other, *[Response(200, page1, {"Content-Type": "application/json"}, truncate_to=500)] * 2)
    web.add("/de/rss/customerreviews/page=1/id=999/sortby=mostrecent/json", page1[:700],
            content_type="application/json")
    workspace.write_config(alerts=ALERTS, crawler={"retries": 1}, businesses=[business(sources=[
        {"type": "appstore", "app_id": "1234567890", "url": web.url + FEED.format(1)},
        {"type": "appstore", "app_id": "999", "country": "gb", "url": web.url + other},
        {"type": "appstore", "app_id": "999", "country": "de",
         "url": f"{web.url}/de/rss/customerreviews/page=1/id=999/sortby=mostrecent/json"},
    ])])

    result = run(workspace)

    assert summary(result).startswith("1 source ok, 2 failed; 3 items fetched, 3 new mentions")
    reviews = by_author(stored(workspace, "appstore"))
    crash = reviews["dozen_a_day"]
    assert (crash["rating"], crash["title"]) == (1.0, "Crashes at checkout")
    assert crash["published_at"] == utc("2026-11-22T14:45:31Z")
    assert crash["url"] == "https://apps.apple.com/us/app/id1234567890?see-all=reviews&mw_item=11223344556"
    assert (reviews["Łucja"]["rating"], reviews["Łucja"]["title"]) == (5.0, "Świetne pączki")
    # Plain text stays as written: "<no>" is not taken for a tag.
    assert reviews["old_timer"]["text"] == "Fine, but <no> dark mode & small fonts."
    assert [r.path for r in web.requests_for("/us/")] == [FEED.format(n) for n in (1, 2, 3)]
    problems = failures(result)
    gb = next(p for p in problems if "App Store reviews of app 999 (gb)" in p)
    assert gb.endswith("response cut short (the connection closed before the announced length)")
    de = next(p for p in problems if "App Store reviews of app 999 (de)" in p)
    assert "cannot parse" in de and "not valid JSON (truncated or malformed)" in de


def test_default_feed_url_and_paging_an_explicit_url():
    source = AppStoreSource(type="appstore", app_id="1234567890", country="FR")
    assert page_url(source, 2) == "https://itunes.apple.com/fr/rss/customerreviews/page=2/id=1234567890/sortby=mostrecent/json"
    fixed = AppStoreSource(type="appstore", app_id="1", url="https://mirror.example/reviews.json")
    assert (page_url(fixed, 1), page_url(fixed, 2)) == ("https://mirror.example/reviews.json", None)
