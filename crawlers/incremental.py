"""What a source remembers between runs, so the next run asks only for what is new.

Kept in `CrawlTarget.cursor` (read) and `CrawlTarget.new_cursor` (written); the store persists the
new cursor only when the whole source succeeded, so a failed run is retried in full.
"""

from __future__ import annotations

from typing import Any

from crawlers.target import CrawlTarget


class Watermark:
    """The newest item seen in one listing: its position (a time or a numeric id) and the ids at it.

    Stored as `cursor[key] = {"at": position, "ids": [...]}`. Items at exactly the remembered
    position are told apart by id, so two posts in the same second are neither lost nor repeated.
    """

    def __init__(self, target: CrawlTarget, key: str):
        self.target = target
        self.key = key
        old = target.cursor.get(key) or {}
        self.since: float | None = old.get("at") if isinstance(old, dict) else None
        self.seen: set[str] = set(old.get("ids") or ()) if isinstance(old, dict) else set()
        # Several pages of one listing each make a Watermark: they share what this run has seen.
        current = target.new_cursor.get(key) or old
        self._best: float | None = current.get("at") if isinstance(current, dict) else None
        self._best_ids: set[str] = set(current.get("ids") or ()) if isinstance(current, dict) else set()

    @property
    def first_run(self) -> bool:
        return self.since is None

    def is_new(self, at: float, item_id: str) -> bool:
        """Whether an item at `at` with `item_id` is newer than anything seen before this run."""
        if self.since is None:
            return True
        return at > self.since or (at == self.since and item_id not in self.seen)

    def see(self, at: float, item_id: str) -> None:
        """Note an item of this run; the watermark moves on when the source succeeds."""
        if self._best is None or at > self._best:
            self._best, self._best_ids = at, {item_id}
        elif at == self._best:
            self._best_ids.add(item_id)
        self.target.new_cursor[self.key] = {"at": self._best, "ids": sorted(self._best_ids)}


def remember_next_page(target: CrawlTarget, page_url: str, next_url: str | None) -> None:
    """Record which page follows `page_url`, so an unchanged page (a 304) can still lead on."""
    chain: dict[str, Any] = target.new_cursor.setdefault("next_pages", {})
    chain[page_url] = next_url


def known_next_page(target: CrawlTarget, page_url: str) -> str | None:
    """The page that followed `page_url` last time, carried over into this run's cursor."""
    chain = target.cursor.get("next_pages") or {}
    next_url = chain.get(page_url) if isinstance(chain, dict) else None
    remember_next_page(target, page_url, next_url)
    return next_url
