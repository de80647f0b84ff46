"""The pipeline in a worker process and in-process: the same results, and failures that surface."""

from __future__ import annotations

import multiprocessing
import os
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.errors import StoreError
from pipeline.flow import MentionFlow
from pipeline.items import MentionItem
from pipeline.match import BusinessMatcher
from pipeline.models import Business, Mention, Source
from pipeline.sentiment import SentimentScorer
from pipeline.store import open_engine
from pipeline.worker import InlinePipeline, WorkerPipeline, can_fork
from pipeline.writer import AlertPolicy, MentionWriter, WriteCounts

needs_fork = pytest.mark.skipif(not can_fork(), reason="needs fork and two cores")


@pytest.fixture
def flow(tmp_path):
    """A flow over a real SQLite store with one business and one feed source."""
    engine = open_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with Session(engine) as session, session.begin():
        session.add(Business(id=1, name="Joe's Donuts"))
        session.add(Source(id=1, business_id=1, type="feed", identity="feed:x", http_validators={}, cursor={}))
    yield MentionFlow(
        needs_match={1: True},
        matchers={"Joe's Donuts": BusinessMatcher(["Joe's Donuts"])},
        scorer=SentimentScorer(),
        writer=MentionWriter(engine, {"Joe's Donuts": 1}, AlertPolicy(max_age_days=36500)),
        batch_size=7,  # several batches, and a part batch at the end
    )
    engine.dispose()


def items(count: int) -> list[MentionItem]:
    """`count` distinct entries, every third one not about the business, every fifth one a complaint."""
    made = []
    for i in range(count):
        name = "Joe's Donuts" if i % 3 else "another bakery"
        mood = "The staff were rude and the coffee was cold." if i % 5 == 0 else "Lovely maple bars."
        made.append(MentionItem(business="Joe's Donuts", source_type="feed", url=f"https://news.example.com/{i}",
                                title=f"Visit {i}", text=f"<p>We went to {name} on visit {i}. {mood}</p>",
                                published_at=datetime(2026, 11, 1, tzinfo=UTC), source_id=1))
    return made


def stored(flow: MentionFlow) -> list[tuple[str, str, bool]]:
    with Session(flow.writer.engine) as session:
        return list(session.execute(
            select(Mention.url, Mention.label, Mention.alert_due).order_by(Mention.url)))


def feed(pipeline, batch: list[MentionItem]) -> None:
    """Submit as the crawl does: each item once the pipeline is ready for more."""
    for item in batch:
        while not pipeline.ready():
            time.sleep(0.01)
        pipeline.submit(item)


def through_worker(flow: MentionFlow) -> tuple[WriteCounts, list[tuple[str, str, bool]]]:
    """450 items and a duplicate of the first through a worker process: its counts, what it stored."""
    worker = WorkerPipeline(flow)
    try:
        feed(worker, [*items(450), items(1)[0]])
        counts = worker.finish()
    finally:
        worker.close()
    return counts, stored(flow)


def assert_stored_as_inline(flow: MentionFlow, from_worker: list[tuple[str, str, bool]]) -> None:
    """The same items through the in-process pipeline, into the emptied store, store the same."""
    with Session(flow.writer.engine) as session, session.begin():
        session.query(Mention).delete()
    inline = InlinePipeline(MentionFlow(flow.needs_match, flow.matchers, SentimentScorer(),
                                        MentionWriter(flow.writer.engine, {"Joe's Donuts": 1}, flow.writer.policy)))
    feed(inline, [*items(450), items(1)[0]])
    assert sum(inline.finish().new.values()) == 300
    assert stored(flow) == from_worker


@needs_fork
def test_the_worker_stores_what_the_inline_pipeline_stores(flow, tmp_path):
    counts, from_worker = through_worker(flow)  # more than one hand-off, and a duplicate
    negative = sum(1 for _, label, due in from_worker if label == "negative" and due)
    assert sum(counts.new.values()) == len(from_worker) == 300
    assert sum(counts.negative.values()) == negative >= 60

    assert_stored_as_inline(flow, from_worker)


@needs_fork
def test_records_judged_by_the_crawl_while_the_worker_is_behind_are_stored_as_the_worker_judges(flow, monkeypatch):
    # A queue of one small batch is full at once: the crawl's side then judges waiting records
    # itself rather than wait, and the worker stores those verdicts as they came.
    monkeypatch.setattr("pipeline.worker.QUEUED_BATCHES", 1)
    monkeypatch.setattr("pipeline.worker.HANDOFF_SIZE", 5)
    judged_ahead = []
    monkeypatch.setattr(flow, "score_ahead", lambda record: (judged_ahead.append(record.url),
                                                            MentionFlow.score_ahead(flow, record)))
    counts, from_worker = through_worker(flow)
    assert judged_ahead and sum(counts.new.values()) == len(from_worker) == 300

    assert_stored_as_inline(flow, from_worker)


@needs_fork
def test_at_the_end_of_the_crawl_the_crawl_process_judges_hand_offs_the_worker_has_not_reached(flow, monkeypatch):
    # A worker far behind when the crawl ends: the crawl's process takes queued hand-offs back,
    # judges them and queues them again; every record is stored once, judged as the worker would
    # have judged it. The worker holds its first batch until the crawl's process is done taking
    # back (on a busy machine a merely slow worker may still keep up with the crawl).
    monkeypatch.setattr("pipeline.worker.HANDOFF_SIZE", 5)
    monkeypatch.setattr("pipeline.worker.QUEUED_BATCHES", 200)  # never half full: no judging while crawling
    monkeypatch.setattr("pipeline.worker.TAKEN_BACK_PAST", 2)
    taken_back = multiprocessing.get_context("fork").Event()
    flush, take_back = MentionFlow.flush, WorkerPipeline._judge_queued
    monkeypatch.setattr(MentionFlow, "flush", lambda self: (taken_back.wait(60), flush(self))[1])
    monkeypatch.setattr(WorkerPipeline, "_judge_queued", lambda self: (take_back(self), taken_back.set())[0])
    judged_here = []

    def judge_here(record):
        if record.score is None:  # judged now (not one judged ahead while the crawl ran)
            judged_here.append(int(record.url.rsplit("/", 1)[1]))
        MentionFlow.score_ahead(flow, record)

    monkeypatch.setattr(flow, "score_ahead", judge_here)
    counts, from_worker = through_worker(flow)
    assert sum(counts.new.values()) == len(from_worker) == 300
    assert len(judged_here) == len(set(judged_here))  # none judged twice
    assert judged_here and min(judged_here) < 300  # hand-offs taken back from the queue, not only the last records

    assert_stored_as_inline(flow, from_worker)


@needs_fork
def test_a_failure_in_the_worker_fails_the_run_with_its_reason(flow):
    def broken_store(records):
        raise RuntimeError("disk full")

    flow.writer.triage = broken_store
    worker = WorkerPipeline(flow)
    try:
        # Far more than the queue holds: a failed worker still takes every batch, so this returns.
        feed(worker, items(3000))
        with pytest.raises(StoreError, match="storing mentions failed: RuntimeError: disk full"):
            worker.finish()
    finally:
        worker.close()


@needs_fork
def test_a_worker_that_dies_is_reported_not_waited_for(flow):
    flow.take = lambda batch: os._exit(3)
    worker = WorkerPipeline(flow)
    try:
        feed(worker, items(3000))
        with pytest.raises(StoreError, match=r"stopped unexpectedly \(exit code 3\)"):
            worker.finish()
    finally:
        worker.close()


@pytest.mark.parametrize("in_worker", [pytest.param(True, marks=needs_fork), False])
def test_a_failure_while_normalizing_fails_the_run_instead_of_vanishing_in_scrapy(flow, monkeypatch, in_worker):
    # Normalizing runs in the crawl's process, where Scrapy would log an exception and go on.
    def broken_normalize(item):
        if item.url.endswith("/7"):
            raise ValueError("unreadable item")
        return MentionFlow.normalize(flow, item)

    monkeypatch.setattr(flow, "normalize", broken_normalize)
    pipeline = WorkerPipeline(flow) if in_worker else InlinePipeline(flow)
    try:
        feed(pipeline, items(30))
        with pytest.raises(StoreError, match="storing mentions failed: ValueError: unreadable item"):
            pipeline.finish()
    finally:
        pipeline.close()
