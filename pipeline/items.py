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


@dataclass(slots=True)
class MentionBatch:
    """The mentions of one answer, handed to the pipeline together.

    Under `mentionwatch run` a spider yields one of these per response instead of each item on
    its own (``crawlers.spiders.base``): Scrapy's per-item machinery (spider middlewares, the
    item pipeline chain, signals, log records) then runs once per page rather than once per
    mention, which on a backfill of short reviews costs as much as judging them.
    """

    items: list[MentionItem]


def plain_text_body(text: str | None) -> str:
    """A plain-text body (an app review, a Bluesky post) as the HTML `MentionItem.text` may hold.

    The pipeline strips markup from every body; escaped, "<3" or "<no dark mode>" in a plain text
    survive that, and blank lines and line breaks stay paragraphs and lines.
    """
    paragraphs = [p for p in _BLANK_LINE.split((text or "").strip()) if p.strip()]
    return "".join(f"<p>{html.escape(p, quote=False).replace(chr(10), '<br>')}</p>" for p in paragraphs)


class MalformedItem(ValueError):
    """An entry of a source's answer that cannot be a mention (a spider drops it, not its source)."""


# Any surrogate code point left in a Python str is a lone one: JSON's valid pairs are joined.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT_FIELDS = ("url", "text", "title", "author")
_OPTIONAL = ("title", "author")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def clean_text(value: str) -> str:
    """`value` without NULs (no database stores them) and with lone surrogates (half an emoji,
    unencodable) replaced by U+FFFD."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return _LONE_SURROGATE.sub("\ufffd", value)


def check_item(item: MentionItem) -> MentionItem:
    """`item` with its text fields cleaned; MalformedItem when a field cannot be what it should.

    Spiders read untrusted answers: a number, list or object where text belongs, or a date that
    is no moment, makes this one item unusable, never the batch it came with.
    """
    for name in _TEXT_FIELDS:
        value = getattr(item, name)
        if value is None and name in _OPTIONAL:
            continue
        if not isinstance(value, str):
            raise MalformedItem(f"{name} is {_kind(value)}, not text")
        setattr(item, name, clean_text(value))
    if not item.url.startswith(("http://", "https://")):
        raise MalformedItem(f"url {item.url[:80]!r} is not a web address")
    moment = item.published_at
    if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
        raise MalformedItem(f"published_at {moment!r} is not a moment"[:120])
    if isinstance(item.rating, bool) or not isinstance(item.rating, (int, float, type(None))):
        item.rating = None  # a rating we cannot read is no rating; the mention stands
    return item
