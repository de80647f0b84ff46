"""Reading mentions back out of the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.models import Business, Mention, Reply


def list_mentions(
    session: Session,
    business: str | None = None,
    label: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> Iterator[tuple[Mention, str]]:
    """Mentions, newest first (by publication, else by when first seen), with their business name."""
    query = select(Mention, Business.name).join(Business, Business.id == Mention.business_id)
    if business:
        query = query.where(Business.name == business)
    if label:
        query = query.where(Mention.label == label)
    when = func.coalesce(Mention.published_at, Mention.first_seen_at)
    if since:
        query = query.where(when >= since)
    query = query.order_by(when.desc(), Mention.id.desc())
    if limit:
        query = query.limit(limit)
    yield from session.execute(query.execution_options(yield_per=1000))


def latest_replies(session: Session, mention_ids: list[int]) -> dict[int, Reply]:
    """The newest sent reply of each of `mention_ids` that has one."""
    found: dict[int, Reply] = {}
    query = (select(Reply).where(Reply.mention_id.in_(mention_ids), Reply.status == "sent")
             .order_by(Reply.mention_id, Reply.created_at, Reply.id))
    for reply in session.scalars(query):
        found[reply.mention_id] = reply  # later rows replace earlier ones
    return found
