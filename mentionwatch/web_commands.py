"""The web inbox's commands: `serve` and `user` (add, list, remove, token), registered on the main group by cli.py."""

from __future__ import annotations

import getpass
import ipaddress
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

from pipeline.errors import MentionwatchError

if TYPE_CHECKING:
    import uvicorn

    from crawlers.interrupt import Interruption
    from mentionwatch.config import Settings


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_refusal(host: str, has_users: bool, trusted_header: str | None) -> str | None:
    """Why serving on `host` would be unsafe, or None when it is fine."""
    if is_loopback(host):
        return None
    if trusted_header:
        return (f"refusing to serve on {host} with --trusted-header: anyone who can reach {host} could send "
                f"{trusted_header} and be whoever they name. Serve on 127.0.0.1 behind the proxy that signs "
                "people in.")
    if not has_users:
        return (f"refusing to serve on {host}: no user is configured, so anyone who can reach {host} could read "
                "and change every mention. Add one with `mentionwatch user add NAME` (or serve on 127.0.0.1).")
    return None



def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (IPv6 when the host is), as uvicorn would open it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def stoppable_server(config: uvicorn.Config, interruption: Interruption) -> uvicorn.Server:
    """uvicorn's server, its SIGINT and SIGTERM handled by `interruption` (uvicorn is imported here:
    `mentionwatch --help` and the other commands never load it)."""
    import uvicorn

    class StoppableServer(uvicorn.Server):
        """uvicorn's server, whose SIGINT and SIGTERM go to `serve`'s own handling (crawlers.interrupt):
        uvicorn would keep them until it has shut down, then raise them again, while the scheduled
        run went on crawling; and it would take a second SIGTERM as nothing."""

        def __init__(self, config: uvicorn.Config, interruption: Interruption):
            super().__init__(config)
            self.interruption = interruption

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            self.interruption.handle(sig, frame)

    return StoppableServer(config, interruption)


def register(cli: click.Group, config_option: Callable[..., Any]) -> None:
    """Add `serve` and `user` to `cli`; `config_option` is cli.py's decorator that loads the settings."""

    @cli.command()
    @config_option
    @click.option("--host", help="Address to listen on (default: web.host from the config, else 127.0.0.1). "
                  "Anything but 127.0.0.1 needs a user (`mentionwatch user add`).")
    @click.option("--port", type=click.IntRange(1, 65535), help="Port (default: web.port, else 8787).")
    @click.option("--trusted-header", metavar="HEADER",
                  help="Behind a reverse proxy that signs people in: take the user's name from this request "
                  "header (e.g. X-Forwarded-User) instead of our own sign-in. Only on 127.0.0.1.")
    @click.option("--schedule", metavar="EVERY",
                  help="Also crawl on a schedule in this process (e.g. 15m, 1h), under the same lock as a run "
                  "from cron; the first run starts at once.")
    def serve(settings: Settings, host: str | None, port: int | None, trusted_header: str | None,
              schedule: str | None) -> None:
        """Serve the web inbox: triage, search and trends in the browser.

        Pages: Inbox (open negative and urgent mentions, with Handled / Not about us / Assign /
        Reply), Mentions (filters and full-text search), each mention's page, Trends, Sources
        (with "fetch now") and the weekly reports. People sign in with the users made by
        `mentionwatch user add`; with no user at all it serves 127.0.0.1 only, to whoever is on
        this machine. With a Slack bot token and signing secret it also answers Slack's request
        URL at /slack/events, as `mentionwatch listen --http` does. With --schedule and
        `streams: bluesky:` or `streams: mastodon:` in the config it also holds Bluesky's
        Jetstream and the Mastodon instances' streams, as `listen` does.
        Ctrl-C (SIGINT) or SIGTERM stops it within seconds, a scheduled run in progress as `run`
        stops (exit 130 or 143); a second signal ends it at once.

        \b
        Examples:
          mentionwatch serve
          mentionwatch serve --host 0.0.0.0 --port 8080 --schedule 15m
          mentionwatch serve --trusted-header X-Forwarded-User
        """
        import uvicorn
        from sqlalchemy.orm import Session

        from crawlers.interrupt import interruptible
        from mentionwatch.background import Schedule, fetch_now, parse_interval
        from mentionwatch.live_streams import LiveStreams
        from mentionwatch.stop import stopped
        from pipeline.store import open_engine
        from respond.web.app import WebOptions, build_web_app
        from respond.web.auth import has_users
        from respond.web.slack_mount import slack_routes

        host = host or settings.web.host
        port = port or settings.web.port
        trusted_header = trusted_header or settings.web.trusted_header
        interval = parse_interval(schedule) if schedule else None
        engine = open_engine(settings.database_url())
        with Session(engine) as session:
            users = has_users(session)
        refusal = serve_refusal(host, users, trusted_header)
        if refusal:
            engine.dispose()
            raise MentionwatchError(refusal)
        local_user = None if users or trusted_header else (getpass.getuser() or "local")
        options = WebOptions(trusted_header=trusted_header, local_user=local_user,
                             secure_cookies=settings.web.secure_cookies, public_url=settings.web.url,
                             fetch_now=fetch_now)
        app = build_web_app(settings, engine, options, extra_routes=slack_routes(settings, engine))
        shown = f"[{host}]" if ":" in host else host
        try:
            # Bound here, before "Serving ..." is said: a busy port is one plain error, exit 1.
            listening = bind(host, port)
        except OSError as exc:
            engine.dispose()
            raise MentionwatchError(f"cannot listen on {shown}:{port}: {exc.strerror or exc} (is another "
                                    "`mentionwatch serve` running? choose another port with --port or web.port)"
                                    ) from None
        how = (f"people named by the proxy in {trusted_header}" if trusted_header
               else "signed-in users" if users else f"anyone on this machine, as {local_user} (no user configured)")
        click.echo(f"Serving the web inbox on http://{shown}:{port}/ for {how}.", err=True)
        assert interval is None or settings.path is not None
        runs = Schedule(settings.path, interval) if interval is not None else None  # type: ignore[arg-type]
        live = None
        server: uvicorn.Server | None = None

        def stop_serving() -> None:
            # The first SIGINT or SIGTERM: the web server closes, and the scheduled run in
            # progress (in its own process) is told to stop as `mentionwatch run` stops.
            if runs is not None:
                runs.stop(interruption.signum or signal.SIGTERM)
            if server is not None:
                server.should_exit = True

        # As `run` takes them: the first signal stops everything within seconds, a second ends
        # the process (and the scheduled run's) at once.
        with interruptible(before_exit=runs.kill if runs is not None else None) as interruption:
            kept = None
            try:
                if runs is not None:
                    runs.start()
                    click.echo(f"Crawling every {interval // 60} min in this process.", err=True)  # type: ignore[operator]
                if interval is not None and LiveStreams.wanted(settings):
                    live = LiveStreams(settings)
                    live.start()
                    click.echo(f"Reading {LiveStreams.description(settings)} as it happens.", err=True)
                # Forwarded headers (X-Forwarded-For, -Proto) are believed only from the configured proxy
                # in trusted-header mode; otherwise the connection's own address and scheme stand, so a
                # client cannot pick the address the sign-in limit counts it by.
                server = stoppable_server(uvicorn.Config(app, proxy_headers=bool(trusted_header),
                                                         forwarded_allow_ips=settings.web.proxy if trusted_header else "",
                                                         log_level="warning", server_header=False), interruption)
                interruption.on_stop(stop_serving)  # at once if a signal came already
                server.run(sockets=[listening])
            finally:
                interruption.on_stop(None)
                if live is not None:
                    live.stop()
                if runs is not None:
                    runs.stop(interruption.signum or signal.SIGTERM)
                    kept = runs.wait()
                engine.dispose()
        if interruption.requested:
            if kept:  # one line, as `run` says it: what the scheduled run kept
                click.echo(f"stopped by {interruption.name}: the scheduled run {kept}", err=True)
                sys.exit(interruption.exit_code)
            stopped(interruption.signum)  # type: ignore[arg-type]

    @cli.group()
    def user() -> None:
        """Manage who may sign in to the web inbox (`mentionwatch serve`).

        \b
        Examples:
          mentionwatch user add dana
          mentionwatch user list
          mentionwatch user token dana
        """

    @user.command(name="add")
    @config_option
    @click.argument("name")
    @click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input "
                  "(for scripts) instead of prompting twice.")
    @click.option("--client", "client", metavar="CLIENT", default=None,
                  help="An agency's client (a name under clients: in config.yaml): the user sees only its "
                       "businesses, everywhere in the web inbox and the API. Without it: every business.")
    def add(settings: Settings, name: str, password_stdin: bool, client: str | None) -> None:
        """Add a user who may sign in to the web inbox, or set a new password for one.

        The password is asked twice (at least 10 characters) and stored as an argon2id hash;
        a new password signs the user out of every browser. With --client the user belongs to
        one of an agency's clients and sees only that client's businesses (run it again without
        --client to let them see everything).

        \b
        Examples:
          mentionwatch user add dana
          printf '%s\\n' "$PASSWORD" | mentionwatch user add ci-bot --password-stdin
        """
        from sqlalchemy.orm import Session

        from pipeline.store import open_engine
        from respond.web.auth import add_user

        clients = [c.name for c in settings.clients]
        if client is not None and client not in clients:
            raise click.BadParameter(f"{client!r} is not one of the clients in {settings.path} "
                                     f"({', '.join(clients) or 'there are none: add clients: first'})",
                                     param_hint="--client")
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        engine = open_engine(settings.database_url())
        try:
            with Session(engine) as session:
                user = add_user(session, name, password, client)
                session.commit()
                seen = f" and sees the businesses of client {client}" if client else ""
                click.echo(f"user {user.name} can sign in to the web inbox{seen}")
        finally:
            engine.dispose()

    @user.command(name="list")
    @config_option
    def list_(settings: Settings) -> None:
        """List who may sign in to the web inbox, with when each last signed in.

        \b
        Example:
          mentionwatch user list
        """
        from sqlalchemy.orm import Session

        from alerts.when import local_time
        from pipeline.store import open_engine
        from respond.web.auth import list_users

        zones = {b.timezone for b in settings.businesses}
        zone = zones.pop() if len(zones) == 1 else "UTC"
        engine = open_engine(settings.database_url())
        try:
            with Session(engine) as session:
                users = list_users(session)
        finally:
            engine.dispose()
        for found in users:
            last = local_time(found.last_login_at, zone) if found.last_login_at else "never"
            client = f"\tclient {found.client}" if found.client else ""
            click.echo(f"{found.name}\tadded {local_time(found.created_at, zone)}\tlast signed in {last}{client}")
        if not users:
            click.echo("No users: `mentionwatch serve` serves 127.0.0.1 only. Add one with "
                       "`mentionwatch user add NAME`.", err=True)

    @user.command(name="remove")
    @config_option
    @click.argument("name")
    def remove(settings: Settings, name: str) -> None:
        """Remove a user: they can no longer sign in, and their browsers are signed out.

        \b
        Example:
          mentionwatch user remove dana
        """
        from sqlalchemy.orm import Session

        from pipeline.store import open_engine
        from respond.web.auth import remove_user

        engine = open_engine(settings.database_url())
        try:
            with Session(engine) as session:
                remove_user(session, name)
                session.commit()
        finally:
            engine.dispose()
        click.echo(f"user {name} removed; they are signed out everywhere")

    @user.command(name="token")
    @config_option
    @click.argument("name")
    def token(settings: Settings, name: str) -> None:
        """Make a new token for the read-only JSON API (/api/mentions) for user NAME, and print it.

        The token is shown once and stored only as its SHA-256; a new one replaces the old,
        which stops working at once. Send it as `Authorization: Bearer TOKEN`.

        \b
        Example:
          mentionwatch user token dana
        """
        from sqlalchemy.orm import Session

        from pipeline.store import open_engine
        from respond.web.auth import new_api_token

        engine = open_engine(settings.database_url())
        try:
            with Session(engine) as session:
                made = new_api_token(session, name)
                session.commit()
        finally:
            engine.dispose()
        click.echo(made)
