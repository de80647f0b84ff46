"""What the learned scorer adds to alerts and to the weekly report: why, and what complaints are about."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from alerts.messages import AlertView, alert_message
from alerts.report.aspects import aspect_counts, aspect_phrase
from tests.alerts.helpers import settings_for

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
MON = datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
WEEK = ("--since", "2026-11-16", "--until", "2026-11-22")


def view(**changes) -> AlertView:
    fields = dict(
        mention_id=7, business="Joe's Donuts", source_type="feed", url="https://blog.example.com/wait",
        title="Never again", text="Lovely coffee. We waited over an hour and the waiter was rude about it.",
        author=None, published_at=NOW - timedelta(hours=1), rating=None, sentiment=-0.83, label="negative",
        driver="We waited over an hour and the waiter was rude about it.",
        vader_compound=-0.4588, probability=0.91, aspects=("service and staff", "wait time"), language="en",
    )
    fields.update(changes)
    return AlertView(**fields)


def why(blocks) -> str:
    lines = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]
             if e["text"].startswith(("Why:", "Not scored"))]
    assert len(lines) == 1, blocks
    return lines[0]


def test_an_alert_says_why_the_scorer_judged_so():
    _, blocks = alert_message(view(), NOW)
    assert why(blocks) == ("Why: “We waited over an hour and the waiter was rude about it.” · VADER -0.46 · "
                           "model 91% negative · about: service and staff, wait time")
    _, rated = alert_message(view(rating=1.0), NOW)
    assert "rating 1/5 decides" in why(rated)


def test_the_why_line_escapes_web_text_and_owner_words():
    _, blocks = alert_message(view(driver="<!channel> *rude* <https://evil.example|x>", aspects=("<@U1> & co",)), NOW)
    line = why(blocks)
    assert "<!channel>" not in line and "<https://evil" not in line and "<@U1>" not in line
    assert "&lt;!channel&gt;" in line and "&amp; co" in line


def test_an_unscored_alert_says_the_language_was_not_read():
    _, blocks = alert_message(view(label="unscored", sentiment=0.0, probability=None, vader_compound=None,
                                   aspects=(), language="es"), NOW)
    assert why(blocks) == "Not scored: written in `es`, a language the scorer cannot read; it is stored unjudged."


class _Stored:
    def __init__(self, label: str, aspects: list[str] | None):
        self.label, self.aspects = label, aspects


def test_aspect_counts_compare_the_period_with_the_one_before():
    now = [_Stored("negative", ["wait time"])] * 4 + [_Stored("negative", ["wait time", "price and billing"]),
                                                       _Stored("positive", ["wait time"])]
    before = [_Stored("negative", ["wait time"]), _Stored("negative", ["cleanliness"])]
    counts = aspect_counts(now, before)
    assert counts == [("wait time", 5, 1), ("price and billing", 1, 0), ("cleanliness", 0, 1)]
    assert aspect_phrase("wait time", 4, 1) == "4 complaints about wait time, up from 1"
    assert aspect_phrase("cleanliness", 0, 1) == "0 complaints about cleanliness, down from 1"
    assert aspect_phrase("safety", 1, 1) == "1 complaint about safety, as many as the period before"


def test_the_weekly_report_says_what_complaints_were_about(store, slack, workspace, tmp_path):
    business = {"name": "Joe's Donuts", "keywords": ["Joe's Donuts"], "timezone": "Europe/Paris",
                "sources": [{"type": "feed", "url": "https://news.example.com/joes.xml"}]}
    s = store(settings_for(slack.api_url, [business]))
    for day in range(4):
        s.add(title=f"Slow {day}", published_at=MON + day * DAY, aspects=["wait time"])
    s.add(title="Slow and rude", published_at=MON + 5 * DAY, aspects=["wait time", "service and staff"])
    s.add(title="Last week", published_at=MON - 3 * DAY, aspects=["wait time"])
    workspace.write_config(database="sqlite:///store.db", businesses=[business],
                           slack={"token": "${TOKEN}", "api_url": slack.api_url, "post_interval": 0})

    result = workspace.cli("report", *WEEK, "--out", "out", env={"TOKEN": "xoxb-report-secret"})

    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "report-2026-11-22.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "What complaints were about 5 complaints about wait time, up from 1 " in text
    assert "1 complaint about service and staff, up from 0" in text
    [summary] = slack.posted
    assert "5 complaints about wait time, up from 1" in json.dumps(summary["blocks"], ensure_ascii=False)
