"""The same handlers mounted in an ASGI server (the web inbox's): `asgi_handler` answers signed
requests at /slack/events and refuses the others, called as an ASGI server calls it."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse

from slack_sdk.signature import SignatureVerifier
from sqlalchemy.orm import sessionmaker

from respond.slack.app import asgi_handler, build_app
from tests.alerts.helpers import settings_for
from tests.respond import slack_payloads as payloads
from tests.respond.test_slack_buttons import eventually

SECRET = "asgi-test-signing-secret"


def call(app, body: str, headers: dict[str, str], path: str = "/slack/events") -> tuple[int, bytes]:
    """One HTTP request through the ASGI app: (status, body)."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body.encode("utf-8"), "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "path": path,
             "raw_path": path.encode(), "query_string": b"", "scheme": "http", "server": ("127.0.0.1", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def signed(body: str, secret: str = SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)}


def test_the_asgi_handler_answers_signed_clicks_only(slack, store):
    settings = settings_for(slack.api_url, slack={"signing_secret": SECRET})
    s = store(settings)
    mention_id = s.add()
    assert s.cycle().sent == 1
    message = next(p for p in slack.posted if p.get("blocks"))
    handler = asgi_handler(build_app(settings, sessionmaker(s.engine, expire_on_commit=False)))
    body = "payload=" + urllib.parse.quote(json.dumps(payloads.click(message, "Handled")))

    assert call(handler, body, signed(body, secret="wrong"))[0] == 401
    time.sleep(0.3)
    assert s.mention(mention_id).handled_at is None

    assert call(handler, body, signed(body)) == (200, b"")
    eventually(lambda: s.mention(mention_id).handled_by == "Olive Owner")
    eventually(lambda: "Handled by Olive Owner" in json.dumps(message["blocks"]))


def test_without_a_signing_secret_every_http_request_is_refused(slack, store):
    settings = settings_for(slack.api_url)
    s = store(settings)
    handler = asgi_handler(build_app(settings, sessionmaker(s.engine)))
    body = "payload=" + urllib.parse.quote(json.dumps({"type": "block_actions", "actions": []}))
    assert call(handler, body, signed(body, secret="a guess"))[0] == 401
    assert call(handler, body, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 401
