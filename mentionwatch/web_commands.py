"""The web inbox's commands: `serve` and `user add`, registered on the main group by cli.py."""

from __future__ import annotations

import getpass
import ipaddress
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from pipeline.errors import MentionwatchError

if TYPE_CHECKING:
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
        URL at /slack/events, as `mentionwatch listen --http` does. Stop it with Ctrl-C.

        \b
        Examples:
          mentionwatch serve
          mentionwatch serve --host 0.0.0.0 --port 8080 --schedule 15m
          mentionwatch serve --trusted-header X-Forwarded-User
        """
        import uvicorn
        from sqlalchemy.orm import Session

        from mentionwatch.background import Schedule, fetch_now, parse_interval
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
                             secure_cookies=settings.web.secure_cookies, fetch_now=fetch_now)
        app = build_web_app(settings, engine, options, extra_routes=slack_routes(settings, engine))
        shown = f"[{host}]" if ":" in host else host
        how = (f"people named by the proxy in {trusted_header}" if trusted_header
               else "signed-in users" if users else f"anyone on this machine, as {local_user} (no user configured)")
        click.echo(f"Serving the web inbox on http://{shown}:{port}/ for {how}.", err=True)
        runs = None
        if interval is not None:
            assert settings.path is not None
            runs = Schedule(settings.path, interval)
            runs.start()
            click.echo(f"Crawling every {interval // 60} min in this process.", err=True)
        try:
            # Behind a proxy on this machine, X-Forwarded-Proto tells the app a request was https
            # (so cookies are marked Secure); uvicorn trusts it only from 127.0.0.1.
            uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                        log_level="warning", server_header=False)
        finally:
            if runs is not None:
                runs.stop()
            engine.dispose()

    @cli.group()
    def user() -> None:
        """Manage who may sign in to the web inbox (`mentionwatch serve`).

        \b
        Example:
          mentionwatch user add dana
        """

    @user.command(name="add")
    @config_option
    @click.argument("name")
    @click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input "
                  "(for scripts) instead of prompting twice.")
    def add(settings: Settings, name: str, password_stdin: bool) -> None:
        """Add a user who may sign in to the web inbox, or set a new password for one.

        The password is asked twice (at least 10 characters) and stored as an argon2id hash;
        a new password signs the user out of every browser.

        \b
        Examples:
          mentionwatch user add dana
          printf '%s\\n' "$PASSWORD" | mentionwatch user add ci-bot --password-stdin
        """
        from sqlalchemy.orm import Session

        from pipeline.store import open_engine
        from respond.web.auth import add_user

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        engine = open_engine(settings.database_url())
        try:
            with Session(engine) as session:
                user = add_user(session, name, password)
                session.commit()
                click.echo(f"user {user.name} can sign in to the web inbox")
        finally:
            engine.dispose()
