"""What every HTTP request to /slack/events passes before bolt sees it.

Bolt reads the whole body and parses it before its own middleware checks the signature, and
its verifier turns a timestamp that is no number into a 500. Here, in this order:

1. the body is read in pieces and never beyond `MAX_BODY` (413 beyond: a declared length over
   the cap is refused before a byte is read), so an unsigned 100 MB POST never sits in memory;
2. the signature is checked on those raw bytes (401 for a missing, malformed, stale or wrong
   one), before anything parses them;
3. the Slack workspace the request comes from (`team.id`, `team_id`) must be the bot token's
   own (auth.test's `team_id`): one signing secret serves every workspace an app is installed
   in, so a click signed for another team is refused (403), never acted on.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
"""Slack's payloads are a few kilobytes; a megabyte leaves room for the largest modal."""
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class SlackGate:
    """Checks one request's size, signature and workspace (see the module docstring)."""

    def __init__(self, signing_secret: str, team_id: str | None, max_body: int = MAX_BODY, clock=time.time):
        self.verifier = SignatureVerifier(signing_secret, clock=_Clock(clock))
        self.team_id, self.max_body = team_id, max_body

    def refusal(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str] | None:
        """None when the request may go on to bolt; else (status, reason)."""
        timestamp = headers.get("x-slack-request-timestamp") or ""
        signature = headers.get("x-slack-signature") or ""
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            return 401, "missing or malformed signature headers"
        if not self.verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            return 401, "invalid or stale signature"
        team = team_of(headers.get("content-type") or "", body)
        if self.team_id and team and team != self.team_id:
            return 403, f"a request from another Slack workspace ({team[:40]})"
        return None

    def too_large(self, length: str | None) -> bool:
        """Whether a declared Content-Length is over the cap (or no length at all)."""
        try:
            return int(length or 0) > self.max_body
        except ValueError:
            return True


class _Clock:
    """slack_sdk's verifier asks its clock for `now()`."""

    def __init__(self, clock: Callable[[], float]):
        self.clock = clock

    def now(self) -> float:
        return self.clock()


def team_of(content_type: str, body: bytes) -> str | None:
    """The workspace a Slack request comes from: an interaction's `team.id` (or its user's or
    view's `team_id`), a slash command's `team_id`, an event's `team_id`; None when it names none."""
    try:
        text = body.decode("utf-8")
        if "json" in content_type:
            data: Any = json.loads(text)
        else:
            form = {k: v[-1] for k, v in parse_qs(text).items()}
            data = json.loads(form["payload"]) if "payload" in form else form
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    for holder, key in ((data.get("team"), "id"), (data, "team_id"), (data.get("user"), "team_id"),
                        (data.get("view"), "team_id")):
        if isinstance(holder, dict) and isinstance(holder.get(key), str) and holder[key]:
            return holder[key]
    return None


# --------------------------------------------------------------------------- ASGI (the web inbox)


def gated_asgi(gate: SlackGate, inner: Any) -> Any:
    """An ASGI app that reads and checks the body (capped) before `inner` (bolt's handler) runs."""
    return _GatedASGI(gate, inner)


class _GatedASGI:
    """An object, not a function: Starlette's Route mounts objects as ASGI apps, and would call a
    plain function as a request handler."""

    def __init__(self, gate: SlackGate, inner: Any):
        self.gate, self.inner = gate, inner

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        gate, inner = self.gate, self.inner
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if "content-length" in headers and gate.too_large(headers["content-length"]):
            await _plain(send, 413, "request body too large")
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > gate.max_body:
                await _plain(send, 413, "request body too large")
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        refused = gate.refusal(headers, body)
        if refused:
            log.info("slack request refused: %s", refused[1])
            await _plain(send, *refused)
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await inner(scope, replay, send)


async def _plain(send: Callable[..., Any], status: int, text: str) -> None:
    data = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(data)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": data})


# --------------------------------------------------------------------------- WSGI (`listen --http`)


def gated_wsgi(gate: SlackGate, inner: Any) -> Any:
    """A WSGI app that reads and checks the body (capped) before `inner` (bolt's handler) runs."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if gate.too_large(environ.get("CONTENT_LENGTH")):
            return _wsgi_plain(start_response, 413, "request body too large")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream, chunks, left = environ["wsgi.input"], [], length
        while left > 0:
            chunk = stream.read(min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        body = b"".join(chunks)
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
        headers["content-type"] = environ.get("CONTENT_TYPE") or ""
        refused = gate.refusal(headers, body)
        if refused:
            log.info("slack request refused: %s", refused[1])
            return _wsgi_plain(start_response, *refused)
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return inner(environ, start_response)

    return app


_REASONS = {401: "Unauthorized", 403: "Forbidden", 413: "Content Too Large"}


def _wsgi_plain(start_response: Callable[..., Any], status: int, text: str) -> list[bytes]:
    data = text.encode()
    start_response(f"{status} {_REASONS.get(status, '')}".strip(),
                   [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]
