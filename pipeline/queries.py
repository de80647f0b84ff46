"""Reading mentions back out of the store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from pipeline.models import Business, Mention


def list_mentions(
    session: Session,
    business: str | None = None,
    label: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    *,
    periods: Mapping[str, tuple[datetime | None, datetime | None]] | None = None,
) -> Iterator[tuple[Mention, str]]:
    """Mentions, newest first (by publication, else by when first seen), with their business name.

    `periods` gives each business its own [start, end) (its days in its own time zone); a
    business missing from it is not listed.
    """
    query = select(Mention, Business.name).join(Business, Business.id == Mention.business_id)
    if business:
        query = query.where(Business.name == business)
    if label:
        query = query.where(Mention.label == label)
    when = func.coalesce(Mention.published_at, Mention.first_seen_at)
    if since:
        query = query.where(when >= since)
    if periods is not None:
        each = []
        for name, (start, end) in periods.items():
            bounds = [Business.name == name]
            if start is not None:
                bounds.append(when >= start)
            if end is not None:
                bounds.append(when < end)
            each.append(and_(*bounds))
        query = query.where(or_(*each) if each else false())
    query = query.order_by(when.desc(), Mention.id.desc())
    if limit:
        query = query.limit(limit)
    yield from session.execute(query.execution_options(yield_per=1000))
