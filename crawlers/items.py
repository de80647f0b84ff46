"""What every spider yields: one mention as found on the web, before any judgement."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

_BLANK_LINE = re.compile(r"\n\s*\n")


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


def plain_text_body(text: str | None) -> str:
    """A plain-text body (an app review, a Bluesky post) as the HTML `MentionItem.text` may hold.

    The pipeline strips markup from every body; escaped, "<3" or "<no dark mode>" in a plain text
    survive that, and blank lines and line breaks stay paragraphs and lines.
    """
    paragraphs = [p for p in _BLANK_LINE.split((text or "").strip()) if p.strip()]
    return "".join(f"<p>{html.escape(p, quote=False).replace(chr(10), '<br>')}</p>" for p in paragraphs)
