"""What the readers held open by long-running processes share (Jetstream, Mastodon's streaming
API): one matching of an arriving post against every business, and the wait between reconnects."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pipeline.items import MentionItem, check_item
from pipeline.keyword_index import KeywordIndex
from pipeline.record import record_from_item

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0
"""Seconds before the first reconnect, doubled after each failed one up to the maximum."""


def matched_items(index: KeywordIndex, sources: Mapping[str, int], source_type: str,
                  fields: dict[str, Any]) -> list[MentionItem]:
    """A post (its mention fields) once per business it names, under that business's source id.

    It is normalized as the pipeline will normalize it before it is matched, so the stream and the
    per-source crawls decide alike; MalformedItem when the fields are not a possible mention.
    """
    candidate = check_item(MentionItem(business="", source_type=source_type, **fields))
    record = record_from_item(candidate, 0)
    # The cleaned candidate (NULs gone, a lone surrogate made U+FFFD), not the fields as they came.
    return [replace(candidate, business=name, source_id=sources[name])
            for name in index.named_in_mention(record.title, record.text) if name in sources]


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less when `stop` is set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass
