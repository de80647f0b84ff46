"""Talking to Slack through slack-sdk: a bot token, an incoming webhook, or the console.

Every way of posting is a `Poster` with the same `post()`; what a webhook cannot do (read
reactions, upload files, choose the channel) is said by its `can_*` flags, so callers degrade
instead of failing. Posts are paced per channel; 429s wait as long as Retry-After says, 5xx and
dropped or timed-out connections are retried with backoff (slack-sdk's retry handlers), and what
still fails raises DeliveryError, leaving the message in the outbox for the next run.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass
from http.client import RemoteDisconnected
from pathlib import Path
from typing import Any, Protocol
from urllib.error import URLError

from rich.console import Console
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from mentionwatch.config import SlackSettings
from mentionwatch.errors import DeliveryError

WEBHOOK = "webhook"
CONSOLE = "console"
# Errors that concern one message or one channel: the others can still go out.
MESSAGE_ERRORS = {
    "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text", "invalid_blocks",
    "invalid_blocks_format", "too_many_attachments", "restricted_action", "cannot_reply_to_message",
    "message_not_found", "thread_not_found", "invalid_payload", "action_prohibited",
}


class MessageRejected(DeliveryError):
    """Slack refused this one message (e.g. an unknown channel); other messages may still go."""


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every 5xx, not only 500 and 503 (a 502 from a proxy is as passing)."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers() -> list[RetryHandler]:
    """429: wait Retry-After (3 times); 5xx and dropped or timed-out connections: 2 retries with backoff."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        AnyServerErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        # A read timeout is a TimeoutError, which slack-sdk's defaults do not retry.
        ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff,
                                    error_types=[URLError, ConnectionResetError, RemoteDisconnected, TimeoutError]),
    ]


def make_client(settings: SlackSettings, timeout: int = 15) -> WebClient:
    """A WebClient for the bot token, with the retries described above."""
    assert settings.token is not None
    client = WebClient(token=settings.token.get_secret_value(), base_url=settings.api_url, timeout=timeout)
    client.retry_handlers = retry_handlers()
    return client


@dataclass(frozen=True)
class Posted:
    """Where a message went: Slack's channel ID and the message's ts (None when unknown)."""

    channel: str
    ts: str | None


class Poster(Protocol):
    can_route: bool  # can choose the channel
    can_thread: bool
    can_read_reactions: bool
    can_upload: bool
    client: WebClient | None

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None) -> Posted: ...


class _Pacer:
    """At most one post per `interval` seconds per channel (Slack allows about one a second)."""

    def __init__(self, interval: float):
        self.interval = interval
        self._last: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        delay = self._last.get(channel, float("-inf")) + self.interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def done(self, channel: str) -> None:
        self._last[channel] = time.monotonic()


class WebApiPoster:
    """Posts with a bot token (chat.postMessage), uploads files, reads reactions."""

    can_route = can_thread = can_read_reactions = can_upload = True

    def __init__(self, client: WebClient, interval: float = 1.0):
        self.client = client
        self._pacer = _Pacer(interval)

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None) -> Posted:
        self._pacer.wait(channel)
        extra: dict[str, Any] = {"thread_ts": thread_ts, "reply_broadcast": True} if thread_ts else {}
        try:
            response = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False,
                                                    unfurl_media=False, **extra)
        except SlackApiError as exc:
            raise _api_error(exc) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack unreachable: {_describe(exc)}") from None
        finally:
            self._pacer.done(channel)
        return Posted(str(response.get("channel") or channel), str(response["ts"]))

    def upload(self, channel_id: str, path: Path, title: str, alt_text: str, comment: str | None = None) -> None:
        """Upload a file into a channel (files_upload_v2: upload URL, bytes, completion)."""
        try:
            self.client.files_upload_v2(channel=channel_id, file=str(path), filename=path.name, title=title,
                                        alt_txt=alt_text, initial_comment=comment)
        except SlackApiError as exc:
            raise _api_error(exc, "Slack refused the file") from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack unreachable: {_describe(exc)}") from None


class WebhookPoster:
    """Posts through an incoming webhook: always to the webhook's own channel, no reading back."""

    can_route = can_thread = can_read_reactions = can_upload = False
    client = None

    def __init__(self, url: str, interval: float = 1.0, timeout: int = 15):
        self._webhook = WebhookClient(url, timeout=timeout, retry_handlers=retry_handlers())
        self._pacer = _Pacer(interval)

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None) -> Posted:
        self._pacer.wait(WEBHOOK)
        try:
            response = self._webhook.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack webhook unreachable: {_describe(exc)}") from None
        finally:
            self._pacer.done(WEBHOOK)
        if response.status_code != 200:
            reason = f"Slack webhook answered HTTP {response.status_code}: {response.body[:200]}"
            raise (MessageRejected if response.body in MESSAGE_ERRORS or response.status_code == 400
                   else DeliveryError)(reason)
        return Posted(WEBHOOK, None)


class ConsolePoster:
    """Without Slack credentials, messages are printed, so a first run shows what would be sent."""

    can_route = can_thread = True
    can_read_reactions = can_upload = False
    client = None

    def __init__(self, console: Console):
        self.console = console

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None) -> Posted:
        lines = [plain(block_text) for block_text in _texts(blocks or [])] or [plain(text)]
        first, rest = lines[0], lines[1:]
        self.console.print(f"[bold]{_rich_escape(first)}[/]", highlight=False, soft_wrap=True, emoji=False)
        for line in rest:
            self.console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True, emoji=False)
        return Posted(CONSOLE, None)


def make_poster(settings: SlackSettings, console: Console) -> WebApiPoster | WebhookPoster | ConsolePoster:
    """The bot token if set, else the webhook, else the console."""
    if settings.token is not None:
        return WebApiPoster(make_client(settings), settings.post_interval)
    if settings.webhook_url is not None:
        return WebhookPoster(settings.webhook_url.get_secret_value(), settings.post_interval)
    return ConsolePoster(console)


def _api_error(exc: SlackApiError, what: str = "Slack refused the message") -> DeliveryError:
    response = exc.response
    error = response.get("error") if isinstance(response.data, dict) else None
    reason = error or f"HTTP {response.status_code}"
    if response.status_code == 429:
        reason = f"rate limited (Retry-After {response.headers.get('retry-after', '?')} s) after retries"
    kind = MessageRejected if error in MESSAGE_ERRORS else DeliveryError
    return kind(f"{what}: {reason}", response)


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {reason or exc}"


# --------------------------------------------------------------------------- console rendering

_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")


def plain(mrkdwn_text: str) -> str:
    """Slack mrkdwn as terminal text: links as 'label (url)', entities decoded, no emphasis marks."""
    text = _DATE.sub(r"\1", mrkdwn_text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})", text)
    text = re.sub(r"(?<!\w)\*([^*\n]+)\*(?!\w)", r"\1", text)
    return html.unescape(text.lstrip(">"))


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                out.append(element["text"])
            elif element.get("type") == "button" and element.get("url"):
                out.append(element["url"])
    return out


def _rich_escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
