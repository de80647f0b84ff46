"""`mentionwatch listen` as a user runs it: Socket Mode against the local Slack's WebSocket server
(reconnecting, stopping on SIGTERM), HTTP mode with correctly and wrongly signed requests; and
`mentionwatch slack-manifest`."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from slack_sdk.signature import SignatureVerifier

from mentionwatch.sandbox.slack import LocalSlackServer
from tests.alerts.helpers import joes, settings_for
from tests.conftest import MENTIONWATCH, Workspace
from tests.respond import slack_payloads as payloads
from tests.respond.test_slack_buttons import eventually

APP_TOKEN = "xapp-1-A0APP-1-local"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Listener:
    """`mentionwatch listen ...` in the background, its stderr collected line by line."""

    def __init__(self, workspace: Workspace, *args: str, env: dict[str, str]):
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
        self.process = subprocess.Popen([str(MENTIONWATCH), "listen", *args, "--config", str(workspace.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        env={**clean, **env}, cwd=workspace.folder)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        def found() -> re.Match[str] | None:
            if self.process.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"listen exited {self.process.returncode}: {self.lines}")
            return next((m for line in list(self.lines) if (m := re.search(pattern, line))), None)

        return eventually(found, timeout, f"a line matching {pattern!r} in {self.lines}")

    def action_lines(self) -> list[str]:
        return [line for line in self.lines if "respond.slack: slack:" in line]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        finally:
            self._reader.join(timeout=5)
            assert self.process.stderr is not None
            self.process.stderr.close()
        return code


@pytest.fixture
def alerted(workspace: Workspace, slack: LocalSlackServer, store) -> Iterator[tuple[Workspace, Any, int]]:
    """A config for the local Slack, and a store in the workspace with one alert delivered."""
    settings = settings_for(slack.api_url)
    s = store(settings)
    mention_id = s.add(title="Cold coffee at Joe's Donuts", text="Joe's Donuts served cold coffee. Never again.")
    assert s.cycle().sent == 1
    workspace.write_config(database=f"sqlite:///{workspace.folder / 'store.db'}",
                           slack={"token": "xoxb-test-token", "api_url": slack.api_url}, businesses=[joes()])
    yield workspace, s, mention_id


def alert(slack: LocalSlackServer) -> dict[str, Any]:
    return next(p for p in slack.posted if p.get("blocks"))


def test_socket_mode_acts_logs_reconnects_and_stops_cleanly_on_sigterm(alerted, slack):
    workspace, s, mention_id = alerted
    # SLACK_BOT_TOKEN exported, as the docs say: bolt's warning that it goes unused is no line of ours.
    listener = Listener(workspace, env={"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": "xoxb-test-token"})
    try:
        slack.socket_mode.wait_connected(timeout=30)
        listener.wait_line("listening for Slack actions over Socket Mode")
        envelope = slack.socket_mode.send("interactive", payloads.click(alert(slack), "Handled"))
        assert slack.socket_mode.wait_ack(envelope) == {"envelope_id": envelope}
        listener.wait_line(f"slack: mention {mention_id}: Handled by Olive Owner")
        assert s.mention(mention_id).handled_by == "Olive Owner"
        eventually(lambda: "Handled by Olive Owner" in json.dumps(alert(slack)["blocks"]))

        # Slack recycles the connection: the listener opens a new one and goes on.
        slack.socket_mode.request_reconnect()
        slack.socket_mode.wait_connected(opened=2)
        assert len(slack.calls("apps.connections.open")) == 2
        envelope = slack.socket_mode.send("interactive", payloads.click(alert(slack), "Snooze"))
        slack.socket_mode.wait_ack(envelope)
        listener.wait_line(f"slack: mention {mention_id}: Snoozed by Olive Owner until")
        assert len(listener.action_lines()) == 2
    finally:
        code = listener.stop()
    assert code == 0, listener.lines
    assert listener.lines[-1] == "stopped"
    assert not any("Traceback" in line or "will be unused" in line for line in listener.lines)
    # The app-level token was sent only as a credential, never echoed.
    assert all(APP_TOKEN not in line and "xoxb-test-token" not in line for line in listener.lines)


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body.encode("utf-8"), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def signed(body: str, secret: str = SECRET, age: int = 0, content_type: str = "application/x-www-form-urlencoded"
           ) -> dict[str, str]:
    timestamp = str(int(time.time()) - age)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature, "Content-Type": content_type}


def test_http_mode_answers_signed_requests_and_refuses_the_others(alerted, slack):
    workspace, s, mention_id = alerted
    listener = Listener(workspace, "--http", "0", env={"SLACK_SIGNING_SECRET": SECRET})
    try:
        url = listener.wait_line(r"on (http://127\.0\.0\.1:\d+/slack/events)").group(1)
        click = "payload=" + urllib.parse.quote(json.dumps(payloads.click(alert(slack), "Not about us")))

        # Wrong secret, an old (replayed) request, no signature at all: 401, and nothing changes.
        assert post(url, click, signed(click, secret="not-the-secret"))[0] == 401
        assert post(url, click, signed(click, age=6 * 60))[0] == 401
        assert post(url, click, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 401
        tampered = click.replace("Not%20about%20us", "Handled")
        assert post(url, tampered, signed(click))[0] == 401
        time.sleep(0.5)
        assert s.mention(mention_id).dismissed_at is None
        assert slack.calls("chat.update") == [] and listener.action_lines() == []

        # Correctly signed: acknowledged at once, then done.
        assert post(url, click, signed(click)) == (200, "")
        listener.wait_line(f"slack: mention {mention_id}: Dismissed as not about us by Olive Owner")
        assert s.mention(mention_id).dismissed_by == "Olive Owner"
        eventually(lambda: slack.calls("chat.update"), what="chat.update")

        # Slack's URL verification when the request URL is saved in the app's settings.
        challenge = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"})
        status, body = post(url, challenge, signed(challenge, content_type="application/json"))
        assert status == 200 and "abc123" in body
        # Only /slack/events answers.
        assert post(url.replace("/slack/events", "/other"), click, signed(click))[0] == 404
    finally:
        assert listener.stop() == 0


def test_listen_says_what_is_missing(alerted, slack):
    workspace, _, _ = alerted
    result = workspace.cli("listen")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: Socket Mode needs an app-level token (xapp-...)")
    result = workspace.cli("listen", "--http", "0")
    assert (result.returncode, result.stderr.splitlines()[0]) == (
        1, "Error: --http needs the app's signing secret: set SLACK_SIGNING_SECRET (Basic Information → App "
           "Credentials)")
    result = workspace.cli("listen", env={"SLACK_APP_TOKEN": "xoxb-not-an-app-token"})
    assert result.stderr.strip() == "Error: SLACK_APP_TOKEN is not an app-level token (it starts with xapp-)"
    assert "Traceback" not in result.stderr


def test_a_refused_bot_token_is_one_error_line(alerted, slack):
    workspace, _, _ = alerted
    workspace.write_config(database=f"sqlite:///{workspace.folder / 'store.db'}",
                           slack={"token": "xoxq-wrong", "api_url": slack.api_url}, businesses=[joes()])
    result = workspace.cli("listen", env={"SLACK_APP_TOKEN": APP_TOKEN})
    assert (result.returncode, result.stderr.strip()) == (1, "Error: Slack refused the bot token: invalid_auth")


def test_the_manifest_asks_for_exactly_what_is_used(workspace, slack):
    workspace.write_config(businesses=[joes()])
    result = workspace.cli("slack-manifest")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    assert manifest["oauth_config"]["scopes"]["bot"] == [
        "chat:write", "chat:write.public", "reactions:read", "files:write",
        "channels:read", "groups:read", "channels:history", "groups:history", "users:read"]
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert manifest["settings"]["event_subscriptions"] == {"bot_events": ["reaction_added"]}
    assert manifest["display_information"]["name"] == "mentionwatch"

    url = "https://mw.example.com/slack/events"
    over_http = yaml.safe_load(workspace.cli("slack-manifest", "--request-url", url, "--name", "Joe's").stdout)
    assert over_http["settings"]["socket_mode_enabled"] is False
    assert over_http["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert over_http["settings"]["event_subscriptions"]["request_url"] == url
    assert over_http["features"]["bot_user"]["display_name"] == "Joe's"

    workspace.write_config(businesses=[joes()], slack={"interactive": False})
    plain = yaml.safe_load(workspace.cli("slack-manifest").stdout)
    assert plain["oauth_config"]["scopes"]["bot"] == ["chat:write", "chat:write.public", "reactions:read",
                                                      "files:write", "channels:read", "groups:read",
                                                      "channels:history", "groups:history"]
    assert set(plain["settings"]) == {"org_deploy_enabled", "socket_mode_enabled", "token_rotation_enabled"}
    assert plain["settings"]["socket_mode_enabled"] is False

    bad = workspace.cli("slack-manifest", "--request-url", "http://mw.example.com/slack/events")
    assert bad.returncode == 2 and "https://" in bad.stderr
    long = workspace.cli("slack-manifest", "--name", "x" * 36)
    assert long.returncode == 2 and "1 to 35 characters" in long.stderr


def test_a_command_shows_its_action_on_the_alert_at_once(alerted, slack):
    workspace, s, mention_id = alerted
    result = workspace.cli("handle", str(mention_id), "--by", "<!channel> dana")
    assert result.returncode == 0, result.stderr
    [update] = slack.calls("chat.update")
    assert update.error is None and update.args["ts"] == alert(slack)["ts"]
    shown = json.dumps(alert(slack)["blocks"])
    # The name is the user's text: escaped, so it cannot ping the channel.
    assert "Handled by &lt;!channel&gt; dana" in shown and "<!channel>" not in shown
    assert s.mention(mention_id).alert_refresh_due is False


def test_when_slack_cannot_take_the_update_the_next_run_does(alerted, slack):
    workspace, s, mention_id = alerted
    slack.fail_next("chat.update", status=500, count=3)
    result = workspace.cli("assign", str(mention_id), "--to", "sam")
    assert result.returncode == 0
    assert result.stderr == "note: Slack refused to update an alert: internal_error (the next run updates the alert)\n"
    assert s.mention(mention_id).alert_refresh_due is True
    s.cycle()
    assert s.mention(mention_id).alert_refresh_due is False
    assert "Assigned to sam" in json.dumps(alert(slack)["blocks"])


def test_a_refused_app_token_or_a_taken_port_is_one_error_line(alerted, slack):
    workspace, _, _ = alerted
    slack.fail_next("apps.connections.open", status=200, error="invalid_auth")
    result = workspace.cli("listen", env={"SLACK_APP_TOKEN": APP_TOKEN})
    assert (result.returncode, result.stderr.strip()) == (1, "Error: Slack refused the app-level token: invalid_auth")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = workspace.cli("listen", "--http", str(port), env={"SLACK_SIGNING_SECRET": SECRET})
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in result.stderr


def test_check_says_the_buttons_need_the_listener(alerted, slack):
    workspace, _, _ = alerted
    note = "alerts carry buttons; they work while `mentionwatch listen` runs"
    assert note in " ".join(workspace.cli("check").stdout.split())
    assert note not in " ".join(workspace.cli("check", env={"SLACK_APP_TOKEN": APP_TOKEN}).stdout.split())
