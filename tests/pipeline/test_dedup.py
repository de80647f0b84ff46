"""Dedup through `mentionwatch run`: one story is one mention wherever and however often it is seen,
and an edit is not a duplicate."""

from __future__ import annotations

import json

from tests.conftest import business
from tests.crawlers.helpers import run, summary
from tests.pipeline.helpers import (
    ALERTS,
    days_ago,
    entry,
    mentions,
    review_page,
    rows,
    rss,
)

SLACK_ENV = {"TEST_SLACK_TOKEN": "xoxb-test-token"}

STORY = ("Customers say Joe's Donuts charged their cards twice this weekend, and the manager refused "
         "to give refunds to anyone who complained at the counter on Sunday morning.")
SYNDICATED = f"SPRINGFIELD (AP) — {STORY}\n\nRead more"


def slack_settings(slack) -> dict:
    return {"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url}


def alerts_about(slack, phrase: str) -> int:
    """How many messages Slack received that quote `phrase`."""
    return sum(phrase in json.dumps(call.args) for call in slack.calls("chat.postMessage"))


def serve(web, path: str, *entries: dict) -> str:
    web.add(path, rss(*entries), content_type="application/rss+xml")
    return f"{web.url}{path}"


def test_a_story_seen_on_several_sites_and_feeds_is_one_mention_alerted_once(web, slack, workspace):
    quiet = entry("Joe's Donuts adds a patio", "https://gazette.example.com/patio", "Seats for twenty.", days_ago(3))
    first_feed = serve(web, "/a.xml", quiet)
    second_feed = serve(web, "/b.xml", quiet)
    workspace.write_config(slack=slack_settings(slack), alerts=ALERTS, businesses=[business(sources=[
        {"type": "feed", "url": first_feed}, {"type": "feed", "url": second_feed}])])
    # The sources' first crawl: whatever the first crawl does about alerts, it is done now.
    run(workspace, env=SLACK_ENV)
    before = alerts_about(slack, "charged their cards twice")

    title = "Joe's Donuts double-charged customers"
    story = [
        quiet,
        entry(title, "https://daily.example.com/news/double-charge", STORY),
        # Syndicated: another site, its name after the headline, a dateline, a "Read more".
        entry(f"{title} - Springfield Post", "https://post.example.com/2026/joes-donuts-double-charge",
              f"<p>{SYNDICATED}</p>"),
        # Wire copy on a third site, listed twice.
        entry(f"{title} | Metro", "https://metro.example.com/a/123", SYNDICATED),
        entry(f"{title} | Metro", "https://metro.example.com/a/123", SYNDICATED),
    ]
    serve(web, "/a.xml", *story)

    result = run(workspace, env=SLACK_ENV)

    assert summary(result).startswith("2 sources ok, 0 failed; 5 items fetched, 1 new mention (1 negative)")
    stored = [m for m in mentions(workspace) if "double" in m["url"]]
    assert [m["canonical_url"] for m in stored] == ["https://daily.example.com/news/double-charge"]
    sighted = "select canonical_url from sightings order by canonical_url"
    assert [s["canonical_url"] for s in rows(workspace, sighted)] == [
        "https://metro.example.com/a/123", "https://post.example.com/2026/joes-donuts-double-charge"]
    assert alerts_about(slack, "charged their cards twice") == before + 1

    # Both feeds change, so both are read in full: the first one with what it had, the second one
    # with the same page (tracking parameters, a fragment, a shorter excerpt; its AMP version)
    # and the wire copy. Only the one new entry is new.
    serve(web, "/a.xml", *story, entry("Joe's Donuts hires", "https://gazette.example.com/hires", "Six bakers."))
    serve(web, "/b.xml", quiet,
          entry(title, "https://daily.example.com/news/double-charge/?utm_source=feed&fbclid=abc#comments",
                STORY[:90]),
          entry(title, "https://daily.example.com/amp/news/double-charge", STORY),
          entry(f"{title} | Metro", "https://metro.example.com/a/123", SYNDICATED))

    again = run(workspace, env=SLACK_ENV)

    assert summary(again).startswith("2 sources ok, 0 failed; 10 items fetched, 1 new mention (0 negative)")
    assert len(mentions(workspace)) == 3
    assert len(rows(workspace, sighted)) == 2
    # Another feed's excerpt of the same page is not an edit of it.
    assert rows(workspace, "select * from revisions") == []
    assert alerts_about(slack, "charged their cards twice") == before + 1


def test_a_review_edited_from_five_stars_to_one_is_updated_kept_and_alerted(web, slack, workspace):
    a_month_ago = days_ago(30).date().isoformat()
    glowing = {"author": "Ann", "date": a_month_ago, "rating": 5, "body": "Wonderful donuts and friendly staff."}
    other = {"author": "Bo", "date": a_month_ago, "rating": 4, "body": "Good coffee, fair prices."}
    web.add("/reviews", review_page(glowing, other))
    # The default age limit: the review is a month old, the edit is news today.
    workspace.write_config(slack=slack_settings(slack), businesses=[business(sources=[
        {"type": "reviews", "url": f"{web.url}/reviews"}])])
    run(workspace, env=SLACK_ENV)
    (ann,) = [m for m in mentions(workspace) if m["author"] == "Ann"]
    assert (ann["rating"], ann["label"]) == (5.0, "positive")

    furious = {**glowing, "rating": 1, "body": "Edit: stale donuts, and the owner yelled at my kids. Never again."}
    web.add("/reviews", review_page(furious, other))

    result = run(workspace, env=SLACK_ENV)

    assert summary(result).startswith("1 source ok, 0 failed; 2 items fetched, 0 new mentions (1 negative)")
    (edited,) = [m for m in mentions(workspace) if m["author"] == "Ann"]
    assert edited["id"] == ann["id"] and len(mentions(workspace)) == 2
    assert (edited["rating"], edited["label"], edited["text"]) == (1.0, "negative", furious["body"])
    assert edited["updated_at"] is not None
    # The old version is kept.
    assert [(r["text"], r["rating"], r["label"]) for r in rows(workspace, "select * from revisions")] == [
        (glowing["body"], 5.0, "positive")]
    # Treated as new for alerting: posted, once, and not again on the next read of the page.
    assert alerts_about(slack, "yelled at my kids") == 1
    web.add("/reviews", review_page(furious, {**other, "body": "Good coffee, fair prices!"}))
    run(workspace, env=SLACK_ENV)
    assert alerts_about(slack, "yelled at my kids") == 1
    assert len(rows(workspace, "select * from revisions")) == 2  # Bo's punctuation is an edit too
