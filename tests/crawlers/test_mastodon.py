"""Mastodon's hashtag timeline and status search, through `mentionwatch run`."""

from __future__ import annotations

from crawlers.config import MastodonSource
from crawlers.spiders.mastodon import endpoint
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

TAG = "/api/v1/timelines/tag/JoesDonuts"
SEARCH = "/api/v2/search"


def test_hashtag_timeline_then_newer_only_and_search_once_a_token_is_given(web, workspace):
    web.add(TAG, fixture("mastodon", "tag_timeline.json"))
    web.add(SEARCH, fixture("mastodon", "search.json"))
    workspace.write_config(alerts=ALERTS, businesses=[business(
        keywords=["Joe's Donuts", "Joes Donuts", "JoesDonuts"],
        sources=[
            {"type": "mastodon", "instance": web.url, "tag": "#JoesDonuts"},
            {"type": "mastodon", "instance": web.url, "query": "Joe's Donuts"},
        ])])

    first = run(workspace)

    assert summary(first).startswith("1 source ok, 1 failed; 3 items fetched, 3 new mentions")
    assert failures(first) == [
        f"Joe's Donuts / Mastodon search for Joe's Donuts on {web.url.removeprefix('http://')}: Mastodon search needs an access token: set "
        "MASTODON_TOKEN (or credentials.mastodon_token in config.yaml), or watch a `tag:`"
    ]
    assert [r.path for r in web.requests] == [f"{TAG}?limit=40"]
    toots = stored(workspace, "mastodon")
    kai = by_author(toots)["@kai@fosstodon.example"]
    assert kai["url"] == "https://mastodon.example/@kai/113500000000000300"
    # (html_to_text currently spaces "#<span>JoesDonuts</span>" as "# JoesDonuts": a pipeline matter.)
    assert kai["text"].startswith("Queue at #")
    assert kai["text"].endswith("JoesDonuts is 20 people long & the coffee machine is broken again 😤")
    assert kai["published_at"] == utc("2026-11-22T17:45:12Z")
    zoe = {t["published_at"]: t for t in toots if t["author"] == "@zoe"}
    special = zoe[utc("2026-11-22T09:00:00Z")]
    assert special["title"] == "food pics"  # the content warning
    assert special["text"] == "Joe's Donuts crème brûlée special is back!\n\nGo early."
    # A status without a web page is stored at its ActivityPub id.
    assert zoe[utc("2026-11-21T08:00:00Z")]["url"] == "https://mastodon.example/users/zoe/statuses/113500000000000100"

    web.add(TAG, fixture("mastodon", "tag_timeline_newer.json"))
    second = run(workspace, env={"MASTODON_TOKEN": "token-abc"})

    assert summary(second).startswith("2 sources ok, 0 failed; 2 items fetched, 2 new mentions")
    later = web.requests[1:]
    assert sorted(r.path for r in later) == [
        f"{TAG}?limit=40&min_id=113500000000000300",
        f"{SEARCH}?q=Joe%27s%20Donuts&type=statuses&resolve=false&limit=40",
    ]
    assert all(r.headers.get("Authorization") == "(redacted)" for r in later)
    assert "token-abc" not in second.stdout + second.stderr
    assert {t["text"] for t in stored(workspace, "mastodon")} >= {
        "Joe's Donuts fixed the coffee machine 👍 #JoesDonuts", "Anyone else find Joe's Donuts too sweet lately?"}


def test_instance_names_and_explicit_urls():
    assert endpoint(MastodonSource(type="mastodon", instance="fosstodon.org", tag="café")) == \
        "https://fosstodon.org/api/v1/timelines/tag/caf%C3%A9?limit=40"
    given = "https://social.example/api/v1/timelines/tag/joes?local=true"
    assert endpoint(MastodonSource(type="mastodon", instance="x", tag="y", url=given)) == given
