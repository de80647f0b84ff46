"""Slack's interaction and event payloads, shaped as Slack documents them (block_actions,
view_submission, event_callback), built from the alert message the local Slack holds."""

from __future__ import annotations

import itertools
import time
from typing import Any

from mentionwatch.sandbox.slack import HUMAN_USER_ID, TEAM_ID
from mentionwatch.sandbox.socketmode import APP_ID

_counter = itertools.count(1)


def _ts() -> str:
    # action_ts / event_ts: seconds and microseconds, distinct for every call.
    return f"{int(time.time())}.{next(_counter):06d}"


def user(user_id: str = HUMAN_USER_ID) -> dict[str, Any]:
    return {"id": user_id, "username": "owner", "name": "owner", "team_id": TEAM_ID}


def element(message: dict[str, Any], label: str) -> tuple[dict[str, Any], str]:
    """The alert's element with this label (a button's text or a picker's placeholder) and its block_id."""
    for block in message["blocks"]:
        if block["type"] != "actions":
            continue
        for item in block["elements"]:
            if (item.get("text") or item.get("placeholder") or {}).get("text") == label:
                return item, block.get("block_id", "")
    raise AssertionError(f"no element labelled {label!r} in the message")


def labels(message: dict[str, Any]) -> list[str]:
    """The labels of the message's buttons and pickers, in order."""
    found = []
    for block in message["blocks"]:
        if block["type"] == "actions":
            found += [(e.get("text") or e.get("placeholder") or {}).get("text") for e in block["elements"]]
    return found


def click(message: dict[str, Any], label: str, user_id: str = HUMAN_USER_ID, **chosen: Any) -> dict[str, Any]:
    """The block_actions payload of clicking `label` on `message` (a local Slack posted entry)."""
    item, block_id = element(message, label)
    action = {"action_id": item["action_id"], "block_id": block_id, "type": item["type"], "action_ts": _ts()}
    if item["type"] == "button":
        action.update(text=item["text"], value=item.get("value"))
        if item.get("url"):
            action["url"] = item["url"]
    action.update(chosen)  # e.g. selected_user for the user picker
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "local"},
        "user": user(user_id),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": message["channel_id"],
                      "is_ephemeral": False},
        "trigger_id": f"{next(_counter)}.{next(_counter)}.trigger",
        "channel": {"id": message["channel_id"], "name": "reviews"},
        "message": {"type": "message", "ts": message["ts"], "text": message.get("text"),
                    "blocks": message["blocks"]},
        "response_url": f"https://hooks.slack.com/actions/{TEAM_ID}/1/local",
        "actions": [action],
    }


def submit(view: dict[str, Any], text: str, user_id: str = HUMAN_USER_ID) -> dict[str, Any]:
    """The view_submission payload of a modal (as views.open received it) with `text` typed in."""
    state = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            state[block["block_id"]] = {block["element"]["action_id"]: {"type": "plain_text_input", "value": text}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "local"},
        "user": user(user_id),
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"{next(_counter)}.{next(_counter)}.trigger",
        "view": {**view, "team_id": TEAM_ID, "state": {"values": state}, "hash": "h1", "app_id": APP_ID},
        "response_urls": [],
    }


def reaction_added(message: dict[str, Any], reaction: str = "white_check_mark", user_id: str = HUMAN_USER_ID,
                   event_id: str | None = None) -> dict[str, Any]:
    """The Events API callback of someone reacting to `message`."""
    ts = _ts()
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": {"type": "reaction_added", "user": user_id, "reaction": reaction, "item_user": "U0BOT",
                  "item": {"type": "message", "channel": message["channel_id"], "ts": message["ts"]},
                  "event_ts": ts},
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_counter):08d}",
        "event_time": int(float(ts)),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT", "is_bot": True}],
    }
