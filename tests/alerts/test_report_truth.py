"""The weekly report tells the truth: what was said, what went out how, and periods as dates."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from html import unescape

from sqlalchemy.orm import Session

from alerts.report.data import Period
from alerts.report.publish import make_report
from alerts.report.render import period_text
from pipeline.models import Source
from tests.alerts.helpers import joes, settings_for

# Monday 16 Nov 2026 00:00 to Monday 23 Nov 2026 00:00 in Chicago.
WEEK = Period(datetime(2026, 11, 16, 6, tzinfo=timezone.utc), datetime(2026, 11, 23, 6, tzinfo=timezone.utc))
IN_WEEK = datetime(2026, 11, 18, 15, tzinfo=timezone.utc)


def page_text(outcome) -> str:
    html = outcome.html.read_text(encoding="utf-8")
    return html, unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_periods_read_as_the_business_s_dates():
    assert period_text(WEEK, "America/Chicago") == "16-22 Nov 2026"
    assert period_text(Period(datetime(2026, 11, 30, 6, tzinfo=timezone.utc),
                              datetime(2026, 12, 7, 6, tzinfo=timezone.utc)), "America/Chicago") == "30 Nov - 6 Dec 2026"
    assert period_text(Period(datetime(2026, 12, 28, tzinfo=timezone.utc),
                              datetime(2027, 1, 4, tzinfo=timezone.utc))) == "28 Dec 2026 - 3 Jan 2027"


def test_top_mentions_show_an_escaped_excerpt_around_the_driving_sentence(slack, store, tmp_path):
    s = store(settings_for(slack.api_url, [joes(timezone="America/Chicago")]))
    s.add(title="A review", published_at=IN_WEEK, first_seen_at=IN_WEEK,
          text="We came on Tuesday. The parking was fine. The <b>donuts</b> were stale & the staff rude. Bye.",
          driver="The <b>donuts</b> were stale & the staff rude.")
    s.add(title="Praise", label="positive", sentiment=0.8, due=False, published_at=IN_WEEK, first_seen_at=IN_WEEK,
          text="Best crullers in town, and so friendly.")
    outcome = make_report(s.settings, s.engine, WEEK, tmp_path, send=False)
    html, text = page_text(outcome)
    assert "The &lt;b&gt;donuts&lt;/b&gt; were stale &amp; the staff rude." in html
    assert "<b>donuts" not in html
    assert "Best crullers in town, and so friendly." in text
    assert "16-22 Nov 2026, compared with 9-15 Nov 2026" in text
    assert "7.0 days" not in text


def test_baseline_mentions_and_unalerted_handling_are_told_as_they_were(slack, store, tmp_path):
    s = store(settings_for(slack.api_url, [joes(timezone="America/Chicago")]))
    source = s.source_id()
    with Session(s.engine) as session, session.begin():
        session.get(Source, source).first_crawled_at = None  # its first crawl is this run's
    in_baseline = s.add(title="Found by the first crawl", due=False, published_at=IN_WEEK,
                        first_seen_at=IN_WEEK)
    handled_quietly = s.add(title="Handled without an alert", due=False, published_at=IN_WEEK,
                            first_seen_at=IN_WEEK - timedelta(days=1),
                            handled_at=IN_WEEK + timedelta(hours=1), handled_by="dana")
    with Session(s.engine) as session, session.begin():
        session.get(Source, source).first_crawled_at = IN_WEEK
    s.cycle(IN_WEEK + timedelta(minutes=5), baseline_sources=[source], run_started=IN_WEEK - timedelta(minutes=1))
    assert any("Now watching" in (m["text"] or "") for m in slack.posted)
    outcome = make_report(s.settings, s.engine, WEEK, tmp_path, send=False)
    _, text = page_text(outcome)
    assert "Found by the first crawl" in text and "in the baseline summary" in text
    assert "Handled without an alert" in text and "handled by dana (no alert was sent)" in text
    assert "0 min" not in text
    assert in_baseline and handled_quietly


def test_a_business_new_this_period_shows_no_change_against_the_period_before(slack, store, tmp_path):
    s = store(settings_for(slack.api_url, [joes(timezone="America/Chicago")]))
    with Session(s.engine) as session, session.begin():
        session.get(Source, s.source_id()).first_crawled_at = IN_WEEK
    s.add(published_at=IN_WEEK, first_seen_at=IN_WEEK)
    s.add(published_at=IN_WEEK - timedelta(days=7), first_seen_at=IN_WEEK)  # backfilled from before
    outcome = make_report(s.settings, s.engine, WEEK, tmp_path, send=False)
    _, text = page_text(outcome)
    assert "no comparison: Joe's Donuts (watched since 18 Nov 2026) did not exist in the period before" in text
    assert "on the previous period" not in text
    assert "Mentions 1 Positive" in text
