"""The report's review platforms section: per platform, new reviews, stars, its overall rating
over the period, how many reviews got a reply, and how fast.

Time to reply runs from the review's publication (as the customer waited), to the business's
reply as sent by mentionwatch or first seen on the platform. Deleted reviews do not count.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.models import AggregateRating, Mention, Reply, Source
from pipeline.queries import in_period

# Source types whose mentions are reviews of the business on a platform.
REVIEW_PLATFORMS = {
    "google_business": "Google Business Profile",
    "google_play": "Google Play",
    "appstore_connect": "App Store Connect",
    "appstore": "App Store",
    "trustpilot": "Trustpilot",
    "yelp": "Yelp",
    "reviews": "Review pages",
}


@dataclass
class PlatformFigures:
    platform: str
    """The platform's name, as the report shows it."""
    new_reviews: int
    average_stars: float | None
    rating_start: float | None
    """The platform's own overall rating at the period's first and last reading."""
    rating_end: float | None
    review_count: int | None
    """How many reviews the platform counts at its last reading."""
    replied: int
    median_time_to_reply: timedelta | None

    @property
    def reply_rate(self) -> float | None:
        return self.replied / self.new_reviews if self.new_reviews else None


def platform_figures(session: Session, business_id: int | None, since: datetime, until: datetime) -> list[PlatformFigures]:
    """One entry per review platform with reviews or rating readings in [since, until)."""
    if business_id is None:
        return []
    reviews = session.execute(
        select(Mention.id, Mention.source_type, Mention.rating, Mention.effective_at)
        .where(in_period(business_id, since, until), Mention.source_type.in_(REVIEW_PLATFORMS),
               Mention.deleted_at.is_(None))
    ).all()
    first_reply = dict(session.execute(
        select(Reply.mention_id, func.min(func.coalesce(Reply.sent_at, Reply.created_at)))
        .where(Reply.mention_id.in_([r[0] for r in reviews]), Reply.status == "sent").group_by(Reply.mention_id)
    ).all()) if reviews else {}
    readings = session.execute(
        select(Source.type, AggregateRating.value, AggregateRating.count)
        .join(Source, Source.id == AggregateRating.source_id)
        .where(Source.business_id == business_id, AggregateRating.recorded_at >= since,
               AggregateRating.recorded_at < until)
        .order_by(AggregateRating.recorded_at, AggregateRating.id)
    ).all()
    figures = []
    for source_type, name in REVIEW_PLATFORMS.items():
        mine = [r for r in reviews if r[1] == source_type]
        rated = [r[2] for r in mine if r[2] is not None]
        waits = [max(timedelta(0), _aware(first_reply[r[0]]) - _aware(r[3])).total_seconds()
                 for r in mine if r[0] in first_reply]
        points = [(value, count) for t, value, count in readings if t == source_type]
        if not mine and not points:
            continue
        figures.append(PlatformFigures(
            platform=name, new_reviews=len(mine), average_stars=statistics.fmean(rated) if rated else None,
            rating_start=points[0][0] if points else None, rating_end=points[-1][0] if points else None,
            review_count=points[-1][1] if points else None, replied=len(waits),
            median_time_to_reply=timedelta(seconds=statistics.median(waits)) if waits else None,
        ))
    return figures


def _aware(value: datetime) -> datetime:
    # func.min over a UTCDateTime column comes back as the database's raw value (naive on SQLite).
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def platform_text_lines(figures: list[PlatformFigures], duration: object) -> list[str]:
    """The section as plain text (the e-mail's text part); `duration` formats a timedelta."""
    if not figures:
        return []
    lines = ["Review platforms:"]
    for f in figures:
        stars = f", {f.average_stars:.1f} stars on average" if f.average_stars is not None else ""
        rating = (f"; rating {f.rating_start:.2f} -> {f.rating_end:.2f}" if f.rating_start is not None else "")
        rate = f"; {f.replied} of {f.new_reviews} replied" if f.new_reviews else ""
        took = f", median {duration(f.median_time_to_reply)}" if f.median_time_to_reply else ""  # type: ignore[operator]
        lines.append(f"  {f.platform}: {f.new_reviews} new reviews{stars}{rating}{rate}{took}")
    return lines
