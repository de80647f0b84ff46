"""Share of voice: how a business compares with its competitors (`competitors:`) over a period.

For the business and each competitor: its mentions and their share of all of theirs, its negative
mentions and their share of its own, the average stars of its reviews in the period and the
overall rating its review sites show last. Mentions count by when they happened (published, or
first seen when undated); mentions dismissed as not about them do not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawlers.config import CrawledBusiness
from pipeline.models import AggregateRating, Business, Mention, Source
from pipeline.queries import in_period


@dataclass(frozen=True)
class Voice:
    name: str
    own: bool
    """The business itself (not a competitor)."""
    mentions: int
    negative: int
    share: float | None
    """Its mentions' share of the business's and its competitors' together (None: none at all)."""
    average_stars: float | None
    overall_rating: float | None
    """The mean of its review sites' latest overall ratings in the period."""

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.mentions if self.mentions else None


def share_of_voice(session: Session, business: CrawledBusiness, since: datetime, until: datetime) -> list[Voice]:
    """The business, then each of its competitors, over [since, until); empty without competitors."""
    if not business.competitors:
        return []
    names = [business.name] + [c.name for c in business.competitors]
    ids = dict(session.execute(select(Business.name, Business.id).where(Business.name.in_(names))).all())
    figures = {}
    for name in names:
        business_id = ids.get(name)
        if business_id is None:
            figures[name] = (0, 0, None, None)
            continue
        mentions, negative, stars = session.execute(select(
            func.count(), func.count().filter(Mention.label == "negative"), func.avg(Mention.rating)
        ).where(in_period(business_id, since, until))).one()
        latest = select(AggregateRating.source_id, func.max(AggregateRating.recorded_at).label("at")).join(
            Source, Source.id == AggregateRating.source_id).where(
            Source.business_id == business_id, AggregateRating.recorded_at < until).group_by(
            AggregateRating.source_id).subquery()
        overall = session.scalar(select(func.avg(AggregateRating.value)).join(
            latest, (latest.c.source_id == AggregateRating.source_id) & (latest.c.at == AggregateRating.recorded_at)))
        figures[name] = (mentions, negative, float(stars) if stars is not None else None,
                         float(overall) if overall is not None else None)
    total = sum(f[0] for f in figures.values())
    return [Voice(name, name == business.name, m, n, m / total if total else None, stars, overall)
            for name, (m, n, stars, overall) in figures.items()]
