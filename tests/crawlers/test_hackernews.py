"""Hacker News through the Algolia search API, through `mentionwatch run`."""

from __future__ import annotations

from mentionwatch.sandbox.web import Response
from tests.conftest import business
from tests.crawlers.helpers import ALERTS, by_author, fixture, run, stored, summary, utc

PATH = "/api/v1/search_by_date"
QUERY = "query=Joe%27s+Donuts&tags=%28story%2Ccomment%29&hitsPerPage=100"
SINCE = "numericFilters=created_at_i%3E%3D1795341900"  # created_at_i >= the newest item's second


def test_stories_and_comments_then_only_items_since_the_newest_seen(web, workspace):
    web.add(PATH, fixture("hackernews", "search_by_date.json"))
    # Algolia rate-limits too: the first answer is a 429 asking to wait a second.
    web.script(PATH, Response(429, '{"message": "Too many requests"}', {"Retry-After": "1"}))
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[
        {"type": "hackernews", "query": "Joe's Donuts", "url": f"{web.url}{PATH}?{QUERY}"},
    ])])

    first = run(workspace)

    assert summary(first).startswith("1 source ok, 0 failed; 3 items fetched, 3 new mentions")
    asked = web.requests_for(PATH)
    assert [r.status for r in asked] == [429, 200]
    assert asked[1].time - asked[0].time >= 1.0
    items = by_author(stored(workspace, "hackernews"))
    comment = items["grumpy_dev"]
    assert comment["url"] == "https://news.ycombinator.com/item?id=45001200"
    assert comment["title"] == "Re: Joe's Donuts open-sources its POS system"
    assert comment["text"].startswith("I ate at Joe's Donuts last week – overpriced and the POS crashed twice.")
    assert comment["published_at"] == utc("2026-11-22T10:05:00Z")
    story = items["joe"]
    assert (story["title"], story["text"]) == ("Joe's Donuts open-sources its POS system",
                                               "https://blog.joesdonuts.example/pos")
    ask = items["ñandú"]
    assert ask["text"].startswith("Thinking of opening one in Zürich. Their franchise fee seems steep.")
    assert "<b>" not in ask["text"]

    web.add(PATH, fixture("hackernews", "search_newer.json"))
    web.add(f"{PATH}?{QUERY}&{SINCE}&page=1", fixture("hackernews", "search_newer_page1.json"))

    second = run(workspace)

    # Asked only for what is newer; of the items in that very second, only the unseen one is new.
    assert [r.path for r in web.requests_for(PATH)][2:] == [f"{PATH}?{QUERY}&{SINCE}", f"{PATH}?{QUERY}&{SINCE}&page=1"]
    assert summary(second).startswith("1 source ok, 0 failed; 2 items fetched, 2 new mentions")
    assert {"calm_dev", "lawyer_dev"} <= set(by_author(stored(workspace)))


def test_searches_of_many_businesses_keep_within_algolia_s_hourly_limit(web, workspace):
    # Algolia allows about 10,000 requests an hour: one every 0.36 s. Six businesses' searches in
    # one run go out one after another at a shared pace (Algolia answering at once).
    web.add(PATH, fixture("hackernews", "search_by_date.json"))
    workspace.write_config(alerts=ALERTS, businesses=[
        business(name=f"Donut shop {n}", sources=[
            {"type": "hackernews", "query": "Joe's Donuts", "url": f"{web.url}{PATH}?{QUERY}"}])
        for n in range(6)])

    assert summary(run(workspace)).startswith("6 sources ok, 0 failed")
    times = sorted(r.time for r in web.requests_for(PATH))
    assert len(times) == 6
    # The rate, over the run (one gap may look short: arrivals jitter on a busy machine).
    assert (times[-1] - times[0]) / (len(times) - 1) >= 0.36
