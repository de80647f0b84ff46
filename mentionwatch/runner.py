"""One run: crawl every source, keep and score what is new, deliver what is owed.

This wires the rooms together (crawlers -> pipeline -> alerts) and keeps no logic of its own
beyond the order of the steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.cycle import after_crawl
from crawlers.process import crawl, crawler_settings
from crawlers.target import CrawlTarget
from mentionwatch.config import Credentials, Settings
from mentionwatch.vault import SecretKeyError, with_stored_credentials
from pipeline.adapters import ITEM_PIPELINES, PipelineContext
from pipeline.flow import MentionFlow
from pipeline.match import BusinessMatcher
from pipeline.models import Run, Source, utcnow
from pipeline.sentiment import SentimentScorer
from pipeline.sources import record_outcomes, sync_config
from pipeline.store import open_engine
from pipeline.worker import running_pipeline
from pipeline.writer import AlertPolicy, MentionWriter

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    run_id: int
    sources_ok: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    items_fetched: int = 0
    new_mentions: int = 0
    negative: int = 0
    alerts_sent: int = 0
    alerts_pending: int = 0
    alerts_held: int = 0
    alert_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and self.alert_error is None

    def line(self) -> str:
        """The one line a run prints: what cron mails when anything is worth reading."""
        return (
            f"{self.sources_ok} sources ok, {len(self.failures)} failed; "
            f"{self.items_fetched} items fetched, {self.new_mentions} new mentions "
            f"({self.negative} negative); {self.alerts_sent} alerts sent, {self.alerts_pending} pending"
            + (f" ({self.alerts_held} held for quiet hours)" if self.alerts_held else "")
        )


def make_scorer(settings: Settings | None) -> SentimentScorer:
    """The scorer the pipeline uses: config's thresholds and lexicon, or the defaults."""
    if settings is None:
        return SentimentScorer()
    return SentimentScorer(
        negative_threshold=settings.alerts.threshold,
        positive_threshold=settings.alerts.positive_threshold,
        extra_lexicon=settings.scoring.lexicon,
        extra_urgent_phrases=settings.scoring.urgent_phrases,
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


def run_once(settings: Settings, console: Console) -> RunSummary:
    engine = open_engine(settings.database_url())
    with Session(engine) as session, session.begin():
        business_ids, targets = sync_config(session, settings)
        run = Run(started_at=utcnow())
        session.add(run)
        session.flush()
        run_id, started_at = run.id, run.started_at
        # Sources never crawled successfully: their finds are a baseline, summarised once.
        baseline = set(session.scalars(select(Source.id).where(
            Source.id.in_([t.source_id for t in targets]), Source.first_crawled_at.is_(None))))
        credentials = platform_credentials(session, settings, targets)
    flow = MentionFlow(
        needs_match={t.source_id: t.source.needs_match for t in targets},  # type: ignore[misc]
        matchers={b.name: BusinessMatcher(b.keywords, b.exclude, b.require_any) for b in settings.businesses},
        scorer=make_scorer(settings),
        writer=MentionWriter(engine, business_ids, AlertPolicy(max_age_days=settings.alerts.max_age_days,
                                                               baseline_sources=baseline)),
    )
    with running_pipeline(flow) as pipeline:
        crawl(targets, crawler_settings(settings.crawler, {"ITEM_PIPELINES": ITEM_PIPELINES,
                                                           "MENTIONWATCH_CONTEXT": PipelineContext(pipeline)}),
              credentials=credentials)
        counts = pipeline.finish()

    summary = RunSummary(run_id=run_id)
    summary.sources_ok = sum(1 for t in targets if t.ok)
    summary.failures = [(t.label, t.error) for t in targets if t.error]
    summary.items_fetched = sum(t.fetched for t in targets)
    summary.new_mentions = sum(counts.new.values())
    summary.negative = sum(counts.negative.values())
    with Session(engine) as session, session.begin():
        record_outcomes(session, run_id, targets, dict(counts.new), utcnow())

    delivery = after_crawl(settings, engine, console, baseline_sources=baseline, run_started=started_at)
    summary.alerts_sent, summary.alerts_pending, summary.alert_error = delivery.sent, delivery.pending, delivery.error
    summary.alerts_held = delivery.held

    with Session(engine) as session, session.begin():
        run = session.get(Run, run_id)
        assert run is not None
        run.finished_at = utcnow()
        run.sources_ok = summary.sources_ok
        run.sources_failed = len(summary.failures)
        run.items_fetched = summary.items_fetched
        run.new_mentions = summary.new_mentions
        run.negative = summary.negative
        run.alerts_sent = summary.alerts_sent
        run.alerts_pending = summary.alerts_pending
        problems = [f"{label}: {reason}" for label, reason in summary.failures]
        if summary.alert_error:
            problems.append(f"slack: {summary.alert_error}")
        run.errors = "\n".join(problems) or None
    engine.dispose()
    return summary
