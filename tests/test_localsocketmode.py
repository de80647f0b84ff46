"""The local Slack's interactivity part answers the real slack-sdk like Slack: apps.connections.open
with an app-level token, a Socket Mode WebSocket that hands envelopes to slack-sdk's own client and
keeps its acks, views.open / views.update, users.info."""

from __future__ import annotations

import base64
import os
import socket
import time
from urllib.parse import urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from mentionwatch.sandbox.slack import LocalSlackServer

BOT, APP = "xoxb-0000-test", "xapp-1-A0APP-1-test"


def client(server: LocalSlackServer, token: str) -> WebClient:
    return WebClient(token=token, base_url=server.api_url, retry_handlers=[])


def test_an_app_level_token_opens_connections_and_nothing_else(slack):
    url = client(slack, APP).apps_connections_open(app_token=APP)["url"]
    assert url.startswith(f"ws://127.0.0.1:{slack.port}/socket-mode/link/?ticket=")
    for call in (lambda: client(slack, BOT).apps_connections_open(app_token=BOT),
                 lambda: client(slack, APP).chat_postMessage(channel="#reviews", text="hi")):
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == "not_allowed_token_type"


def handshake(url: str) -> bytes:
    """A raw WebSocket upgrade request to `url`; the status line answered."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.hostname}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        return sock.recv(4096).split(b"\r\n", 1)[0]


def test_slack_sdks_socket_mode_client_gets_hello_envelopes_and_its_acks_are_kept(slack):
    received: list[SocketModeRequest] = []

    def listener(socket_client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        socket_client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id,
                                                                   payload={"text": "thanks"}))

    socket_client = SocketModeClient(app_token=APP, web_client=client(slack, BOT), ping_interval=1)
    socket_client.socket_mode_request_listeners.append(listener)
    try:
        socket_client.connect()
        slack.socket_mode.wait_connected()
        assert slack.calls("apps.connections.open")[0].has_token
        envelope = slack.socket_mode.send("events_api", {"type": "event_callback", "event": {"type": "x"}},
                                          retry_attempt=2, retry_reason="timeout")
        assert slack.socket_mode.wait_ack(envelope) == {"envelope_id": envelope, "payload": {"text": "thanks"}}
        assert (received[0].type, received[0].retry_attempt, received[0].retry_reason) == (
            "events_api", 2, "timeout")
        # Pings are answered: the client's connection sees pongs.
        deadline = time.monotonic() + 5
        while socket_client.current_session.last_ping_pong_time is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert socket_client.current_session.last_ping_pong_time is not None
        # Asked to reconnect, the client opens a new connection with a new URL.
        first = socket_client.session_id()
        slack.socket_mode.request_reconnect()
        slack.socket_mode.wait_connected(opened=2)
        assert len(slack.calls("apps.connections.open")) == 2
        # The client switches over once it has closed the old connection (its reader's timeout).
        deadline = time.monotonic() + 10
        while socket_client.session_id() == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert socket_client.session_id() != first
    finally:
        socket_client.close()
    # A URL is good for one connection, and a made-up one for none.
    fresh = client(slack, APP).apps_connections_open(app_token=APP)["url"]
    assert handshake(fresh) == b"HTTP/1.1 101 Switching Protocols"
    assert handshake(fresh).startswith(b"HTTP/1.1 401")
    assert handshake(fresh.split("ticket=")[0] + "ticket=made-up").startswith(b"HTTP/1.1 401")


def test_views_open_once_per_trigger_then_update_and_users_info(slack):
    web = client(slack, BOT)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Reply"}, "blocks": []}
    opened = web.views_open(trigger_id="1.2.abc", view=view)["view"]
    assert opened["id"] in slack.views and opened["title"]["text"] == "Reply"
    with pytest.raises(SlackApiError) as again:
        web.views_open(trigger_id="1.2.abc", view=view)
    assert again.value.response["error"] == "expired_trigger_id"
    web.views_update(view_id=opened["id"], view={**view, "title": {"type": "plain_text", "text": "Sent"}})
    assert slack.views[opened["id"]]["title"]["text"] == "Sent"
    with pytest.raises(SlackApiError) as missing:
        web.views_update(view_id="V404", view=view)
    assert missing.value.response["error"] == "not_found"

    slack.add_user("U0SAM", "sam", "Sam Baker")
    assert web.users_info(user="U0SAM")["user"]["real_name"] == "Sam Baker"
    with pytest.raises(SlackApiError) as unknown:
        web.users_info(user="U0NOBODY")
    assert unknown.value.response["error"] == "user_not_found"
