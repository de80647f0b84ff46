"""A shared stream's state for one cycle: where the last read stopped, what this read found.

The runner loads it from the store (`load_streams`) before the crawl and saves it afterwards
(`save_stream`); the readers never touch the database. The cursor moves on only when the whole
read succeeded, so a failed or interrupted read is read again from the same place: nothing is
lost, and the store's dedup keeps what is read twice from being stored twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawlers.target import CrawlTarget
from pipeline.keyword_index import KeywordIndex
from pipeline.models import StreamCursor, StreamGap

NETWORK_NAMES = {"reddit": "Reddit", "hackernews": "Hacker News", "bluesky": "Bluesky", "mastodon": "Mastodon"}


@dataclass(frozen=True)
class Gap:
    """Items of `listing` between `unread_from` and `unread_to` were never read."""

    network: str
    listing: str
    unread_from: datetime
    unread_to: datetime

    def line(self) -> str:
        """'Reddit comments: 12 minutes unread at 14:05' (UTC)."""
        minutes = max(1, round((self.unread_to - self.unread_from).total_seconds() / 60))
        name = NETWORK_NAMES.get(self.network, self.network)
        return (f"{name} {self.listing}: {minutes} minute{'s' if minutes != 1 else ''} unread at "
                f"{self.unread_from:%Y-%m-%d %H:%M} UTC")


@dataclass
class StreamState:
    """One network's stream in this cycle."""

    network: str
    api_url: str
    targets: list[CrawlTarget]
    """Every business source of this network's type: what the stream is matched for."""
    index: KeywordIndex
    """The keywords of the businesses of `targets`, compiled once."""
    options: dict[str, Any] = field(default_factory=dict)
    """The reader's settings from `streams:` (max_pages, requests_per_minute)."""
    cursor: dict[str, Any] = field(default_factory=dict)
    new_cursor: dict[str, Any] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    items_read: int = 0
    """Items the stream held that were new (before matching)."""
    error: tuple[str, str] | None = None
    """What failed the read, said once for all its sources: ('Reddit stream (/r/all/new)', reason)."""
    warning: str | None = None
    """Why the read ended early without failing (the rate limit): the next cycle goes on."""

    @property
    def name(self) -> str:
        return f"{NETWORK_NAMES.get(self.network, self.network)} stream"

    def fail(self, where: str, reason: str) -> None:
        """The read failed at `where` (a listing's path); the first reason is kept."""
        if self.error is None:
            self.error = (f"{self.name} ({where})" if where else self.name, reason)

    def warn(self, reason: str) -> None:
        if self.warning is None:
            self.warning = reason

    def rate_limited(self, wait: float) -> None:
        """The rate limit ended the read for this cycle (it takes requests again in `wait` seconds)."""
        self.warn(f"rate limit reached, the read ends for this cycle and the next goes on from where it "
                  f"stopped ({self.name} takes requests again in {wait:.0f}s)")

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.targets) and all(t.finished for t in self.targets)


def load_cursors(session: Session) -> dict[str, dict[str, Any]]:
    """Every network's stored cursor."""
    return {row.network: dict(row.cursor or {}) for row in session.scalars(select(StreamCursor))}


def save_stream(session: Session, stream: StreamState, now: datetime) -> None:
    """Keep the new cursor and the gaps of a read that succeeded; leave all as it was otherwise."""
    if not stream.ok:
        return
    row = session.get(StreamCursor, stream.network)
    if row is None:
        row = StreamCursor(network=stream.network, cursor={})
        session.add(row)
    row.cursor = {**(row.cursor or {}), **stream.new_cursor}
    row.updated_at = now
    for gap in stream.gaps:
        session.add(StreamGap(network=gap.network, listing=gap.listing, unread_from=gap.unread_from,
                              unread_to=gap.unread_to, recorded_at=now))


def recent_gaps(session: Session, since: datetime, until: datetime | None = None) -> list[Gap]:
    """The gaps recorded since `since` (and before `until`), oldest first."""
    query = select(StreamGap).where(StreamGap.recorded_at >= since)
    if until is not None:
        query = query.where(StreamGap.recorded_at < until)
    return [Gap(g.network, g.listing, g.unread_from, g.unread_to)
            for g in session.scalars(query.order_by(StreamGap.unread_from))]


def record_stream_health(session: Session, network: str, listing: str, failures: int, error: str,
                         now: datetime) -> None:
    """Keep how a held stream fares (kept by the long-running processes, shown by `check`):
    `failures` connections in a row that ended without proving healthy, the last `error`; 0 when
    a connection has proven healthy again."""
    row = session.get(StreamCursor, network)
    failing = dict(((row.cursor or {}) if row is not None else {}).get("failing") or {})
    if failures <= 0 and listing not in failing:
        return  # healthy, and known to be
    if row is None:
        row = StreamCursor(network=network, cursor={})
        session.add(row)
    cursor = dict(row.cursor or {})
    if failures <= 0:
        failing.pop(listing, None)
    else:
        since = (failing.get(listing) or {}).get("since") if failures > 1 else None
        failing[listing] = {"failures": failures, "error": error[:200], "since": since or now.isoformat(),
                            "at": now.isoformat()}
    if failing:
        cursor["failing"] = failing
    else:
        cursor.pop("failing", None)
    row.cursor = cursor
    row.updated_at = now


def failing_streams(session: Session, at_least: int) -> list[str]:
    """A line for each held stream whose last `at_least` or more connections in a row failed."""
    lines = []
    for row in session.scalars(select(StreamCursor).order_by(StreamCursor.network)):
        failing = (row.cursor or {}).get("failing") or {}
        for listing, state in sorted(failing.items()):
            if not isinstance(state, dict) or int(state.get("failures") or 0) < at_least:
                continue
            name = NETWORK_NAMES.get(row.network, row.network)
            since, last = (str(state.get(k) or "")[:16].replace("T", " ") for k in ("since", "at"))
            # The last try's time too: a process stopped while the stream failed leaves this behind.
            lines.append(f"{name} {listing} keeps failing: {state['failures']} connections in a row since "
                         f"{since} UTC, the last at {last} UTC ({state.get('error') or 'no reason given'}); "
                         "nothing is read from it until it recovers")
    return lines


def refused_streams(session: Session) -> list[str]:
    """A line for each Mastodon instance whose last answer refused its stream (kept by the
    long-running processes): its sources are polled instead."""
    row = session.get(StreamCursor, "mastodon")
    instances = (row.cursor or {}) if row is not None else {}
    return [f"Mastodon {host} refuses streaming ({state['refused']}); its sources are polled"
            for host, state in sorted(instances.items())
            if host != "failing" and isinstance(state, dict) and state.get("refused")]
