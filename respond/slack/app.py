"""The bolt App: Slack's requests in, respond.actions called, the alert updated in place."""

from __future__ import annotations

import logging
import secrets

from slack_bolt import App, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError
from sqlalchemy.orm import Session, sessionmaker

from alerts.slack import make_client
from pipeline.errors import MentionwatchError
from pipeline.store import open_engine
from respond.config import RespondConfig
from respond.slack.gate import SlackGate, gated_asgi, gated_wsgi
from respond.slack.handlers import SessionFactory, register

SLACK_EVENTS_PATH = "/slack/events"  # bolt's default request URL path


class ListenerError(MentionwatchError):
    """The listener cannot start: a missing or refused token or secret."""


def session_factory(settings: RespondConfig) -> sessionmaker[Session]:
    """Sessions on the configured database; objects stay readable after commit."""
    return sessionmaker(open_engine(settings.database_url()), expire_on_commit=False)


def workspace_settings(settings: RespondConfig, client: str | None) -> RespondConfig:
    """The settings as an agency client's listener sees them: its Slack workspace's token (and
    channels) in place of the top-level slack:, the app's credentials (app token, signing secret)
    shared, as one Slack app is installed in each client's workspace."""
    if client is None:
        return settings
    found = next((c for c in settings.clients if c.name == client), None)
    if found is None or found.workspace is None:
        names = ", ".join(c.name for c in settings.clients if c.workspace is not None) or "none"
        raise ListenerError(f"client {client!r} has no Slack workspace of its own (clients with one: {names}); "
                            "its alerts go to the top-level slack:, whose listener acts on them")
    return settings.model_copy(update={"slack": settings.slack_for(found)})


def build_app(settings: RespondConfig, sessions: SessionFactory, *, verify_token: bool = True,
              client: str | None = None) -> GatedApp:
    """The bolt App with mentionwatch's handlers, for Socket Mode or HTTP alike.

    `client`: an agency client with its own Slack workspace: the app uses its token, refuses
    requests from any other workspace, and acts only on that client's mentions (without it: the
    top-level slack: and the mentions of every business without a workspace of its own).

    Needs the bot token (slack.token); the signing secret (slack.signing_secret) is required for
    HTTP requests, whose signatures bolt verifies (a bad or old one gets 401 and changes nothing).
    `verify_token` calls auth.test once, so a wrong token is said at start rather than at a click.
    """

    workspace = client
    settings = workspace_settings(settings, client)
    if settings.slack.token is None:
        raise ListenerError("slack.token (SLACK_BOT_TOKEN) is not set: the listener needs the bot token "
                            "to update alerts")
    # Without a configured secret, HTTP requests must never verify (bolt would accept an HMAC made
    # with an empty key): an unguessable one stands in. Socket Mode needs none.
    secret = (settings.slack.signing_secret.get_secret_value() if settings.slack.signing_secret
              else secrets.token_hex(32))
    try:
        bolt_log = logging.getLogger("respond.slack.bolt")
        bolt_log.addFilter(_not_token_unused)
        app = GatedApp(client=make_client(settings.slack), signing_secret=secret,
                       token_verification_enabled=verify_token,
                       request_verification_enabled=True,
                       logger=bolt_log)
        # The workspace the bot token belongs to: requests signed for any other are refused.
        team_id = app.client.auth_test().get("team_id") if verify_token else None
        app.gate = SlackGate(secret, team_id)
        if team_id:
            app.middleware(_only_workspace(team_id))
    except BoltError as exc:
        raise ListenerError(f"Slack refused the bot token: {_reason(exc)}") from None
    except (SlackClientError, OSError) as exc:
        raise ListenerError(f"cannot reach Slack at {settings.slack.api_url}: {type(exc).__name__}") from None
    register(app, settings, sessions, workspace)
    app.workspace = workspace
    return app


def _only_workspace(team_id: str):  # type: ignore[no-untyped-def]
    """Bolt middleware for Socket Mode (HTTP requests are refused earlier, by the gate): an app
    installed in several workspaces hears them all on one connection; another team's click is
    acknowledged and ignored, never acted on."""

    def only_workspace(context, next):  # type: ignore[no-untyped-def]  # noqa: A002 - bolt's names
        if context.team_id and context.team_id != team_id:
            logging.getLogger("respond.slack").info("slack: ignored a request from another Slack workspace (%s)",
                                                    str(context.team_id)[:40])
            return BoltResponse(status=200, body="")
        return next()

    return only_workspace


def _not_token_unused(record: logging.LogRecord) -> bool:
    """bolt reads SLACK_BOT_TOKEN from the environment itself and, given our client (built from the
    config, or from a client's own token with --client), warns that the variable goes unused: a
    warning about nothing, which read as "the client's token is not used"."""
    return "will be unused" not in record.getMessage()


class GatedApp(App):
    """bolt's App with the gate its HTTP requests pass first (respond/slack/gate.py)."""

    gate: SlackGate
    workspace: str | None = None
    """The Slack workspace it listens to: None for the top-level slack:, else an agency client's name."""


def asgi_handler(app: GatedApp, path: str = SLACK_EVENTS_PATH):  # type: ignore[no-untyped-def]
    """An ASGI application answering Slack's requests at `path` (for the web inbox's server to mount):
    body capped, signature and workspace checked before bolt parses anything."""
    from slack_bolt.adapter.asgi import SlackRequestHandler

    return gated_asgi(app.gate, SlackRequestHandler(app, path=path))


def wsgi_handler(app: GatedApp, path: str = SLACK_EVENTS_PATH):  # type: ignore[no-untyped-def]
    """A WSGI application answering Slack's requests at `path` (what `listen --http` serves), gated
    as `asgi_handler`."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    return gated_wsgi(app.gate, SlackRequestHandler(app, path=path))


def _reason(exc: BoltError) -> str:
    text = str(exc)
    # bolt says "... auth.test API call result is unexpectedly None / {'ok': False, 'error': ...}"
    for word in ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "not_allowed_token_type"):
        if word in text:
            return word
    return text.splitlines()[0][:200]
