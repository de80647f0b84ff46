"""The team's work on PostgreSQL, as a user runs it: alerts with buttons (and every run's look for
snoozes that are over), the alert updated in place after `handle`, the relevance advice of `check`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import business, feed_fixture
from tests.postgres import fresh_database


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """A database of this test's own on the session's server, dropped afterwards: others expect theirs empty."""
    with fresh_database(postgres_url, "mentionwatch_respond") as url:
        yield url


def test_acting_on_alerts_runs_on_postgresql(database, web, slack, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(
        database=database,
        slack={"token": "xoxb-test", "api_url": slack.api_url},
        alerts={"max_age_days": 36500},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    assert workspace.cli("run").returncode == 0  # the first crawl: a baseline summary
    complaint = """<item><title>Cold coffee and a rude cashier at Joe's Donuts</title>
      <link>https://daily.example.com/news/joes-cold-coffee</link><guid isPermaLink="false">g-9</guid>
      <pubDate>Mon, 23 Nov 2026 11:00:00 GMT</pubDate>
      <description>The coffee at Joe's Donuts was cold and the cashier was rude. Terrible.</description></item>"""
    web.add("/news.xml", feed_fixture("joes_news.xml").replace("</channel>", complaint + "</channel>"),
            content_type="application/rss+xml")
    assert workspace.cli("run").returncode == 0  # the new complaint: an alert with its buttons
    rows = [json.loads(line) for line in workspace.cli("mentions", "--format", "json").stdout.splitlines()]
    alerted = next(r for r in rows if r["alerted_at"])
    kept = next(r for r in rows if r["id"] != alerted["id"])

    handled = workspace.cli("handle", str(alerted["id"]), "--by", "dana")
    assert handled.returncode == 0, handled.stderr
    [alert] = [p for p in slack.posted if "Handled" in json.dumps(p["blocks"])]
    assert "Handled by dana" in json.dumps(alert["blocks"]) and alert["edited"]

    assert workspace.cli("dismiss", str(kept["id"])).returncode == 0
    check = workspace.cli("check")
    assert check.returncode == 0, check.stderr
    assert "1 mention dismissed as not about us" in check.stdout
