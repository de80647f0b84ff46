"""Hostile requests to /slack/events, on `listen --http` and on the web inbox's ASGI mount:
malformed signature headers, a click signed for another workspace, a 100 MB unsigned body, and a
burst of connections."""

from __future__ import annotations

import asyncio
import http.client
import json
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from sqlalchemy.orm import sessionmaker

from respond.slack.app import asgi_handler, build_app
from tests.alerts.helpers import settings_for
from tests.respond import slack_payloads as payloads
from tests.respond.test_slack_asgi import SECRET as ASGI_SECRET
from tests.respond.test_slack_asgi import call
from tests.respond.test_slack_asgi import signed as asgi_signed
from tests.respond.test_slack_listen import SECRET, Listener, alert, alerted, post, signed  # noqa: F401

MALFORMED = [
    {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=" + "0" * 64},
    {"X-Slack-Request-Timestamp": "1e9", "X-Slack-Signature": "v0=" + "0" * 64},
    {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
    {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=zz"},
    {"X-Slack-Request-Timestamp": "1700000000", "X-Slack-Signature": "v0=é" + "0" * 63},
]
HUNDRED_MB = 100 * 1024 * 1024


def _foreign(click: dict) -> dict:
    """The same click as Slack sends it from another workspace where the app is installed."""
    return {**click, "team": {"id": "T0FOREIGN", "domain": "elsewhere"},
            "user": {**click["user"], "team_id": "T0FOREIGN"}}


def _peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _stream_unsigned(url: str, size: int) -> int | None:
    """POST `size` bytes made on the fly (never held); the status, or None when the server hung up."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    chunk = b"x" * 65536

    def body():
        for _ in range(size // len(chunk)):
            yield chunk
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(size))
        connection.endheaders()
        try:
            for piece in body():
                connection.send(piece)
        except OSError:  # the server answered and closed while we were still sending
            pass
        try:
            return connection.getresponse().status
        except OSError:
            return None
    finally:
        connection.close()


def test_listen_http_refuses_malformed_foreign_and_huge_requests_and_takes_a_burst(alerted, slack):
    workspace, s, mention_id = alerted
    listener = Listener(workspace, "--http", "0", env={"SLACK_SIGNING_SECRET": SECRET})
    try:
        url = listener.wait_line(r"on (http://127\.0\.0\.1:\d+/slack/events)").group(1)
        click = "payload=" + urllib.parse.quote(json.dumps(payloads.click(alert(slack), "Handled")))
        for headers in MALFORMED:
            assert post(url, click, {"Content-Type": "application/x-www-form-urlencoded", **headers})[0] == 401, headers

        foreign = "payload=" + urllib.parse.quote(json.dumps(_foreign(payloads.click(alert(slack), "Handled"))))
        assert post(url, foreign, signed(foreign))[0] == 403

        before = _peak_kib(listener.process.pid)
        assert _stream_unsigned(url, HUNDRED_MB) in (413, None)
        assert _peak_kib(listener.process.pid) - before < 20 * 1024  # never held: far below 100 MB

        # Fifty at once, three rounds: every connection is answered, none reset.
        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(lambda _: _post_or_reset(url, click), range(150)))
        assert statuses.count(401) == 150, statuses

        assert s.mention(mention_id).handled_at is None
        assert post(url, click, signed(click)) == (200, "")
        assert listener.wait_line(f"slack: mention {mention_id}: Handled by")
    finally:
        assert listener.stop() == 0
    assert not any("Traceback" in line for line in listener.lines), listener.lines


def _post_or_reset(url: str, body: str) -> int | str:
    try:
        return post(url, body, {"Content-Type": "application/x-www-form-urlencoded"})[0]
    except OSError as exc:
        return type(exc).__name__


def test_the_web_mount_reads_at_most_a_megabyte_and_checks_signature_and_team_first(slack, store):
    settings = settings_for(slack.api_url, slack={"signing_secret": ASGI_SECRET})
    s = store(settings)
    mention_id = s.add()
    assert s.cycle().sent == 1
    message = next(p for p in slack.posted if p.get("blocks"))
    handler = asgi_handler(build_app(settings, sessionmaker(s.engine, expire_on_commit=False)))
    body = "payload=" + urllib.parse.quote(json.dumps(payloads.click(message, "Handled")))

    for headers in MALFORMED:
        assert call(handler, body, {"Content-Type": "application/x-www-form-urlencoded", **headers})[0] == 401
    foreign = "payload=" + urllib.parse.quote(json.dumps(_foreign(payloads.click(message, "Handled"))))
    assert call(handler, foreign, asgi_signed(foreign))[0] == 403

    # 100 MB announced: refused before a byte is read. Streamed without a length: read up to the cap only.
    assert _huge(handler, declared=True) == (413, 0)
    status, pieces_read = _huge(handler, declared=False)
    assert status == 413 and pieces_read <= 17  # 64 KiB pieces: a megabyte and one more
    assert s.mention(mention_id).handled_at is None


def _huge(app, declared: bool) -> tuple[int, int]:
    """An unsigned 100 MB POST through the ASGI app, its pieces made as they are asked for."""
    asked = 0
    piece = b"x" * 65536
    count = HUNDRED_MB // len(piece)
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": piece, "more_body": asked < count}

    async def send(message: dict) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/x-www-form-urlencoded")]
    if declared:
        headers.append((b"content-length", str(HUNDRED_MB).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "path": "/slack/events", "raw_path": b"/slack/events", "query_string": b"", "scheme": "http",
             "server": ("127.0.0.1", 80), "headers": headers}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], asked




def test_socket_mode_ignores_a_click_from_another_workspace(alerted, slack):
    from tests.respond.test_slack_listen import APP_TOKEN

    workspace, s, mention_id = alerted
    listener = Listener(workspace, env={"SLACK_APP_TOKEN": APP_TOKEN})
    try:
        slack.socket_mode.wait_connected(timeout=30)
        listener.wait_line("listening for Slack actions over Socket Mode")
        envelope = slack.socket_mode.send("interactive", _foreign(payloads.click(alert(slack), "Handled")))
        slack.socket_mode.wait_ack(envelope)  # acknowledged, so Slack does not retry ...
        listener.wait_line(r"slack: ignored a request from another Slack workspace \(T0FOREIGN\)")
        envelope = slack.socket_mode.send("interactive", payloads.click(alert(slack), "Snooze"))
        slack.socket_mode.wait_ack(envelope)
        listener.wait_line(f"slack: mention {mention_id}: Snoozed by Olive Owner until")
        assert s.mention(mention_id).handled_at is None, listener.lines  # ... and never acted on
    finally:
        assert listener.stop() == 0
