"""What the readers held open by long-running processes share (Jetstream, Mastodon's streaming
API): one matching of an arriving post against every business, and the wait between reconnects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from pipeline.items import MentionItem, check_item
from pipeline.keyword_index import KeywordIndex
from pipeline.record import record_from_item

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0
"""Seconds before the first reconnect, doubled after each failed one up to the maximum."""
HEALTHY_SECONDS = 60.0
"""A connection that stayed up this long (or delivered a post) has proven itself: the backoff
starts again from BACKOFF_FIRST. One that fails straight after connecting has not."""
FAILING_AFTER = 3
"""Failures in a row after which a stream is said to keep failing (`check` names it)."""


@dataclass
class Reconnects:
    """The wait before each reconnect of a held stream, and its failures in a row.

    The backoff doubles after every connection that ended without proving healthy (it delivered
    nothing and lasted less than `healthy_seconds`), so a failure that repeats on every
    connection (an event that cannot be read, a server that closes at once) is asked about less
    and less often, up to `backoff_max`, instead of every second forever.
    """

    backoff_first: float = BACKOFF_FIRST
    backoff_max: float = BACKOFF_MAX
    healthy_seconds: float = HEALTHY_SECONDS
    failures: int = 0
    """Connections (or attempts to connect) in a row that ended without proving healthy."""
    last_error: str = ""
    _backoff: float = 0.0
    _opened_at: float | None = None
    _delivered: bool = False

    def opened(self) -> None:
        """A connection is open."""
        self._opened_at, self._delivered = time.monotonic(), False

    def delivered(self) -> bool:
        """The open connection handed over an item; True the first time (it is healthy now)."""
        if self._delivered:
            return False
        self._delivered = True
        self.failures, self.last_error, self._backoff = 0, "", 0.0
        return True

    def ended(self, error: str) -> float:
        """The connection (or the attempt) ended with `error`: the seconds to wait before the next."""
        lasted = time.monotonic() - self._opened_at if self._opened_at is not None else 0.0
        self._opened_at = None
        if self._delivered or lasted >= self.healthy_seconds:
            self.failures, self._backoff = 0, 0.0
        self.failures += 1
        self.last_error = error
        self._backoff = self.backoff_first if self._backoff == 0.0 else min(self.backoff_max, self._backoff * 2)
        self._delivered = False
        return self._backoff

    def copy(self) -> Reconnects:
        """A fresh policy with the same settings (one per reader)."""
        return replace(self, failures=0, last_error="", _backoff=0.0, _opened_at=None, _delivered=False)


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
