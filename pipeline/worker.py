"""The pipeline on the second core: a forked worker process runs the run's `MentionFlow`.

Scrapy parses in one thread, and judging a mention (HTML to text, URLs, fingerprints, VADER,
the store) costs about as much again. The work is split so that both cores stay busy: the crawl
process turns each item into plain text and matches it as it is handed over
(``MentionFlow.normalize``; items not about the business never cross); a child forked just
before the crawl inherits the flow ready-built (matchers compiled; the scorer is built by the
first text to score, so a run that finds nothing new never loads it), receives the kept records
in batches through a queue, dedups, scores and stores them
(``MentionFlow.take``), and sends back the run's counts at the end.

On a backfill the worker's share (dedup, scoring, storing) outweighs the crawl's (parsing), so
the crawl process takes what it can of the worker's: the dedup keys (canonical URL,
fingerprint, content hash) of the records it hands over while the worker is busy; the verdicts
too while the worker is more than half a queue behind; and, at the end of the crawl, while the
worker still works through its queue (far behind, if this process has no scorer yet), the
verdicts of hand-offs it takes back from the queue and queues again judged. The worker skips
what arrives done. On a source's first crawl the worker loads the scorer as soon as it starts.

The queue is bounded, which is the backpressure: when the worker falls behind, the crawl waits
before handing over more (and Scrapy, its items waiting, pauses its downloads), so neither
process ever holds more than a bounded number of items however long the crawl.

Where ``fork`` is unavailable, or there is one core only, the flow runs in-process instead
(`InlinePipeline`), with the same interface and results.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import signal
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Protocol

from pipeline.errors import StoreError
from pipeline.flow import MentionFlow
from pipeline.items import MentionItem
from pipeline.record import MentionRecord, add_dedup_keys
from pipeline.writer import WriteCounts

log = logging.getLogger(__name__)

HANDOFF_SIZE = 200
"""Records per message to the worker: enough to make pickling and the pipe cheap per item."""
QUEUED_BATCHES = 50
"""Messages the crawl may be ahead of the worker (10,000 records, some 20 MB) before it waits.

Scrapy parses every response it holds (up to the download concurrency) before their items flow,
so items come in bursts of several feeds; the queue must hold a burst for the worker to stay busy
while the next feeds are parsed."""

KEYED_PAST = 1
"""Hand-offs the worker may have waiting before the crawl process computes the dedup keys of the
records it hands over. With the worker idle, the crawl is the slower of the two: then the keys
are left to the worker."""
TAKEN_BACK_PAST = 10
"""Hand-offs the worker must still have queued when the crawl ends for the crawl process, without
a scorer yet, to load one and take hand-offs back to judge (`WorkerPipeline._judge_queued`)."""
TAKE_BACK_WAIT = 0.5
"""Seconds the crawl process waits for a queued hand-off it takes back (the worker may be taking
the last ones itself, and then nothing comes)."""


class Pipeline(Protocol):
    """Where the crawl hands its items; `finish` returns the run's counts.

    `submit` never waits. Before submitting more, a caller waits until `ready()` (without
    blocking its event loop: the crawl's downloads must go on), which is False while the
    worker is a full queue behind.
    """

    def submit(self, item: MentionItem) -> None: ...

    def ready(self) -> bool: ...

    def finish(self) -> WriteCounts: ...


class InlinePipeline:
    """The flow in this process: for one core, or where fork is unavailable."""

    def __init__(self, flow: MentionFlow):
        self.flow = flow
        self._error: str | None = None

    def submit(self, item: MentionItem) -> None:
        if self._error is not None:
            return
        try:
            self.flow.process((item,))
        except Exception as exc:  # noqa: BLE001 - Scrapy would only log it; finish() fails the run
            self._error = _describe(exc)

    def ready(self) -> bool:
        return True

    def finish(self) -> WriteCounts:
        if self._error is not None:
            raise StoreError(f"storing mentions failed: {self._error}")
        return self.flow.finish()

    def close(self) -> None:
        """Nothing to stop."""


class WorkerPipeline:
    """The flow in a forked child process, fed through a bounded queue."""

    def __init__(self, flow: MentionFlow):
        # No database connection may cross the fork (SQLite's locks and a server connection's
        # protocol state belong to one process): the pooled ones are closed first, and each
        # process opens its own as it needs them.
        flow.writer.engine.dispose()
        context = multiprocessing.get_context("fork")
        self._batches: multiprocessing.Queue[list[MentionRecord] | None] = context.Queue(QUEUED_BATCHES)
        self._result, result_in = context.Pipe(duplex=False)
        # Daemonic: if this process dies, the worker goes with it rather than linger.
        self._process = context.Process(
            target=_serve, args=(self._batches, result_in, flow), name="mentionwatch-pipeline",
            daemon=True,
        )
        self._process.start()
        result_in.close()  # only the worker writes there: when it dies, reading ends
        self._flow = flow
        self._buffer: list[MentionRecord] = []
        self._waiting: list[MentionRecord] | None = None  # a full batch the queue had no room for
        self._error: str | None = None  # the first failure on this side, which fails the run

    def submit(self, item: MentionItem) -> None:
        if self._error is not None:
            return
        try:
            record = self._flow.normalize(item)
            if record is not None and self._worker_behind(min(KEYED_PAST, QUEUED_BATCHES - 1)):
                # The dedup keys are the worker's work that costs no model to do: done here while
                # the worker is busy, they even out the two processes' shares of a backfill.
                # (A worker half a queue behind, when this process judges too, is busy a fortiori.)
                add_dedup_keys(record)
                if self._worker_behind():
                    self._flow.score_ahead(record)
        except Exception as exc:  # noqa: BLE001 - Scrapy would only log it; finish() fails the run
            self._error = _describe(exc)
            return
        if record is None:
            return
        self._buffer.append(record)
        if len(self._buffer) >= HANDOFF_SIZE and self._waiting is None:
            self._waiting, self._buffer = self._buffer, []
            self.ready()

    def _worker_behind(self, batches: int | None = None) -> bool:
        """Whether the worker has more than `batches` hand-offs still to do (default: half a queue).

        Past half a queue, each record the crawl hands over it also judges itself (`submit`),
        which the worker then skips. Not sooner: the crawl process would first load a scorer and
        a language model of its own (some 0.7 s of CPU), which pays only when the worker is far
        behind. Judging ahead is wasted only on a record the store turns out to know already; a
        worker that has fallen behind is storing new records, not skipping known ones."""
        try:
            return self._batches.qsize() > (QUEUED_BATCHES // 2 if batches is None else batches)
        except NotImplementedError:  # macOS has no sem_getvalue
            return False

    def ready(self) -> bool:
        if self._waiting is not None:
            try:
                self._batches.put_nowait(self._waiting)
            except queue.Full:
                if self._process.is_alive():
                    return False
                # The worker is gone and will take nothing more; finish() says why.
            self._waiting = None
        return True

    def _judge_queued(self) -> None:
        """At the end of the crawl, while the worker is still behind: take hand-offs back from
        the queue, judge them here and queue them again, judged (the worker only stores them).
        This process would otherwise wait idle for the worker. Without a scorer of its own yet,
        only with the worker far behind: loading one (some 0.4 s) pays only with that much work."""
        past = 0 if self._flow.scorer_ready else TAKEN_BACK_PAST
        if self._error is not None or not self._worker_behind(past):
            return
        while self._error is None and self._worker_behind(1):
            try:
                # Not get_nowait: the queue counts hand-offs this process's feeder thread has not
                # yet written to the pipe, and the worker may hold the reading lock a moment; on
                # a busy machine an instant look found nothing and the worker was left all of it.
                batch = self._batches.get(timeout=TAKE_BACK_WAIT)
            except (queue.Empty, OSError):
                return
            try:
                if batch is None or all(record.score is not None for record in batch):
                    return  # judged already: every hand-off still queued has been seen
                for record in batch:
                    add_dedup_keys(record)
                    self._flow.score_ahead(record)
            except Exception as exc:  # noqa: BLE001 - fails the run in finish()
                self._error = _describe(exc)
            finally:
                self._put(batch)  # never dropped, judged or not

    def _put(self, batch: list[MentionRecord] | None) -> None:
        # The queue is full only while the worker is behind; a worker that died never empties
        # it, so waiting gives up when the worker is gone (finish() then says why).
        while self._process.is_alive():
            try:
                self._batches.put(batch, timeout=1)
                return
            except queue.Full:
                continue

    def finish(self) -> WriteCounts:
        for batch in (self._waiting, self._buffer):
            if batch:
                self._put(batch)
        self._waiting, self._buffer = None, []
        self._judge_queued()
        self._put(None)
        try:
            status, payload = self._result.recv()
        except (OSError, EOFError):
            self._process.join(5)
            raise StoreError(f"the pipeline worker stopped unexpectedly (exit code {self._process.exitcode})") from None
        self._process.join()
        if status != "ok" or self._error is not None:
            raise StoreError(f"storing mentions failed: {payload if status != 'ok' else self._error}")
        return payload

    def close(self) -> None:
        """Stop the worker if it is still running (the crawl failed before `finish`)."""
        if self._process.is_alive():
            self._process.kill()  # it ignores SIGTERM, which is for the run as a whole
        self._process.join(5)
        self._result.close()
        self._batches.cancel_join_thread()  # what a stopped worker did not take is dropped
        self._batches.close()


def _serve(batches: multiprocessing.Queue, result: Connection, flow: MentionFlow) -> None:
    """The worker: process batches until the end marker, then answer with counts or an error."""
    # Ctrl-C and SIGTERM (sent to the whole process group) are the parent's to handle: it stops
    # the crawl and then ends the worker as usual, so what was crawled is still stored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parent = os.getppid()
    _plain_logging()
    # What the worker inherited (modules, the flow) lives until it exits: the collector need not
    # walk it again and again while the records churn.
    gc.freeze()
    # The scorer and its language model are loaded by the first text that needs them: most runs
    # find nothing new. A first crawl's finds are new, though: then they are loaded now, while
    # the crawl fetches and parses its first pages, rather than after, in the way of the first records.
    error: str | None = None
    if flow.expects_new:
        try:
            flow.prepare_scorer()
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the run
            error = _describe(exc)
    while (batch := _next_batch(batches, parent)) is not None:
        if error is None:
            try:
                flow.take(batch)
            except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the run
                error = _describe(exc)
        # After an error the batches are still taken, so the parent never waits on a full queue.
    if error is None:
        try:
            result.send(("ok", flow.finish()))
            return
        except Exception as exc:  # noqa: BLE001
            error = _describe(exc)
    result.send(("error", error))


def _next_batch(batches: multiprocessing.Queue, parent: int) -> list[MentionRecord] | None:
    """The next batch, or None at the end; the worker exits if its parent is gone."""
    while True:
        try:
            return batches.get(timeout=1)
        except queue.Empty:
            if os.getppid() != parent:  # the parent was killed: nobody will send or read
                os._exit(1)


def _describe(exc: BaseException) -> str:
    log.debug("pipeline worker failed:\n%s", "".join(traceback.format_exception(exc)))
    return f"{type(exc).__name__}: {exc}"[:500]


def _plain_logging() -> None:
    """Swap rich log handlers for plain ones: a spinner thread of the parent may have held the
    rich console's lock at the moment of the fork, and in the child nobody would release it."""
    root = logging.getLogger()
    for index, handler in enumerate(root.handlers):
        if hasattr(handler, "console"):
            plain = logging.StreamHandler(sys.stderr)
            plain.setLevel(handler.level)
            plain.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
            for redaction in handler.filters:
                plain.addFilter(redaction)
            root.handlers[index] = plain


def can_fork() -> bool:
    """Whether a worker process can run beside the crawl, and whether it pays (two cores)."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


@contextmanager
def running_pipeline(flow: MentionFlow) -> Iterator[Pipeline]:
    """The run's pipeline: in a worker process when that can pay, else in this process.

    Leaving the block stops a worker that was not finished.
    """
    pipeline = WorkerPipeline(flow) if can_fork() else InlinePipeline(flow)
    try:
        yield pipeline
    finally:
        pipeline.close()
