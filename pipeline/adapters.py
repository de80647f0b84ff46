"""Scrapy's side of the pipeline: one item pipeline that hands every item over.

The steps themselves (normalize, match, dedup, score, store) run in ``pipeline.flow``, in
batches and, where there are two cores, in a worker process (``pipeline.worker``): per-item
stages inside Scrapy would share its one thread with the parsing.

Enabled by `mentionwatch run`, which puts a `PipelineContext` into the crawler settings under
`MENTIONWATCH_CONTEXT`. Without it (a bare `scrapy crawl`) the stage switches itself off, so
spiders can be tried by hand without a store.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import DropItem, NotConfigured

from pipeline.items import MentionBatch, MentionItem
from pipeline.worker import Pipeline

ITEM_PIPELINES = {"pipeline.adapters.HandOffStage": 800}
WAIT_SECONDS = 0.02
"""How often an item that waits for the worker asks again."""


@dataclass(frozen=True)
class PipelineContext:
    """Where the run's items go, shared by every spider of the run."""

    pipeline: Pipeline

    def __deepcopy__(self, memo: dict[int, Any]) -> PipelineContext:
        # Scrapy deep-copies its settings per crawler; every crawler must share this one context.
        return self


def hands_off_batches(settings: Any) -> bool:
    """Whether a crawl with these Scrapy settings hands its items to a run's pipeline, which takes
    a page's items as one `MentionBatch` (spiders then yield those instead of single items)."""
    return settings.get("MENTIONWATCH_CONTEXT") is not None


class HandOffStage:
    """Hands each item (or `MentionBatch`) to the run's pipeline, which judges and stores it with its batch."""

    def __init__(self, context: PipelineContext):
        self.context = context
        self._room: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> HandOffStage:
        context = crawler.settings.get("MENTIONWATCH_CONTEXT")
        if context is None:
            raise NotConfigured("the mentionwatch pipeline runs only under `mentionwatch run`")
        return cls(context)

    async def process_item(self, item: MentionItem | MentionBatch) -> MentionItem | MentionBatch:
        if isinstance(item, MentionBatch):
            for each in item.items:
                if each.source_id is not None:  # else a spider run by hand: nothing to store it under
                    await self._hand_over(each)
            return item
        if item.source_id is None:
            raise DropItem("item has no source")
        await self._hand_over(item)
        return item

    async def _hand_over(self, item: MentionItem) -> None:
        pipeline = self.context.pipeline
        pipeline.submit(item)
        if not pipeline.ready():
            # The worker is behind: this item waits, the event loop does not, so downloads in
            # flight complete (rather than time out) and other responses are parsed meanwhile.
            # Every waiting item waits on one shared check, not on a timer of its own.
            if self._room is None:
                self._room = asyncio.ensure_future(self._wait_for_room())
            await asyncio.shield(self._room)

    async def _wait_for_room(self) -> None:
        try:
            while not self.context.pipeline.ready():
                await asyncio.sleep(WAIT_SECONDS)
        finally:
            self._room = None
