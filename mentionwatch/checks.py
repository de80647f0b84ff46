"""`mentionwatch check`: is everything configured and reachable?"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from rich.console import Console
from rich.markup import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.views import Routes
from alerts.when import local_time
from crawlers.pacing import api_budget, api_pace
from mentionwatch.client_checks import check_clients
from mentionwatch.config import Settings
from mentionwatch.platform_checks import (
    check_platform_credentials,
    credentials_with_stored,
)
from mentionwatch.slack_checks import BAD, INFO, OK, check_workspace, network_reason
from pipeline.errors import MentionwatchError

GAPS_SHOWN_DAYS = 7
"""`check` lists the gaps of the shared streams recorded in this many days."""


def run_checks(settings: Settings, console: Console) -> bool:
    """Print one line per check; return False when something must be fixed."""
    healthy = True
    console.print(f"{OK} config {escape(str(settings.path))}: {len(settings.businesses)} business{'' if len(settings.businesses) == 1 else 'es'}")
    contact = contact_note(settings)
    if contact:
        console.print(f"{INFO} {escape(contact)}")
    states = {}
    try:
        states, renames = _source_states(settings)
        console.print(f"{OK} database {escape(_safe_url(settings))}")
        for advice in renames:
            console.print(f"{INFO} {escape(advice)}")
    except MentionwatchError as exc:
        console.print(f"{BAD} database: {escape(str(exc))}")
        healthy = False
    healthy &= _check_slack(settings, console)
    _check_notify(settings, console)
    healthy &= check_clients(settings, console)
    healthy &= check_platform_credentials(settings, console)
    routes = Routes.from_settings(settings)
    for business in settings.businesses:
        console.print(
            f"[bold]{escape(business.name)}[/]: keywords {escape(', '.join(business.keywords))}"
            + (f"; exclude {escape(', '.join(business.exclude))}" if business.exclude else "")
            + (f"; not urgent: {escape(', '.join(business.not_urgent))}" if business.not_urgent else "")
            + f"; alerts to {escape(routes.channel(business.name))}"
            + (f" (client {escape(business.client)})" if business.client else "")
        )
        for source in business.sources:
            state = states.get((business.name, source.identity()))
            console.print(f"  {source.type:<10} {escape(source.label)}  {_describe_state(state, business.timezone)}")
            pace = api_pace(source, settings.credentials)
            if pace:
                console.print(f"  {'':<10} pace: {escape(pace)}")
            budget = _budget(source, state, business.timezone)
            if budget:
                console.print(f"  {'':<10} budget: {escape(budget)}")
            healthy &= source_status(state) != "failing"
    if states:
        _relevance_notes(settings, console)
    return healthy


def contact_note(settings: Settings) -> str | None:
    """What to say when crawler.contact is missing, or still mentionwatch's own address (the
    default): the sites crawled then have no way to reach the one crawling them."""
    crawler = settings.crawler
    contact = crawler.contact.strip()
    if "contact" not in crawler.model_fields_set or not contact:
        return "crawler.contact is not set: sites you crawl cannot reach you; set it to your website or e-mail"
    if contact == type(crawler).model_fields["contact"].default:
        return (f"crawler.contact is mentionwatch's own address ({contact}), not yours: sites you crawl cannot "
                "reach you; set it to your website or e-mail")
    return None


def source_status(state: SourceState | None) -> str:
    """`ok`, `failing` (its last crawl failed) or `new` (never crawled)."""
    if state is None or (state.source.last_success_at is None and state.source.last_error is None):
        return "new"
    return "failing" if state.source.consecutive_failures else "ok"


def sources_json(settings: Settings, states: dict[tuple[str, str], SourceState]) -> list[dict[str, object]]:
    """Each configured source's health, for `check --format json`."""
    rows = []
    for business in settings.businesses:
        for source in business.sources:
            state = states.get((business.name, source.identity()))
            row = state.source if state else None
            status = source_status(state)
            rows.append({
                "business": business.name, "name": source.label, "type": source.type,
                "url": getattr(source, "url", None),
                "status": status,
                "last_error": row.last_error if row is not None and status == "failing" else None,
                "warning": state.warning if state is not None and status == "ok" else None,
                "last_success_at": _iso(row.last_success_at if row is not None else None),
                "failures_in_a_row": row.consecutive_failures if row is not None else 0,
                "next_check_at": _iso(row.next_check_at if row is not None else None),
                "pace": api_pace(source, settings.credentials),
                "budget": _budget(source, state, "UTC"),
            })
    return rows


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def checks_json(settings: Settings, fetch: bool = False) -> tuple[dict[str, Any], bool]:
    """`check --format json`: the database, Slack and every source's health as one object, and
    whether all is healthy (no check failed, no source failing)."""
    database: dict[str, Any] = {"status": "ok", "url": _safe_url(settings), "error": None}
    states: dict[tuple[str, str], SourceState] = {}
    notes: list[str] = []
    try:
        states, notes = _source_states(settings)
    except MentionwatchError as exc:
        database.update(status="failing", error=str(exc))
    said = Console(file=io.StringIO(), width=10_000, highlight=False)
    slack_ok = _check_slack(settings, said)
    slack = {"status": "ok" if slack_ok else "failing",
             "detail": [line for line in said.file.getvalue().splitlines() if line]}  # type: ignore[attr-defined]
    sources = sources_json(settings, states)
    healthy = database["status"] == "ok" and slack_ok and all(s["status"] != "failing" for s in sources)
    clients: dict[str, Any] = {}
    if settings.clients:
        said = Console(file=io.StringIO(), width=10_000, highlight=False)
        clients_ok = check_clients(settings, said)
        clients = {"status": "ok" if clients_ok else "failing",
                   "detail": [line for line in said.file.getvalue().splitlines() if line]}  # type: ignore[attr-defined]
        healthy &= clients_ok
    if fetch:
        outcomes: dict[tuple[str, str], str | None] = {}
        fetch_sources(settings, Console(file=io.StringIO()), outcomes)
        keys = [(b.name, s.identity()) for b in settings.businesses for s in b.sources]
        for row, key in zip(sources, keys):
            error = outcomes.get(key)
            row["fetch"] = {"status": "failing" if error else "ok", "error": error}
            healthy &= error is None
    found = {"database": database, "slack": slack, "sources": sources, "notes": notes}
    return ({**found, "clients": clients} if clients else found), healthy


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


def _describe_state(state: SourceState | None, zone: str) -> str:
    return _health(state, zone) + _next_check(state, zone)


def _health(state: SourceState | None, zone: str) -> str:
    status = source_status(state)
    if state is None or status == "new":
        return "never crawled"
    source = state.source
    if status == "failing":
        runs = "run" if source.consecutive_failures == 1 else "runs"
        return f"[red]failing for {source.consecutive_failures} {runs}[/]: {escape(source.last_error or '')}"
    said = f"last ok {local_time(source.last_success_at, zone)}"
    return said + (f"; [yellow]warning: {escape(state.warning)}[/]" if state.warning else "")


def _next_check(state: SourceState | None, zone: str) -> str:
    """"; next check 2026-12-05 23:33 UTC" where workers schedule the source, "" elsewhere (`run`
    from cron crawls every source)."""
    moment = state.source.next_check_at if state is not None else None
    return f"; next check {local_time(moment, zone)}" if moment is not None else ""


@dataclass
class SourceState:
    """A source's row, and the warning its last run left (a feed read despite its errors)."""

    source: Any
    warning: str | None = None
    budget: Any = None
    """The `api_budgets` row of the source's API (its allowance as the last answers left it)."""


def _budget(source: Any, state: SourceState | None, zone: str) -> str | None:
    """What is left of the allowance of the API `source` is read through, for `check`."""
    return api_budget(source.type, state.budget if state else None, datetime.now(timezone.utc),
                      lambda moment: local_time(moment, zone))


def _source_states(settings: Settings) -> tuple[dict[tuple[str, str], SourceState], list[str]]:
    """Each stored source's state, and notes on sources that look renamed in config.yaml."""
    from crawlers.state import rename_suspects
    from crawlers.streams.live import FAILING_AFTER
    from crawlers.streams.state import failing_streams, recent_gaps, refused_streams
    from pipeline.models import ApiBudget, Business, Source, SourceRun
    from pipeline.store import open_engine

    engine = open_engine(settings.database_url(), writable=True)  # a run must be able to write
    with Session(engine) as session:
        rows = session.execute(select(Business.name, Source).join(Source, Source.business_id == Business.id))
        states = {(name, source.identity): SourceState(source) for name, source in rows}
        by_id = {state.source.id: state for state in states.values()}
        # The latest run of each source: an ok run's error column holds its warning.
        latest = select(func.max(SourceRun.id)).group_by(SourceRun.source_id)
        for source_id, ok, error in session.execute(
                select(SourceRun.source_id, SourceRun.ok, SourceRun.error).where(SourceRun.id.in_(latest))):
            if ok and error and source_id in by_id:
                by_id[source_id].warning = error
        budgets = {row.api: row for row in session.scalars(select(ApiBudget))}
        for state in states.values():
            state.budget = budgets.get(state.source.type)
        renames = list(rename_suspects(session, settings))
        # A shared stream that moved faster than it was read left items unread: never a silent hole.
        week_ago = datetime.now(timezone.utc) - timedelta(days=GAPS_SHOWN_DAYS)
        renames += [f"stream gap: {gap.line()}" for gap in recent_gaps(session, week_ago)]
        renames += refused_streams(session)
        renames += failing_streams(session, FAILING_AFTER)  # a held stream that keeps failing reads nothing
    engine.dispose()
    return states, renames


def _safe_url(settings: Settings) -> str:
    from pipeline.dburl import safe_url

    return safe_url(settings.database_url())


def _check_slack(settings: Settings, console: Console) -> bool:
    slack = settings.slack
    if slack.token is None:
        if slack.webhook_url is not None:
            console.print(
                f"{INFO} slack: incoming webhook set (posting only): every message goes to the webhook's own "
                "channel (business channels and urgent_channel are ignored); reactions are not read, so mark "
                "alerts handled with `mentionwatch handle ID`; the report's chart is not uploaded (it is in "
                "the HTML file); a post whose answer is lost (5xx, timeout) cannot be looked up, so it is not "
                "posted again (at most once: it may be missing, never doubled). A bot token does all of this."
            )
        elif settings.slack_missing():
            console.print(f"{BAD} slack: {escape(settings.slack_missing() or '')}")
            return False
        else:
            console.print(f"{INFO} slack: no token set; alerts print to the console")
        return True
    if not check_workspace(slack, "slack", console):
        return False
    if slack.interactive and slack.app_token is None and slack.signing_secret is None:
        console.print(f"{INFO} slack: alerts carry buttons; they work while `mentionwatch listen` runs with "
                      "SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (--http); without a listener set "
                      "slack.interactive: false")
    return True


def _check_notify(settings: Settings, console: Console) -> None:
    """The notify: destinations, masked (their URLs hold passwords and tokens)."""
    from alerts.notify import destinations_for

    lines = []
    if settings.alerts.notify:
        shown = ", ".join(d.label for d in destinations_for(settings, None))
        lines.append(f"alerts also go to {shown}")
    for business in settings.businesses:
        if business.notify is not None:
            shown = ", ".join(d.label for d in destinations_for(settings, business)) or "no notify: destination"
            lines.append(f"{business.name}'s alerts also go to {shown}")
    for line in lines:
        console.print(f"{INFO} notify: {escape(line)}")
    if lines and settings.alerts.digest == "daily":
        console.print(f"{INFO} notify: non-urgent alerts reach these destinations in one digest a day at "
                      f"{settings.alerts.digest_time:%H:%M} (each business's time zone); urgent ones at once")
    if lines:
        console.print(f"{INFO} notify: a notification service cannot be asked what it received: a run stopped "
                      "while sending does not send that one again (at most once); a refused one is retried")


def fetch_sources(settings: Settings, console: Console,
                  outcomes: dict[tuple[str, str], str | None] | None = None) -> bool:
    """`check --fetch`: crawl each source once and print what a run would find; store nothing.

    Sources are fetched afresh (no ETag, no cursor), so the answer shows what each source holds
    now. Prints one line per source: how many items, how many of them name the business (for
    sources that must), and the newest of those; or why the source failed. Returns False when
    any source failed.
    """
    from crawlers.process import crawl, crawler_settings
    from crawlers.target import CrawlTarget
    from pipeline.flow import names_business
    from pipeline.items import MentionItem
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

    crawl(targets, crawler_settings(settings.crawler), credentials=credentials_with_stored(settings, targets),
          on_item=collect)

    matchers = {b.name: BusinessMatcher(b.keywords, b.exclude, b.require_any) for b in settings.businesses}
    zones = {b.name: b.timezone for b in settings.businesses}
    healthy = True
    if outcomes is not None:
        outcomes.update({(t.business, t.source.identity()): t.error for t in targets})
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
            zone = zones[target.business]
            when = local_time(newest.published_at, zone) if newest.published_at else "undated"
            summary = html_to_text(newest.title or "") or html_to_text(newest.text)
            line += f"; newest {when}: {escape(summary[:80])} <{escape(newest.url)}>"
        if target.warning:
            line += f"; [yellow]warning: {escape(target.warning)}[/]"
        console.print(line)
    return healthy


def _newest(items: list) -> object | None:
    dated = [i for i in items if i.published_at is not None]
    if dated:
        return max(dated, key=lambda i: i.published_at)
    return items[0] if items else None
