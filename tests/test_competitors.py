"""Competitors (`competitors:` on a business): crawled and stored like the business, never
alerted, and compared with it in the weekly report's share of voice."""

from __future__ import annotations

import re
import sqlite3

from tests.conftest import business, feed_fixture

ALERTS = {"threshold": -0.05, "max_age_days": 36500}
ENV = {"TEST_SLACK_TOKEN": "xoxb-test-token"}


def rss(*items: tuple[str, str, str, str]) -> str:
    """An RSS feed of (guid, title, description, pubDate) items."""
    body = "".join(f"<item><title>{t}</title><link>https://rival.example.com/{g}</link><guid>{g}</guid>"
                   f"<pubDate>{d}</pubDate><description>{text}</description></item>" for g, t, text, d in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Rival</title>{body}</channel></rss>'


RIVAL = [
    ("r1", "Donut Palace was awful today", "Stale donuts and rude staff at Donut Palace. Terrible.",
     "Tue, 24 Nov 2026 09:00:00 GMT"),
    ("r2", "Donut Palace disappoints", "Cold coffee, dirty tables, horrible service at Donut Palace.",
     "Tue, 24 Nov 2026 10:00:00 GMT"),
    ("r3", "Donut Palace is lovely", "Wonderful crullers and friendly, helpful people at Donut Palace.",
     "Tue, 24 Nov 2026 11:00:00 GMT"),
]
LATER = ("r4", "Food poisoning after Donut Palace", "I got sick after eating at Donut Palace. Awful, never again.",
         "Wed, 25 Nov 2026 09:00:00 GMT")


def test_competitors_are_stored_never_alerted_and_compared_in_the_report(web, slack, workspace, tmp_path):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    web.add("/rival.xml", rss(*RIVAL), content_type="application/rss+xml")
    workspace.write_config(
        slack={"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url}, alerts=ALERTS,
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}],
                             competitors=[{"name": "Donut Palace",
                                           "sources": [{"type": "feed", "url": f"{web.url}/rival.xml"}]}])],
    )
    first = workspace.cli("run", env=ENV)
    assert first.returncode == 0, first.stderr
    # Only the business's first crawl is summarised; the competitor's is not news to anyone.
    assert [c.args["text"] for c in slack.calls("chat.postMessage")] == [
        "Now watching 1 new source for Joe's Donuts: 2 mentions, 1 negative"]

    # A new complaint about the competitor (urgent words and all): stored, not alerted.
    web.add("/rival.xml", rss(*RIVAL, LATER), content_type="application/rss+xml")
    second = workspace.cli("run", env=ENV)
    assert second.returncode == 0, second.stderr
    assert len(slack.calls("chat.postMessage")) == 1
    # The run's line counts it apart: no negative of the owner's went unalerted.
    assert "fetched, 0 new mentions (0 negative) and 1 of competitors; 0 alerts sent" in second.stdout, second.stdout
    with sqlite3.connect(workspace.database) as db:
        stored = db.execute("select m.label, m.alert_due, m.alerted_at from mentions m join businesses b "
                            "on b.id = m.business_id where b.name = 'Donut Palace' and b.competitor").fetchall()
    assert len(stored) == 4 and all(not due and alerted is None for _, due, alerted in stored)
    negative = sum(label == "negative" for label, _, _ in stored)
    assert negative >= 3

    report = workspace.cli("report", "--since", "2026-11-16", "--until", "2026-11-29", "--out", "out", "--no-send",
                           env=ENV)
    assert report.returncode == 0, report.stderr
    html = next((tmp_path / "out").glob("report-*.html")).read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Share of voice" in text
    assert "Joe's Donuts 2 33% 1 50%" in text.replace("&#39;", "'")
    assert f"Donut Palace (competitor) 4 67% {negative} {negative * 25}%" in text
