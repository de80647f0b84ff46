"""Which sources a cycle reads through a shared stream, and which by their own search.

With `streams:` listing a network, every source of that type is matched against the network's
stream (read once for all of them) instead of searched one by one. A source with
`history: search` is also searched once, to find what it said before the stream was read for it:
a few such sources a cycle (`HISTORY_SEARCHES_PER_CYCLE`), so a long list of new businesses never
holds a cycle up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crawlers.config import CrawlConfig
from crawlers.process import STREAM_SPIDERS
from crawlers.streams.state import StreamState
from crawlers.target import CrawlTarget
from pipeline.keyword_index import KeywordIndex
from pipeline.match import BusinessMatcher

HISTORY_SEARCHES_PER_CYCLE = 3
HISTORY_DONE = "history_searched"
"""Kept in a source's cursor once its history search succeeded."""


@dataclass
class CyclePlan:
    searched: list[CrawlTarget]
    """Sources crawled by their own requests (as without streams), history searches included."""
    streams: list[StreamState]
    history: dict[int, CrawlTarget] = field(default_factory=dict)
    """A history search's target (in `searched`) by the id of its stream target."""

    def settle_history(self) -> None:
        """After the crawl: a history search that succeeded is not made again; one that failed
        warns on its source (the stream still read it) and is tried next cycle."""
        by_id = {t.source_id: t for s in self.streams for t in s.targets}
        for source_id, search in self.history.items():
            target = by_id[source_id]
            target.fetched += search.fetched
            if search.ok and search.finished:  # read to its end, not cut short by a signal
                target.new_cursor[HISTORY_DONE] = True
            elif search.error:
                target.warn(f"history search: {search.error}")


def api_urls(config: CrawlConfig) -> dict[str, str]:
    """The `api_url` of each network listed in `streams:`, by source type."""
    urls = {}
    if config.streams.reddit is not None and config.streams.reddit.api_url:
        urls["reddit"] = config.streams.reddit.api_url
    if config.streams.hackernews is not None:
        urls["hackernews"] = config.streams.hackernews.api_url
    return urls


def plan_cycle(config: CrawlConfig, targets: list[CrawlTarget], cursors: Mapping[str, dict[str, Any]],
               matchers: Mapping[str, BusinessMatcher]) -> CyclePlan:
    """Split this cycle's targets between the streams of `streams:` and per-source crawls."""
    networks = [n for n in config.streams.networks() if n in STREAM_SPIDERS]
    searched = [t for t in targets if t.source.type not in networks]  # type: ignore[attr-defined]
    plan = CyclePlan(searched=searched, streams=[])
    urls = api_urls(config)
    for network in networks:
        members = [t for t in targets if t.source.type == network]  # type: ignore[attr-defined]
        if not members:
            continue
        settings = getattr(config.streams, network)
        options: dict[str, Any] = {"max_pages": settings.max_pages}
        if getattr(settings, "requests_per_minute", None):
            options["requests_per_minute"] = settings.requests_per_minute
        names = dict.fromkeys(t.business for t in members)
        plan.streams.append(StreamState(
            network=network, api_url=urls.get(network, ""), targets=members,
            index=KeywordIndex({name: matchers[name] for name in names}),
            cursor=dict(cursors.get(network) or {}), options=options,
        ))
        wanting = [t for t in members if getattr(t.source, "history", "stream") == "search"
                   and not t.cursor.get(HISTORY_DONE)]
        for target in wanting[:HISTORY_SEARCHES_PER_CYCLE]:
            # Its own target: the search's outcome must not decide the stream's, nor the reverse.
            search = replace(target, new_cursor={}, new_validators={})
            plan.searched.append(search)
            plan.history[target.source_id] = search  # type: ignore[index]
    return plan
