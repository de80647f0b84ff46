"""One run: crawl every source, keep and score what is new, deliver what is owed.

This wires the rooms together (crawlers -> pipeline -> alerts) and keeps no logic of its own
beyond the order of the steps.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.console import Console
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alerts.cycle import after_crawl
from crawlers.config import Credentials
from crawlers.interrupt import Interruption
from crawlers.platforms.vault import SecretKeyError, with_stored_credentials
from crawlers.process import crawl, crawler_settings
from crawlers.state import record_outcomes, sync_config
from crawlers.streams.plan import api_urls, plan_cycle
from crawlers.streams.state import Gap, StreamState, load_cursors, save_stream
from crawlers.target import CrawlTarget
from mentionwatch.config import Settings
from pipeline.adapters import ITEM_PIPELINES, PipelineContext
from pipeline.flow import MentionFlow
from pipeline.match import BusinessMatcher
from pipeline.models import Run, Source, utcnow
from pipeline.retention import prune
from pipeline.store import open_engine
from pipeline.worker import running_pipeline
from pipeline.writer import AlertPolicy, MentionWriter
from respond.reactions import read_reactions

if TYPE_CHECKING:
    from pipeline.sentiment import SentimentScorer

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    run_id: int
    sources_ok: int = 0
    sources_failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    """What failed, once each: a source, or a shared stream (for all the sources read from it)."""
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """Sources that worked with something the owner should know (a page cap reached, a link refused)."""
    items_fetched: int = 0
    new_mentions: int = 0
    """New mentions of the businesses (not of their competitors)."""
    negative: int = 0
    competitor_mentions: int = 0
    alerts_sent: int = 0
    baselines_sent: int = 0
    alerts_pending: int = 0
    alerts_held: int = 0
    alert_error: str | None = None
    gaps: list[Gap] = field(default_factory=list)
    """Stretches of a shared stream this run could not read (the stream moved faster)."""
    workers_alive: int = 0
    """Workers (`mentionwatch worker`) heard from on this database: they crawl on their own schedule."""
    workers_window: float = 0.0
    """...within this many seconds (`worker.stalled_after_seconds`)."""
    interrupted_by: str | None = None
    """The signal that stopped this run (SIGINT, SIGTERM), or None when it ran to its end."""
    sources_interrupted: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and self.alert_error is None and self.interrupted_by is None

    def interrupted_line(self) -> str:
        """The one line an interrupted run prints: what it kept and what the next run does."""
        return f"interrupted by {self.interrupted_by}: {self.kept()}"

    def kept(self) -> str:
        """What an interrupted run kept and what the next run does ("kept 2 new mentions ...")."""
        return (
            f"kept {plural(self.new_mentions, 'new mention')} "
            f"({plural(self.items_fetched, 'item')} fetched); {plural(self.sources_ok, 'source')} finished, "
            f"{self.sources_interrupted} did not and will be crawled again; "
            f"{plural(self.alerts_pending, 'alert')} {'waits' if self.alerts_pending == 1 else 'wait'} for the next run"
        )

    def beside_workers(self) -> str | None:
        """The warning a run beside live workers gives every time, --quiet or not (every site was
        crawled twice as often as it should be), or None."""
        if not self.workers_alive:
            return None
        return (f"workers run on this database ({self.workers_alive} heard from in the last {self.workers_window:g} s) "
                "and crawl each source on their own schedule; this run crawled every source again beside them: "
                "use `mentionwatch worker` or `run` from cron, not both")

    def line(self) -> str:
        """The one line a run prints: what cron mails when anything is worth reading."""
        return (
            f"{plural(self.sources_ok, 'source')} ok, {self.sources_failed} failed; "
            f"{plural(self.items_fetched, 'item')} fetched, {plural(self.new_mentions, 'new mention')} "
            f"({self.negative} negative)"
            + (f" and {self.competitor_mentions} of competitors" if self.competitor_mentions else "")
            + f"; {plural(self.alerts_sent, 'alert')} sent, "
            + (f"{plural(self.baselines_sent, 'baseline summary')} sent, " if self.baselines_sent else "")
            + f"{self.alerts_pending} pending"
            + (f" ({self.alerts_held} held for quiet hours)" if self.alerts_held else "")
        )


def workers_alive(session: Session, within_seconds: float) -> int:
    """How many workers sent a heartbeat within `within_seconds` (PostgreSQL with the queue's
    tables; 0 elsewhere): a run from cron beside them crawls every site a second time."""
    if session.get_bind().dialect.name != "postgresql" or not session.scalar(
            text("SELECT to_regclass('procrastinate_workers') IS NOT NULL")):
        return 0
    return session.scalar(text("SELECT count(*) FROM procrastinate_workers "
                               "WHERE last_heartbeat > now() - make_interval(secs => :within)"),
                          {"within": within_seconds}) or 0


def plural(count: int, noun: str) -> str:
    """'1 mention', '2 mentions', '2 baseline summaries': counts in plain English."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else f"{count} {noun}s"


def make_scorer(settings: Settings | None) -> SentimentScorer:
    """The scorer the pipeline uses: config's thresholds and lexicon, or the defaults. The names and
    keywords of every watched business (competitors too) are read as names, not for their words, and
    each business's `not_urgent` phrases do not make its mentions urgent. A mention naming several
    of them is read for each in the part about it (`pipeline.focus`)."""
    from pipeline.focus import Focus
    from pipeline.sentiment import SentimentScorer  # its model and numpy: only where texts are scored

    if settings is None:
        return SentimentScorer()
    return SentimentScorer(
        negative_threshold=settings.alerts.threshold,
        positive_threshold=settings.alerts.positive_threshold,
        extra_lexicon=settings.scoring.lexicon,
        extra_urgent_phrases=settings.scoring.urgent_phrases,
        extra_aspects=settings.scoring.aspects,
        urgent_phrases_by_language=settings.scoring.urgent_phrases_by_language,
        names=[term for business in settings.watched() for term in (business.name, *business.keywords)
               if any(c.isalnum() for c in term)],
        not_urgent={business.name: business.not_urgent for business in settings.watched()},
        focus=Focus({business.name: BusinessMatcher(business.keywords, business.exclude, business.require_any)
                     for business in settings.watched()}),
    )


def platform_credentials(session: Session, settings: Settings, targets: list[CrawlTarget]) -> Credentials:
    """The configured credentials plus those `mentionwatch connect` stored; sources whose stored
    credential cannot be read fail with the reason instead of the whole run."""
    google = [t for t in targets if t.source.type == "google_business"]  # type: ignore[attr-defined]
    if not google:
        return settings.credentials
    try:
        return with_stored_credentials(session, settings.credentials)
    except SecretKeyError as exc:
        for target in google:
            target.fail(str(exc))
        return settings.credentials


def stream_problems(streams: list[StreamState]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A shared stream's failure and warning, each once, not once per business read from it
    (each of those sources still records the failure: `check` and Slack tell its business)."""
    failures, warnings = [], []
    for stream in streams:
        if stream.error is not None:
            label, reason = stream.error
            failures.append((label, f"{reason} (read for {plural(len(stream.targets), 'source')})"))
        elif stream.warning:
            warnings.append((stream.name, stream.warning))
    return failures, warnings


def run_once(settings: Settings, console: Console, interruption: Interruption | None = None) -> RunSummary:
    """One run. When `interruption` is requested the crawl stops at once; what was judged is
    stored, unfinished sources are recorded as interrupted (their cursors stay), and delivery
    is left to the next run."""
    interruption = interruption or Interruption()
    engine = open_engine(settings.database_url(), writable=True)
    with Session(engine) as session, session.begin():
        workers = workers_alive(session, settings.worker.stalled_after_seconds)
        business_ids, targets = sync_config(session, settings)
        run = Run(started_at=utcnow(), status="running")
        session.add(run)
        session.flush()
        run_id, started_at = run.id, run.started_at
        # Sources never crawled successfully: their finds are a baseline, summarised once.
        baseline = set(session.scalars(select(Source.id).where(
            Source.id.in_([t.source_id for t in targets]), Source.first_crawled_at.is_(None))))
        credentials = platform_credentials(session, settings, targets)
        cursors = load_cursors(session)
    # Competitors are crawled and matched like the businesses (and never alerted).
    matchers = {b.name: BusinessMatcher(b.keywords, b.exclude, b.require_any) for b in settings.watched()}
    plan = plan_cycle(settings, targets, cursors, matchers)
    streamed = {t.source_id for stream in plan.streams for t in stream.targets}
    flow = MentionFlow(
        # A stream holds everything said on its network: its items must name the business.
        needs_match={t.source_id: t.source.needs_match or t.source_id in streamed for t in targets},  # type: ignore[misc]
        matchers=matchers,
        # Built by the first text to score: an unchanged run never loads the model and numpy.
        scorer=functools.partial(make_scorer, settings),
        writer=MentionWriter(engine, business_ids, AlertPolicy(max_age_days=settings.alerts.max_age_days,
                                                               baseline_sources=baseline,
                                                               alert_unscored=settings.alerts.unscored == "alert",
                                                               never_alerted=settings.competitor_names())),
    )
    with running_pipeline(flow) as pipeline:
        crawl(plan.searched, crawler_settings(settings.crawler, {"ITEM_PIPELINES": ITEM_PIPELINES,
                                                                "MENTIONWATCH_CONTEXT": PipelineContext(pipeline)}),
              credentials=credentials, interruption=interruption, streams=plan.streams,
              api_urls=api_urls(settings))
        counts = pipeline.finish()
    plan.settle_history()

    summary = RunSummary(run_id=run_id, workers_alive=workers, workers_window=settings.worker.stalled_after_seconds)
    if interruption.requested:
        for target in targets:
            target.interrupt()
        summary.interrupted_by = interruption.name
        summary.sources_interrupted = sum(1 for t in targets if t.interrupted)
    summary.sources_ok = sum(1 for t in targets if t.ok)
    summary.sources_failed = sum(1 for t in targets if t.error)
    summary.failures, summary.warnings = stream_problems(plan.streams)
    in_streams = {id(t) for stream in plan.streams if stream.error for t in stream.targets}
    summary.failures += [(t.label, t.error) for t in targets if t.error and id(t) not in in_streams]
    summary.warnings += [(t.label, t.warning) for t in targets if t.warning and not t.error]
    summary.items_fetched = sum(t.fetched for t in targets)
    summary.competitor_mentions = sum(counts.competitors.values())
    summary.new_mentions = sum(counts.new.values()) - summary.competitor_mentions
    summary.negative = sum(counts.negative.values())
    with Session(engine) as session, session.begin():
        record_outcomes(session, run_id, targets, dict(counts.new), utcnow())
        for stream in plan.streams:
            save_stream(session, stream, utcnow())
            if stream.ok:
                summary.gaps.extend(stream.gaps)

    # A run stopped by a signal plans what it stored into the outbox (no network, so at once) and
    # leaves sending to the next run; the outbox sends each message once.
    delivery = after_crawl(settings, engine, console, baseline_sources=baseline, run_started=started_at,
                           plan_only=interruption.requested, read_reactions=read_reactions,
                           inbox_url=settings.web.url)
    summary.alerts_sent, summary.alerts_pending = delivery.alerts_sent, delivery.pending
    summary.baselines_sent = delivery.baselines_sent
    summary.alert_error, summary.alerts_held = delivery.error, delivery.held

    with Session(engine) as session, session.begin():
        run = session.get(Run, run_id)
        assert run is not None
        run.finished_at = utcnow()
        run.status = "interrupted" if summary.interrupted_by else "finished"
        run.sources_ok = summary.sources_ok
        run.sources_failed = summary.sources_failed
        run.items_fetched = summary.items_fetched
        run.new_mentions = summary.new_mentions
        run.negative = summary.negative
        run.alerts_sent = summary.alerts_sent
        run.alerts_pending = summary.alerts_pending
        problems = [f"{label}: {reason}" for label, reason in summary.failures]
        if summary.alert_error:
            problems.append(f"slack: {summary.alert_error}")
        run.errors = "\n".join(problems) or None
    if not interruption.requested:
        pruned = prune(engine, settings.retention_days, utcnow())
        if pruned.messages or pruned.revisions:
            log.info("pruned %d sent messages and %d revisions older than %d days",
                     pruned.messages, pruned.revisions, settings.retention_days)
    engine.dispose()
    return summary
