"""Mentions taken elsewhere: /mentions.csv (the mentions page's filters, every match) and the
read-only JSON API /api/mentions (per-user tokens from `mentionwatch user token NAME`).

Both read the mentions page's filters (listing.Filters) and its keyset pages, newest first by
id, so the CSV, the API and the page agree on what a filter selects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from respond.web import listing
from respond.web.export import csv_chunks, iso, mention_record

EXPORT_PAGE = 1000
API_DEFAULT_LIMIT = 100
API_MAX_LIMIT = 500


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def csv_export(engine: Engine, filters: listing.Filters, only: listing.Visible = None) -> Iterator[str]:
    """Every mention the filters select, as CSV text, a page at a time (a blocking iterator:
    Starlette runs it in a worker thread). A bad filter is raised before the first chunk."""
    def records() -> Iterator[dict[str, Any]]:
        before = filters.before
        while True:
            with Session(engine) as session:
                page = listing.mentions_page(session, _with_before(filters, before), EXPORT_PAGE, only)
            yield from (mention_record(row.mention, row.business) for row in page.rows)
            if page.next_cursor is None:
                return
            before = page.next_cursor

    with Session(engine) as session:  # a filter that cannot be read fails here, as one error
        listing.mentions_page(session, filters, 1, only)
    return csv_chunks(records())


def api_page(session: Session, filters: listing.Filters, limit_value: str | None, path: str,
             only: listing.Visible = None) -> dict[str, Any]:
    """One page of the JSON API: the mentions (of the businesses in `only` when given), and the
    link to the next (older) page."""
    limit = _limit(limit_value)
    page = listing.mentions_page(session, filters, limit, only)
    mentions = []
    for row in page.rows:
        record = mention_record(row.mention, row.business)
        record["source"] = row.source
        record["deleted_at"] = iso(row.mention.deleted_at)
        mentions.append(record)
    next_link = None
    if page.next_cursor is not None:
        next_link = f"{path}?{urlencode(filters.query_string(before=page.next_cursor) | {'limit': str(limit)})}"
    return {"mentions": mentions, "next_before": int(page.next_cursor) if page.next_cursor else None,
            "next": next_link}


def _limit(value: str | None) -> int:
    if not value:
        return API_DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise listing.FilterError(f"limit: {value!r} is not a number") from None
    if not 1 <= limit <= API_MAX_LIMIT:
        raise listing.FilterError(f"limit: give 1 to {API_MAX_LIMIT}")
    return limit


def _with_before(filters: listing.Filters, before: str) -> listing.Filters:
    values = {**filters.__dict__, "before": before}
    return listing.Filters(**values)
