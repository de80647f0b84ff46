"""Slack's request URL on the web server: /slack/events, when the Slack listener exists and runs in HTTP mode."""

from __future__ import annotations

from typing import Any

from mentionwatch.config import Settings


def slack_routes(settings: Settings) -> list[Any]:
    """Routes answering Slack's interactivity and events requests; none until respond.slack is there."""
    return []
