"""`check` per agency client (`clients:`): its businesses, its Slack, its report recipients,
its notify: destinations and its web users, each client under its own heading."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from mentionwatch.config import Settings
from mentionwatch.slack_checks import BAD, INFO, OK, check_workspace
from pipeline.errors import MentionwatchError


def check_clients(settings: Settings, console: Console) -> bool:
    """Print a few lines per client; return False when a client's own Slack does not work."""
    if not settings.clients:
        return True
    from alerts.notify import destinations_for

    users = _users_by_client(settings)
    healthy = True
    for client in settings.clients:
        names = [b.name for b in settings.businesses if b.client == client.name]
        plural = "business" if len(names) == 1 else "businesses"
        console.print(f"[bold]client {escape(client.name)}[/]: {len(names)} {plural} ({escape(', '.join(names))})")
        slack = client.slack_settings(settings.slack)
        label = f"client {client.name}: slack"
        if client.slack.token is not None:
            healthy &= check_workspace(slack, label, console)
        elif {"token", "webhook_url"} & client.slack.model_fields_set:
            console.print(f"{BAD} {escape(label)}: its token is written but empty (is its variable exported where "
                          "mentionwatch runs?): until then its alerts go to the agency's workspace")
            healthy = False
        elif client.slack.webhook_url is not None:
            console.print(f"{INFO} {escape(label)}: its own incoming webhook (posting only, to the webhook's channel)")
        else:
            console.print(f"{INFO} {escape(label)}: no workspace of its own: the agency's (slack:), "
                          f"alerts to {escape(slack.channel)}")
        recipients = settings.report_recipients(client)
        if settings.report.email is None:
            where = "no e-mail (report.email is not configured)"
        elif recipients:
            where = f"e-mailed to {', '.join(recipients)}"
        else:
            where = "no e-mail (report_to: [])"
        console.print(f"{INFO} client {escape(client.name)}: weekly report {escape(where)}")
        first = next(b for b in settings.businesses if b.client == client.name)
        if first.notify is None:
            shown = ", ".join(d.label for d in destinations_for(settings, first)) or "none"
            console.print(f"{INFO} client {escape(client.name)}: notify: {escape(shown)}")
        if users is None:
            continue  # the database line above says why
        seen = users.get(client.name, [])
        console.print(f"{OK if seen else INFO} client {escape(client.name)}: web users "
                      + (escape(", ".join(seen)) if seen else
                         f"none (add one: mentionwatch user add NAME --client {escape(client.name)})"))
    stray = sorted(set(users or {}) - {c.name for c in settings.clients} - {None})  # type: ignore[arg-type]
    for name in stray:
        # Users of a client no longer in config.yaml see nothing (never everything).
        console.print(f"{BAD} web users of client {escape(str(name))}, which is not in clients: any more, see nothing: "
                      f"{escape(', '.join(users[name]))}")  # type: ignore[index]
    return healthy


def _users_by_client(settings: Settings) -> dict[str | None, list[str]] | None:
    """The web users by client (None: the agency's own), or None when the database cannot be read."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from pipeline.models import WebUser
    from pipeline.store import open_engine

    try:
        engine = open_engine(settings.database_url())
    except MentionwatchError:
        return None
    try:
        with Session(engine) as session:
            found: dict[str | None, list[str]] = {}
            for name, client in session.execute(select(WebUser.name, WebUser.client).order_by(WebUser.name)):
                found.setdefault(client, []).append(name)
            return found
    finally:
        engine.dispose()
