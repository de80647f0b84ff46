"""Spike and rating-drop alerts against a store with weeks of history, posted to a local Slack
with the real slack-sdk. Each `store.cycle(now)` is what one run does after its crawl."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import AggregateRating, Source
from tests.alerts.helpers import T0, joes, settings_for

INBOX = "https://inbox.example.com"


def reviews_page(**extra):
    return joes(sources=[{"type": "feed", "url": "https://news.example.com/joes.xml"},
                         {"type": "reviews", "url": "https://reviews.example.com/joes"}], **extra)


def with_history(s, days: int = 35, per_day: int = 3, rating: float | None = None, source: int | None = None) -> None:
    """Ordinary days before T0's: a few mentions a day, one of them negative every other day."""
    for day in range(1, days + 1):
        at = T0 - timedelta(days=day)
        for n in range(per_day):
            negative = n == 0 and day % 2 == 0
            s.add(label="negative" if negative else "positive", sentiment=-0.5 if negative else 0.6, due=False,
                  published_at=at - timedelta(hours=n), first_seen_at=at - timedelta(hours=n), rating=rating,
                  source=source)


def today(s, count: int, label: str = "negative", **extra) -> list[int]:
    """Mentions published and found today (after the sources' first crawl)."""
    return [s.add(label=label, due=False, published_at=T0 - timedelta(minutes=30 + n),
                  first_seen_at=T0 - timedelta(minutes=5), **extra) for n in range(count)]


def trend_posts(slack, prefix: str) -> list[dict]:
    return [m for m in slack.posted if m["text"].startswith(prefix)]


def test_a_spike_raises_one_alert_and_the_next_run_over_the_same_spike_none(slack, store):
    s = store(settings_for(slack.api_url))
    with_history(s)
    today(s, 14, aspects=["service"])

    result = s.cycle(T0, inbox_url=INBOX)
    assert result.problems == []
    spikes = trend_posts(slack, "Spike: Joe's Donuts")
    assert len(spikes) == 1
    text = spikes[0]["text"]
    # Counts against the usual, the top complaint, and the inbox filtered to the business and day.
    assert "14 mentions today against about 3 on a usual Monday" in text
    assert "14 negative against about" in text and "top complaints: service" in text
    assert f"{INBOX}/mentions?business=Joe%27s+Donuts&amp;since=2026-11-23&amp;until=2026-11-24" in text
    buttons = [e["url"] for b in spikes[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [f"{INBOX}/mentions?business=Joe%27s+Donuts&since=2026-11-23&until=2026-11-24"]
    # Without the inbox, the command that lists them, ready to paste.
    notes = [e["text"] for b in spikes[0]["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any("`mentionwatch mentions --business \"Joe's Donuts\" --since 2026-11-23` lists them all." in n
               for n in notes), notes

    # Later runs the same day, with the spike still growing: nothing more.
    today(s, 6)
    s.cycle(T0 + timedelta(hours=2), inbox_url=INBOX)
    s.cycle(T0 + timedelta(hours=4))
    assert len(trend_posts(slack, "Spike:")) == 1


def test_an_ordinary_day_raises_no_spike(slack, store):
    s = store(settings_for(slack.api_url))
    with_history(s)
    today(s, 4)
    s.cycle(T0)
    assert trend_posts(slack, "Spike:") == []


def test_a_sources_first_crawl_is_history_not_a_spike(slack, store):
    s = store(settings_for(slack.api_url, [reviews_page()]))
    with_history(s)
    with Session(s.engine) as session, session.begin():
        page = session.scalars(select(Source).where(Source.type == "reviews")).one()
        page.first_crawled_at = T0  # its first crawl just ended: what it found came before
        page_id = page.id
    # Its first crawl found 20 reviews written today.
    for n in range(20):
        s.add(label="negative", due=False, published_at=T0 - timedelta(hours=1), source=page_id,
              first_seen_at=T0 - timedelta(minutes=n + 1), rating=5.0)
    s.cycle(T0)
    assert trend_posts(slack, "Spike:") == []


def test_no_usual_yet_no_spike(slack, store):
    s = store(settings_for(slack.api_url))
    with_history(s, days=5)
    today(s, 30)
    s.cycle(T0)
    assert trend_posts(slack, "Spike:") == []


def test_spikes_can_be_turned_off(slack, store):
    s = store(settings_for(slack.api_url, alerts={"trends": {"spikes": False}}))
    with_history(s)
    today(s, 14)
    s.cycle(T0)
    assert trend_posts(slack, "Spike:") == []


def test_a_spike_in_quiet_hours_waits_for_their_end(slack, store):
    s = store(settings_for(slack.api_url, alerts={"quiet_hours": {"start": "11:00", "end": "13:00"}}))
    with_history(s)
    today(s, 14)
    s.cycle(T0)
    assert trend_posts(slack, "Spike:") == []
    s.cycle(T0 + timedelta(hours=1, minutes=5))
    assert len(trend_posts(slack, "Spike:")) == 1


def test_a_falling_rating_on_a_review_page_raises_one_rating_drop(slack, store):
    s = store(settings_for(slack.api_url, [reviews_page()]))
    with Session(s.engine) as session, session.begin():
        page_id = session.scalars(select(Source.id).where(Source.type == "reviews")).one()
        for days, value in ((10, 4.6), (6, 4.6), (3, 4.5), (0, 4.2)):
            session.add(AggregateRating(source_id=page_id, recorded_at=T0 - timedelta(days=days), value=value,
                                        count=200))
    cause = s.add(label="negative", due=False, rating=1.0, source=page_id, title="Cold coffee, rude staff",
                  published_at=T0 - timedelta(days=2), first_seen_at=T0 - timedelta(days=2))
    s.add(label="positive", due=False, rating=5.0, source=page_id, published_at=T0 - timedelta(days=1),
          first_seen_at=T0 - timedelta(days=1))

    s.cycle(T0)
    drops = trend_posts(slack, "Rating drop: Joe's Donuts")
    assert len(drops) == 1
    assert "reviews.example.com/joes 4.6★ → 4.2★" in drops[0]["text"]
    shown = " ".join(b["text"]["text"] for b in drops[0]["blocks"] if b["type"] == "section")
    assert "Cold coffee, rude staff" in shown and f"id {cause}" in shown
    # The same fall is not alerted again, the next day either.
    s.cycle(T0 + timedelta(hours=3))
    s.cycle(T0 + timedelta(days=1))
    assert len(trend_posts(slack, "Rating drop:")) == 1


def test_a_burst_of_one_star_reviews_is_a_rating_drop(slack, store):
    s = store(settings_for(slack.api_url, [reviews_page()]))
    page_id = s.source_id() + 1
    with_history(s, rating=5.0, source=page_id)
    ids = today(s, 5, rating=1.0, source=page_id, title="One star: never again")
    s.cycle(T0)
    drops = trend_posts(slack, "Rating drop: Joe's Donuts")
    assert len(drops) == 1
    assert "5 reviews of 1-2 stars today against about 0.2 usual" in drops[0]["text"]
    assert "average 5.0★ over 4 weeks, 1.0★ today" in drops[0]["text"]
    shown = " ".join(b["text"]["text"] for b in drops[0]["blocks"] if b["type"] == "section")
    assert all(f"id {i}" in shown for i in ids)
    today(s, 3, rating=1.0, source=page_id)
    s.cycle(T0 + timedelta(hours=1))
    assert len(trend_posts(slack, "Rating drop:")) == 1


def test_a_few_low_star_reviews_on_an_ordinary_day_are_no_rating_drop(slack, store):
    s = store(settings_for(slack.api_url, [reviews_page()]))
    page_id = s.source_id() + 1
    with_history(s, rating=4.0, source=page_id)
    today(s, 1, rating=1.0, source=page_id)
    s.cycle(T0)
    assert trend_posts(slack, "Rating drop:") == []


def test_with_a_daily_digest_the_notify_destinations_get_a_spike_s_mentions_in_it(slack, store, webhook):
    s = store(settings_for(slack.api_url, alerts={"notify": [webhook.url], "digest": "daily", "digest_time": "08:00",
                                                  "urgent_reraise_hours": 0}))
    with_history(s)
    today(s, 14, aspects=["service"], title="Slow service at Joe's")
    s.cycle(T0)  # Slack gets the spike at once; the webhook waits for the digest
    assert len(trend_posts(slack, "Spike:")) == 1 and webhook.received == []
    s.cycle(T0 + timedelta(hours=20, minutes=5))  # 08:05 the next day (UTC): the digest
    assert len(webhook.received) == 1 and "Slow service at Joe's" in webhook.received[0]["message"]
