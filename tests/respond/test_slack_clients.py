"""An agency client's own Slack workspace has its own listener (`listen --client NAME`): it answers
only requests from that workspace (its team id, from auth.test with the client's token) and acts
only on that client's mentions; the agency's listener does not act on them either.

Two local Slack servers with different team ids are the two workspaces; the requests are signed
and go through the real gate and bolt app (the ASGI handler the web inbox mounts)."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from sqlalchemy.orm import sessionmaker

from mentionwatch.sandbox.slack import LocalSlackServer
from respond.slack.app import ListenerError, asgi_handler, build_app
from tests.alerts.helpers import joes, settings_for
from tests.respond import slack_payloads as payloads
from tests.respond.test_slack_asgi import SECRET, call, signed
from tests.respond.test_slack_buttons import eventually

ACME_TEAM = "TACME01"


def acme_diner() -> dict:
    return {"name": "Acme Diner", "client": "acme", "keywords": ["Acme Diner"],
            "sources": [{"type": "feed", "url": "https://news.example.com/acme.xml"}]}


def from_team(payload: dict, team_id: str) -> dict:
    """The payload as the workspace `team_id` sends it."""
    payload = json.loads(json.dumps(payload))
    payload["team"]["id"] = team_id
    payload["user"]["team_id"] = team_id
    return payload


def body_of(payload: dict) -> str:
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def test_a_client_s_listener_acts_only_on_its_workspace_and_its_client_s_mentions(slack, store):
    with LocalSlackServer(team_id=ACME_TEAM) as acme_slack:
        settings = settings_for(slack.api_url, businesses=[joes(), acme_diner()], slack={"signing_secret": SECRET},
                                clients=[{"name": "acme", "slack": {"token": "xoxb-acme", "api_url": acme_slack.api_url,
                                                                    "channel": "#acme"}}])
        s = store(settings)
        joes_mention = s.add()
        acme_mention = s.add("Acme Diner", title="Rude staff at Acme Diner", text="Acme Diner was rude to us.")
        assert s.cycle().sent == 2
        [acme_alert] = [p for p in acme_slack.posted if p.get("blocks")]
        [joes_alert] = [p for p in slack.posted if p.get("blocks")]
        assert "Acme Diner" in acme_alert["text"] and "Acme Diner" not in joes_alert["text"]
        sessions = sessionmaker(s.engine, expire_on_commit=False)
        acme_listener = asgi_handler(build_app(settings, sessions, client="acme"))
        agency_listener = asgi_handler(build_app(settings, sessions))

        # A click signed for the agency's workspace is refused by acme's listener before anything.
        agency_click = body_of(payloads.click(joes_alert, "Handled"))
        assert call(acme_listener, agency_click, signed(agency_click))[0] == 403
        # A click in acme's workspace naming the agency's mention (a made-up button value) changes nothing.
        forged = payloads.click(acme_alert, "Handled")
        forged["actions"][0]["value"] = str(joes_mention)
        forged_body = body_of(from_team(forged, ACME_TEAM))
        assert call(acme_listener, forged_body, signed(forged_body))[0] == 200
        # Nor does the agency's listener act on acme's mention.
        reaching = payloads.click(joes_alert, "Handled")
        reaching["actions"][0]["value"] = str(acme_mention)
        reaching_body = body_of(reaching)
        assert call(agency_listener, reaching_body, signed(reaching_body))[0] == 200
        time.sleep(0.5)
        assert s.mention(joes_mention).handled_at is None and s.mention(acme_mention).handled_at is None

        # Acme's own click on acme's alert is acted on, and its alert is updated in acme's workspace.
        own = body_of(from_team(payloads.click(acme_alert, "Handled"), ACME_TEAM))
        assert call(acme_listener, own, signed(own)) == (200, b"")
        eventually(lambda: s.mention(acme_mention).handled_at is not None)
        eventually(lambda: acme_slack.calls("chat.update"), what="chat.update in acme's workspace")
        assert slack.calls("chat.update") == []


def test_a_client_without_its_own_workspace_has_no_listener_of_its_own(slack, store):
    settings = settings_for(slack.api_url, businesses=[joes(), acme_diner()], clients=[{"name": "acme"}])
    s = store(settings)
    with pytest.raises(ListenerError, match="client 'acme' has no Slack workspace of its own"):
        build_app(settings, sessionmaker(s.engine), client="acme")
