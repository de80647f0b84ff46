"""A mention on its way through the pipeline: what was found plus what the pipeline decided."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pipeline.items import MentionItem
from pipeline.normalize import (
    canonical_url,
    content_hash,
    distinctive_fingerprint,
    html_to_text,
    plain_line,
)

if TYPE_CHECKING:
    from pipeline.sentiment import Score


@dataclass(slots=True)
class MentionRecord:
    business: str
    source_id: int
    source_type: str
    url: str
    title: str | None
    text: str
    """Plain text: HTML stripped, entities decoded."""
    author: str | None
    published_at: datetime | None
    rating: float | None
    # What the dedup compares, set by `add_dedup_keys`.
    canonical_url: str = ""
    fingerprint: str | None = None
    """None when the text is too short to tell one story from another."""
    content_hash: str = ""
    score: Score | None = None


def record_from_item(item: MentionItem, source_id: int) -> MentionRecord:
    """Normalize a crawled item: plain text, a usable rating.

    Its dedup keys are left to `add_dedup_keys`, so that the process with time to spare
    computes them (see `pipeline.worker`).
    """
    title = html_to_text(item.title) or None if item.title else None
    rating = _stars(item.rating)
    return MentionRecord(
        business=item.business,
        source_id=source_id,
        source_type=item.source_type,
        url=item.url,
        title=title,
        text=html_to_text(item.text),
        author=plain_line(item.author) or None,
        published_at=item.published_at,
        rating=rating,
    )


def add_dedup_keys(record: MentionRecord) -> None:
    """Set what the dedup compares: the canonical URL, the story's fingerprint, the content hash.

    Once: a record that has them already is left as it is.
    """
    if record.content_hash:
        return
    record.canonical_url = canonical_url(record.url)
    # Short texts ("Great coffee!") are alike by chance, not the same story: only a
    # distinctive text may merge with another mention by its fingerprint.
    record.fingerprint = distinctive_fingerprint(record.title, record.text)
    record.content_hash = content_hash(record.title, record.text, record.rating)


def _stars(rating: object) -> float | None:
    """A rating on the 1..5 scale, or None: a value outside it is a page we misread, not a verdict."""
    if isinstance(rating, bool) or not isinstance(rating, (int, float)):
        return None
    value = float(rating)
    return value if math.isfinite(value) and 1.0 <= value <= 5.0 else None
