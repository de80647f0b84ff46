"""alerts/status.py: a sent alert is re-rendered and updated in place after an action, every copy
of it, once; what Slack cannot take now is kept for the next try, what it no longer has is not."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.orm import Session

from alerts.messages import AlertStatus, AlertView, alert_message
from alerts.slack import make_client
from alerts.status import refresh_due_alerts
from respond import actions
from tests.alerts.helpers import T0, settings_for


def act(s, mention_id: int, do) -> None:
    with Session(s.engine) as session:
        do(session, mention_id)
        session.commit()


def refresh(s, slack):
    with Session(s.engine) as session:
        return refresh_due_alerts(session, make_client(s.settings.slack), s.settings, T0 + timedelta(hours=1))


def shown(entry) -> str:
    return json.dumps(entry["blocks"])


def test_every_copy_of_an_alert_is_updated_once_and_the_flag_cleared(store, slack):
    s = store(settings_for(slack.api_url, slack={"urgent_channel": "#urgent"}))
    mention_id = s.add(urgent=True)
    s.cycle()
    assert len(slack.posted) == 2  # the business's channel and the urgent one
    act(s, mention_id, lambda session, i: actions.assign(session, i, "U0SAM", "dana", via="cli"))
    result = refresh(s, slack)
    assert (result.updated, result.mentions, result.problems) == (2, 1, [])
    assert sorted(r.args["ts"] for r in slack.calls("chat.update")) == sorted(p["ts"] for p in slack.posted)
    assert all("Assigned to <@U0SAM>" in shown(p) for p in slack.posted)
    assert s.mention(mention_id).alert_refresh_due is False
    # The outbox row holds what Slack now shows.
    assert all("Assigned to <@U0SAM>" in json.dumps(m.blocks) for m in s.messages())
    assert refresh(s, slack).updated == 0  # nothing more to do


def test_a_deleted_alert_is_not_retried_and_slack_down_is(store, slack):
    s = store(settings_for(slack.api_url))
    mention_id = s.add()
    s.cycle()
    act(s, mention_id, lambda session, i: actions.handle(session, i, "dana", via="cli"))
    slack.fail_next("chat.update", status=500, count=3)
    down = refresh(s, slack)
    assert down.updated == 0 and down.problems == ["Slack refused to update an alert: internal_error"]
    assert s.mention(mention_id).alert_refresh_due is True
    slack.fail_next("chat.update", status=200, error="message_not_found")
    gone = refresh(s, slack)
    assert (gone.updated, gone.mentions, gone.problems) == (0, 1, [])
    assert s.mention(mention_id).alert_refresh_due is False


def test_a_reaction_read_by_a_run_shows_on_the_alert_in_the_same_run(store, slack):
    s = store(settings_for(slack.api_url))
    mention_id = s.add()
    s.cycle()
    alert = slack.posted[0]
    slack.add_reaction(alert["channel"], alert["ts"], "white_check_mark", user="U0TEAM")
    result = s.cycle(T0 + timedelta(minutes=30))
    assert result.handled == 1
    assert "Handled by <@U0TEAM>" in shown(alert) and "30 min after the alert" in shown(alert)
    assert s.mention(mention_id).alert_refresh_due is False


def test_a_mention_only_in_a_digest_needs_no_update(store, slack):
    s = store(settings_for(slack.api_url, alerts={"max_per_run": 1}))
    s.add(sentiment=-0.9)  # alerted on its own
    second = s.add(sentiment=-0.5)  # beyond the cap: in the digest
    s.cycle()
    act(s, second, lambda session, i: actions.dismiss(session, i, "dana", via="cli"))
    result = refresh(s, slack)
    assert (result.updated, result.mentions) == (0, 1)
    assert slack.calls("chat.update") == [] and s.mention(second).alert_refresh_due is False


def view(**status) -> AlertView:
    return AlertView(mention_id=7, business="Joe's Donuts", source_type="feed", url="https://news.example.com/a",
                     title="Cold coffee", text="Cold coffee at Joe's Donuts.", author=None, published_at=None,
                     rating=None, sentiment=-0.5, label="negative", interactive=True,
                     status=AlertStatus(**status) if status else None)


def test_the_buttons_follow_the_mentions_state_and_names_are_escaped():
    _, fresh = alert_message(view(), T0)
    actions_block = next(b for b in fresh if b["type"] == "actions")
    assert actions_block["block_id"] == "mentionwatch_mention_7"
    assert [e.get("text", e.get("placeholder"))["text"] for e in actions_block["elements"]] == [
        "Open the mention", "Handled", "Not about us", "Assign", "Snooze", "Reply"]
    _, done = alert_message(view(alerted_at=T0, handled_at=T0 + timedelta(hours=2), handled_by="*dana* <!here>",
                                 dismissed_at=T0, dismissed_by="U0SAM"), T0 + timedelta(hours=3))
    labels = [e.get("text", e.get("placeholder"))["text"] for b in done if b["type"] == "actions"
              for e in b["elements"]]
    assert labels == ["Open the mention", "Reopen", "Assign", "Snooze", "Reply"]
    status = next(b for b in done if b["type"] == "context" and "Handled by" in json.dumps(b))
    text = " ".join(e["text"] for e in status["elements"])
    assert "<!here>" not in text and "&lt;!here&gt;" in text and "2.0 h after the alert" in text
    assert "said <@U0SAM>" in text
    # Handled: the hint to react or run `handle` is gone.
    assert "mentionwatch handle 7" not in json.dumps(done)


def test_a_snoozed_urgent_mention_gets_no_reminder_only_its_snooze_end(store, slack):
    s = store(settings_for(slack.api_url))
    mention_id = s.add(urgent=True)
    s.cycle()
    with Session(s.engine) as session:
        actions.snooze(session, mention_id, "dana", via="cli", days=1)
        session.commit()
    until = s.mention(mention_id).snoozed_until
    s.cycle(T0 + timedelta(hours=5))  # past urgent_reraise_hours, but snoozed
    assert len(slack.posted) == 1
    s.cycle(until + timedelta(minutes=1))
    assert len(slack.posted) == 2 and "Snooze over" in shown(slack.posted[1])
    s.cycle(until + timedelta(days=1))  # raised once: no reminder after it either
    assert len(slack.posted) == 2
