"""An agency client's alerts reach its own notify: destinations (Apprise) and its own Slack
workspace; the agency's destinations get the businesses of no client, never the client's. Real
Apprise to two local JSON webhooks, two local Slack servers, a real SQLite store."""

from __future__ import annotations

from datetime import timedelta

from mentionwatch.sandbox.slack import LocalSlackServer
from tests.alerts.helpers import T0, joes, settings_for
from tests.alerts.webhook import LocalWebhook


def acme_diner(**extra):  # type: ignore[no-untyped-def]
    return {"name": "Acme Diner", "client": "acme", "keywords": ["Acme Diner"],
            "sources": [{"type": "feed", "url": "https://news.example.com/acme.xml"}], **extra}


def test_a_client_s_alerts_go_to_its_own_notify_and_workspace_and_urgent_ones_stay_in_it(slack, store, webhook):
    with LocalWebhook() as acme_hook, LocalSlackServer() as acme_slack:
        settings = settings_for(
            slack.api_url, [joes(), acme_diner()],
            slack={"urgent_channel": "#agency-urgent"},
            alerts={"notify": [webhook.url]},
            clients=[{"name": "acme", "notify": [acme_hook.url],
                      "slack": {"token": "xoxb-acme", "api_url": acme_slack.api_url, "channel": "#acme",
                                "urgent_channel": "#acme-urgent"}}])
        s = store(settings)
        s.add()
        s.add("Acme Diner", title="Food poisoning at Acme Diner", text="Acme Diner made us sick.", urgent=True)
        result = s.cycle()
        assert result.problems == []
        assert [h["title"] for h in acme_hook.received if "Acme Diner" not in h["title"]] == []
        assert len(acme_hook.received) == 1  # once, though Slack gets the urgent copy too
        assert len(webhook.received) == 1 and "Acme Diner" not in webhook.received[0]["title"]
        # Acme's urgent alert: its channel and its own urgent channel, both in its workspace.
        assert sorted(p["channel"] for p in acme_slack.posted) == ["#acme", "#acme-urgent"]
        assert [p["channel"] for p in slack.posted] == ["#reviews"]
        assert not any("Acme Diner" in p["text"] for p in slack.posted)
        assert s.cycle(T0 + timedelta(minutes=15)).notified == 0  # each once
        # Still unhandled hours later: the urgent alert is raised again, in its own workspace.
        before = len(slack.posted)
        assert s.cycle(T0 + timedelta(hours=5)).planned.reminders == 1
        assert len(slack.posted) == before
        reminder = acme_slack.posted[-1]
        assert "Acme Diner" in reminder["text"] and reminder.get("thread_ts")
