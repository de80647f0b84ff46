"""The outbox against a local Slack with the real slack-sdk: routing, failures, caps, quiet hours,
reminders, source notices, webhooks. Each `store.cycle(now)` is what one run does after its crawl."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy.orm import Session

from alerts.slack import WebApiPoster, make_client
from mentionwatch.sandbox.slack import channel_id_for
from pipeline.models import Source
from respond import actions
from tests.alerts.helpers import T0, joes, settings_for


def bakery(**extra):
    return {"name": "Acme Bakery", "keywords": ["Acme Bakery"], "channel": "#acme",
            "sources": [{"type": "feed", "url": "https://news.example.com/acme.xml"}], **extra}


def test_each_business_posts_to_its_channel_and_urgent_ones_also_to_the_urgent_channel(slack, store):
    settings = settings_for(slack.api_url, [joes(), bakery()],
                            slack={"channel": "#reviews", "urgent_channel": "#urgent"})
    s = store(settings)
    plain = s.add("Joe's Donuts")
    urgent = s.add("Acme Bakery", urgent=True, title="Acme Bakery made us sick", text="Food poisoning at Acme Bakery.")

    result = s.cycle()
    assert (result.sent, result.pending, result.problems) == (3, 0, [])
    posted = [(m["channel"], m["text"].split(":")[0]) for m in slack.posted]
    # Urgent first; its copy in #urgent; the other business in the global channel.
    assert posted == [("#acme", "URGENT negative mention of Acme Bakery on news.example.com"),
                      ("#urgent", "URGENT negative mention of Acme Bakery on news.example.com"),
                      ("#reviews", "negative mention of Joe's Donuts on news.example.com")]
    # Marked alerted with what Slack answered: the channel's ID and the message's ts.
    alerted = s.mention(urgent)
    assert alerted.alerted_at == T0
    assert alerted.slack_channel == channel_id_for("#acme") and alerted.slack_ts == slack.posted[0]["ts"]
    assert s.mention(plain).slack_channel == channel_id_for("#reviews")
    # Nothing is owed any more: the next run posts nothing.
    assert s.cycle(T0 + timedelta(minutes=15)).sent == 0
    assert len(slack.posted) == 3


def test_a_429_waits_for_retry_after_then_posts_once(slack, store):
    s = store(settings_for(slack.api_url))
    mention = s.add()
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    result = s.cycle()
    assert time.monotonic() - started >= 1.0  # Retry-After honoured
    assert (result.sent, result.pending) == (1, 0)
    assert [r.status for r in slack.calls("chat.postMessage")] == [429, 200]
    assert len(slack.posted) == 1
    assert s.mention(mention).alerted_at is not None


def test_a_500_on_one_run_is_delivered_on_the_next_exactly_once(slack, store):
    s = store(settings_for(slack.api_url))
    mention = s.add()
    slack.fail_next("chat.postMessage", status=500, count=3)  # the try and both retries

    first = s.cycle()
    assert (first.sent, first.pending) == (0, 1)
    assert first.problems == ["Slack failed with HTTP 500 internal_error; it may have taken the message"]
    assert s.mention(mention).alerted_at is None and s.mention(mention).alert_attempts == 1

    second = s.cycle(T0 + timedelta(minutes=15))
    assert (second.sent, second.pending, second.problems) == (1, 0, [])
    third = s.cycle(T0 + timedelta(minutes=30))
    assert third.sent == 0
    assert len(slack.posted) == 1
    assert s.mention(mention).alert_error is None


def test_a_timed_out_post_is_retried_within_the_run(slack, store):
    settings = settings_for(slack.api_url)
    s = store(settings)
    s.add()
    # Slack answers too late once (and fails that call): the client gives up after 1 s and retries.
    slack.fail_next("chat.postMessage", status=500, delay=2)
    poster = WebApiPoster(make_client(settings.slack, timeout=1), interval=0)
    result = s.cycle(poster=poster)
    assert (result.sent, result.pending) == (1, 0)
    assert len(slack.posted) == 1


def test_a_channel_slack_refuses_does_not_hold_back_the_others(slack, store):
    settings = settings_for(slack.api_url, [joes(channel="#gone"), bakery()])
    s = store(settings)
    refused = s.add("Joe's Donuts")
    delivered = s.add("Acme Bakery")
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found")
    result = s.cycle()
    assert result.sent == 1 and result.pending == 1
    assert "to #gone refused" in result.problems[0] and "channel_not_found" in result.problems[0]
    assert s.mention(delivered).alerted_at is not None and s.mention(refused).alerted_at is None


def test_at_most_max_per_run_alerts_per_business_and_the_rest_in_one_digest(slack, store):
    s = store(settings_for(slack.api_url, [joes(), bakery()], alerts={"max_per_run": 3}))
    worst_first = [s.add(sentiment=-0.1 * i) for i in range(1, 8)]  # -0.1 .. -0.7
    other = s.add("Acme Bakery")

    result = s.cycle()
    assert result.planned.alerts == 4 and result.planned.digests == 1
    assert result.sent == 5 and result.pending == 0
    joes_posts = [m for m in slack.posted if m["channel"] == "#reviews"]
    assert len(joes_posts) == 4
    # The three most negative alone, the other four in the digest.
    singles = [json.dumps(m["blocks"]) for m in joes_posts[:3]]
    for mention_id, posted in zip(reversed(worst_first[-3:]), singles):
        assert f"mentionwatch handle {mention_id}`" in posted
    digest = joes_posts[3]
    assert digest["text"] == "4 more negative mentions of Joe's Donuts"
    for mention_id in worst_first[:4]:
        assert f"id {mention_id}" in json.dumps(digest["blocks"])
        assert s.mention(mention_id).slack_ts == digest["ts"]
    assert s.mention(other).alerted_at is not None  # another business has its own cap
    assert s.cycle(T0 + timedelta(minutes=15)).sent == 0


def test_quiet_hours_hold_alerts_but_not_urgent_ones_until_they_end(slack, store):
    # 12:00 UTC is 13:00 in Paris: inside 12:30-14:00 there.
    settings = settings_for(slack.api_url, [joes(timezone="Europe/Paris",
                                                 quiet_hours={"start": "12:30", "end": "14:00"})])
    s = store(settings)
    held = s.add()
    urgent = s.add(urgent=True)
    during = s.cycle(T0 + timedelta(minutes=30))
    assert (during.sent, during.held, during.pending) == (1, 1, 1)
    assert s.mention(urgent).alerted_at is not None and s.mention(held).alerted_at is None

    still = s.cycle(T0 + timedelta(minutes=59))  # 13:59 Paris
    assert still.sent == 0 and still.held == 1
    after = s.cycle(T0 + timedelta(hours=1))  # 14:00 Paris: over
    assert (after.sent, after.held, after.pending) == (1, 0, 0)
    assert [m["text"].startswith("URGENT") for m in slack.posted] == [True, False]


def test_the_global_quiet_hours_apply_in_each_business_zone(slack, store):
    settings = settings_for(slack.api_url, [joes(timezone="Asia/Tokyo")],
                            alerts={"quiet_hours": {"start": "20:00", "end": "08:00"}})
    s = store(settings)
    s.add()
    assert s.cycle(T0).held == 1  # 21:00 in Tokyo
    assert s.cycle(T0 + timedelta(hours=11)).sent == 1  # 08:00 in Tokyo


def test_an_urgent_alert_nobody_handled_is_raised_again_once_in_its_thread(slack, store):
    s = store(settings_for(slack.api_url, alerts={"urgent_reraise_hours": 4}))
    urgent = s.add(urgent=True)
    handled = s.add(urgent=True)
    s.cycle()
    with Session(s.engine) as session:
        actions.handle(session, handled, "dana", via="cli", at=T0 + timedelta(hours=1))
        session.commit()
    assert s.cycle(T0 + timedelta(hours=3, minutes=59)).planned.reminders == 0

    later = s.cycle(T0 + timedelta(hours=4))
    assert later.planned.reminders == 1
    reminder = slack.posted[-1]
    original = next(m for m in slack.posted if f"handle {urgent}`" in json.dumps(m["blocks"]))
    assert reminder["thread_ts"] == original["ts"] and reminder["reply_broadcast"] in (True, "1", "true")
    assert reminder["text"].startswith("Still unhandled after 4.0 h")
    assert s.mention(urgent).reraised_at == T0 + timedelta(hours=4)
    # Once only.
    assert s.cycle(T0 + timedelta(hours=9)).planned.reminders == 0
    assert len(slack.posted) == 3


def test_a_failing_source_is_reported_once_and_again_when_it_recovers(slack, store):
    s = store(settings_for(slack.api_url, alerts={"source_failure_runs": 3}))

    def set_failures(count: int, error: str | None = "HTTP 503 Service Unavailable") -> None:
        with Session(s.engine) as session, session.begin():
            source = session.get(Source, s.source_id())
            source.consecutive_failures, source.last_error = count, error

    set_failures(2)
    assert s.cycle().planned.notices == 0
    set_failures(3)
    assert s.cycle().planned.notices == 1
    set_failures(4)
    assert s.cycle().planned.notices == 0  # said once, not every run
    set_failures(0)
    assert s.cycle().planned.notices == 1
    assert s.cycle().planned.notices == 0
    texts = [m["text"] for m in slack.posted]
    # The reason in the text too: a notification's preview shows the text, not the blocks.
    assert texts == ["Joe's Donuts: source news.example.com/joes.xml has failed 3 runs in a row: "
                     "HTTP 503 Service Unavailable",
                     "Joe's Donuts: source news.example.com/joes.xml works again"]
    assert "HTTP 503 Service Unavailable" in json.dumps(slack.posted[0]["blocks"])


def test_a_webhook_posts_everything_to_its_channel_and_reads_nothing_back(slack, store):
    settings = settings_for(None, [joes(), bakery()],
                            slack={"webhook_url": slack.webhook_url, "urgent_channel": "#urgent",
                                   "post_interval": 0})
    s = store(settings)
    mention = s.add(urgent=True)
    s.add("Acme Bakery")
    result = s.cycle()
    assert (result.sent, result.pending) == (2, 0)
    assert [m["via"] for m in slack.posted] == ["webhook", "webhook"]  # no copy to #urgent: it cannot route
    assert s.mention(mention).slack_channel == "webhook" and s.mention(mention).slack_ts is None
    assert slack.calls("reactions.get") == []


def test_posts_to_one_channel_are_paced(slack, store):
    s = store(settings_for(slack.api_url, slack={"post_interval": 0.3}))
    for _ in range(4):
        s.add()
    s.cycle()
    arrivals = [r.time for r in slack.calls("chat.postMessage")]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(arrivals) == 4 and min(gaps) >= 0.29


def test_channels_take_turns_so_one_channel_s_pace_does_not_slow_the_others(slack, store):
    s = store(settings_for(slack.api_url, [joes(), bakery()], slack={"post_interval": 0.2}))
    for _ in range(3):
        s.add("Joe's Donuts")
    for _ in range(3):
        s.add("Acme Bakery")
    s.cycle()
    assert [m["channel"] for m in slack.posted] == ["#reviews", "#acme"] * 3
