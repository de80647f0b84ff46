"""Scrapy item pipelines: thin adapters over the plain functions of this package.

Enabled by `mentionwatch run`, which puts a `PipelineContext` into the crawler settings under
`MENTIONWATCH_CONTEXT`. Without it (a bare `scrapy crawl`) each stage switches itself off, so
spiders can be tried by hand without a store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from crawlers.items import MentionItem
from crawlers.target import CrawlTarget
from pipeline.match import BusinessMatcher
from pipeline.normalize import (
    canonical_url,
    content_hash,
    fingerprint_is_distinctive,
    html_to_text,
    text_fingerprint,
)
from pipeline.record import MentionRecord
from pipeline.sentiment import SentimentScorer
from pipeline.writer import MentionWriter

# Order of the stages (lower runs first), as Scrapy's ITEM_PIPELINES wants it.
ITEM_PIPELINES = {
    "pipeline.adapters.NormalizeStage": 50,
    "pipeline.adapters.MatchStage": 100,
    "pipeline.adapters.DedupStage": 200,
    "pipeline.adapters.ScoreStage": 300,
    "pipeline.adapters.StoreStage": 800,
}


@dataclass
class PipelineContext:
    """What the stages need, built once per run and shared by every spider of the run."""

    targets: dict[int, CrawlTarget]
    matchers: dict[str, BusinessMatcher]
    scorer: SentimentScorer
    writer: MentionWriter
    seen: set[tuple[str, str]] = field(default_factory=set)

    def __deepcopy__(self, memo: dict[int, Any]) -> PipelineContext:
        # Scrapy deep-copies its settings per crawler; every crawler must share this one context.
        return self


class _Stage:
    def __init__(self, context: PipelineContext):
        self.context = context

    @classmethod
    def from_crawler(cls, crawler: Any) -> _Stage:
        context = crawler.settings.get("MENTIONWATCH_CONTEXT")
        if context is None:
            raise NotConfigured("mentionwatch pipeline stages run only under `mentionwatch run`")
        return cls(context)


class NormalizeStage(_Stage):
    """HTML to text, canonical URL, fingerprints."""

    def process_item(self, item: MentionItem) -> MentionRecord:
        if item.source_id is None:
            raise DropItem("item has no source")
        title = html_to_text(item.title) or None if item.title else None
        text = html_to_text(item.text)
        return MentionRecord(
            business=item.business,
            source_id=item.source_id,
            source_type=item.source_type,
            url=item.url,
            canonical_url=canonical_url(item.url),
            title=title,
            text=text,
            author=(item.author or "").strip() or None,
            published_at=item.published_at,
            rating=item.rating,
            # Short texts ("Great coffee!") are alike by chance, not the same story: only a
            # distinctive text may merge with another mention by its fingerprint.
            fingerprint=text_fingerprint(title, text) if fingerprint_is_distinctive(title, text) else None,
            content_hash=content_hash(title, text, item.rating),
        )


class MatchStage(_Stage):
    """Keep what is about the business: its keywords, none of its excludes."""

    def process_item(self, record: MentionRecord) -> MentionRecord:
        source = self.context.targets[record.source_id].source
        if source.needs_match:
            matcher = self.context.matchers[record.business]
            # " | " ends a name, so a keyword cannot straddle the title and the text.
            if not matcher.matches(f"{record.title or ''} | {record.text}"):
                raise DropItem("does not mention the business")
        return record


class DedupStage(_Stage):
    """Drop what this run has already seen at the same address (the store handles earlier runs)."""

    def process_item(self, record: MentionRecord) -> MentionRecord:
        key = (record.business, record.canonical_url)
        if key in self.context.seen:
            raise DropItem("already seen in this run")
        self.context.seen.add(key)
        return record


class ScoreStage(_Stage):
    def process_item(self, record: MentionRecord) -> MentionRecord:
        record.score = self.context.scorer.score(record.text, title=record.title, rating=record.rating)
        return record


class StoreStage(_Stage):
    """Batched writes: one transaction per batch, flushed when each spider closes."""

    def process_item(self, record: MentionRecord) -> MentionRecord:
        self.context.writer.add(record)
        return record

    def close_spider(self) -> None:
        self.context.writer.flush()
