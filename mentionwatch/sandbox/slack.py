"""A local Slack: the Web API and an incoming webhook, answering like Slack on 127.0.0.1.

Tests point the real slack-sdk at it (`WebClient(token=..., base_url=server.api_url)`,
`WebhookClient(server.webhook_url)`), and the offline `demo` command uses it in place of a
workspace. It follows Slack's conventions closely enough for slack-sdk and for the product:

* API errors are HTTP 200 with `{"ok": false, "error": ...}`; rate limits are HTTP 429 with a
  `Retry-After` header; bodies may be JSON, form-encoded or multipart, as Slack accepts;
* a token must start with "xoxb-" or "xoxp-" (else `invalid_auth`; none: `not_authed`), or
  "xapp-" for apps.connections.open alone (`not_allowed_token_type` elsewhere, as at Slack); with a
  JSON body only the Authorization header counts, as at Slack;
* channels are addressed by name ("#reviews" or "reviews") or by the ID derived from it;
* `files_upload_v2`'s three steps: `files.getUploadURLExternal` hands out an upload URL on this
  server, the client POSTs the bytes there, `files.completeUploadExternal` shares them.

What happened is kept for assertions: `requests` (every call, including failed ones), `posted`
(messages accepted by chat.postMessage and the webhook), `uploads` (completed files). Failures
are scripted with `fail_next`, reactions added with `add_reaction`; `lose_answer` makes a call
succeed and then answers 500, hangs up, or answers too late, as when Slack took a post but its
answer was lost on the way.

Message metadata (`chat.postMessage` `metadata` {event_type, event_payload}) is kept, and
`conversations.history` returns it with `include_all_metadata`, as Slack documents. `scopes`
sets the token's scopes (the `X-OAuth-Scopes` header); a method needing one it lacks answers
`missing_scope` with `needed` and `provided`.

Token values are never stored: a request records only whether it carried one, and the
Authorization header is redacted, because the product promises that secrets never appear in
its output, and recorded requests end up in test reports and demo logs.

Supported methods: auth.test, chat.postMessage, chat.update, reactions.get,
conversations.list, conversations.info, conversations.history,
files.getUploadURLExternal, files.completeUploadExternal
(files.upload answers `method_deprecated`, as Slack now does); for interactivity
apps.connections.open (with an app-level `xapp-` token: a Socket Mode URL on this server, see
mentionwatch.sandbox.socketmode and `socket_mode`), views.open (each trigger_id once), views.update
and users.info (`add_user`; opened views in `views`). Others: `unknown_method`.
Stdlib only.
"""

from __future__ import annotations

import email.policy
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any, Iterable
from urllib.parse import parse_qsl, urlsplit

from .socketmode import PATH as SOCKET_MODE_PATH
from .socketmode import SocketModeHub
from .web import BackgroundServer, QuietHandler, redact_headers

__all__ = ["LocalSlackServer", "SlackRequest", "channel_id_for"]

# Method names recorded for requests that are not Web API calls.
WEBHOOK = "webhook"
UPLOAD = "upload"  # the POST of a file's bytes to the URL from files.getUploadURLExternal
# Methods for an app-level token (xapp-); it is refused everywhere else, and they take no other.
APP_TOKEN_METHODS = {"apps.connections.open"}

TEAM_ID = "T000"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
HUMAN_USER_ID = "U0OWNER"
WEBHOOK_PATH = f"/services/{TEAM_ID}/B000/XXXX"

# Message timestamps follow the clock, as Slack's do (a client searching history by time
# relies on it), and are unique: each is at least 100 microseconds after the one before.
_TS_STEP_MICROS = 100

# Slack IDs are upper-case; channel names are lower-case. So an upper-case token is an ID.
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")


def channel_id_for(name: str) -> str:
    """The ID this server gives the channel `name` ("#reviews" and "reviews" alike), stable across runs."""
    normalized = name.strip().lstrip("#").lower()
    return "C" + hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:10].upper()


@dataclass
class SlackRequest:
    """One request as the server saw it, and what it answered."""

    method: str  # e.g. "chat.postMessage", or "webhook" / "upload"
    args: dict[str, Any]  # parsed body and query; multipart file parts as bytes; never the token
    headers: dict[str, str]  # Authorization redacted
    has_token: bool  # whether a token was presented (its value is never kept)
    status: int  # HTTP status answered; 0 when stop() cut a delayed answer short
    error: str | None  # the "error" answered, or None on success
    time: float  # time.time() when the request arrived


@dataclass
class _Failure:
    status: int
    retry_after: int | float | str | None
    error: str | None
    delay: float
    remaining: int


# The scopes a bot token has unless `scopes=` says otherwise, and what each method needs.
ALL_SCOPES = ("chat:write", "chat:write.public", "reactions:read", "files:write", "users:read", "channels:read",
              "groups:read", "channels:history", "groups:history")
_NEEDED_SCOPE = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "reactions.get": "reactions:read",
    "conversations.history": "channels:history",
    "conversations.list": "channels:read",
    "files.getUploadURLExternal": "files:write",
}
LOST_ANSWERS = ("500", "drop", "timeout")


@dataclass
class _LostAnswer:
    how: str
    delay: float
    remaining: int


@dataclass
class _Reply:
    status: int
    payload: dict[str, Any] | str  # JSON for the Web API, text for the webhook and uploads
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def error(self) -> str | None:
        if isinstance(self.payload, dict):
            return None if self.payload.get("ok") else self.payload.get("error")
        return None if self.status == 200 else self.payload


def _ok(**fields: Any) -> _Reply:
    return _Reply(200, {"ok": True, **fields})


def _err(error: str) -> _Reply:
    return _Reply(200, {"ok": False, "error": error})


def _json_value(value: Any) -> Any:
    """Form posts carry blocks/attachments/files as JSON text; JSON posts carry them as is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Fields of a multipart/form-data body: text as str, file parts as bytes."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        fields[name] = data if part.get_filename() is not None else data.decode("utf-8", "replace")
    return fields


class LocalSlackServer(BackgroundServer):
    """A Slack Web API and incoming webhook on `host:port`. See the module doc.

    channels: names that exist in the workspace. None (the default) accepts any channel name,
    creating it on first use, which is what tests and the demo want; with a list, other names
    answer `channel_not_found` as they would at Slack.
    webhook_channel: the channel the incoming webhook posts into, as Slack binds each webhook
    to one channel.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        channels: Iterable[str] | None = None,
        webhook_channel: str = "#alerts",
        scopes: Iterable[str] | None = None,
        team_id: str = TEAM_ID,
    ):
        super().__init__(host, port)
        self.team_id = team_id  # another workspace (an agency client's) is another server with its own
        self.scopes = tuple(scopes) if scopes is not None else ALL_SCOPES
        self._lost: dict[str, list[_LostAnswer]] = {}
        self.requests: list[SlackRequest] = []
        self.posted: list[dict[str, Any]] = []
        self.uploads: list[dict[str, Any]] = []
        self.webhook_channel = webhook_channel
        self._open_workspace = channels is None
        self._channels: dict[str, str] = {}  # ID -> name
        for name in channels if channels is not None else ("general", webhook_channel):
            self._register(name)
        self._failures: dict[str, list[_Failure]] = {}
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel ID, ts) -> posted entry
        self._reactions: dict[tuple[str, str], dict[str, list[str]]] = {}  # -> name -> users
        self._pending_files: dict[str, dict[str, Any]] = {}  # file ID -> upload in progress
        self._next_ts = 0
        self._next_file = 1
        # One lock for all state: handler threads run concurrently, tests read from the main one.
        self._lock = threading.RLock()
        self._init_interactivity()

    @property
    def api_url(self) -> str:
        """Base URL for WebClient(base_url=...), ending with "/"."""
        return f"{self.base_url}/api/"

    @property
    def webhook_url(self) -> str:
        """The incoming webhook, e.g. "http://127.0.0.1:54321/services/T000/B000/XXXX"."""
        return f"{self.base_url}{WEBHOOK_PATH}"

    # -- test and demo hooks

    def calls(self, method: str) -> list[SlackRequest]:
        """Recorded requests for `method` ("chat.postMessage", "webhook", "upload"), in order."""
        with self._lock:
            return [r for r in self.requests if r.method == method]

    def fail_next(
        self,
        method: str,
        status: int = 500,
        count: int = 1,
        retry_after: int | float | str | None = None,
        error: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next `count` calls of `method` fail (queued after earlier fail_next calls).

        status 429 answers `ratelimited` (with Retry-After when `retry_after` is given, as Slack
        always does; a float or a string such as an HTTP date is sent as given, as proxies do); other statuses answer `error` or a generic one. status 200 with `error`
        is Slack's usual soft failure, e.g. error="channel_not_found". `delay` waits before
        answering, to make clients time out; status 200 without `error` is then a slow success:
        the call is carried out after the delay (unless the server stops first), like a post
        that Slack accepted although the client had given up on it.
        `method` is an API method name, or "webhook" or "upload".
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(status, retry_after, error, delay, count))

    def lose_answer(self, method: str, how: str = "500", count: int = 1, delay: float = 3.0) -> None:
        """Carry out the next `count` calls of `method`, then lose the answer (queued like fail_next).

        how: "500" answers HTTP 500 as if Slack had failed; "drop" closes the connection without
        answering; "timeout" answers only after `delay` seconds, when the client has given up.
        In each case the message is in the channel: a client that simply posts again duplicates it.
        """
        if how not in LOST_ANSWERS:
            raise ValueError(f"how must be one of {LOST_ANSWERS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._lost.setdefault(method, []).append(_LostAnswer(how, delay, count))

    def _take_lost(self, method: str) -> _LostAnswer | None:
        with self._lock:
            queue = self._lost.get(method)
            if not queue:
                return None
            lost = queue[0]
            lost.remaining -= 1
            if lost.remaining == 0:
                queue.pop(0)
            return lost

    def add_reaction(self, channel: str, ts: str, name: str, user: str = "U0TEAM") -> None:
        """React to a posted message, as a teammate would; reactions.get then reports it."""
        with self._lock:
            channel_id = self._resolve(channel)
            key = (channel_id or "", ts)
            if key not in self._messages:
                raise KeyError(f"no message {ts} in {channel}")
            users = self._reactions.setdefault(key, {}).setdefault(name.strip(":"), [])
            if user not in users:  # Slack: already_reacted
                users.append(user)

    # -- state helpers (callers hold the lock)

    def _register(self, name: str) -> str:
        channel_id = channel_id_for(name)
        self._channels.setdefault(channel_id, name.strip().lstrip("#").lower())
        return channel_id

    def _resolve(self, channel: str | None) -> str | None:
        """The ID for a channel name or ID, or None when the workspace has no such channel."""
        if not channel:
            return None
        if _CHANNEL_ID.match(channel):
            return channel if channel in self._channels else None
        channel_id = channel_id_for(channel)
        if channel_id in self._channels:
            return channel_id
        return self._register(channel) if self._open_workspace else None

    def _new_ts(self) -> str:
        micros = max(self._next_ts, int(time.time() * 1_000_000))
        self._next_ts = micros + _TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel_info(self, channel_id: str) -> dict[str, Any]:
        return {
            "id": channel_id,
            "name": self._channels[channel_id],
            "is_channel": True,
            "is_private": False,
            "is_archived": False,
            "is_member": True,
        }

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining == 0:
                queue.pop(0)
            return failure

    def _record(self, entry: SlackRequest) -> None:
        with self._lock:
            self.requests.append(entry)

    # -- Web API methods: each takes the parsed args and returns a reply

    def _call(self, method: str, args: dict[str, Any], token_kind: str) -> _Reply:
        handler = self._METHODS.get(method)
        if handler is None:
            return _err("unknown_method")
        # An app-level token (xapp-) opens Socket Mode connections and does nothing else.
        if (token_kind == "app") != (method in APP_TOKEN_METHODS):
            return _err("not_allowed_token_type")
        with self._lock:
            return handler(self, args, token_kind)

    def _auth_test(self, args, token_kind):
        fields = {"url": f"{self.base_url}/", "team": "Local Slack", "team_id": self.team_id}
        if token_kind == "bot":
            return _ok(**fields, user="mentionwatch", user_id=BOT_USER_ID, bot_id=BOT_ID)
        return _ok(**fields, user="owner", user_id=HUMAN_USER_ID)

    def _post_message(self, args, token_kind):
        requested = args.get("channel")
        channel_id = self._resolve(requested)
        if channel_id is None:
            return _err("channel_not_found")
        blocks = _json_value(args.get("blocks"))
        attachments = _json_value(args.get("attachments"))
        if not args.get("text") and not blocks and not attachments:
            return _err("no_text")
        metadata = _json_value(args.get("metadata"))
        if metadata is not None and not _valid_metadata(metadata):
            return _err("invalid_metadata_format")
        ts = self._new_ts()
        entry = {**args, "channel": requested, "channel_id": channel_id, "ts": ts, "text": args.get("text")}
        entry.update(blocks=blocks, attachments=attachments, metadata=metadata, via="chat.postMessage")
        self.posted.append(entry)
        self._messages[(channel_id, ts)] = entry
        return _ok(channel=channel_id, ts=ts, message=self._message_view(entry))

    def _update_message(self, args, token_kind):
        channel_id = self._resolve(args.get("channel"))
        if channel_id is None:
            return _err("channel_not_found")
        entry = self._messages.get((channel_id, args.get("ts") or ""))
        if entry is None:
            return _err("message_not_found")
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                entry[key] = _json_value(args[key]) if key != "text" else args[key]
        entry["edited"] = True
        return _ok(channel=channel_id, ts=entry["ts"], text=entry.get("text"), message=self._message_view(entry))

    def _message_view(self, entry: dict[str, Any], metadata: bool = False) -> dict[str, Any]:
        """The message object Slack returns for a stored entry (with its metadata when asked)."""
        message = {"type": "message", "text": entry.get("text") or "", "user": BOT_USER_ID, "bot_id": BOT_ID}
        message["ts"] = entry["ts"]
        if metadata and entry.get("metadata"):
            message["metadata"] = entry["metadata"]
        for key in ("blocks", "attachments", "thread_ts"):
            if entry.get(key):
                message[key] = entry[key]
        reactions = self._reactions.get((entry["channel_id"], entry["ts"]))
        if reactions:  # Slack leaves the key out when there are none
            message["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)} for name, users in reactions.items()
            ]
        return message

    def _reactions_get(self, args, token_kind):
        channel_id = self._resolve(args.get("channel"))
        if channel_id is None:
            return _err("channel_not_found")
        entry = self._messages.get((channel_id, args.get("timestamp") or ""))
        if entry is None:
            return _err("message_not_found")
        return _ok(type="message", channel=channel_id, message=self._message_view(entry))

    def _conversations_list(self, args, token_kind):
        channels = [self._channel_info(cid) for cid in sorted(self._channels, key=self._channels.get)]
        return _ok(channels=channels, response_metadata={"next_cursor": ""})

    def _conversations_history(self, args, token_kind):
        """Newest first, `oldest`/`latest` exclusive unless `inclusive`, cursor pages of `limit`."""
        channel = args.get("channel") or ""
        if not channel:
            return _err("invalid_arguments")
        if channel not in self._channels:  # Slack wants the ID here, not a name
            return _err("channel_not_found")
        try:
            oldest = float(args.get("oldest") or 0)
            latest = float(args.get("latest") or "inf")
            limit = max(1, min(999, int(args.get("limit") or 100)))
            start = int(args.get("cursor") or 0)
        except ValueError:
            return _err("invalid_arguments")
        inclusive = _truthy(args.get("inclusive"))
        with_metadata = _truthy(args.get("include_all_metadata"))

        def within(ts: float) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        entries = sorted((e for (cid, _), e in self._messages.items() if cid == channel and within(float(e["ts"]))),
                         key=lambda e: float(e["ts"]), reverse=True)
        page = entries[start:start + limit]
        more = start + limit < len(entries)
        return _ok(messages=[self._message_view(e, with_metadata) for e in page], has_more=more,
                   pin_count=0, response_metadata={"next_cursor": str(start + limit) if more else ""})

    def _conversations_info(self, args, token_kind):
        channel = args.get("channel")
        # Lookups never create channels, even in an open workspace.
        channel_id = channel if channel in self._channels else channel_id_for(channel or "")
        if channel_id not in self._channels:
            return _err("channel_not_found")
        return _ok(channel=self._channel_info(channel_id))

    def _get_upload_url(self, args, token_kind):
        try:
            length = int(args.get("length"))
        except (TypeError, ValueError):
            return _err("invalid_arguments")
        if not args.get("filename"):
            return _err("invalid_arguments")
        file_id = f"F{self._next_file:09d}"
        self._next_file += 1
        self._pending_files[file_id] = {
            "filename": args["filename"],
            "length": length,
            "alt_txt": args.get("alt_txt"),
            "content": None,
        }
        return _ok(upload_url=f"{self.base_url}/upload/v1/{file_id}", file_id=file_id)

    def _complete_upload(self, args, token_kind):
        files = _json_value(args.get("files"))
        if not isinstance(files, list) or not files:
            return _err("invalid_arguments")
        pending = [self._pending_files.get(f.get("id", "")) if isinstance(f, dict) else None for f in files]
        if any(p is None or p["content"] is None for p in pending):
            return _err("file_not_found")  # unknown ID, or bytes never uploaded
        channel_id = args.get("channel_id")
        channels = [c for c in (args.get("channels") or "").split(",") if c]
        shared = [self._resolve(c) for c in ([channel_id] if channel_id else []) + channels]
        if None in shared:
            return _err("channel_not_found")
        completed = []
        for item, upload in zip(files, pending):
            file_id = item["id"]
            del self._pending_files[file_id]
            title = item.get("title") or upload["filename"]
            self.uploads.append(
                {
                    "file_id": file_id,
                    "filename": upload["filename"],
                    "title": title,
                    "channel_id": channel_id,
                    "channels": channels,
                    "initial_comment": args.get("initial_comment"),
                    "thread_ts": args.get("thread_ts"),
                    "alt_txt": upload["alt_txt"],
                    "content": upload["content"],
                }
            )
            completed.append(
                {
                    "id": file_id,
                    "name": upload["filename"],
                    "title": title,
                    "size": len(upload["content"]),
                    "user": BOT_USER_ID,
                    "channels": shared,
                    "url_private": f"{self.base_url}/files/{file_id}/{upload['filename']}",
                }
            )
        return _ok(files=completed)

    def _files_upload(self, args, token_kind):
        return _err("method_deprecated")

    _METHODS = {
        "auth.test": _auth_test,
        "chat.postMessage": _post_message,
        "chat.update": _update_message,
        "reactions.get": _reactions_get,
        "conversations.list": _conversations_list,
        "conversations.info": _conversations_info,
        "conversations.history": _conversations_history,
        "files.getUploadURLExternal": _get_upload_url,
        "files.completeUploadExternal": _complete_upload,
        "files.upload": _files_upload,
    }

    # -- interactivity: Socket Mode, modals, users (kept together, apart from the messaging methods)

    def _init_interactivity(self) -> None:
        self.socket_mode = SocketModeHub(lambda: self.base_url)
        self.views: dict[str, dict[str, Any]] = {}  # view ID -> the view as last opened or updated
        self.users: dict[str, dict[str, Any]] = {}
        self._used_triggers: set[str] = set()
        self._next_view = 1
        self.add_user(HUMAN_USER_ID, "owner", "Olive Owner")

    def add_user(self, user_id: str, name: str, real_name: str) -> None:
        """A member of the workspace, as users.info describes them."""
        with self._lock:
            self.users[user_id] = {"id": user_id, "team_id": self.team_id, "name": name, "real_name": real_name,
                                   "deleted": False, "is_bot": False,
                                   "profile": {"real_name": real_name, "display_name": name}}

    def _apps_connections_open(self, args, token_kind):
        return _ok(url=self.socket_mode.issue_url())

    def _views_open(self, args, token_kind):
        trigger = args.get("trigger_id")
        view = _json_value(args.get("view"))
        if not trigger:
            return _err("invalid_arguments")
        if not isinstance(view, dict) or view.get("type") != "modal":
            return _err("invalid_arguments")
        if trigger in self._used_triggers:  # each trigger opens one view, within 3 seconds
            return _err("expired_trigger_id")
        self._used_triggers.add(trigger)
        view_id = f"V{self._next_view:09d}"
        self._next_view += 1
        self.views[view_id] = {**view, "id": view_id, "trigger_id": trigger}
        return _ok(view={**view, "id": view_id, "team_id": self.team_id, "state": {"values": {}}, "hash": f"h{view_id}"})

    def _views_update(self, args, token_kind):
        view_id = args.get("view_id")
        view = _json_value(args.get("view"))
        if view_id not in self.views:
            return _err("not_found")
        if not isinstance(view, dict):
            return _err("invalid_arguments")
        self.views[view_id] = {**view, "id": view_id, "trigger_id": self.views[view_id]["trigger_id"]}
        return _ok(view={**view, "id": view_id, "team_id": self.team_id, "state": {"values": {}}, "hash": f"h{view_id}"})

    def _users_info(self, args, token_kind):
        user = self.users.get(args.get("user") or "")
        return _ok(user=user) if user else _err("user_not_found")

    _METHODS.update({
        "apps.connections.open": _apps_connections_open,
        "views.open": _views_open,
        "views.update": _views_update,
        "users.info": _users_info,
    })

    # -- non-API endpoints

    def _webhook(self, args: dict[str, Any]) -> _Reply:
        # Legacy integrations send the JSON as a form field named "payload".
        if "payload" in args:
            args = _json_value(args["payload"])
            if not isinstance(args, dict):
                return _Reply(400, "invalid_payload")
        blocks = _json_value(args.get("blocks"))
        attachments = _json_value(args.get("attachments"))
        if not args.get("text") and not blocks and not attachments:
            return _Reply(400, "no_text")
        with self._lock:
            channel_id = self._register(self.webhook_channel)
            ts = self._new_ts()
            entry = {**args, "channel": self.webhook_channel, "channel_id": channel_id, "ts": ts}
            entry.update(text=args.get("text"), blocks=blocks, attachments=attachments, via=WEBHOOK)
            self.posted.append(entry)
            self._messages[(channel_id, ts)] = entry
        return _Reply(200, "ok")

    def _upload(self, file_id: str, body: bytes) -> _Reply:
        with self._lock:
            upload = self._pending_files.get(file_id)
            if upload is None:
                return _Reply(404, "file_not_found")
            upload["content"] = body
        return _Reply(200, f"OK - {len(body)}")


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _valid_metadata(metadata: Any) -> bool:
    """Slack's rule: an object with a string event_type (letters, digits, underscores) and an object payload."""
    return (isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
            and re.fullmatch(r"[A-Za-z0-9_]{1,255}", metadata["event_type"]) is not None
            and isinstance(metadata.get("event_payload", {}), dict))


def _token_kind(token: str) -> str:
    return {"xoxb-": "bot", "xapp-": "app"}.get(token[:5], "user")


def _failure_reply(failure: _Failure, text: bool) -> _Reply:
    """The answer for a scripted failure; `text` for the webhook and uploads, which are not JSON."""
    error = failure.error or ("ratelimited" if failure.status == 429 else "internal_error")
    if text and failure.status == 429 and not failure.error:
        error = "rate_limited"  # the webhook's spelling
    headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
    return _Reply(failure.status, error if text else {"ok": False, "error": error}, headers)


class _SlackHandler(QuietHandler):
    server_version = "mentionwatch-sandbox-slack/1"

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _handle(self) -> None:
        owner: LocalSlackServer = self.server.owner
        arrived = time.time()
        target = urlsplit(self.path)
        if target.path == SOCKET_MODE_PATH:
            owner.socket_mode.serve(self, dict(parse_qsl(target.query)))
            return
        body = self.read_body()

        if target.path.startswith("/api/"):
            method, text = target.path[len("/api/") :], False
        elif target.path == WEBHOOK_PATH:
            method, text = WEBHOOK, True
        elif target.path.startswith("/upload/v1/"):
            method, text = UPLOAD, True
        else:
            self._send(_Reply(404, "not_found"))
            return

        # The upload step carries raw file bytes, whatever Content-Type urllib put on them.
        args: dict[str, Any] = {} if method == UPLOAD else dict(parse_qsl(target.query, keep_blank_values=True))
        content_type = self.headers.get("Content-Type", "")
        is_json = content_type.startswith("application/json")
        reply: _Reply | None = None
        if method == UPLOAD:
            args = {"file_id": target.path.rsplit("/", 1)[-1], "content": body}
        elif is_json and body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                reply = _Reply(400, "invalid_payload") if text else _err("invalid_json")
            else:
                args.update(parsed)
        elif content_type.startswith("multipart/form-data"):
            args.update(_parse_multipart(body, content_type))
        elif body:
            args.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))

        # The token: from the Authorization header, or (not with JSON, as at Slack) a "token"
        # argument. It is removed from args right away so that it is never recorded.
        form_token = args.pop("token", None)
        authorization = self.headers.get("Authorization", "")
        token = authorization[len("Bearer ") :].strip() if authorization.startswith("Bearer ") else None
        if token is None and not is_json:
            token = form_token
        has_token = bool(token or form_token)

        if method == "chat.postMessage" and reply is None:
            # In an open workspace a channel exists once named, even if this call is made to fail.
            with owner._lock:
                owner._resolve(args.get("channel"))
        failure = owner._take_failure(method) if reply is None else None
        if failure is not None:
            if not owner.pause(failure.delay):
                # Stopping: hang up without answering, but keep the call in the record (status 0).
                owner._record(SlackRequest(method, args, redact_headers(self.headers), has_token, 0, None, arrived))
                self.close_connection = True
                return
            if failure.status != 200 or failure.error:
                reply = _failure_reply(failure, text)
            # else: a slow success, carried out below.

        if reply is None:
            if method == WEBHOOK:
                reply = owner._webhook(args)
            elif method == UPLOAD:
                reply = owner._upload(args["file_id"], body)
            elif not token:
                reply = _err("not_authed")
            elif not token.startswith(("xoxb-", "xoxp-", "xapp-")):
                reply = _err("invalid_auth")
            elif _NEEDED_SCOPE.get(method, "") not in owner.scopes + ("",):
                reply = _Reply(200, {"ok": False, "error": "missing_scope", "needed": _NEEDED_SCOPE[method],
                                     "provided": ",".join(owner.scopes)})
            else:
                reply = owner._call(method, args, _token_kind(token))
            if method not in (WEBHOOK, UPLOAD) and token and not token.startswith("xapp-"):
                reply.headers.setdefault("X-OAuth-Scopes", ",".join(owner.scopes))

        lost = owner._take_lost(method) if failure is None else None
        if lost is not None and lost.how == "500":
            reply = _Reply(500, "<html><body>Internal Server Error</body></html>" if text else
                           {"ok": False, "error": "internal_error"})
        # Recorded before answering, so a client that has its response can already see it.
        owner._record(
            SlackRequest(method, args, redact_headers(self.headers), has_token, reply.status, reply.error, arrived)
        )
        if lost is not None and lost.how == "drop":
            self.close_connection = True  # the call was carried out; the answer never leaves
            return
        if lost is not None and lost.how == "timeout" and not owner.pause(lost.delay):
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        if isinstance(reply.payload, dict):
            data = json.dumps(reply.payload).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        else:
            data = reply.payload.encode("utf-8")
            content_type = "text/plain; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


LocalSlackServer.handler_class = _SlackHandler
