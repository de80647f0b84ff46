"""The team's commands on mentions: `handle`, `reopen`, `dismiss`, `restore`, `assign`, `snooze`.

Each is a thin door onto respond.actions (the same functions the Slack buttons and the web inbox
call), so the history of a mention is the same whoever acted and wherever.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from pipeline.errors import MentionwatchError

if TYPE_CHECKING:
    from mentionwatch.config import Settings


def apply_to_each(settings: Settings, ids: tuple[int, ...], act: Callable[..., Any]) -> None:
    """Run `act(session, mention_id)` for every id, print each outcome, commit; exit 1 for unknown ids."""
    from sqlalchemy.orm import Session

    from pipeline.store import open_engine
    from respond.actions import NoSuchMention

    engine = open_engine(settings.database_url())
    unknown = []
    try:
        with Session(engine) as session:
            for mention_id in ids:
                try:
                    outcome = act(session, mention_id)
                except NoSuchMention:
                    unknown.append(str(mention_id))
                    continue
                click.echo(f"mention {mention_id}: {outcome.summary[0].lower()}{outcome.summary[1:]}")
            session.commit()
            _update_alerts(settings, session, list(ids))
    finally:
        engine.dispose()
    if unknown:
        others = " (the others were done)" if len(unknown) < len(ids) else ""
        raise MentionwatchError(f"no mention with id{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}{others}")


def _update_alerts(settings: Settings, session: Any, ids: list[int]) -> None:
    """With a bot token, show the change on the mentions' Slack alerts now rather than at the next run."""
    from alerts.slack import make_clients
    from alerts.status import refresh_due_alerts

    clients = make_clients(settings)  # the top-level workspace's, and each agency client's own
    if not clients:
        return
    for problem in refresh_due_alerts(session, clients, settings, mention_ids=ids).problems:
        click.echo(f"note: {problem} (the next run updates the alert)", err=True)


class _Actions:
    """respond.actions, imported when a command first acts (not when the CLI starts)."""

    def __getattr__(self, name: str) -> Any:
        from respond import actions

        return getattr(actions, name)


def register(cli: click.Group, config_option: Callable[..., Any]) -> None:
    """Add the commands to `cli`; `config_option` is cli.py's decorator that loads the settings."""
    actions = _Actions()

    ids_argument = click.argument("ids", nargs=-1, type=int, required=True)
    by_option = click.option("--by", default="cli", show_default=True,
                             help="Who did it, as the mention's history and the report show it.")

    @cli.command()
    @config_option
    @ids_argument
    @by_option
    def handle(settings: Settings, ids: tuple[int, ...], by: str) -> None:
        """Mark mentions handled (as the Handled button or a ✅ reaction does).

        IDS are mention ids, as shown in alerts and by `mentionwatch mentions`. Handled urgent
        mentions are not raised again, and the report counts how fast mentions were handled.
        Exits 1 if an id is unknown (the others are still marked).

        \b
        Example:
          mentionwatch handle 42 43 --by dana
        """
        apply_to_each(settings, ids, lambda session, mention_id: actions.handle(session, mention_id, by, via="cli"))

    @cli.command()
    @config_option
    @ids_argument
    @by_option
    def reopen(settings: Settings, ids: tuple[int, ...], by: str) -> None:
        """Open handled mentions again.

        \b
        Example:
          mentionwatch reopen 42 --by dana
        """
        apply_to_each(settings, ids, lambda session, mention_id: actions.reopen(session, mention_id, by, via="cli"))

    @cli.command()
    @config_option
    @ids_argument
    @by_option
    def dismiss(settings: Settings, ids: tuple[int, ...], by: str) -> None:
        """Dismiss mentions as not about this business.

        Dismissed mentions leave the inbox and the reports, and `check` uses them to suggest
        `exclude:` / `require_any:` terms. `mentionwatch restore ID` undoes it.

        \b
        Example:
          mentionwatch dismiss 42 --by dana
        """
        apply_to_each(settings, ids, lambda session, mention_id: actions.dismiss(session, mention_id, by, via="cli"))

    @cli.command()
    @config_option
    @ids_argument
    @by_option
    def restore(settings: Settings, ids: tuple[int, ...], by: str) -> None:
        """Undo `dismiss`: the mentions are about this business after all.

        \b
        Example:
          mentionwatch restore 42 --by dana
        """
        apply_to_each(settings, ids, lambda session, mention_id: actions.restore(session, mention_id, by, via="cli"))

    @cli.command()
    @config_option
    @ids_argument
    @click.option("--to", "assignee", required=True, help="Who should respond (a name or a Slack user id); "
                  "an empty value unassigns.")
    @by_option
    def assign(settings: Settings, ids: tuple[int, ...], assignee: str, by: str) -> None:
        """Give mentions to a person to respond to.

        \b
        Example:
          mentionwatch assign 42 --to sam --by dana
        """
        apply_to_each(settings, ids,
                      lambda session, mention_id: actions.assign(session, mention_id, assignee, by, via="cli"))

    @cli.command()
    @config_option
    @ids_argument
    @click.option("--days", type=click.FloatRange(min=0, min_open=True, max=365), default=1, show_default=True,
                  help="How long to put them aside.")
    @by_option
    def snooze(settings: Settings, ids: tuple[int, ...], days: float, by: str) -> None:
        """Put mentions aside; their alert is raised once more when the time is up.

        \b
        Example:
          mentionwatch snooze 42 --days 2 --by dana
        """
        apply_to_each(settings, ids,
                      lambda session, mention_id: actions.snooze(session, mention_id, by, via="cli", days=days))
