"""Rating drops: a review page's overall rating falling, or a burst of 1-2 star reviews.

Two signs of the same trouble (a bad week in the kitchen, a review bombing): the overall rating
a rated source shows (stored at each crawl in aggregate_ratings) fell by `alerts.trends.rating_fall`
stars or more within a week, or the day's 1-2 star reviews are a spike of their own series
against the usual rate (alerts.trends.tail). Either raises one alert, with the ratings before
and now and the reviews that caused it; one a day per business at most, and a fall already
alerted is not alerted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.blocks import button, context, header, section, sections_of
from alerts.config import AlertsConfig
from alerts.escape import fit, mrkdwn
from alerts.messages import digest_line
from alerts.trends.counts import LOW_STARS, day_counts, effective_at
from alerts.trends.day import (
    LocalDay,
    TrendAlert,
    due_today,
    has_history,
    inbox_link,
    planned_since,
)
from alerts.trends.tail import Verdict, judge
from alerts.views import Catalog
from pipeline.models import AggregateRating, Business, Mention, Source

FALL_WINDOW = timedelta(days=7)
SHOWN = 5


@dataclass
class Fall:
    """A rated source's overall rating, at its high of the week and now."""

    source_id: int
    label: str
    before: float
    now: float
    since: datetime


def find_rating_drops(session: Session, settings: AlertsConfig, catalog: Catalog, now: datetime,
                      inbox_url: str | None = None, watched: set[str] | None = None) -> list[TrendAlert]:
    """One alert per business whose rating fell or whose low-star reviews burst, not yet alerted."""
    trends = settings.alerts.trends
    found: list[TrendAlert] = []
    zones = {name: configured.timezone for name, configured in catalog.businesses.items()}
    for business, day in due_today(session, zones, now, "rating_drop", watched):
        falls = [f for f in overall_falls(session, catalog, business, now, trends.rating_fall)
                 if not planned_since(session, "rating_drop", business.id, f.since)]
        burst = None
        if has_history(session, business.id, day):
            history = day.history(day_counts(session, business.id, day.history_start, day.start(), day.zone,
                                             "low_stars"))
            today = day_counts(session, business.id, day.start(), day.end, day.zone, "low_stars",
                               arrived_only=True)[day.today]
            burst = judge(today, history, min_count=trends.min_low_stars, min_ratio=trends.min_ratio,
                          p_value=trends.p_value)
        if falls or (burst and burst.spike):
            found.append(rating_drop_alert(session, catalog, business, day, falls, burst, inbox_url))
    return found


def overall_falls(session: Session, catalog: Catalog, business: Business, now: datetime,
                  fall: float) -> list[Fall]:
    """The business's rated sources whose latest overall rating is `fall` stars or more below
    their highest of the week before it."""
    falls = []
    for source in session.scalars(select(Source).where(Source.business_id == business.id).order_by(Source.id)):
        latest = session.scalars(select(AggregateRating).where(
            AggregateRating.source_id == source.id, AggregateRating.recorded_at <= now)
            .order_by(AggregateRating.recorded_at.desc(), AggregateRating.id.desc()).limit(1)).first()
        if latest is None:
            continue
        high = session.scalars(select(AggregateRating).where(
            AggregateRating.source_id == source.id, AggregateRating.recorded_at < latest.recorded_at,
            AggregateRating.recorded_at >= latest.recorded_at - FALL_WINDOW)
            .order_by(AggregateRating.value.desc(), AggregateRating.recorded_at.desc()).limit(1)).first()
        if high is not None and high.value - latest.value >= fall - 1e-9:
            falls.append(Fall(source.id, catalog.source_label(business.name, source.identity), high.value,
                              latest.value, high.recorded_at))
    return falls


def rating_drop_alert(session: Session, catalog: Catalog, business: Business, day: LocalDay, falls: list[Fall],
                      burst: Verdict | None, inbox_url: str | None) -> TrendAlert:
    """The message: ratings before and now, the burst against the usual, the low-star reviews."""
    since = min([f.since for f in falls] + [day.start()])
    when = effective_at()
    rows = session.execute(
        select(Mention, Source.identity).join(Source, Source.id == Mention.source_id)
        .where(Mention.business_id == business.id, Mention.rating.is_not(None), Mention.rating <= LOW_STARS,
               Mention.dismissed_at.is_(None), when >= since)
        .order_by(when.desc(), Mention.id.desc())
    ).all()
    parts = [f"{f.label} {f.before:.1f}★ → {f.now:.1f}★" for f in falls]
    if burst is not None and burst.spike:
        average_before = _average_rating(session, business.id, day.history_start, day.start())
        average_now = _average_rating(session, business.id, day.start(), day.end)
        burst_text = (f"{burst.count} reviews of 1-2 stars today against about {burst.expected:.1f} usual")
        if average_before is not None and average_now is not None:
            burst_text += f" (reviews average {average_before:.1f}★ over 4 weeks, {average_now:.1f}★ today)"
        parts.append(burst_text)
    summary = "; ".join(parts)
    blocks: list[dict[str, Any]] = [
        header(f"Rating drop: {business.name}"),
        section(f":chart_with_downwards_trend: *{mrkdwn(business.name)}*: {fit(summary, 2500)}."),
    ]
    views = [catalog.view(m, business.name, identity) for m, identity in rows[:SHOWN]]
    if views:
        blocks.append(section("*The low-star reviews behind it*"))
        blocks.extend(sections_of([digest_line(v, 160) for v in views]))
        if len(rows) > SHOWN:
            blocks.append(context(f"…and {len(rows) - SHOWN} more."))
    target = inbox_link(inbox_url, business.name, day)
    opened = button("Open the mentions", target, f"rating-{business.id}-{day.today}") if target else None
    if opened:
        blocks.append({"type": "actions", "elements": [opened]})
    text = f"Rating drop: {business.name}: {summary}" + (f" ({target})" if target else "")
    return TrendAlert("rating_drop", business.id, business.name, (mrkdwn(text), blocks),
                      [m.id for m, _ in rows[:SHOWN]])


def _average_rating(session: Session, business_id: int, start: datetime, end: datetime) -> float | None:
    when = effective_at()
    value = session.scalar(select(func.avg(Mention.rating)).where(
        Mention.business_id == business_id, Mention.rating.is_not(None), when >= start, when < end,
        Mention.dismissed_at.is_(None)))
    return float(value) if value is not None else None
