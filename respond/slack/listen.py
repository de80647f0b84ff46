"""`mentionwatch listen`: the bolt App over Socket Mode (no public URL needed) or over HTTP.

Both run until SIGTERM or Ctrl-C and then stop cleanly (exit 0). Socket Mode reconnects on its
own (slack-sdk's client: Slack's `disconnect` messages, dropped or stale connections). While
listening, alert updates that failed earlier are retried every minute.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError

from alerts.status import refresh_due_alerts
from respond.config import RespondConfig
from respond.slack.app import (
    SLACK_EVENTS_PATH,
    ListenerError,
    SessionFactory,
    wsgi_handler,
)

log = logging.getLogger("respond.slack")

RETRY_EVERY = 60.0  # seconds between retries of alert updates that failed


@contextmanager
def socket_mode(app: App, settings: RespondConfig, ping_interval: float = 10) -> Iterator[SocketModeHandler]:
    """A connected Socket Mode handler for `app`, closed on exit."""
    if settings.slack.app_token is None:
        raise ListenerError("Socket Mode needs an app-level token (xapp-...) with connections:write: set "
                            "SLACK_APP_TOKEN, or run `mentionwatch listen --http PORT`")
    token = settings.slack.app_token.get_secret_value()
    if not token.startswith("xapp-"):
        raise ListenerError("SLACK_APP_TOKEN is not an app-level token (it starts with xapp-)")
    socket_log = logging.getLogger("respond.slack.socket")
    handler = SocketModeHandler(app, token, web_client=app.client, ping_interval=ping_interval, logger=socket_log)
    # A failure of the first connection is said once, as the command's error; later ones are logged.
    socket_log.disabled = True
    try:
        handler.connect()
    except SlackApiError as exc:
        handler.close()
        raise ListenerError(f"Slack refused the app-level token: {exc.response.get('error')}") from None
    except (SlackClientError, OSError) as exc:
        handler.close()
        raise ListenerError(f"cannot reach Slack to open a Socket Mode connection: {type(exc).__name__}") from None
    finally:
        socket_log.disabled = False
    try:
        yield handler
    finally:
        handler.close()


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # Slack's requests are short; none keeps the process from stopping
    # socketserver's default of 5 waiting connections resets some of a burst (Slack retries, a
    # channel clicking at once); the kernel caps it at its own somaxconn anyway.
    request_queue_size = 1024


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        log.debug("http: " + format, *args)


@contextmanager
def http(app: App, host: str, port: int) -> Iterator[WSGIServer]:
    """An HTTP server answering Slack at /slack/events on host:port (0: any free port), in a thread."""
    try:
        server = make_server(host, port, wsgi_handler(app), server_class=_ThreadingWSGIServer,
                             handler_class=_QuietHandler)
    except OSError as exc:
        raise ListenerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="slack-http")
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def wait_for_stop(app: App, settings: RespondConfig, sessions: SessionFactory) -> None:
    """Block until SIGTERM or SIGINT; retry failed alert updates meanwhile."""
    stop = threading.Event()

    def stop_now(signum: int, frame: Any) -> None:
        log.info("stopping (%s)", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, stop_now) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stop.wait(RETRY_EVERY):
            with sessions() as session:
                refreshed = refresh_due_alerts(session, {getattr(app, "workspace", None): app.client}, settings)
            for problem in refreshed.problems:
                log.warning("%s", problem)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = ["SLACK_EVENTS_PATH", "http", "socket_mode", "wait_for_stop"]
