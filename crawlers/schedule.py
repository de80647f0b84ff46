"""When each source is next checked by the workers.

Each source has an interval (`interval:`, else its type's default: feeds and social searches
15 minutes, review pages and platforms 60). The workers' periodic fan-out queues every source
whose `next_check_at` (a column of the store) has passed, then moves it on by its interval. It
queues first and moves the schedule after: a failure between the two queues a source once more
at worst (the queue refuses a second job for a source still waiting), never skips it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawlers.hosts import source_site
from crawlers.target import CrawlTarget
from pipeline.models import Source


def due_sources(session: Session, targets: Mapping[int, CrawlTarget], now: datetime) -> list[tuple[int, str]]:
    """(source id, its site) of each configured source whose next check has come, never-checked first."""
    rows = session.execute(
        select(Source.id).where(Source.id.in_(list(targets)))
        .where(Source.next_check_at.is_(None) | (Source.next_check_at <= now))
        .order_by(Source.next_check_at.is_not(None), Source.next_check_at, Source.id))
    return [(source_id, source_site(targets[source_id].source)) for (source_id,) in rows]


def next_check(session: Session, targets: Mapping[int, CrawlTarget]) -> datetime | None:
    """When the first of the configured sources is next due (None when there is none)."""
    return session.scalar(select(func.min(Source.next_check_at)).where(Source.id.in_(list(targets))))


def move_next_checks(session: Session, targets: Mapping[int, CrawlTarget], source_ids: list[int],
                     now: datetime) -> None:
    """Set each queued source's next check one interval after `now`."""
    for source_id in source_ids:
        source = session.get(Source, source_id)
        if source is not None:
            source.next_check_at = now + timedelta(minutes=targets[source_id].source.interval_minutes)
