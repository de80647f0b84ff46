"""Daily counts of a business's mentions, the one query the trend tests read.

Every count reads only its period: the hourly counts the database keeps (`mention_hours`) for
the mentions and negative series, the period index (`ix_mentions_business_effective`) for the
rest; never the business's whole history.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Mention, Source
from pipeline.queries import daily_label_counts

Series = Literal["mentions", "negative", "low_stars"]
LOW_STARS = 2.0
"""Reviews of this many stars or fewer are the low-star series (on a 5-star scale)."""


def effective_at():  # type: ignore[no-untyped-def]
    """When a mention happened: published, or first seen when undated (the stored, indexed
    column the database keeps equal to that)."""
    return Mention.effective_at


def day_counts(session: Session, business_id: int, start: datetime, end: datetime, zone: ZoneInfo,
               series: Series, *, arrived_only: bool = False) -> Counter[date]:
    """How many of the business's mentions of `series` happened on each local day in [start, end).

    Dismissed mentions ("not about us") do not count. `arrived_only` leaves out what a source's
    first crawl found (its history: found before the crawl was recorded as its first).
    """
    if series != "low_stars" and not arrived_only:
        per_day = daily_label_counts(session, business_id, start, end, zone.key)
        return Counter({day: sum(counts.values()) if series == "mentions" else counts.get("negative", 0)
                        for day, counts in per_day.items()})
    when = effective_at()
    query = (select(when).where(Mention.business_id == business_id, when >= start, when < end,
                                Mention.dismissed_at.is_(None)))
    if series == "negative":
        query = query.where(Mention.label == "negative")
    elif series == "low_stars":
        query = query.where(Mention.rating.is_not(None), Mention.rating <= LOW_STARS)
    if arrived_only:
        query = query.join(Source, Source.id == Mention.source_id).where(
            Source.first_crawled_at.is_not(None), Mention.first_seen_at > Source.first_crawled_at)
    counts: Counter[date] = Counter()
    for (moment,) in session.execute(query):
        counts[_aware(moment).astimezone(zone).date()] += 1
    return counts


def _aware(moment: datetime | str) -> datetime:
    # coalesce() loses the column type on some backends: SQLite may hand back its text form.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))
