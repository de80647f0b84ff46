"""LocalSlackServer answers the real slack-sdk like Slack does, and records what it was sent."""

from __future__ import annotations

import struct
import time
import zlib

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from mentionwatch.sandbox.slack import LocalSlackServer, channel_id_for

TOKEN = "xoxb-0000-test-token"


# Every server started in a test must be fully stopped by its end.
pytestmark = pytest.mark.usefixtures("no_leaked_threads")


@pytest.fixture
def slack():
    with LocalSlackServer() as server:
        yield server


def client(server: LocalSlackServer, token: str | None = TOKEN, **kwargs) -> WebClient:
    # No retry handlers unless a test asks: each test states the behaviour it relies on.
    kwargs.setdefault("retry_handlers", [])
    return WebClient(token=token, base_url=server.api_url, **kwargs)


def tiny_png() -> bytes:
    """A valid 1x1 grey PNG, built here rather than shipped as a binary fixture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")


def test_post_message_is_answered_and_recorded(slack):
    web = client(slack)
    assert slack.api_url.endswith("/api/")
    assert web.auth_test()["bot_id"]

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*1 star* on Google"}}]
    first = web.chat_postMessage(channel="#reviews", text="Negative mention", blocks=blocks)
    second = web.chat_postMessage(channel="reviews", text="Another one")

    # "#reviews" and "reviews" are one channel, with a stable ID; timestamps increase.
    assert first["channel"] == second["channel"] == channel_id_for("reviews")
    assert first["channel"].startswith("C")
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "Negative mention"

    assert [p["channel"] for p in slack.posted] == ["#reviews", "reviews"]
    assert slack.posted[0]["channel_id"] == first["channel"]
    assert slack.posted[0]["ts"] == first["ts"]
    assert slack.posted[0]["blocks"] == blocks
    call = slack.calls("chat.postMessage")[0]
    assert (call.status, call.error, call.has_token) == (200, None, True)
    assert call.args["channel"] == "#reviews"


def test_token_never_recorded(slack):
    client(slack).chat_postMessage(channel="#reviews", text="hi")
    # The form variant carries the token in the body: it must not be kept either.
    with pytest.raises(SlackApiError):
        client(slack, token=None).api_call("chat.postMessage", data={"token": "xoxb-in-form", "channel": "x"})
    everything = repr(slack.requests) + repr(slack.posted)
    assert TOKEN not in everything and "xoxb-in-form" not in everything
    assert slack.requests[0].headers["Authorization"] == "(redacted)"


def test_invalid_and_missing_token(slack):
    with pytest.raises(SlackApiError) as invalid:
        client(slack, token="not-a-slack-token").chat_postMessage(channel="#reviews", text="hi")
    assert invalid.value.response.status_code == 200
    assert invalid.value.response["error"] == "invalid_auth"

    with pytest.raises(SlackApiError) as missing:
        client(slack, token=None).auth_test()
    assert missing.value.response["error"] == "not_authed"
    assert slack.posted == []
    assert [r.has_token for r in slack.requests] == [True, False]


def test_rate_limited_once_then_accepted(slack):
    slack.fail_next("chat.postMessage", status=429, retry_after=0)
    web = client(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    response = web.chat_postMessage(channel="#reviews", text="hi")

    assert response["ok"]
    calls = slack.calls("chat.postMessage")
    assert [(c.status, c.error) for c in calls] == [(429, "ratelimited"), (200, None)]
    assert len(slack.posted) == 1


def test_rate_limit_carries_retry_after(slack):
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    with pytest.raises(SlackApiError) as error:
        client(slack).chat_postMessage(channel="#reviews", text="hi")
    assert error.value.response.status_code == 429
    assert error.value.response.headers["Retry-After"] == "30"


def test_server_error_is_surfaced(slack):
    slack.fail_next("chat.postMessage", status=500)
    web = client(slack)
    with pytest.raises(SlackApiError) as error:
        web.chat_postMessage(channel="#reviews", text="hi")
    assert error.value.response.status_code == 500
    assert slack.posted == []
    # Only once: the next call goes through.
    assert web.chat_postMessage(channel="#reviews", text="hi")["ok"]


def test_soft_error_with_http_200(slack):
    slack.fail_next("chat.postMessage", status=200, error="channel_not_found", count=2)
    web = client(slack)
    for _ in range(2):
        with pytest.raises(SlackApiError) as error:
            web.chat_postMessage(channel="#reviews", text="hi")
        assert (error.value.response.status_code, error.value.response["error"]) == (200, "channel_not_found")
    assert web.chat_postMessage(channel="#reviews", text="hi")["ok"]


def test_slow_answer_times_the_client_out_but_the_post_lands(slack):
    # Slack may accept a message whose sender already gave up: the case that makes retries
    # produce duplicates, which the product has to guard against.
    slack.fail_next("chat.postMessage", status=200, delay=0.5)
    with pytest.raises(TimeoutError):
        client(slack, timeout=0.1).chat_postMessage(channel="#reviews", text="hi")
    deadline = time.monotonic() + 5
    while not slack.posted and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(slack.posted) == 1


def test_stop_cuts_a_delayed_answer_short():
    server = LocalSlackServer().start()
    # Held back for ten minutes: a stop() that waited for it would run into the test's timeout.
    server.fail_next("auth.test", delay=600)
    with pytest.raises(TimeoutError):
        client(server, timeout=0.2).auth_test()
    server.stop()
    assert server.requests[0].status == 0


def test_message_requirements(slack):
    web = client(slack)
    with pytest.raises(SlackApiError) as no_text:
        # api_call directly: chat_postMessage itself warns about a missing text first.
        web.api_call("chat.postMessage", json={"channel": "#reviews"})
    assert no_text.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as unknown:
        web.api_call("chat.unfurlEverything")
    assert unknown.value.response["error"] == "unknown_method"


def test_closed_workspace_knows_only_its_channels():
    with LocalSlackServer(channels=["#reviews"]) as server:
        web = client(server)
        assert web.chat_postMessage(channel="#reviews", text="hi")["ok"]
        with pytest.raises(SlackApiError) as error:
            web.chat_postMessage(channel="#nope", text="hi")
        assert error.value.response["error"] == "channel_not_found"
        assert [c["name"] for c in web.conversations_list()["channels"]] == ["reviews"]
        assert web.conversations_info(channel=channel_id_for("reviews"))["channel"]["name"] == "reviews"


def test_reactions_get_after_add_reaction(slack):
    web = client(slack)
    posted = web.chat_postMessage(channel="#reviews", text="1 star review")
    assert "reactions" not in web.reactions_get(channel=posted["channel"], timestamp=posted["ts"])["message"]

    slack.add_reaction("#reviews", posted["ts"], "white_check_mark")
    slack.add_reaction(posted["channel"], posted["ts"], ":white_check_mark:", user="U0OTHER")

    message = web.reactions_get(channel=posted["channel"], timestamp=posted["ts"])["message"]
    assert message["reactions"] == [
        {"name": "white_check_mark", "users": ["U0TEAM", "U0OTHER"], "count": 2},
    ]
    with pytest.raises(KeyError):
        slack.add_reaction("#reviews", "1.000000", "eyes")


def test_chat_update_changes_the_posted_message(slack):
    web = client(slack)
    posted = web.chat_postMessage(channel="#reviews", text="draft")
    updated = web.chat_update(channel=posted["channel"], ts=posted["ts"], text="final")
    assert updated["message"]["text"] == "final"
    assert slack.posted[0]["text"] == "final" and slack.posted[0]["edited"]


def test_files_upload_v2_records_the_bytes(slack):
    png = tiny_png()
    web = client(slack)
    # As in the product: the channel ID comes from an earlier post (uploads need an ID).
    channel = web.chat_postMessage(channel="#reviews", text="Weekly report")["channel"]
    response = web.files_upload_v2(
        content=png, filename="chart.png", title="Weekly mentions", channel=channel, initial_comment="This week"
    )

    assert response["file"]["name"] == "chart.png"
    [upload] = slack.uploads
    assert upload["content"] == png
    assert (upload["filename"], upload["title"]) == ("chart.png", "Weekly mentions")
    assert (upload["channel_id"], upload["initial_comment"]) == (channel, "This week")
    methods = [r.method for r in slack.requests]
    assert methods[1:] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


def test_legacy_multipart_upload_is_recorded_as_bytes_and_refused(slack):
    png = tiny_png()
    with pytest.raises(SlackApiError) as error:
        client(slack).api_call("files.upload", files={"file": png}, data={"filename": "x.png"})
    assert error.value.response["error"] == "method_deprecated"
    assert slack.calls("files.upload")[0].args == {"filename": "x.png", "file": png}


def test_webhook_post(slack):
    webhook = WebhookClient(slack.webhook_url)
    response = webhook.send(text="Negative mention", blocks=[{"type": "divider"}])
    assert (response.status_code, response.body) == (200, "ok")
    [message] = slack.posted
    assert (message["via"], message["channel"], message["text"]) == ("webhook", "#alerts", "Negative mention")
    assert message["blocks"] == [{"type": "divider"}]

    assert webhook.send(text="")  # no text nor blocks: Slack answers 400 no_text
    assert slack.calls("webhook")[-1].status == 400


def test_webhook_rate_limited_once_then_accepted(slack):
    slack.fail_next("webhook", status=429, retry_after=0)
    webhook = WebhookClient(slack.webhook_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert webhook.send(text="hi").status_code == 200
    assert [c.status for c in slack.calls("webhook")] == [429, 200]
    assert len(slack.posted) == 1
