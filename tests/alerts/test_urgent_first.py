"""Urgent first, always (issue 25): a recent urgent story is alerted on its own, on a first run too,
whatever the scorer's label; the baseline summary and the weekly report list urgent mentions first.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from sqlalchemy.orm import Session

from alerts.report.data import Period, build_reports
from mentionwatch.config import load_settings
from pipeline.record import MentionRecord
from pipeline.store import open_engine
from pipeline.flow import judge
from pipeline.sentiment import SentimentScorer
from tests.conftest import business

INSPECTION = ("Health inspectors close Joe's Donuts",
              "Health inspectors closed Joe's Donuts on Main Street on Thursday. Several customers got sick "
              "after eating there last weekend, the health department said.")
OLD_SCARE = ("Joe's Donuts recalls a batch of glazed donuts",
             "Joe's Donuts recalled a batch after a customer got sick last month.")
PRAISE = ("Joe's Donuts wins best crullers", "Readers voted Joe's Donuts the best crullers in town, a lovely place.")


def feed(entries: list[tuple[tuple[str, str], datetime]]) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example.com/{n}</link>"
        f"<description>{text}</description><pubDate>{format_datetime(when)}</pubDate></item>"
        for n, ((title, text), when) in enumerate(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}</channel></rss>'


def test_a_first_run_alerts_a_same_day_urgent_story_and_not_an_old_one(web, slack, workspace):
    now = datetime.now(UTC)
    web.add("/news.xml", feed([(INSPECTION, now - timedelta(hours=2)), (OLD_SCARE, now - timedelta(days=30)),
                               (PRAISE, now - timedelta(days=1))]), content_type="application/rss+xml")
    workspace.write_config(
        slack={"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    first = workspace.cli("run", env={"TEST_SLACK_TOKEN": "xoxb-test-token"})
    assert first.returncode == 0, first.stderr
    assert "1 alert sent, 1 baseline summary sent, 0 pending" in first.stdout

    posted = [call.args for call in slack.calls("chat.postMessage")]
    alerts = [p for p in posted if not p["text"].startswith("Now watching")]
    assert len(alerts) == 1
    assert "Health inspectors" in json.dumps(alerts[0]["blocks"])
    assert "recalls" not in json.dumps(alerts[0]["blocks"])
    # The summary lists both urgent stories, the urgent ones ahead of anything else.
    summary = json.dumps([p for p in posted if p["text"].startswith("Now watching")][0]["blocks"])
    assert "Urgent and most recent negative mentions" in summary
    assert summary.index("Health inspectors") < summary.index("best crullers") if "best crullers" in summary else True
    assert "recalls a batch" in summary

    with sqlite3.connect(workspace.database) as db:
        rows = dict(db.execute("select title, alerted_at is not null from mentions where urgent"))
    assert rows == {INSPECTION[0]: 1, OLD_SCARE[0]: 0}


def with_an_urgent_channel(web, slack, workspace) -> None:
    """A feed with a health inspection story, alerted to #reviews and to the urgent channel."""
    web.add("/news.xml", feed([(INSPECTION, datetime.now(UTC) - timedelta(hours=2))]), content_type="application/rss+xml")
    workspace.write_config(
        slack={"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "urgent_channel": "#urgent",
               "api_url": slack.api_url},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )


def test_an_urgent_alert_posted_to_the_urgent_channel_as_well_counts_once(web, slack, workspace):
    with_an_urgent_channel(web, slack, workspace)
    first = workspace.cli("run", env={"TEST_SLACK_TOKEN": "xoxb-test-token"})
    assert first.returncode == 0, first.stderr
    channels = sorted(c.args["channel"] for c in slack.calls("chat.postMessage")
                      if "Health inspectors" in json.dumps(c.args["blocks"]) and not c.args["text"].startswith("Now"))
    assert channels == ["#reviews", "#urgent"]  # one mention, two messages: one alert
    assert "1 new mention (1 negative); 1 alert sent, 1 baseline summary sent, 0 pending" in first.stdout, first.stdout


def test_an_urgent_alert_waiting_for_both_channels_is_one_pending(web, slack, workspace):
    with_an_urgent_channel(web, slack, workspace)
    slack.fail_next("chat.postMessage", status=500, count=100)
    first = workspace.cli("run", env={"TEST_SLACK_TOKEN": "xoxb-test-token"})
    # The alert (owed to #reviews and #urgent) and the new source's baseline summary.
    assert "0 alerts sent, 2 pending" in first.stdout, first.stdout
    assert "(2 pending for the next run)" in first.stderr, first.stderr


def test_the_weekly_report_lists_an_urgent_mention_first_whatever_its_label(web, workspace):
    now = datetime.now(UTC)
    web.add("/news.xml", feed([(INSPECTION, now - timedelta(hours=2)), (PRAISE, now - timedelta(hours=3))]),
            content_type="application/rss+xml")
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    assert workspace.cli("run").returncode == 0
    settings = load_settings(workspace.config)
    engine = open_engine(settings.database_url())
    try:
        with Session(engine) as session:
            [report] = build_reports(session, settings, Period(now - timedelta(days=7), now + timedelta(hours=1)))
    finally:
        engine.dispose()
    assert report.negatives and report.negatives[0].title == INSPECTION[0]
    assert INSPECTION[0] not in [line.title for line in report.praise]


def test_a_calm_headline_does_not_soften_a_complaint_in_the_body():
    scorer = SentimentScorer()
    record = MentionRecord.__new__(MentionRecord)
    record.title = "Harbor Lane Bakery celebrates its best year, thanks to loyal customers"
    record.text, record.rating = "The city closed the bakery after an inspection found problems.", None
    record.source_type = "reviews"  # read as a review, the register the scorer reads by default
    record.business = "Harbor Lane Bakery"
    # Read together, the headline wins; read alone, the body is a complaint.
    assert scorer.score(record.text, title=record.title).label != "negative"
    assert scorer.score(record.text).label == "negative"
    assert judge(scorer, record).label == "negative"
