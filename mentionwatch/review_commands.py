"""Commands for the review platforms: `reply` (answer a review) and `connect google`.

Thin doors: replies go through respond.actions.reply (the same call as the Slack and web reply
buttons); the OAuth flow is google-auth-oauthlib's, the token is kept by crawlers.platforms.vault.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from pipeline.errors import MentionwatchError

if TYPE_CHECKING:
    from mentionwatch.config import Settings


def _session(settings: Settings) -> Any:
    from sqlalchemy.orm import Session

    from pipeline.store import open_engine

    return Session(open_engine(settings.database_url()))


def _reply_text(text: str | None, file: str | None, draft: str | None) -> str:
    """TEXT, else the file's contents, else what the owner writes in $EDITOR (from the draft)."""
    if text is not None and file is not None:
        raise click.UsageError("give the reply as TEXT or with --file, not both")
    if file is not None:
        try:
            return Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MentionwatchError(f"cannot read {file}: {exc}") from None
    if text is not None:
        return text
    written = click.edit(draft or "", require_save=True)
    if not written or not written.strip():
        raise MentionwatchError("the reply is empty (the editor was closed without saving): nothing was sent")
    return written


def register(cli: click.Group, config_option: Callable[..., Any]) -> None:
    """Add `reply` and `connect` to `cli`; `config_option` is cli.py's settings loader."""

    @cli.command()
    @config_option
    @click.argument("mention_id", type=int)
    @click.argument("text", required=False)
    @click.option("--file", "file", type=click.Path(dir_okay=False), help="Read the reply from this file.")
    @click.option("--replace", is_flag=True, help="Replace the review's existing reply.")
    @click.option("--draft", is_flag=True, help="Print a suggested reply from config.yaml's `replies:`; send nothing.")
    @click.option("--by", default=None, help="Who replies, as the history and Slack show it (default: your login).")
    def reply(settings: Settings, mention_id: int, text: str | None, file: str | None, replace: bool,
              draft: bool, by: str | None) -> None:
        """Post a public reply to a review through its platform's API, exactly once.

        The reply text is TEXT, or --file's contents, or what you write in $EDITOR when neither
        is given (it starts from the draft when templates fit). The reply is claimed in the store
        before it is sent (one per review and text, whoever sends it: the CLI, Slack or the web)
        and checked against the platform first, so an interrupted or repeated command never posts
        twice. An upload whose answer was lost is read back before anything else is sent to that
        review, and the command says what it found. A review that already has a reply is shown
        and left alone unless --replace is given (exit 1). Marks the mention handled and updates
        its Slack alert.
        Platforms without a reply API (review pages, Yelp) print the link to answer by hand (exit 1).

        \b
        Examples:
          mentionwatch reply 42 "Thank you, Ann! See you Saturday."
          mentionwatch reply 42 --draft
          mentionwatch reply 42 --file answer.txt --replace
        """
        from respond import actions

        with _session(settings) as session:
            if draft:
                suggestion = actions.draft_reply(session, settings, mention_id)
                if not suggestion.text:
                    raise actions.ActionError(suggestion.reason)
                click.echo(suggestion.text)
                if not suggestion.can_send:
                    click.echo(f"Note: {suggestion.reason}", err=True)
                return
            # The editor starts from the draft when a template fits.
            suggestion_text = None
            if text is None and file is None:
                suggestion_text = actions.draft_reply(session, settings, mention_id).text
            body = _reply_text(text, file, suggestion_text)
            outcome = actions.reply(session, settings, mention_id, body, by or getpass.getuser(), via="cli",
                                    replace=replace)
            click.echo(f"mention {mention_id}: {outcome.summary[0].lower()}{outcome.summary[1:]}")

    @cli.group()
    def connect() -> None:
        """Connect a review platform account (the credentials are stored encrypted).

        \b
        Example:
          mentionwatch connect google
        """

    @connect.command(name="google")
    @config_option
    @click.option("--list", "list_locations", is_flag=True,
                  help="List the accounts and locations the stored grant can see, as config.yaml lines.")
    @click.option("--no-browser", is_flag=True,
                  help="For a server without a browser: print the URL, then paste the address the browser "
                  "ends on (or its code).")
    @click.option("--auth-uri", default="https://accounts.google.com/o/oauth2/auth", show_default=True,
                  help="Google's authorization endpoint (a local server in tests).")
    @click.option("--token-uri", default="https://oauth2.googleapis.com/token", show_default=True,
                  help="Google's token endpoint.")
    @click.option("--accounts-url", default="https://mybusinessaccountmanagement.googleapis.com/v1/",
                  show_default=True, help="Account Management API base, for --list.")
    @click.option("--locations-url", default="https://mybusinessbusinessinformation.googleapis.com/v1/",
                  show_default=True, help="Business Information API base, for --list.")
    def connect_google(settings: Settings, list_locations: bool, no_browser: bool, auth_uri: str, token_uri: str,
                       accounts_url: str, locations_url: str) -> None:
        """Grant mentionwatch access to your Google Business Profile (OAuth, business.manage scope).

        Needs GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (an OAuth client of type "Desktop app")
        and MENTIONWATCH_SECRET_KEY, which encrypts the refresh token stored in the database;
        it is never written to config.yaml or printed. Opens the consent page in your browser
        (the answer comes back to 127.0.0.1); with --no-browser, prints the URL to open anywhere
        and asks for the address the browser ends on. Then `--list` prints the lines to paste
        into config.yaml.

        \b
        Examples:
          mentionwatch connect google
          mentionwatch connect google --no-browser
          mentionwatch connect google --list
        """
        from mentionwatch.google_connect import (
            grant_google_access,
            list_google_locations,
        )

        if list_locations:
            with _session(settings) as session:
                list_google_locations(session, settings, token_uri, accounts_url, locations_url, click.echo)
            return
        with _session(settings) as session:
            grant_google_access(session, settings, auth_uri, token_uri, no_browser, click.echo,
                                lambda: click.prompt("Paste the address your browser ended on (or the code)"))
