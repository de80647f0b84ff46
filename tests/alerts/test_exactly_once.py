"""Exactly once with Slack even when its answer is lost: the local Slack takes each post and then
answers 500, hangs up or answers too late; the outbox looks the message up by its metadata
instead of posting it again. Real slack-sdk, real SQLite."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from alerts.slack import (
    EVENT_TYPE,
    MAX_RETRY_AFTER,
    WebApiPoster,
    make_client,
    retry_after_seconds,
)
from mentionwatch.sandbox.slack import LocalSlackServer
from tests.alerts.helpers import T0, settings_for

LATER = T0 + timedelta(minutes=15)


def fast_poster(settings, timeout: int = 1) -> WebApiPoster:
    return WebApiPoster(make_client(settings.slack, timeout=timeout), interval=0)


@pytest.mark.parametrize("how", ["500", "drop", "timeout"])
def test_a_post_slack_took_but_whose_answer_was_lost_is_found_not_posted_again(slack, store, how):
    settings = settings_for(slack.api_url)
    s = store(settings)
    mention = s.add()
    slack.lose_answer("chat.postMessage", how, delay=2)

    result = s.cycle(poster=fast_poster(settings))

    assert (result.sent, result.pending, result.problems) == (1, 0, [])
    assert len(slack.posted) == 1  # one copy in the channel
    assert len(slack.calls("chat.postMessage")) == 1  # never posted blindly again
    history = slack.calls("conversations.history")
    assert history and history[0].args["include_all_metadata"] in ("1", "true", True)
    # The post named its outbox row; the row and the mention record the ts Slack gave it.
    posted = slack.posted[0]
    assert posted["metadata"]["event_type"] == EVENT_TYPE
    message = s.messages()[0]
    assert posted["metadata"]["event_payload"]["outbox_id"] == message.id
    assert message.slack_ts == posted["ts"] and message.attempt_started_at is None
    assert s.mention(mention).slack_ts == posted["ts"] and s.mention(mention).alerted_at is not None
    assert s.cycle(LATER).sent == 0 and len(slack.posted) == 1


def test_a_lost_answer_for_a_post_slack_did_not_take_is_posted_once_after_looking(slack, store):
    settings = settings_for(slack.api_url)
    s = store(settings)
    s.add()
    slack.fail_next("chat.postMessage", status=503)  # Slack failed before taking it
    result = s.cycle(poster=fast_poster(settings))
    assert (result.sent, result.pending) == (1, 0)
    assert [r.status for r in slack.calls("chat.postMessage")] == [503, 200]
    assert len(slack.calls("conversations.history")) == 1  # looked before posting again
    assert len(slack.posted) == 1


def test_a_run_killed_after_slack_took_the_post_does_not_post_it_again(slack, store):
    """The process dies between Slack's acceptance and the outbox's commit: nothing after the
    post runs and its transaction is lost; the attempt was committed before the post."""
    settings = settings_for(slack.api_url)
    s = store(settings)
    mention = s.add()

    class Killed(BaseException):
        pass

    class DiesAfterPosting(WebApiPoster):
        def post(self, *args, **kwargs):
            super().post(*args, **kwargs)
            raise Killed

    with pytest.raises(Killed):
        s.cycle(poster=DiesAfterPosting(make_client(settings.slack), interval=0))
    assert len(slack.posted) == 1
    assert s.mention(mention).alerted_at is None
    assert s.messages()[0].attempt_started_at is not None  # committed before the post

    again = s.cycle(LATER)
    assert (again.sent, again.pending) == (1, 0)
    assert len(slack.posted) == 1 and len(slack.calls("chat.postMessage")) == 1
    assert s.mention(mention).slack_ts == slack.posted[0]["ts"]


def test_a_run_killed_before_its_post_reached_slack_posts_it_next_time(slack, store):
    settings = settings_for(slack.api_url)
    s = store(settings)
    mention = s.add()

    class Killed(BaseException):
        pass

    class DiesBeforePosting(WebApiPoster):
        def post(self, *args, **kwargs):
            raise Killed

    with pytest.raises(Killed):
        s.cycle(poster=DiesBeforePosting(make_client(settings.slack), interval=0))
    assert slack.posted == []
    assert s.cycle(LATER).sent == 1
    assert len(slack.posted) == 1 and s.mention(mention).alerted_at is not None


def test_without_the_history_scope_a_lost_answer_is_given_up_never_duplicated(store):
    with LocalSlackServer(scopes=["chat:write", "channels:read", "reactions:read"]) as slack:
        settings = settings_for(slack.api_url)
        s = store(settings)
        mention = s.add()
        slack.lose_answer("chat.postMessage", "500")
        result = s.cycle(poster=fast_poster(settings))
        assert len(slack.posted) == 1 and len(slack.calls("chat.postMessage")) == 1
        assert result.sent == 0 and result.pending == 0
        assert "missing_scope" in result.problems[0] and "channels:history" in result.problems[0]
        message = s.messages()[0]
        assert message.outcome_unknown and message.sent_at is not None
        # The mention counts as alerted (maybe), so no later run posts it again.
        assert s.mention(mention).alerted_at is not None
        assert "not posted again" in (s.mention(mention).alert_error or "")
        assert s.cycle(LATER).sent == 0 and len(slack.posted) == 1


@pytest.mark.parametrize("how", ["500", "drop"])
def test_through_a_webhook_a_lost_answer_is_at_most_once(slack, store, how):
    settings = settings_for(businesses=None, slack={"webhook_url": slack.webhook_url, "post_interval": 0})
    s = store(settings)
    s.add()
    s.add()
    slack.lose_answer("webhook", how)
    result = s.cycle()
    # The first was taken but unconfirmed: not posted again; the second went normally.
    assert len(slack.calls("webhook")) == 2 and len(slack.posted) == 2
    assert result.sent == 1 and result.pending == 0
    assert "webhook cannot read the channel" in result.problems[0]
    assert s.cycle(LATER).sent == 0 and len(slack.posted) == 2


def test_a_chat_update_whose_answer_was_lost_is_retried_safely(slack, store):
    settings = settings_for(slack.api_url)
    poster = fast_poster(settings)
    posted = poster.post("#reviews", "first", None)
    slack.lose_answer("chat.update", "500")
    poster.update(posted.channel, posted.ts, "second")
    assert len(slack.posted) == 1 and slack.posted[0]["text"] == "second"
    assert len(slack.calls("chat.update")) == 2  # the same edit twice is the same message


def test_retry_after_is_read_in_every_form():
    now = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("30") == 30
    assert retry_after_seconds("1.5") == 1.5
    assert retry_after_seconds(" 2 ") == 2
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=20), usegmt=True), now) == 20
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=20), usegmt=True), now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_a_decimal_retry_after_is_waited_for(slack, store):
    s = store(settings_for(slack.api_url))
    s.add()
    slack.fail_next("chat.postMessage", status=429, retry_after="1.5")
    started = time.monotonic()
    result = s.cycle()
    assert time.monotonic() - started >= 1.5
    assert (result.sent, result.pending) == (1, 0) and len(slack.posted) == 1


def test_an_http_date_retry_after_is_waited_for(slack, store):
    s = store(settings_for(slack.api_url))
    s.add()
    slack.fail_next("chat.postMessage", status=429,
                    retry_after=format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True))
    result = s.cycle()
    assert (result.sent, result.pending) == (1, 0) and len(slack.posted) == 1


def test_a_retry_after_past_the_cap_is_not_waited_for_and_the_alert_goes_next_run(slack, store):
    s = store(settings_for(slack.api_url))
    mention = s.add()
    slack.fail_next("chat.postMessage", status=429, retry_after=130)
    result = s.cycle()
    # Not held for 130 s: the run ended with the alert still owed, and asked Slack only once.
    assert (result.sent, result.pending) == (0, 1)
    assert len(slack.calls("chat.postMessage")) == 1
    assert f"more than the {MAX_RETRY_AFTER:g} s a run waits" in result.problems[0]
    assert s.cycle(LATER).sent == 1
    assert len(slack.posted) == 1 and s.mention(mention).alerted_at is not None


def test_the_local_slack_returns_metadata_only_when_asked(slack):
    settings = settings_for(slack.api_url)
    client = make_client(settings.slack)
    client.chat_postMessage(channel="#reviews", text="hi",
                            metadata={"event_type": "x_y", "event_payload": {"id": 1}})
    posted = client.chat_postMessage(channel="#reviews", text="later")
    channel = posted["channel"]
    plain = client.conversations_history(channel=channel)
    assert [m["text"] for m in plain["messages"]] == ["later", "hi"]  # newest first
    assert all("metadata" not in m for m in plain["messages"])
    full = client.conversations_history(channel=channel, include_all_metadata=True)
    assert full["messages"][1]["metadata"] == {"event_type": "x_y", "event_payload": {"id": 1}}
    # oldest is exclusive; pages follow next_cursor
    assert [m["text"] for m in client.conversations_history(channel=channel, oldest=posted["ts"])["messages"]] == []
    first = client.conversations_history(channel=channel, limit=1)
    assert first["has_more"] and first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel=channel, limit=1, cursor=first["response_metadata"]["next_cursor"])
    assert [m["text"] for m in second["messages"]] == ["hi"]


def test_the_report_s_message_is_looked_up_not_posted_twice_when_its_answer_is_lost(slack, store, tmp_path):
    from alerts.report.data import Period
    from alerts.report.publish import make_report

    settings = settings_for(slack.api_url)
    s = store(settings)
    s.add()
    slack.lose_answer("chat.postMessage", "drop")
    outcome = make_report(settings, s.engine, Period(T0 - timedelta(days=7), T0 + timedelta(days=1)), tmp_path)
    assert outcome.posted == 1 and outcome.problems == []
    summaries = [m for m in slack.posted if m.get("metadata")]
    assert len(summaries) == 1 and len(slack.calls("chat.postMessage")) == 1
    assert len(slack.calls("conversations.history")) == 1


def test_a_report_killed_after_slack_took_its_message_is_reconciled_by_a_later_run_not_reposted(slack, store):
    from sqlalchemy.orm import Session

    from alerts.slack import outbox_metadata
    from pipeline.models import AlertMessage

    settings = settings_for(slack.api_url)
    s = store(settings)
    with Session(s.engine, expire_on_commit=False) as session:
        row = AlertMessage(kind="report", channel="#reviews", text="Weekly report", blocks=[], created_at=T0,
                           attempt_started_at=T0, attempts=0)
        session.add(row)
        session.commit()
    # The report process posted it, then died before recording the answer.
    fast_poster(settings).post("#reviews", "Weekly report", [], None, outbox_metadata(row.id, T0))
    assert s.cycle(T0 + timedelta(minutes=5)).sent == 0  # a run beside the report leaves it alone
    later = s.cycle(T0 + timedelta(hours=2))
    assert later.sent == 1 and len(slack.posted) == 1  # found in the channel, recorded, not posted again
    assert s.messages()[0].slack_ts == slack.posted[0]["ts"]
