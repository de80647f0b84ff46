"""What every spider yields: one mention as found on the web, before any judgement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class MentionItem:
    business: str
    """The configured business this source belongs to."""
    source_type: str
    url: str
    text: str
    """The body as found; may hold HTML, which the pipeline strips."""
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    """Aware UTC when the source dates the item; None when it does not (never the crawl time)."""
    rating: float | None = None
    """Stars on a 1..5 scale, when the source has them."""
    source_id: int | None = None
    """The store's id of the source; None when a spider runs alone via `scrapy crawl`."""
