"""The Slack app's commands: `listen` (the buttons' and reactions' listener) and `slack-manifest`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from pipeline.errors import MentionwatchError

if TYPE_CHECKING:
    from mentionwatch.config import Settings


def register(cli: click.Group, config_option: Callable[..., Any]) -> None:
    """Add the commands to `cli`; `config_option` is cli.py's decorator that loads the settings."""

    @cli.command()
    @config_option
    @click.option("--http", "port", type=click.IntRange(0, 65535), default=None, metavar="PORT",
                  help="Answer Slack's request URL at /slack/events on this port instead of Socket Mode "
                  "(needs SLACK_SIGNING_SECRET; 0 picks a free port).")
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="With --http: the address to listen on (put a TLS reverse proxy in front).")
    @click.option("--client", "client", metavar="CLIENT", default=None,
                  help="Listen to an agency client's own Slack workspace (clients[].slack.token): act only on "
                       "its businesses' alerts, refuse every other workspace's requests.")
    def listen(settings: Settings, port: int | None, host: str, client: str | None) -> None:
        """Act on alerts from Slack: the buttons, the reply form and ✅ reactions, as they happen.

        By default over Socket Mode: no public URL needed, only an app-level token (xapp-...,
        scope connections:write) in SLACK_APP_TOKEN beside the bot token. It reconnects on its
        own, logs one line per action on stderr, and stops cleanly on SIGTERM or Ctrl-C (exit 0).
        With --http PORT it answers Slack's request URL at /slack/events instead, verifying each
        request's signature with SLACK_SIGNING_SECRET (a bad or old one gets 401). Exits 1 when a
        token or the secret is missing or refused. With `streams: bluesky:` or `streams:
        mastodon:` in the config it also holds Bluesky's Jetstream and the Mastodon instances'
        streams, and alerts a post that names a business within seconds. An agency whose clients
        have their own Slack workspaces runs one listener per workspace (--client NAME), each
        acting only on its client's mentions.

        \b
        Examples:
          SLACK_APP_TOKEN=xapp-... mentionwatch listen
          SLACK_SIGNING_SECRET=... mentionwatch listen --http 3000
        """
        from mentionwatch.live_streams import LiveStreams
        from respond.slack.app import build_app, session_factory, workspace_settings

        # One line per action is the point of this command: at least INFO, whatever -v says.
        for handler in logging.getLogger().handlers:
            handler.setLevel(min(handler.level, logging.INFO))
        logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
        logging.getLogger("alembic").setLevel(logging.WARNING)  # the store's schema check is no news
        listening = workspace_settings(settings, client)  # the client's workspace, with the app's credentials
        if port is not None and listening.slack.signing_secret is None:
            raise MentionwatchError("--http needs the app's signing secret: set SLACK_SIGNING_SECRET "
                                    "(Basic Information → App Credentials)")
        if port is None and listening.slack.app_token is None:
            raise MentionwatchError("Socket Mode needs an app-level token (xapp-...) with connections:write in "
                                    "SLACK_APP_TOKEN; or answer a public request URL with --http PORT")
        if port is None and not listening.slack.app_token.get_secret_value().startswith("xapp-"):
            raise MentionwatchError("SLACK_APP_TOKEN is not an app-level token (it starts with xapp-)")
        sessions = session_factory(settings)
        app = build_app(settings, sessions, client=client)
        # The live streams are held once, by the top-level listener.
        live = LiveStreams(settings) if client is None and LiveStreams.wanted(settings) else None
        if live is not None:
            live.start()
            click.echo(f"reading {LiveStreams.description(settings)} as it happens", err=True)
        try:
            _serve_actions(app, listening, sessions, port, host)
        finally:
            if live is not None:
                live.stop()
        click.echo("stopped", err=True)

    @cli.command(name="slack-manifest")
    @config_option
    @click.option("--request-url", metavar="URL",
                  help="Slack's requests go to this public URL (https://.../slack/events, served by "
                  "`listen --http`) instead of Socket Mode.")
    @click.option("--name", default="mentionwatch", show_default=True, help="The app's name in Slack.")
    def slack_manifest(settings: Settings, request_url: str | None, name: str) -> None:
        """Print the Slack app's manifest (YAML) for the features config.yaml uses.

        Paste it at https://api.slack.com/apps → Create New App → From an app manifest. It asks
        for exactly the bot scopes used (posting, reactions, the report's chart, and with
        slack.interactive the names of who clicked), the reaction_added event and
        interactivity, over Socket Mode unless --request-url is given.

        \b
        Examples:
          mentionwatch slack-manifest > manifest.yaml
          mentionwatch slack-manifest --request-url https://mw.example.com/slack/events
        """
        from respond.slack.manifest import manifest_yaml

        if not 1 <= len(name.strip()) <= 35:
            raise click.BadParameter("Slack takes an app name of 1 to 35 characters", param_hint="--name")
        if request_url is not None and not request_url.startswith("https://"):
            raise click.BadParameter("Slack sends requests only to https:// URLs", param_hint="--request-url")
        click.echo(manifest_yaml(settings, name, request_url), nl=False)


def _serve_actions(app: Any, settings: Settings, sessions: Any, port: int | None, host: str) -> None:
    """Socket Mode, or HTTP on `port`, until SIGTERM or Ctrl-C."""
    from respond.slack.listen import http, socket_mode, wait_for_stop

    if port is None:
        with socket_mode(app, settings):
            click.echo("listening for Slack actions over Socket Mode; stop with Ctrl-C or SIGTERM", err=True)
            wait_for_stop(app, settings, sessions)
    else:
        with http(app, host, port) as server:
            bound_host, bound_port = server.server_address[:2]
            click.echo(f"listening for Slack actions on http://{bound_host}:{bound_port}/slack/events; "
                       "stop with Ctrl-C or SIGTERM", err=True)
            wait_for_stop(app, settings, sessions)
