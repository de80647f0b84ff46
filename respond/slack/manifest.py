"""The Slack app's manifest, for *Create New App → From an app manifest*: exactly what is used.

Scopes by what needs them: posting alerts and reports into channels (`chat:write`, and
`chat:write.public` so the bot need not be invited to each public channel), reading ✅ reactions
(`reactions:read`: the runs' `reactions.get` and the listener's `reaction_added` event), the
report's chart (`files:write`), looking up a post whose answer was lost (`channels:read`,
`groups:read`, `channels:history`, `groups:history`) and, with buttons, naming who clicked (`users:read` for
`users.info`). With `slack.interactive`, interactivity and the `reaction_added` event are on,
delivered over Socket Mode (`mentionwatch listen`) or to a public request URL
(`mentionwatch listen --http PORT` behind it). Socket Mode's app-level token
(`connections:write`) is made in the app's settings: a manifest cannot ask for it.
"""

from __future__ import annotations

from typing import Any

import yaml

from respond.config import RespondConfig

POSTING = ["chat:write", "chat:write.public", "reactions:read", "files:write"]
# Looking up a post whose answer was lost (alerts.outbox: exactly once): channel IDs and history.
LOOK_UP = ["channels:read", "groups:read", "channels:history", "groups:history"]
INTERACTIVE = ["users:read"]
EVENTS = ["reaction_added"]


def manifest(settings: RespondConfig, name: str = "mentionwatch", request_url: str | None = None) -> dict[str, Any]:
    """The manifest as a mapping; `request_url` (https://.../slack/events) selects HTTP over Socket Mode."""
    interactive = settings.slack.interactive
    scopes = POSTING + LOOK_UP + (INTERACTIVE if interactive else [])
    app_settings: dict[str, Any] = {"org_deploy_enabled": False, "socket_mode_enabled": False,
                                    "token_rotation_enabled": False}
    if interactive:
        events: dict[str, Any] = {"bot_events": list(EVENTS)}
        interactivity: dict[str, Any] = {"is_enabled": True}
        if request_url:
            events = {"request_url": request_url, **events}
            interactivity["request_url"] = request_url
        else:
            app_settings["socket_mode_enabled"] = True
        app_settings = {"event_subscriptions": events, "interactivity": interactivity, **app_settings}
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Public mentions of the business, and what the team did about them.",
            "background_color": "#1d3557",
        },
        "features": {"bot_user": {"display_name": name, "always_online": False}},
        "oauth_config": {"scopes": {"bot": scopes}},
        "settings": app_settings,
    }


def manifest_yaml(settings: RespondConfig, name: str = "mentionwatch", request_url: str | None = None) -> str:
    """The manifest as YAML, in the order Slack's own examples use."""
    return yaml.safe_dump(manifest(settings, name, request_url), sort_keys=False, allow_unicode=True)
