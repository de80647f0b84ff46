"""`mentionwatch check`: is everything configured and reachable?"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from mentionwatch.config import Settings
from mentionwatch.errors import MentionwatchError

OK, BAD, INFO = "[green]ok[/]", "[red]FAILED[/]", "[yellow]note[/]"


def run_checks(settings: Settings, console: Console) -> bool:
    """Print one line per check; return False when something must be fixed."""
    healthy = True
    console.print(f"{OK} config {escape(str(settings.path))}: {len(settings.businesses)} businesses")
    states = {}
    try:
        states = _source_states(settings)
        console.print(f"{OK} database {escape(_safe_url(settings))}")
    except MentionwatchError as exc:
        console.print(f"{BAD} database: {escape(str(exc))}")
        healthy = False
    healthy &= _check_slack(settings, console)
    for business in settings.businesses:
        console.print(
            f"[bold]{escape(business.name)}[/]: keywords {escape(', '.join(business.keywords))}"
            + (f"; exclude {escape(', '.join(business.exclude))}" if business.exclude else "")
            + f"; alerts to {escape(business.channel or settings.slack.channel)}"
        )
        for source in business.sources:
            state = states.get((business.name, source.identity()))
            console.print(f"  {source.type:<10} {escape(source.label)}  {_describe_state(state)}")
    return healthy


def _describe_state(state: object | None) -> str:
    if state is None or (state.last_success_at is None and state.last_error is None):  # type: ignore[attr-defined]
        return "never crawled"
    if state.consecutive_failures:  # type: ignore[attr-defined]
        return (f"[red]failing for {state.consecutive_failures} runs[/]: "  # type: ignore[attr-defined]
                f"{escape(state.last_error or '')}")  # type: ignore[attr-defined]
    return f"last ok {state.last_success_at:%Y-%m-%d %H:%M} UTC"  # type: ignore[attr-defined]


def _source_states(settings: Settings) -> dict[tuple[str, str], object]:
    from pipeline.models import Business, Source
    from pipeline.store import open_engine

    engine = open_engine(settings.database_url())
    with Session(engine) as session:
        rows = session.execute(select(Business.name, Source).join(Source, Source.business_id == Business.id))
        states = {(name, source.identity): source for name, source in rows.tuples()}
    engine.dispose()
    return states


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url()).render_as_string(hide_password=True)


def _check_slack(settings: Settings, console: Console) -> bool:
    slack = settings.slack
    if slack.token is None:
        if slack.webhook_url is not None:
            console.print(f"{INFO} slack: incoming webhook set (posting only)")
        else:
            console.print(f"{INFO} slack: no token set; alerts print to the console")
        return True
    from slack_sdk.errors import SlackApiError, SlackClientError

    from alerts.slack import make_client

    try:
        response = make_client(slack, timeout=10).auth_test()
    except SlackApiError as exc:
        console.print(f"{BAD} slack: auth.test says {escape(str(exc.response.get('error')))} (check the token)")
        return False
    except (SlackClientError, OSError) as exc:
        console.print(f"{BAD} slack: cannot reach {escape(slack.api_url)}: {escape(type(exc).__name__)}")
        return False
    console.print(
        f"{OK} slack: token works for team {escape(str(response.get('team')))} "
        f"as {escape(str(response.get('user')))}; alerts go to {escape(slack.channel)}"
    )
    return True
