"""Talking to Slack through slack-sdk: a bot token, an incoming webhook, or the console.

Every way of posting is a `Poster` with the same `post()`; what a webhook cannot do (read
reactions, upload files, choose the channel, look a message up) is said by its `can_*` flags, so
callers degrade instead of failing. Posts are paced per channel.

A post is never blindly retried. Its failures are of two kinds:

- definite: Slack answered and did not take the message (an API error, a 429, a refused
  connection): `DeliveryError`, safe to post again;
- unknown: Slack may have taken it (a 5xx, a timeout, a dropped connection): `OutcomeUnknown`.
  The outbox then looks the message up (`find()`: `conversations.history` with
  `include_all_metadata`, for the outbox id each post carries in its message metadata) before it
  posts again.

429s wait as long as Retry-After says (an integer, a decimal or an HTTP date), up to
`MAX_RETRY_AFTER` seconds; a longer wait is not waited for: the message stays for the next run.
Reads (reactions, history) are retried on 5xx and dropped connections, as they change nothing.
"""

from __future__ import annotations

import html
import http.client
import random
import re
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.error import URLError

from rich.console import Console
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import (
    BackoffRetryIntervalCalculator,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from alerts.config import AlertsConfig, SlackSettings
from alerts.escape import visible
from pipeline.errors import DeliveryError

WEBHOOK = "webhook"
CONSOLE = "console"
# Errors that concern one message or one channel: the others can still go out.
MESSAGE_ERRORS = {
    "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text", "invalid_blocks",
    "invalid_blocks_format", "too_many_attachments", "restricted_action", "cannot_reply_to_message",
    "message_not_found", "thread_not_found", "invalid_payload", "action_prohibited",
}
# The longest Retry-After a run waits for (a 130 s wait once held a run and its lock for 133 s).
MAX_RETRY_AFTER = 30.0
# Message metadata naming the outbox row a post carries; `find()` looks for it.
EVENT_TYPE = "mentionwatch_outbox"
# History is searched from this long before the first attempt: clocks differ.
CLOCK_MARGIN = 120.0
HISTORY_PAGES = 20
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


class MessageRejected(DeliveryError):
    """Slack refused this one message (e.g. an unknown channel); other messages may still go."""


class OutcomeUnknown(DeliveryError):
    """Slack may or may not have taken the message: its answer was lost (5xx, timeout, hang-up)."""


class CannotLookUp(DeliveryError):
    """The channel cannot be read to look a message up (webhook, missing scope, not a member)."""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: "30", "1.5" or an HTTP date; None when absent or unreadable."""
    if value is None:
        return None
    value = str(value).strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _header(headers: Any, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list | tuple) else value
    return None


class CappedRateLimitRetryHandler(RetryHandler):
    """429: wait Retry-After in any of its forms, but never longer than `cap` (then give up)."""

    def __init__(self, max_retry_count: int = 3, cap: float = MAX_RETRY_AFTER):
        super().__init__(max_retry_count=max_retry_count)
        self.cap = cap

    def _wait(self, response: Any) -> float | None:
        if response is None or response.status_code != 429:
            return None
        wait = retry_after_seconds(_header(response.headers, "retry-after"))
        wait = 1.0 if wait is None else wait
        return wait if wait <= self.cap else None

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        return self._wait(response) is not None

    def prepare_for_next_attempt(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> None:
        wait = self._wait(response)
        state.next_attempt_requested = True
        time.sleep((wait or 0.0) + random.random() * 0.1)
        state.increment_current_attempt()


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries every 5xx, not only 500 and 503 (a 502 from a proxy is as passing). Reads only."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers(reads: bool = True) -> list[RetryHandler]:
    """429: wait Retry-After (3 times, capped). For reads only: 5xx and dropped connections, twice."""
    handlers: list[RetryHandler] = [CappedRateLimitRetryHandler(max_retry_count=3)]
    if reads:
        backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
        handlers += [
            AnyServerErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
            # A read timeout is a TimeoutError, which slack-sdk's defaults do not retry.
            ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff,
                                        error_types=[URLError, ConnectionResetError, http.client.RemoteDisconnected,
                                                     TimeoutError]),
        ]
    return handlers


def make_client(settings: SlackSettings, timeout: float | None = None) -> WebClient:
    """A WebClient for the bot token (timeout: `slack.timeout`), with the read retries described above."""
    assert settings.token is not None
    client = WebClient(token=settings.token.get_secret_value(), base_url=settings.api_url,
                       timeout=int(timeout or settings.request_timeout))
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
    can_look_up: bool  # can find a message by its outbox id (find())
    records_attempts: bool  # a lost answer can duplicate: the outbox records attempts first
    client: WebClient | None

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, metadata: dict[str, Any] | None = None) -> Posted: ...


def outbox_metadata(outbox_id: int, planned_at: datetime) -> dict[str, Any]:
    """The message metadata naming an outbox row: its id and when it was planned (ids repeat across stores)."""
    return {"event_type": EVENT_TYPE,
            "event_payload": {"outbox_id": outbox_id, "planned_at": planned_at.astimezone(timezone.utc).isoformat()}}


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


def _never_arrived(exc: BaseException) -> bool:
    """The request cannot have reached Slack: the connection was refused or the name unknown."""
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


class WebApiPoster:
    """Posts with a bot token (chat.postMessage), uploads files, reads reactions, looks messages up."""

    can_route = can_thread = can_read_reactions = can_upload = can_look_up = records_attempts = True

    def __init__(self, client: WebClient, interval: float = 1.0):
        self.client = client  # reads: retried freely
        # Writes: only 429s are retried inside slack-sdk; a lost answer comes back to the outbox.
        self._writer = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout,
                                 retry_handlers=retry_handlers(reads=False))
        self._pacer = _Pacer(interval)
        self._channel_ids: dict[str, str] = {}

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, metadata: dict[str, Any] | None = None) -> Posted:
        self._pacer.wait(channel)
        extra: dict[str, Any] = {"thread_ts": thread_ts, "reply_broadcast": True} if thread_ts else {}
        if metadata:
            extra["metadata"] = metadata
        try:
            response = self._writer.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False,
                                                     unfurl_media=False, **extra)
        except SlackApiError as exc:
            raise _api_error(exc) from None
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            raise _transport_error(exc) from None
        finally:
            self._pacer.done(channel)
        posted = Posted(str(response.get("channel") or channel), str(response["ts"]))
        self._channel_ids[channel] = posted.channel
        return posted

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """chat.update. Safe to repeat (it sets the same content again), so lost answers are retried."""
        try:
            self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            raise _api_error(exc, "Slack refused the update") from None
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            raise _transport_error(exc) from None

    def find(self, channel: str, metadata: dict[str, Any], since: datetime,
             channel_id: str | None = None) -> Posted | None:
        """The message carrying `metadata` posted to `channel` since `since`, or None.

        Raises CannotLookUp when the channel cannot be read (missing scope, not a member), and
        DeliveryError when Slack cannot be reached now.
        """
        channel_id = channel_id or self._channel_id(channel)
        if channel_id is None:
            return None  # no such channel: a post to it cannot have been taken
        oldest = f"{max(0.0, since.timestamp() - CLOCK_MARGIN):.6f}"
        wanted = metadata["event_payload"]
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                response = self.client.conversations_history(channel=channel_id, oldest=oldest, limit=200,
                                                              include_all_metadata=True, cursor=cursor)
            except SlackApiError as exc:
                raise _look_up_error(exc) from None
            except (SlackClientError, OSError, http.client.HTTPException) as exc:
                raise DeliveryError(f"Slack unreachable while looking a message up: {_describe(exc)}") from None
            for message in response.get("messages") or []:
                found = message.get("metadata") or {}
                if found.get("event_type") == EVENT_TYPE and found.get("event_payload") == wanted:
                    return Posted(channel_id, str(message["ts"]))
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        raise CannotLookUp(f"more than {HISTORY_PAGES * 200} messages in {channel} since the first attempt")

    def _channel_id(self, channel: str) -> str | None:
        """Slack's ID for a channel name (conversations.history wants the ID); None when it does not exist.

        Private channels are listed only with groups:read: without it, an unlisted name may be
        one, and the channel counts as unreadable rather than missing.
        """
        if _CHANNEL_ID.match(channel):
            return channel
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        name = channel.strip().lstrip("#").lower()
        scopes = ""
        try:
            for page in self.client.conversations_list(types="public_channel,private_channel", limit=200):
                scopes = _header(page.headers, "x-oauth-scopes") or ""
                for info in page.get("channels") or []:
                    self._channel_ids[f"#{info['name']}"] = info["id"]
                    if info.get("name") == name:
                        self._channel_ids[channel] = info["id"]
                        return str(info["id"])
        except SlackApiError as exc:
            raise _look_up_error(exc) from None
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            raise DeliveryError(f"Slack unreachable while looking a channel up: {_describe(exc)}") from None
        if "groups:read" in {scope.strip() for scope in scopes.split(",")}:
            return None
        raise CannotLookUp(f"no channel named {channel} is visible to the bot (it may be private: add groups:read)")

    def upload(self, channel_id: str, path: Path, title: str, alt_text: str, comment: str | None = None) -> None:
        """Upload a file into a channel (files_upload_v2: upload URL, bytes, completion)."""
        try:
            self._writer.files_upload_v2(channel=channel_id, file=str(path), filename=path.name, title=title,
                                         alt_txt=alt_text, initial_comment=comment)
        except SlackApiError as exc:
            raise _api_error(exc, "Slack refused the file") from None
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            raise _transport_error(exc) from None


class WebhookPoster:
    """Posts through an incoming webhook: always to the webhook's own channel, no reading back."""

    can_route = can_thread = can_read_reactions = can_upload = can_look_up = False
    records_attempts = True
    client = None

    def __init__(self, url: str, interval: float = 1.0, timeout: int = 15):
        self._webhook = WebhookClient(url, timeout=timeout, retry_handlers=retry_handlers(reads=False))
        self._pacer = _Pacer(interval)

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, metadata: dict[str, Any] | None = None) -> Posted:
        self._pacer.wait(WEBHOOK)
        try:
            response = self._webhook.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        except (SlackClientError, OSError, http.client.HTTPException) as exc:
            raise _transport_error(exc, "Slack webhook unreachable") from None
        finally:
            self._pacer.done(WEBHOOK)
        if response.status_code != 200:
            reason = f"Slack webhook answered HTTP {response.status_code}: {response.body[:200]}"
            if response.status_code >= 500:
                raise OutcomeUnknown(reason)
            if response.status_code == 429:
                wait = retry_after_seconds(_header(response.headers, "retry-after"))
                reason = f"Slack webhook rate limited (Retry-After {wait if wait is not None else '?'} s)"
            raise (MessageRejected if response.body in MESSAGE_ERRORS or response.status_code == 400
                   else DeliveryError)(reason)
        return Posted(WEBHOOK, None)


class ConsolePoster:
    """Without Slack credentials, messages are printed, so a first run shows what would be sent."""

    can_route = can_thread = True
    can_read_reactions = can_upload = can_look_up = records_attempts = False
    client = None

    def __init__(self, console: Console):
        self.console = console

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None, metadata: dict[str, Any] | None = None) -> Posted:
        lines = [line for line in (terminal_text(t) for t in _texts(blocks or [])) if line] or [terminal_text(text)]
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
        return WebhookPoster(settings.webhook_url.get_secret_value(), settings.post_interval, int(settings.request_timeout))
    return ConsolePoster(console)


def make_posters(settings: AlertsConfig, console: Console, top: Poster | None = None) -> dict[str | None, Poster]:
    """A poster per Slack workspace, by key (None: the top-level slack:, or `top` when given; an
    agency client's name: its own workspace)."""
    return {key: top if key is None and top is not None else make_poster(slack, console)
            for key, slack in settings.workspaces().items()}


def make_clients(settings: AlertsConfig) -> dict[str | None, WebClient]:
    """A WebClient per Slack workspace that has a bot token, by key (see make_posters)."""
    return {key: make_client(slack) for key, slack in settings.workspaces().items() if slack.token is not None}


def _api_error(exc: SlackApiError, what: str = "Slack refused the message") -> DeliveryError:
    response = exc.response
    error = response.get("error") if isinstance(response.data, dict) else None
    if response.status_code >= 500:
        # Slack (or a proxy) failed: it may have acted before failing.
        said = f" {error}" if error and not str(error).startswith("Received a response") else ""
        return OutcomeUnknown(f"Slack failed with HTTP {response.status_code}{said}; it may have taken the message",
                              response)
    reason = error or f"HTTP {response.status_code}"
    if response.status_code == 429:
        wait = retry_after_seconds(_header(response.headers, "retry-after"))
        shown = f"{wait:g}" if wait is not None else "?"
        reason = (f"rate limited (Retry-After {shown} s, more than the {MAX_RETRY_AFTER:g} s a run waits)"
                  if wait is not None and wait > MAX_RETRY_AFTER else f"rate limited (Retry-After {shown} s) after retries")
    kind = MessageRejected if error in MESSAGE_ERRORS else DeliveryError
    return kind(f"{what}: {reason}", response)


def _look_up_error(exc: SlackApiError) -> DeliveryError:
    response = exc.response
    error = response.get("error") if isinstance(response.data, dict) else None
    if response.status_code >= 500 or response.status_code == 429:
        return DeliveryError(f"cannot look the message up now: HTTP {response.status_code}")
    needed = response.get("needed") if isinstance(response.data, dict) else None
    hint = f" (the token lacks {needed})" if needed else ""
    return CannotLookUp(f"cannot read the channel to look the message up: {error}{hint}")


def _transport_error(exc: BaseException, what: str = "Slack unreachable") -> DeliveryError:
    """A refused connection never reached Slack; a timeout or hang-up may have, after it acted."""
    if _never_arrived(exc):
        return DeliveryError(f"{what}: {_describe(exc)}")
    return OutcomeUnknown(f"{what}: {_describe(exc)}; Slack may have taken the message")


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {reason or exc}"


# --------------------------------------------------------------------------- console rendering

_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")


# Shortcodes our messages use, as terminal words; any other :shortcode: is dropped.
_TERMINAL_EMOJI = {"rotating_light": "URGENT", "warning": "Warning:", "alarm_clock": "Reminder:",
                   "white_check_mark": "OK:"}
_SHORTCODE = re.compile(r":([a-z][a-z0-9_+-]*):")
# Slack-only instructions: in a terminal the command is what to do.
_REACT_OR_RUN = re.compile(r"React with :[a-z0-9_+-]+: when it is handled, or run (`[^`]*`)\.")
_REACT_ONLY = re.compile(r"React with :[a-z0-9_+-]+: to mark all of these handled\.")


def without_slack_instructions(mrkdwn_text: str) -> str:
    """Reacting is for Slack: elsewhere (terminal, e-mail, chat) the command is what to do."""
    text = _REACT_OR_RUN.sub(r"When it is handled, run \1.", mrkdwn_text)
    return _REACT_ONLY.sub("Mark them handled with `mentionwatch handle ID` (IDs above).", text)


def terminal_text(mrkdwn_text: str) -> str:
    """Slack mrkdwn as terminal text: no shortcodes, emphasis or code marks, no Slack-only
    instructions; links as 'label (url)'; entities decoded; nothing invisible (escape.visible)."""
    text = _DATE.sub(r"\1", without_slack_instructions(mrkdwn_text))
    text = _LINK.sub(lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})", text)
    text = re.sub(r"(?<!\w)\*([^*\n]+)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`\n]*)`", r"\1", text)
    text = text.replace(":rotating_light: Urgent", "Urgent")
    text = _SHORTCODE.sub(lambda m: _TERMINAL_EMOJI.get(m.group(1), ""), text)
    text = html.unescape(re.sub(r"(?m)^>", "", text))
    # The look-alikes mrkdwn() put in place of * and ` mean nothing to a terminal.
    text = text.replace("\u2217", "*").replace("\u02cb", "`")
    return re.sub(r"[ \t]{2,}", " ", visible(text)).strip().replace("\n", "\n  ")


plain = terminal_text


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
