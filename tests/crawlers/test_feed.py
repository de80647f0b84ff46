"""Feeds: news searches (Google News, Bing News) and Google Alerts, through `mentionwatch run`."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from crawlers.config import FeedSource
from crawlers.spiders.feed import feed_url
from tests.conftest import business
from tests.crawlers.helpers import ALERTS, fixture, run, stored, summary, utc


def test_aggregator_feeds_store_each_articles_own_url_publisher_and_date(web, workspace):
    web.add("/rss/search", fixture("feed", "google_news.xml"), content_type="application/rss+xml; charset=UTF-8")
    web.add("/news/search", fixture("feed", "bing_news.xml"), content_type="application/rss+xml; charset=utf-8")
    web.add("/alerts/feeds/123/456", fixture("feed", "google_alerts.atom"), content_type="application/atom+xml")
    workspace.write_config(alerts=ALERTS, businesses=[business(exclude=[], sources=[
        {"type": "feed", "url": f"{web.url}/rss/search?q=%22Joe%27s+Donuts%22&hl=en-US&gl=US&ceid=US:en"},
        {"type": "feed", "url": f"{web.url}/news/search?q=%22Joe%27s+Donuts%22&format=rss"},
        {"type": "feed", "url": f"{web.url}/alerts/feeds/123/456"},
    ])])

    result = run(workspace)

    assert summary(result).startswith("3 sources ok, 0 failed; 7 items fetched, 7 new mentions")
    mentions = {m["url"]: m for m in stored(workspace, "feed")}
    # Google News: the article's address decoded from the news.google.com link, the publisher
    # from <source>; an opaque (new-style) article id cannot be decoded offline and stays as is.
    gazette = mentions["https://gazette.example.com/2026/11/joes-donuts-creme-brulee"]
    assert gazette["author"] == "Springfield Gazette"
    assert gazette["title"] == "Joe’s Donuts wins the crème brûlée crown at the fair - Springfield Gazette"
    assert gazette["published_at"] == utc("2026-11-21T14:05:00Z")
    assert "https://daily.example.com/news/joes-donuts-health-inspection" in mentions
    assert any(url.startswith("https://news.google.com/rss/articles/CBMiqwFBVV95") for url in mentions)
    # Bing News: the target of apiclick.aspx, the publisher from <News:Source>.
    herald = mentions["https://www.springfieldherald.example/life/joes-donuts-cronut-queue"]
    assert herald["author"] == "Springfield Herald"
    assert herald["published_at"] == utc("2026-11-22T11:15:00Z")
    # Google Alerts: the target of google.com/url, HTML in the title and body made text.
    review = mentions["https://foodblog.example.com/2026/11/joes-donuts-review?utm_source=alerts"]
    assert review["title"] == "Review: Joe's Donuts glaze is too sweet, and the coffee was cold"
    assert review["text"].startswith("We tried Joe's Donuts on Saturday.")
    assert review["author"] is None
    german = mentions["https://zeitung.example.de/lokales/strassenfest-donuts"]
    assert german["title"] == "Straßenfest: Joe's Donuts begeistert Besucher"
    assert "„köstlich“" in german["text"]


def test_a_query_without_url_builds_a_google_news_or_bing_news_search_feed():
    google = urlsplit(feed_url(FeedSource(type="feed", query="Joe's Donuts", language="de-DE", country="DE")))
    assert (google.scheme, google.netloc, google.path) == ("https", "news.google.com", "/rss/search")
    assert parse_qs(google.query) == {"q": ['"Joe\'s Donuts"'], "hl": ["de-DE"], "gl": ["DE"], "ceid": ["DE:de"]}

    bing = urlsplit(feed_url(FeedSource(type="feed", query="Joe's Donuts", engine="bing")))
    assert (bing.netloc, bing.path) == ("www.bing.com", "/news/search")
    assert parse_qs(bing.query) == {"q": ['"Joe\'s Donuts"'], "format": ["rss"], "mkt": ["en-US"]}

    given = "https://www.google.com/alerts/feeds/0123/4567"
    assert feed_url(FeedSource(type="feed", url=given, query="ignored when a url is given")) == given


def test_entries_whose_link_is_no_web_address_are_counted_in_the_sources_warning(web, workspace):
    entry = ("<entry><title>Joe's Donuts {n}</title><id>{id}</id>{link}<updated>2026-11-21T10:00:00Z</updated>"
             "<summary>Joe's Donuts on Main Street.</summary></entry>")
    entries = [
        entry.format(n=1, id="tag:news.example,2026:1", link='<link href="https://news.example/1"/>'),
        entry.format(n=2, id="tag:news.example,2026:2", link='<link href="javascript:alert(1)"/>'),
        entry.format(n=3, id="tag:news.example,2026:3", link=""),  # its id is its only link
        entry.format(n=4, id="tag:news.example,2026:4", link='<link href="JavaScript:void(0)"/>'),
    ]
    web.add("/atom.xml", '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>'
            + "".join(entries) + "</feed>", content_type="application/atom+xml")
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/atom.xml"}])])

    result = run(workspace)

    assert summary(result).startswith("1 source ok, 0 failed; 1 item fetched"), result.stdout
    check = workspace.cli("check")
    assert "warning: 3 entries skipped: their link is not a web address (javascript:, tag:)" in check.stdout, \
        check.stdout
