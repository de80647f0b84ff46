"""Mentions as records for export: the CSV of `mentions --format csv` and /mentions.csv, and the
JSON API's objects. One shape for all, so a dashboard fed by either reads the same columns.

Every text cell of a CSV that a spreadsheet would read as a formula (starting with =, +, -, @,
a tab or a carriage return) gets a leading single quote (OWASP's rule for CSV injection): a
mention's text is written by strangers, and `=HYPERLINK(...)` in a review must stay text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any

from alerts.escape import visible

MENTION_FIELDS = (
    "id", "business", "source_type", "url", "title", "text", "author", "published_at", "first_seen_at",
    "rating", "sentiment", "label", "urgent", "alerted_at", "handled_at", "handled_by", "assignee",
    "dismissed_at", "snoozed_until", "probability", "language", "aspects",
)
_TIMES = ("published_at", "first_seen_at", "alerted_at", "handled_at", "dismissed_at", "snoozed_until")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def mention_record(mention: Any, business: str) -> dict[str, Any]:
    """The exported fields of a stored mention, times as ISO 8601 UTC."""
    record = {name: getattr(mention, name, None) for name in MENTION_FIELDS}
    record["business"] = business
    for name in _TIMES:
        record[name] = iso(record[name])
    return record


def csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula, without control or invisible characters
    (alerts.escape.visible: an escape sequence would act on a terminal); numbers and empty cells
    as they are."""
    if isinstance(value, str):
        value = visible(value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record as one CSV row: aspects joined, every text cell neutralised."""
    row = {**record, "aspects": "; ".join(record.get("aspects") or ())}
    return {name: csv_safe(row.get(name)) for name in MENTION_FIELDS}


def csv_chunks(records: Iterable[dict[str, Any]], header: bool = True) -> Iterator[str]:
    """CSV text (RFC 4180, CRLF line ends) a row at a time, for streaming."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MENTION_FIELDS)
    if header:
        writer.writeheader()
    for record in records:
        writer.writerow(csv_row(record))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
