"""A source to crawl in this run, and what became of it.

The runner builds targets from config.yaml and the store's crawl state; spiders fill in the
outcome; the runner writes it back after the crawl. Spiders never touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crawlers.budget import Budget
from crawlers.config import SourceBase


@dataclass
class CrawlTarget:
    business: str
    source: SourceBase
    source_id: int | None = None
    validators: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per URL: the ETag / Last-Modified of the last successful fetch."""
    cursor: dict[str, Any] = field(default_factory=dict)
    """API sources: the newest item seen last time."""
    timezone: str = "UTC"
    """The business's zone: a date without a time on its pages is midnight there."""

    # Outcome of this run.
    error: str | None = None
    fetched: int = 0
    responses: int = 0
    not_modified: int = 0
    new_validators: dict[str, dict[str, str]] = field(default_factory=dict)
    new_cursor: dict[str, Any] = field(default_factory=dict)
    aggregate_rating: tuple[float, int | None] | None = None
    finished: bool = False
    """The crawl of this source ran to its end (False when a signal stopped the run first)."""
    interrupted: bool = False
    """A signal stopped the run before this source finished: neither ok nor failed."""
    requests_made: int = 0
    api_requests: int = 0
    """Requests this source's own crawl made to its platform's API (crawlers.budget counts them)."""
    api_budget: Budget | None = None
    """The API's allowance as its last answer for this source announced it."""
    requests_open: int = 0
    """Requests made for this source whose answer was not yet fully handled."""
    dropped: int = 0
    """Malformed entries of the answers left out (each logged with its reason)."""
    warning: str | None = None
    """Something the owner should know about a source that still worked (a feed with errors)."""
    # Review platforms (crawlers/platform_state.py stores these once the source succeeded):
    platform_replies: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    """Item URL -> (the business's reply as the platform shows it, when it was last changed)."""
    deleted_urls: list[str] = field(default_factory=list)
    """Items a full listing no longer holds: removed by their author or the platform."""
    pages_followed: dict[str, set[str]] = field(default_factory=dict)
    """Per listing of this run: the next-page tokens (or URLs) already followed (a loop check)."""

    @property
    def label(self) -> str:
        return f"{self.business} / {self.source.label}"

    def fail(self, reason: str) -> None:
        """Record why this source failed; the first reason is the one worth reading."""
        if self.error is None:
            self.error = reason

    def interrupt(self) -> None:
        """The run was stopped: a source that did not finish (and had not failed) is interrupted."""
        done = self.finished or (self.requests_made > 0 and self.requests_open == 0)
        if not done and self.error is None:
            self.interrupted = True

    def warn(self, reason: str) -> None:
        """Note a problem that did not stop the source; the first one is kept."""
        if self.warning is None:
            self.warning = reason[:300]

    @property
    def ok(self) -> bool:
        return self.error is None and not self.interrupted
