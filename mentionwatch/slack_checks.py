"""`check`'s look at one Slack workspace: does its token work, and which scopes does it lack?

Used for the top-level `slack:` and for each agency client's own workspace (`clients[].slack`).
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from alerts.config import SlackSettings

OK, BAD, INFO = "[green]ok[/]", "[red]FAILED[/]", "[yellow]note[/]"


def check_workspace(slack: SlackSettings, label: str, console: Console) -> bool:
    """auth.test with the workspace's bot token: one ok line (team, bot, channel) and notes on
    missing scopes, or one FAILED line saying why (a refused token, an unreachable Slack)."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    from alerts.slack import make_client

    try:
        response = make_client(slack, timeout=10).auth_test()
    except SlackApiError as exc:
        console.print(f"{BAD} {escape(label)}: auth.test says {escape(str(exc.response.get('error')))} (check the token)")
        return False
    except (SlackClientError, OSError) as exc:
        console.print(f"{BAD} {escape(label)}: cannot reach {escape(slack.api_url)}: {escape(network_reason(exc))}")
        return False
    console.print(
        f"{OK} {escape(label)}: token works for team {escape(str(response.get('team')))} "
        f"as {escape(str(response.get('user')))}; alerts go to {escape(slack.channel)}"
    )
    check_scopes(response.headers, console, slack.interactive, label)
    return True


def network_reason(exc: BaseException) -> str:
    """'Connection refused', 'timed out', 'Name or service not known': what went wrong, not the class name."""
    reason: object = getattr(exc, "reason", None) or exc  # urllib's URLError wraps the socket's error
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(exc).__name__


# Bot scopes and what is lost without each.
SCOPES = {
    "chat:write": "alerts cannot be posted",
    "reactions:read": "reactions are not read (use `mentionwatch handle ID`)",
    "files:write": "the report's chart is not uploaded",
    "channels:history": ("a post whose answer is lost (5xx, timeout, hang-up) cannot be looked up in the channel, "
                         "so it is not posted again: at most once (it may be missing, never doubled)"),
    "channels:read": "channel names cannot be turned into IDs to look a lost post up (at most once, as above)",
    "users:read": "the alert's buttons name who clicked by user id only (`mentionwatch slack-manifest` lists "
                  "every scope)",
}


def check_scopes(headers: dict, console: Console, interactive: bool = False, label: str = "slack") -> None:
    """Slack lists a token's scopes in the X-OAuth-Scopes header; name the missing ones."""
    granted = next((v for k, v in headers.items() if k.lower() == "x-oauth-scopes"), None)
    if granted is None:
        return
    if isinstance(granted, list):
        granted = ",".join(granted)
    have = {s.strip() for s in granted.split(",")}
    for scope, loss in SCOPES.items():
        if scope == "users:read" and not interactive:
            continue  # only the buttons (slack.interactive) use it
        if scope not in have:
            console.print(f"{INFO} {escape(label)}: the token lacks the {scope} scope: {escape(loss)}")
