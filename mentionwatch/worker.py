"""Workers on PostgreSQL: the job queue (procrastinate), its tasks and schedule, and the worker loop.

`mentionwatch worker` runs jobs from a queue kept in the PostgreSQL database itself, on as many
machines as run it. The jobs are the rooms' own functions: a crawl of one source
(crawlers.jobs), planning and delivering alerts (alerts.cycle). This module only wires them:

- `crawl_source` is deferred with the source's site as its lock (no two workers ever fetch from
  one site at once: politeness holds across machines, and one source is never crawled twice at
  once) and a queueing lock per source (a source waits on the queue at most once).
- `fan_out` (periodic, every `worker.fanout_seconds`) queues the sources whose `next_check_at`
  has passed: one periodic task, however many sources (procrastinate defers at most ~70
  periodic tasks, #1464).
- `retry_stalled` (periodic) hands the jobs of a worker that stopped sending heartbeats (killed,
  its machine gone) back to the queue: procrastinate does not do it by itself (#1408).
- `deliver` plans and sends what is owed; one at a time (its lock), and planning is also
  serialised in the database (an advisory lock), so an alert is planned and posted once.

The worker keeps Scrapy's asyncio reactor, the scorer and the compiled matchers for its whole
life, and procrastinate's async worker runs in the same event loop: no start-up per job.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from procrastinate.retry import BaseRetryStrategy, RetryDecision
from rich.console import Console
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pipeline.errors import ConfigError
from pipeline.models import utcnow

log = logging.getLogger(__name__)

CRAWL_TASK = "mentionwatch.crawl_source"
DELIVER_TASK = "mentionwatch.deliver"
FAN_OUT_TASK = "mentionwatch.fan_out"
RETRY_STALLED_TASK = "mentionwatch.retry_stalled"
DELIVER_DUE_TASK = "mentionwatch.deliver_due"
PLANNING_LOCK = 0x6D77_706C  # "mwpl": one planner at a time across every worker
SCHEMA_LOCK = 0x6D77_7363  # "mwsc": the queue's tables are created once


def queue_conninfo(database_url: str) -> str:
    """The libpq address of the store's PostgreSQL database, where the queue lives too."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError("workers need a PostgreSQL database (`database: postgresql://...`); "
                          "on SQLite, run `mentionwatch run` from cron")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class WorkerTally:
    """What this worker process did since it started: the line it prints when it ends."""

    crawled: int = 0
    failed: int = 0
    new_mentions: int = 0
    negative: int = 0
    alerts_sent: int = 0

    def count_crawl(self, outcome: Any) -> None:
        """Count one crawl's `crawlers.jobs.CrawlOutcome`; a failure or a warning is said at once
        (journald reads stderr), in the words `run` uses."""
        self.crawled += 1
        self.new_mentions += outcome.new_mentions
        self.negative += outcome.negative
        if outcome.error:
            self.failed += 1
            log.warning("failed: %s: %s", outcome.label, outcome.error)
        elif outcome.warning:
            log.warning("warning: %s: %s", outcome.label, outcome.warning)

    def line(self) -> str:
        from mentionwatch.runner import plural

        return (f"{plural(self.crawled, 'source')} crawled, {self.failed} failed; "
                f"{plural(self.new_mentions, 'new mention')} ({self.negative} negative); "
                f"{plural(self.alerts_sent, 'alert')} sent")


@dataclass
class WorkerContext:
    """What the tasks share within one worker process."""

    settings: Any  # mentionwatch.config.Settings
    engine: Engine
    targets: dict[int, Any] = field(default_factory=dict)
    """Source id -> its crawlers.target.CrawlTarget, as config.yaml says when this process started."""
    workshop: Any = None  # crawlers.jobs.CrawlWorkshop, loaded by a worker (not by `run --queue`)
    console: Console = field(default_factory=lambda: Console(stderr=True, highlight=False))
    tally: WorkerTally = field(default_factory=WorkerTally)
    planner: PlanBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.planner = PlanBatcher(self)


class PlanBatcher:
    """Plans what crawls stored, many crawls at a time.

    Planning reads every business's owed mentions and trends, and only one planner runs at a
    time across the workers (an advisory lock): planned once per crawl, 2,000 first crawls
    waited in line for it, each holding a job slot. A crawl job still returns only once what
    it stored is planned (a worker killed before then has its job run again), but the crawls
    that finish while a plan runs are planned together by the next one.
    """

    def __init__(self, context: WorkerContext):
        self.context = context
        self._waiting: list[tuple[list[int], datetime, asyncio.Future[None]]] = []
        self._draining: asyncio.Future[None] | None = None

    async def plan(self, baseline_sources: list[int], run_started: datetime) -> None:
        """Return once what a crawl started at `run_started` stored is planned into the outbox."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((baseline_sources, run_started, done))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())
        await done

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            sources = [source for each, _, _ in batch for source in each]
            since = min(started for _, started, _ in batch)  # a baseline summary covers each crawl
            try:
                await asyncio.to_thread(_plan, self.context, sources, since)
            except Exception as exc:
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, _, done in batch:
                    if not done.done():
                        done.set_result(None)


def build_app(context: WorkerContext, periodic: bool = True) -> Any:
    """The procrastinate App on the store's database, with mentionwatch's tasks."""
    import procrastinate
    from procrastinate import retry as retries

    settings = context.settings
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=queue_conninfo(settings.database_url())))

    @app.task(name=CRAWL_TASK, retry=HandBack())
    async def crawl_source(source_id: int) -> dict[str, Any]:
        """Crawl one source; plan what it found into the outbox; ask for a delivery."""
        outcome = await context.workshop.crawl_source(source_id)
        context.tally.count_crawl(outcome)
        await _politeness_pause(context, outcome.api_interval)
        if outcome.new_mentions or outcome.baseline:
            await context.planner.plan([source_id] if outcome.baseline else [], outcome.run_started)
            await defer_once(app, DELIVER_TASK, "deliver", lock="deliver")
        return {"ok": outcome.ok, "new": outcome.new_mentions, "error": outcome.error}

    @app.task(name=DELIVER_TASK, retry=retries.RetryStrategy(max_attempts=5, exponential_wait=2))
    def deliver() -> dict[str, Any]:
        """Read reactions, plan, and send what the outbox owes (Slack, notify: destinations)."""
        result = _deliver(context)
        context.tally.alerts_sent += result.alerts_sent
        return {"sent": result.sent, "pending": result.pending, "error": result.error}

    # Registered in every worker (a burst worker may fetch one a waiting worker's schedule
    # deferred); only workers that wait for work defer them on their schedule.
    @app.task(name=FAN_OUT_TASK, queueing_lock="fan_out")
    async def fan_out(timestamp: int) -> int:
        """Queue every source whose next check has come."""
        return await queue_due_sources(app, context)

    @app.task(name=RETRY_STALLED_TASK, queueing_lock="retry_stalled")
    async def retry_stalled(timestamp: int) -> int:
        """Hand back the jobs of workers that stopped sending heartbeats."""
        return await retry_stalled_jobs(app, settings.worker.stalled_after_seconds)

    @app.task(name=DELIVER_DUE_TASK, queueing_lock="deliver_due")
    async def deliver_due(timestamp: int) -> None:
        """Every minute: what quiet hours held, and retries of failed messages."""
        await defer_once(app, DELIVER_TASK, "deliver", lock="deliver")

    if periodic:
        cron = _every(settings.worker.fanout_seconds)
        app.periodic(cron=cron, periodic_id="fan_out")(fan_out)
        app.periodic(cron=cron, periodic_id="retry_stalled")(retry_stalled)
        app.periodic(cron="* * * * *", periodic_id="deliver")(deliver_due)

    return app


class HandBack(BaseRetryStrategy):
    """Retries: a crawl stopped by a shutting-down worker goes back to the queue at once; other
    failures (the database restarting) are retried a few times, waiting longer each time."""

    def get_retry_decision(self, *, exception: BaseException, job: Any) -> RetryDecision | None:
        from crawlers.jobs import CrawlInterrupted

        if isinstance(exception, (CrawlInterrupted, asyncio.CancelledError)):
            return RetryDecision(retry_in={"seconds": 0})
        if job.attempts >= 5:
            return None
        return RetryDecision(retry_in={"seconds": 2 ** (job.attempts + 1)})


def _every(seconds: int) -> str:
    """A cron line for "every `seconds`" (procrastinate's sixth column is seconds)."""
    if seconds % 60 == 0:
        minutes = seconds // 60
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    return f"* * * * * */{seconds}"


async def defer_once(app: Any, task: str, queueing_lock: str, **options: Any) -> bool:
    """Defer `task` unless one is already waiting with this queueing lock; whether it was deferred."""
    from procrastinate import exceptions

    try:
        await app.configure_task(task, queueing_lock=queueing_lock, **options).defer_async()
        return True
    except exceptions.AlreadyEnqueued:
        return False


async def queue_due_sources(app: Any, context: WorkerContext, now: datetime | None = None) -> int:
    """Queue a crawl of every configured source that is due; move each one's next check on.

    A source still waiting on the queue is not queued twice (its queueing lock).
    """
    from procrastinate import exceptions

    from crawlers.schedule import due_sources, move_next_checks

    now = now or utcnow()
    due = await asyncio.to_thread(_read, context.engine, lambda s: due_sources(s, context.targets, now))
    queued = []
    for source_id, site in due:
        try:
            await app.configure_task(CRAWL_TASK, lock=f"site:{site}",
                                     queueing_lock=f"source:{source_id}").defer_async(source_id=source_id)
        except exceptions.AlreadyEnqueued:
            pass
        queued.append(source_id)
    await asyncio.to_thread(_write, context.engine, lambda s: move_next_checks(s, context.targets, queued, now))
    return len(queued)


async def retry_stalled_jobs(app: Any, stalled_after: float) -> int:
    """Put back on the queue the running jobs of workers silent for `stalled_after` seconds."""
    stalled = [job.id for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)]
    # A starting worker prunes the rows of silent workers, which leaves their running jobs
    # without a worker: procrastinate's stalled-job query (by heartbeat) no longer finds them,
    # and a job holding a lock would hold it for ever.
    async with app.connector.pool.connection() as connection:
        cursor = await connection.execute(
            "SELECT id FROM procrastinate_jobs WHERE status = 'doing' AND worker_id IS NULL")
        stalled += [row[0] for row in await cursor.fetchall()]
    for job_id in stalled:
        await hand_back(app, job_id)
    return len(stalled)


async def hand_back(app: Any, job_id: int) -> None:
    """Put a dead worker's running job back on the queue, or drop it when the same work waits.

    A job that waits on the queue holds its queueing lock (one waiting crawl per source, one
    waiting delivery): a dead worker's crawl of a source that was queued again since cannot go
    back beside it, and need not, since the waiting job does the same work. It is closed as
    aborted, which also frees the site's lock it held.
    """
    from procrastinate import exceptions
    from procrastinate.jobs import Status

    try:
        try:
            await app.job_manager.retry_job_by_id_async(job_id=job_id, retry_at=utcnow())
            log.warning("job %s of a worker taken for dead goes back on the queue", job_id)
        except exceptions.UniqueViolation:
            await app.job_manager.finish_job_by_id_async(job_id=job_id, status=Status.ABORTED, delete_job=False)
            log.warning("job %s of a worker taken for dead is dropped: the same job waits on the queue", job_id)
    except exceptions.ConnectorException as exc:
        # Another worker handed it back first (it is no longer running), or the database is
        # away: the others are still handed back, and the next check tries again.
        log.info("job %s not handed back: %s", job_id, str(exc.__cause__ or exc).splitlines()[0])


def _read(engine: Engine, work: Any) -> Any:
    with Session(engine) as session:
        return work(session)


def _write(engine: Engine, work: Any) -> Any:
    with Session(engine) as session, session.begin():
        return work(session)


@contextmanager
def planning_lock(engine: Engine) -> Iterator[None]:
    """One planner or deliverer at a time across every worker (PostgreSQL's advisory lock, held by
    a connection: a killed worker's lock goes with its connection)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PLANNING_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PLANNING_LOCK})
            connection.commit()


def _plan(context: WorkerContext, baseline_sources: list[int], run_started: datetime) -> None:
    """Plan what a crawl stored into the outbox (no network): the next delivery sends it."""
    from alerts.cycle import after_crawl

    with planning_lock(context.engine):
        # Trends (a read of every business's history, most of a plan's time with 500
        # businesses) are checked by the delivery each such plan asks for.
        after_crawl(context.settings, context.engine, context.console, baseline_sources=baseline_sources,
                    run_started=run_started, plan_only=True, check_trends=False)


def _deliver(context: WorkerContext) -> Any:
    from alerts.cycle import after_crawl
    from respond.reactions import read_reactions

    with planning_lock(context.engine):
        result = after_crawl(context.settings, context.engine, context.console, read_reactions=read_reactions)
    for problem in result.problems:
        log.warning("alerts: %s", problem)
    return result


async def _politeness_pause(context: WorkerContext, api_interval: float) -> None:
    """Hold the site's lock for the configured delay after the last request, so the next job for
    the same site (on any worker) keeps the pause a single crawl would keep; for an API, the
    spacing it asks for (Reddit's 9 a minute without OAuth: all of a run's requests to it share
    one pace, and a worker's jobs must too)."""
    workshop = context.workshop
    delay = max(api_interval, workshop.scrapy_settings.getfloat("DOWNLOAD_DELAY"),
                workshop.scrapy_settings.getfloat("AUTOTHROTTLE_START_DELAY")
                if workshop.scrapy_settings.getbool("AUTOTHROTTLE_ENABLED") else 0.0)
    if delay > 0 and not workshop.stopping:
        await asyncio.sleep(delay)


# ------------------------------------------------------------------------ the schema of the queue

async def ensure_queue_schema(app: Any) -> None:
    """Create procrastinate's tables in the database the first time (once, whoever comes first)."""
    async with app.connector.pool.connection() as connection:
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            cursor = await connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            row = await cursor.fetchone()
            if row is not None and row[0]:
                return
            await connection.execute(app.schema_manager.get_schema())


async def queue_now(settings: Any) -> tuple[int, datetime | None]:
    """`run --queue`: put every due source on the queue and return how many were queued, and
    when the next source is due."""
    from crawlers.schedule import next_check
    from pipeline.store import open_engine

    engine = open_engine(settings.database_url(), writable=True)
    context = WorkerContext(settings=settings, engine=engine)
    app = build_app(context, periodic=False)
    try:
        async with app.open_async():
            await ensure_queue_schema(app)
            context.targets = await asyncio.to_thread(_write, engine, lambda s: _sync(s, settings))
            queued = await queue_due_sources(app, context)
            return queued, await asyncio.to_thread(_read, engine, lambda s: next_check(s, context.targets))
    finally:
        engine.dispose()


def _sync(session: Session, settings: Any) -> dict[int, Any]:
    from crawlers.state import sync_config

    _, targets = sync_config(session, settings)
    return {t.source_id: t for t in targets}


# ------------------------------------------------------------------------ the worker process

@dataclass
class WorkerOutcome:
    stopped_by: str | None = None
    tally: WorkerTally = field(default_factory=WorkerTally)


def run_worker(settings: Any, concurrency: int, burst: bool,
               ready: Callable[[int], None] | None = None) -> WorkerOutcome:
    """Run jobs until stopped (SIGINT, SIGTERM) or, with `burst`, until nothing is queued or running;
    `ready` is told how many sources this worker knows once it is ready to take jobs.

    One asyncio reactor for the whole life of the process: Scrapy's crawls and procrastinate's
    worker share its event loop.
    """
    from scrapy.utils.reactor import install_reactor

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor

    loop = asyncio.get_event_loop()
    outcome = WorkerOutcome()
    main = asyncio.ensure_future(_serve(settings, concurrency, burst, outcome, ready), loop=loop)
    main.add_done_callback(lambda _: reactor.stop())  # type: ignore[attr-defined]
    reactor.run(installSignalHandlers=False)  # type: ignore[attr-defined]
    main.result()
    return outcome


async def _serve(settings: Any, concurrency: int, burst: bool, outcome: WorkerOutcome,
                 ready: Callable[[int], None] | None) -> None:
    from crawlers.jobs import CrawlWorkshop, QuickCopySettings
    from crawlers.process import crawler_settings
    from mentionwatch.live_streams import LiveStreams
    from mentionwatch.runner import make_scorer, platform_credentials
    from mentionwatch.stream_lease import StreamLease
    from pipeline.store import open_engine

    engine = open_engine(settings.database_url(), writable=True)
    workshop = CrawlWorkshop(
        settings=settings, engine=engine, scorer=make_scorer(settings),
        scrapy_settings=QuickCopySettings(crawler_settings(settings.crawler)),
        credentials=lambda session, targets: platform_credentials(session, settings, targets),
        alert_unscored=settings.alerts.unscored == "alert", max_age_days=settings.alerts.max_age_days,
    )
    await asyncio.to_thread(workshop.load)
    context = WorkerContext(settings=settings, engine=engine, targets=workshop.targets, workshop=workshop,
                            tally=outcome.tally)
    app = build_app(context, periodic=not burst)
    options = settings.worker
    loop = asyncio.get_running_loop()
    # A long-running worker holds the live streams when it wins their lease (one worker of all).
    # A worker keeps the config it started with: say so when the file changes.
    config_watch = None if burst else asyncio.ensure_future(_say_when_config_changes(settings, options.fanout_seconds))
    lease = None
    if not burst and LiveStreams.wanted(settings):
        def request_delivery() -> bool:
            """From the streams' thread: queue the delivery job; False (asked again) on failure."""
            try:
                asyncio.run_coroutine_threadsafe(defer_once(app, DELIVER_TASK, "deliver", lock="deliver"),
                                                 loop).result(timeout=30)
            except Exception as exc:  # the database restarting, the worker stopping
                log.warning("live streams: cannot queue a delivery (%s); trying again", exc)
                return False
            return True

        lease = StreamLease(settings, request_delivery)
    try:
        async with app.open_async():
            await ensure_queue_schema(app)
            if ready is not None:
                ready(len(workshop.targets))
            if lease is not None:
                lease.start()
            worker = asyncio.ensure_future(app.run_worker_async(
                concurrency=concurrency, wait=True, install_signal_handlers=False,
                update_heartbeat_interval=options.heartbeat_seconds,
                stalled_worker_timeout=options.stalled_after_seconds,
                shutdown_graceful_timeout=options.stop_within_seconds,
                # Jobs held back by a site's lock become free without a notification: ask often.
                fetch_job_polling_interval=0.25,
                # Each source's outcome is in the store's own history (runs, source_runs): a
                # finished job is not worth a row per source and cycle; failures stay to be read.
                delete_jobs="successful",
            ))

            def stop(signum: int) -> None:
                outcome.stopped_by = signal.Signals(signum).name
                workshop.stop()  # crawls in progress end now; their jobs go back on the queue
                worker.cancel()  # procrastinate then stops fetching and waits for the jobs

            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop, signum)
            watcher = (asyncio.ensure_future(_until_queue_empty(app, worker, options.stalled_after_seconds))
                       if burst else None)
            try:
                await worker
            except asyncio.CancelledError:
                if outcome.stopped_by is None and watcher is None:
                    raise
            finally:
                if watcher is not None:
                    watcher.cancel()
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(signum)
                if lease is not None:  # while the queue is open: a last post's delivery is queued
                    await asyncio.to_thread(lease.stop)
    finally:
        if config_watch is not None:
            config_watch.cancel()
        engine.dispose()


async def _say_when_config_changes(settings: Any, every: float) -> None:
    """Look at config.yaml (and the files it includes) every `every` seconds; when one changed, read
    it again and say once, in the log, when what it says is no longer what this worker runs on: a
    changed config takes effect when the workers restart, and nobody should wait for it."""
    from mentionwatch.config import load_settings

    if settings.path is None:
        return
    said, seen = None, _stamps(settings.files)
    while True:
        await asyncio.sleep(every)
        stamps = _stamps(settings.files)
        if stamps == seen:  # reading a config of 500 businesses takes half a second: only when touched
            continue
        seen = stamps
        try:
            now = await asyncio.to_thread(load_settings, settings.path)
            news = None if now == settings else (
                f"{settings.path} has changed since this worker started: restart the workers for it to take effect")
        except ConfigError as exc:
            reason = str(exc).splitlines()[0]  # one line in the log; `check` shows the whole of it
            news = f"{settings.path} has changed and no longer loads ({reason}); this worker keeps the config it started with"
        if news is not None and news != said:
            log.warning("%s", news)
        said = news


def _stamps(files: tuple[Path, ...]) -> list[tuple[int, int] | None]:
    """When each file and its folder (where an `include:` pattern may match a new file) last
    changed, and each file's size; None for one that is gone."""
    stamps = []
    for path in (*files, *dict.fromkeys(f.parent for f in files)):
        try:
            status = path.stat()
        except OSError:
            stamps.append(None)
        else:
            stamps.append((status.st_mtime_ns, status.st_size))
    return stamps


async def _until_queue_empty(app: Any, worker: asyncio.Future[Any], stalled_after: float) -> None:
    """--burst: stop the worker once no job is waiting (due or not) or running, twice in a row.

    Jobs a dead worker left running count as running until they are handed back, which this
    does too (a burst worker runs no periodic tasks). Once the queue is empty, one delivery runs
    before the end: a crawl run again after its worker was killed finds its mentions stored
    already, and what they are owed is planned and sent by a delivery."""
    empty_checks, delivered = 0, False
    while not worker.done():
        await asyncio.sleep(0.5)
        try:
            await retry_stalled_jobs(app, stalled_after)
            async with app.connector.pool.connection() as connection:
                cursor = await connection.execute(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
                row = await cursor.fetchone()
        except Exception as exc:  # the database restarting: ask again, never stop watching
            log.warning("burst: cannot read the queue (%s); trying again", exc)
            empty_checks = 0
            continue
        empty_checks = empty_checks + 1 if row is not None and row[0] == 0 else 0
        if empty_checks >= 2 and not delivered:
            delivered = True
            empty_checks = 0
            await defer_once(app, DELIVER_TASK, "deliver", lock="deliver")
        elif empty_checks >= 2:
            worker.cancel()
            return
