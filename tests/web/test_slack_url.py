"""Slack's request URL on the web inbox's server: /slack/events, signature verified."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from slack_sdk.signature import SignatureVerifier

from tests.conftest import business
from tests.web.conftest import start_server, stop_server

SECRET = "web-test-signing-secret"


def send(url: str, body: str, secret: str) -> tuple[int, str]:
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)}
    request = urllib.request.Request(url, data=body.encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        answer = error.code, error.read().decode()
        error.close()
        return answer


def test_serve_answers_slack_at_slack_events_only_when_signed(workspace, slack):
    workspace.write_config(slack={"token": "xoxb-test", "api_url": slack.api_url, "signing_secret": SECRET},
                           businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}])])
    process, url = start_server(workspace)
    try:
        body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
        status, answer = send(url + "/slack/events", body, SECRET)
        assert status == 200 and "c-123" in answer
        assert send(url + "/slack/events", body, "a guess")[0] == 401
    finally:
        stop_server(process)


def test_without_a_signing_secret_there_is_no_slack_url(workspace, slack):
    workspace.write_config(slack={"token": "xoxb-test", "api_url": slack.api_url},
                           businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}])])
    process, url = start_server(workspace)
    try:
        body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
        assert send(url + "/slack/events", body, SECRET)[0] == 404
    finally:
        stop_server(process)
