"""Slack's request URL on the web server: /slack/events, answered by the Slack listener's bolt app.

When Slack's interactivity runs in HTTP mode (a bot token and a signing secret are configured),
Slack posts button clicks, the Reply form and events to one public URL. The web inbox's server
already is one, so it answers there too: the same handlers as `mentionwatch listen`
(respond.slack), with every request's signature verified by bolt (401 otherwise).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from starlette.routing import Route

from respond.config import RespondConfig


def slack_routes(settings: RespondConfig, engine: Engine) -> list[Any]:
    """The /slack/events route, when a bot token and a signing secret are configured; else none."""
    if settings.slack.token is None or settings.slack.signing_secret is None:
        return []
    from respond.slack.app import SLACK_EVENTS_PATH, asgi_handler, build_app

    app = build_app(settings, sessionmaker(engine, expire_on_commit=False))
    return [Route(SLACK_EVENTS_PATH, asgi_handler(app), methods=["POST"])]
