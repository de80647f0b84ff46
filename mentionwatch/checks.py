"""`mentionwatch check`: is everything configured and reachable?"""

from __future__ import annotations

import json

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
    if states:
        _relevance_notes(settings, console)
    return healthy


def _relevance_notes(settings: Settings, console: Console) -> None:
    """What the mentions dismissed as not about a business suggest for its exclude / require_any terms."""
    from pipeline.relevance import advise
    from pipeline.store import open_engine

    engine = open_engine(settings.database_url())
    try:
        with Session(engine) as session:
            for business in settings.businesses:
                advice = advise(session, business)
                if advice is None:
                    continue
                noun = "mention" if advice.dismissed == 1 else "mentions"
                said = f"{escape(business.name)}: {advice.dismissed} {noun} dismissed as not about us"
                if advice.already_filtered:
                    said += f" ({advice.already_filtered} already filtered by today's terms)"
                if not advice.suggestions:
                    console.print(f"{INFO} {said}; no exclude: or require_any: term would have filtered "
                                  "them without losing a kept mention")
                    continue
                console.print(f"{INFO} {said}; adding these would have filtered {advice.filtered} of them "
                              f"and kept all {advice.kept} other mentions:")
                for s in advice.suggestions:
                    console.print(f"    {s.key}: {escape(json.dumps(s.term, ensure_ascii=False))}  "
                                  f"({s.filtered} dismissed mention{'' if s.filtered == 1 else 's'})")
    finally:
        engine.dispose()


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
        states = {(name, source.identity): source for name, source in rows}
    engine.dispose()
    return states


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url()).render_as_string(hide_password=True)


def _check_slack(settings: Settings, console: Console) -> bool:
    slack = settings.slack
    if slack.token is None:
        if slack.webhook_url is not None:
            console.print(
                f"{INFO} slack: incoming webhook set (posting only): every message goes to the webhook's own "
                "channel (business channels and urgent_channel are ignored); reactions are not read, so mark "
                "alerts handled with `mentionwatch handle ID`; the report's chart is not uploaded (it is in "
                "the HTML file). A bot token does all of this."
            )
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
    _check_scopes(response.headers, console, slack.interactive)
    if slack.interactive and slack.app_token is None and slack.signing_secret is None:
        console.print(f"{INFO} slack: alerts carry buttons; they work while `mentionwatch listen` runs with "
                      "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (--http); without a listener set "
                      "slack.interactive: false")
    return True


# Bot scopes and what is lost without each.
SCOPES = {
    "chat:write": "alerts cannot be posted",
    "reactions:read": "reactions are not read (use `mentionwatch handle ID`)",
    "files:write": "the report's chart is not uploaded",
    "users:read": "the alert's buttons name who clicked by user id only (`mentionwatch slack-manifest` lists "
                  "every scope)",
}


def _check_scopes(headers: dict, console: Console, interactive: bool = False) -> None:
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
            console.print(f"{INFO} slack: the token lacks the {scope} scope: {escape(loss)}")


def fetch_sources(settings: Settings, console: Console) -> bool:
    """`check --fetch`: crawl each source once and print what a run would find; store nothing.

    Sources are fetched afresh (no ETag, no cursor), so the answer shows what each source holds
    now. Prints one line per source: how many items, how many of them name the business (for
    sources that must), and the newest of those; or why the source failed. Returns False when
    any source failed.
    """
    from crawlers.items import MentionItem
    from crawlers.process import crawl, crawler_settings
    from crawlers.target import CrawlTarget
    from pipeline.flow import names_business
    from pipeline.match import BusinessMatcher
    from pipeline.normalize import html_to_text

    targets: list[CrawlTarget] = []
    for business in settings.businesses:
        for source in business.sources:
            # Ids only tie items to their target here; nothing is written to the store.
            targets.append(CrawlTarget(business=business.name, source=source, source_id=len(targets)))
    found: dict[int, list[MentionItem]] = {i: [] for i in range(len(targets))}

    def collect(item: MentionItem) -> None:
        found[item.source_id].append(item)  # type: ignore[index]

    crawl(targets, crawler_settings(settings.crawler), credentials=settings.credentials, on_item=collect)

    matchers = {b.name: BusinessMatcher(b.keywords, b.exclude, b.require_any) for b in settings.businesses}
    healthy = True
    for index, target in enumerate(targets):
        where = f"fetch {target.source.type} {escape(target.label)}"  # type: ignore[attr-defined]
        if target.error:
            console.print(f"{BAD} {where}: {escape(target.error)}")
            healthy = False
            continue
        items = found[index]
        kept = items
        if target.source.needs_match:
            matcher = matchers[target.business]
            kept = [i for i in items if names_business(matcher, html_to_text(i.title or ""), html_to_text(i.text))]
        line = f"{OK} {where}: {len(items)} item{'' if len(items) == 1 else 's'}"
        if target.source.needs_match:
            line += f", {len(kept)} name the business"
        newest = _newest(kept)
        if newest is not None:
            when = f"{newest.published_at:%Y-%m-%d %H:%M} UTC" if newest.published_at else "undated"
            summary = html_to_text(newest.title or "") or html_to_text(newest.text)
            line += f"; newest {when}: {escape(summary[:80])} <{escape(newest.url)}>"
        console.print(line)
    return healthy


def _newest(items: list) -> object | None:
    dated = [i for i in items if i.published_at is not None]
    if dated:
        return max(dated, key=lambda i: i.published_at)
    return items[0] if items else None
