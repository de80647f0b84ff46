"""The crawl job of a long-lived worker: one source crawled inside a reactor that keeps running.

`mentionwatch run` starts Scrapy for one run and stops it (crawlers.process). A worker
(`mentionwatch worker`) instead keeps one asyncio reactor, Scrapy's settings, the compiled
matchers and the loaded scorer for its whole life, and runs each job as one more crawl in it:
a job for a source that did not change costs its requests and little else.

A job is idempotent, so a job run again after its worker was killed changes nothing twice:
mentions are deduplicated by the store, and a source's validators and cursor move only in the
transaction that records its successful crawl (crawlers.state.record_outcomes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerRunner
from scrapy.settings import BaseSettings, SettingsAttribute
from scrapy.settings import Settings as ScrapySettings
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawlers.config import CrawlConfig, Credentials
from crawlers.pacing import api_interval
from crawlers.process import spider_class
from crawlers.robots_cache import share_robots_txt
from crawlers.state import record_outcomes, sync_config
from crawlers.target import CrawlTarget
from pipeline.adapters import ITEM_PIPELINES, PipelineContext
from pipeline.flow import MentionFlow
from pipeline.match import BusinessMatcher
from pipeline.models import Run, Source, utcnow
from pipeline.sentiment import SentimentScorer
from pipeline.worker import InlinePipeline
from pipeline.writer import AlertPolicy, MentionWriter

log = logging.getLogger(__name__)


class QuickCopySettings(ScrapySettings):
    """Scrapy's settings, copied per crawl without `copy.deepcopy`.

    Every crawler copies its settings; a deep copy of Scrapy's few hundred defaults costs about
    10 ms, half the CPU a job for an unchanged source may take. Values are numbers, strings,
    lists, dicts and nested settings: containers are copied one level down (nested settings
    recursively), which is all a crawler changes in its copy.
    """

    def copy(self) -> QuickCopySettings:
        return _quick_copy(self)


def _quick_copy(settings: BaseSettings) -> Any:
    new = object.__new__(type(settings))
    new.__dict__.update(settings.__dict__)
    new.frozen = False
    new.attributes = {name: SettingsAttribute(_copied(attribute.value), attribute.priority)
                      for name, attribute in settings.attributes.items()}
    return new


def _copied(value: Any) -> Any:
    if isinstance(value, BaseSettings):
        return _quick_copy(value)
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


def settings_for_many_crawls(settings: ScrapySettings) -> None:
    """Cut from `settings` what Scrapy does again in every crawl, for a process that runs many.

    Each job is a crawl of its own, so what Scrapy does once per crawl is paid per job:
    - its check of every callback's source for a `return value` in a generator (a developer's
      warning, about a third of an unchanged source's CPU) caches its answer per bound method,
      so per spider, so never hits; `mentionwatch run` and the tests keep the check;
    - robots.txt is read once an hour per site by the worker, not once per job (robots_cache);
    - the dump of Scrapy's stats at the end of each crawl (formatted even when not logged):
      each job's outcome is in the store's history (runs, source_runs).
    """
    settings.set("WARN_ON_GENERATOR_RETURN_VALUE", False, priority="cmdline")
    settings.set("STATS_DUMP", False, priority="cmdline")
    share_robots_txt(settings)


class CrawlInterrupted(Exception):
    """The worker was asked to stop during this crawl: the job is handed back, to run again."""


@dataclass
class CrawlOutcome:
    """What one job did, for the wiring that plans alerts after it."""

    source_id: int
    run_started: datetime
    baseline: bool
    """The source's first successful crawl: its finds are summarised once, not alerted one by one."""
    ok: bool = False
    new_mentions: int = 0
    negative: int = 0
    error: str | None = None
    warning: str | None = None
    """What a crawl that worked noted (a feed read despite its errors, a page cap reached)."""
    label: str = ""
    """The source as `run` names it ("Joe's Donuts / feed news.example/feed.xml")."""
    api_interval: float = 0.0
    """The seconds the source's API asks between two requests (crawlers.pacing), 0 for a site."""


@dataclass
class CrawlWorkshop:
    """What a worker keeps loaded between jobs, built once when it starts.

    The configured sources are synced into the store once (as `run` does at each start); each
    job then reads only its own source's row.
    """

    settings: CrawlConfig
    engine: Engine
    scorer: SentimentScorer
    scrapy_settings: ScrapySettings
    credentials: Callable[[Session, list[CrawlTarget]], Credentials]
    """The configured credentials plus those stored by `connect` (failing the targets it cannot read)."""
    alert_unscored: bool = False
    max_age_days: int = 7
    business_ids: dict[str, int] = field(default_factory=dict)
    targets: dict[int, CrawlTarget] = field(default_factory=dict)
    matchers: dict[str, BusinessMatcher] = field(default_factory=dict)
    runner: CrawlerRunner | None = None
    _running: set[Crawler] = field(default_factory=set)
    stopping: bool = False

    def load(self) -> None:
        """Sync config.yaml's businesses and sources into the store; compile the matchers."""
        with Session(self.engine) as session, session.begin():
            self.business_ids, targets = sync_config(session, self.settings)
        self.targets = {t.source_id: t for t in targets if t.source_id is not None}
        self.matchers = {b.name: BusinessMatcher(b.keywords, b.exclude, b.require_any)
                         for b in self.settings.businesses}
        self.scorer.prepare()
        settings_for_many_crawls(self.scrapy_settings)
        self.runner = CrawlerRunner(self.scrapy_settings)

    async def crawl_source(self, source_id: int) -> CrawlOutcome:
        """Crawl one source, store and score what is new, record its outcome.

        Raises CrawlInterrupted when the worker is stopping: nothing of the source's state moved,
        so the job can run again anywhere.
        """
        assert self.runner is not None, "load() first"
        configured = self.targets.get(source_id)
        if configured is None:
            # Removed from config.yaml since it was queued (or this worker's copy is older).
            log.info("source %s is not in this worker's config.yaml: skipped", source_id)
            return CrawlOutcome(source_id, utcnow(), baseline=False, ok=True)
        with Session(self.engine) as session, session.begin():
            row = session.get(Source, source_id)
            if row is None:
                return CrawlOutcome(source_id, utcnow(), baseline=False, ok=True)
            target = CrawlTarget(business=configured.business, source=configured.source, source_id=source_id,
                                 validators=dict(row.http_validators or {}), cursor=dict(row.cursor or {}),
                                 timezone=configured.timezone)
            baseline = row.first_crawled_at is None
            run = Run(started_at=utcnow(), status="running")
            session.add(run)
            session.flush()
            run_id, started = run.id, run.started_at
            credentials = self.credentials(session, [target])
        outcome = CrawlOutcome(source_id, started, baseline=baseline,
                               api_interval=api_interval(target.source, credentials))
        flow = MentionFlow(
            needs_match={source_id: target.source.needs_match},
            matchers=self.matchers,
            scorer=self.scorer,
            writer=MentionWriter(self.engine, self.business_ids,
                                 AlertPolicy(max_age_days=self.max_age_days,
                                             baseline_sources={source_id} if baseline else set(),
                                             alert_unscored=self.alert_unscored)),
        )
        pipeline = InlinePipeline(flow)
        if target.error is None:
            await self._crawl(target, pipeline, credentials)
        if self.stopping and not target.finished and target.error is None:
            # Stopped halfway: what was stored stays (it is deduplicated when the job runs
            # again); the run is recorded as interrupted and the source's state does not move.
            target.interrupt()
        counts = pipeline.finish()
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            record_outcomes(session, run_id, [target], dict(counts.new), now)
            run = session.get(Run, run_id)
            assert run is not None
            run.finished_at = now
            run.status = "interrupted" if target.interrupted else "finished"
            run.sources_ok, run.sources_failed = int(target.ok), int(target.error is not None)
            run.items_fetched, run.new_mentions = target.fetched, sum(counts.new.values())
            run.negative = sum(counts.negative.values())
            run.errors = f"{target.label}: {target.error}" if target.error else None
        if target.interrupted:
            raise CrawlInterrupted(f"{target.label}: stopped before it finished")
        outcome.ok, outcome.error, outcome.warning, outcome.label = target.ok, target.error, target.warning, target.label
        outcome.new_mentions, outcome.negative = sum(counts.new.values()), sum(counts.negative.values())
        return outcome

    async def _crawl(self, target: CrawlTarget, pipeline: InlinePipeline, credentials: Credentials) -> None:
        assert self.runner is not None
        # The crawler copies the worker's settings (cheaply: QuickCopySettings); this job's
        # pipeline goes into the copy, before the crawl freezes it.
        crawler = Crawler(spider_class(target.source.type), self.scrapy_settings)  # type: ignore[attr-defined]
        crawler.settings.setdict({"ITEM_PIPELINES": ITEM_PIPELINES, "MENTIONWATCH_CONTEXT": PipelineContext(pipeline)},
                                 priority="cmdline")

        def finished(spider: object, reason: str) -> None:
            if reason == "finished":
                target.finished = True

        crawler.signals.connect(finished, signal=signals.spider_closed, weak=False)
        self._running.add(crawler)
        try:
            deferred = self.runner.crawl(crawler, targets=[target], credentials=credentials)
            await deferred.asFuture(asyncio.get_running_loop())
        finally:
            self._running.discard(crawler)

    def stop(self) -> None:
        """Stop every crawl in progress now (downloads in flight are abandoned, not awaited)."""
        self.stopping = True
        for crawler in list(self._running):
            try:
                engine = crawler.engine
            except AttributeError:  # not started yet: it will find `stopping` set
                continue
            if engine.spider is not None:
                asyncio.ensure_future(engine.close_spider_async(reason="shutdown"))
