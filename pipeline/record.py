"""A mention on its way through the pipeline: what was found plus what the pipeline decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.sentiment import Score


@dataclass(slots=True)
class MentionRecord:
    business: str
    source_id: int
    source_type: str
    url: str
    canonical_url: str
    title: str | None
    text: str
    """Plain text: HTML stripped, entities decoded."""
    author: str | None
    published_at: datetime | None
    rating: float | None
    fingerprint: str | None
    """None when the text is too short to tell one story from another."""
    content_hash: str
    score: Score | None = None
