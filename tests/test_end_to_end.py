"""The first real path: a feed is crawled, matched, scored, stored, and the negatives reach Slack.

A source's first crawl is a baseline: what it finds is summarised in one message per business;
negative mentions found after that are alerted one by one.
"""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import business, feed_fixture

# The fixture feeds are dated; these tests are not about the age limit.
ALERTS = {"threshold": -0.05, "max_age_days": 36500}


def slack_settings(slack) -> dict:
    return {"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url}


def test_run_twice_posts_one_baseline_summary_and_stores_no_duplicates(web, slack, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(
        slack=slack_settings(slack), alerts=ALERTS,
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    env = {"TEST_SLACK_TOKEN": "xoxb-test-token"}

    first = workspace.cli("run", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == (
        "1 source ok, 0 failed; 4 items fetched, 2 new mentions (1 negative); 0 alerts sent, "
        "1 baseline summary sent, 0 pending"
    )
    posted = slack.calls("chat.postMessage")
    assert len(posted) == 1
    assert posted[0].args["channel"] == "#reviews"
    # One summary of the new source's first crawl, listing its negative mention.
    assert posted[0].args["text"] == "Now watching 1 new source for Joe's Donuts: 2 mentions, 1 negative"
    assert "charged them twice" in json.dumps(posted[0].args["blocks"])

    second = workspace.cli("run", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == (
        "1 source ok, 0 failed; 0 items fetched, 0 new mentions (0 negative); 0 alerts sent, 0 pending"
    )
    assert len(slack.calls("chat.postMessage")) == 1
    # The second fetch was a revalidation the server answered 304, not a download.
    assert [r.status for r in web.requests_for("/news.xml")] == [200, 304]
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*), count(distinct canonical_url) from mentions").fetchone() == (2, 2)

    listed = [json.loads(line) for line in workspace.cli("mentions", "--format", "json", env=env).stdout.splitlines()]
    by_label = {m["label"]: m for m in listed}
    assert set(by_label) == {"negative", "positive"}
    negative = by_label["negative"]
    assert negative["sentiment"] < -0.05
    assert negative["alerted_at"] is None  # summarised in the baseline, not alerted on its own
    assert negative["published_at"] == "2026-11-23T09:30:00Z"
    assert negative["business"] == "Joe's Donuts" and negative["source_type"] == "feed"
    assert by_label["positive"]["alerted_at"] is None
    # Tracking parameters are gone from the stored canonical URL, not from the link itself.
    assert "utm_source" in by_label["positive"]["url"]


def test_new_negative_entries_in_a_changed_feed_are_posted_exactly_once(web, slack, workspace):
    feed = feed_fixture("joes_news.xml")
    web.add("/news.xml", feed, content_type="application/rss+xml")
    workspace.write_config(
        slack=slack_settings(slack), alerts=ALERTS,
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    env = {"TEST_SLACK_TOKEN": "xoxb-test-token"}
    assert workspace.cli("run", env=env).returncode == 0
    new_item = """<item><title>Joes Donuts gave my kids food poisoning</title>
      <link>https://daily.example.com/news/joes-sick</link>
      <pubDate>Mon, 23 Nov 2026 12:00:00 GMT</pubDate>
      <description>We were sick all night. Awful. Never again.</description></item>"""
    web.add("/news.xml", feed.replace("</channel>", new_item + "</channel>"), content_type="application/rss+xml")

    result = workspace.cli("run", env=env)
    assert result.returncode == 0, result.stderr
    assert "1 new mention (1 negative); 1 alert sent" in result.stdout
    texts = [c.args["text"] for c in slack.calls("chat.postMessage")]
    assert len(texts) == 2 and texts[0].startswith("Now watching") and "food poisoning" in texts[1]
    listed = [json.loads(line) for line in workspace.cli("mentions", "--format", "json", env=env).stdout.splitlines()]
    sick = next(m for m in listed if "food poisoning" in m["title"])
    assert sick["alerted_at"] is not None and sick["alerted_at"].endswith("Z")


def test_slack_failure_keeps_the_alert_pending_until_the_next_run(web, slack, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(
        slack=slack_settings(slack), alerts=ALERTS,
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    env = {"TEST_SLACK_TOKEN": "xoxb-test-token"}
    # Three 500s: the first try and both retries within the run.
    slack.fail_next("chat.postMessage", status=500, count=3)

    first = workspace.cli("run", env=env)
    assert first.returncode == 0
    assert "0 alerts sent, 1 pending" in first.stdout
    assert "pending for the next run" in first.stderr
    assert slack.posted == []
    assert len(slack.calls("chat.postMessage")) == 3

    second = workspace.cli("run", env=env)
    assert "0 alerts sent, 1 baseline summary sent, 0 pending" in second.stdout
    assert len(slack.posted) == 1
    assert "xoxb-test-token" not in first.stdout + first.stderr + second.stdout + second.stderr


def test_broken_sources_are_reported_and_the_others_still_run(web, slack, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    web.add("/broken.xml", "<html><body>Not a feed at all <<<", content_type="text/html")
    workspace.write_config(
        slack=slack_settings(slack), alerts=ALERTS,
        crawler={"retries": 0, "download_timeout": 5},
        businesses=[business(sources=[
            {"type": "feed", "url": f"{web.url}/missing.xml"},
            {"type": "feed", "url": f"{web.url}/broken.xml"},
            {"type": "feed", "url": f"{web.url}/news.xml"},
            {"type": "feed", "url": "http://127.0.0.1:9/refused.xml"},
        ])],
    )
    result = workspace.cli("run", env={"TEST_SLACK_TOKEN": "xoxb-test-token"})
    assert result.returncode == 0
    assert result.stdout.startswith("1 source ok, 3 failed; 4 items fetched, 2 new mentions")
    assert "missing.xml: HTTP 404 Not Found" in result.stderr
    assert "broken.xml: cannot parse" in result.stderr and "not a feed" in result.stderr
    assert "refused.xml: connection refused" in result.stderr
    with sqlite3.connect(workspace.database) as db:
        errors = db.execute("select errors from runs").fetchone()[0]
        states = dict(db.execute("select identity, consecutive_failures from sources"))
    assert "HTTP 404" in errors and "connection refused" in errors
    assert states[f"feed:{web.url}/news.xml"] == 0 and states[f"feed:{web.url}/missing.xml"] == 1


def test_without_a_slack_token_alerts_print_to_the_console(web, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    result = workspace.cli("run")
    assert result.returncode == 0, result.stderr
    assert "negative" in result.stdout and "charged them twice" in result.stdout
    assert "https://daily.example.com/news/joes-donuts-double-charge" in result.stdout
    assert result.stdout.strip().endswith("0 alerts sent, 1 baseline summary sent, 0 pending")
