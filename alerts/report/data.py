"""The weekly report's numbers, read from the store: one BusinessReport per business.

A mention belongs to a period by when it was published (when it was first seen, if undated),
as in `mentionwatch mentions --since`. Days are the business's own calendar days.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, not_, or_, select
from sqlalchemy.orm import Session

from alerts.config import AlertsConfig
from alerts.escape import one_line, truncate
from alerts.excerpt import window
from alerts.report.aspects import compare_aspects
from alerts.report.platforms import PlatformFigures, platform_figures
from alerts.report.voice import Voice, share_of_voice
from alerts.views import Catalog
from crawlers.streams.state import recent_gaps
from pipeline.models import (
    AggregateRating,
    AlertMessage,
    AlertMessageMention,
    Business,
    Mention,
    Source,
    SourceRun,
)
from pipeline.queries import daily_aspect_counts, daily_label_counts, in_period

LABELS = ("positive", "neutral", "negative")
TOP = 5
EXCERPT = 280


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime

    @property
    def previous(self) -> Period:
        return Period(self.since - (self.until - self.since), self.since)

    def days(self, zone: str) -> list[date]:
        """The calendar days (in `zone`) the period touches."""
        tz = ZoneInfo(zone)
        first = self.since.astimezone(tz).date()
        last = (self.until - timedelta(microseconds=1)).astimezone(tz).date()
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class Change:
    """A figure of this period and of the one before."""

    current: float | None
    previous: float | None

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass
class MentionLine:
    id: int
    title: str
    url: str
    source_type: str
    source: str
    sentiment: float | None
    rating: float | None
    when: datetime
    urgent: bool
    alerted_at: datetime | None
    handled_at: datetime | None
    handled_by: str | None
    excerpt: str = ""
    """Plain text around the sentence that decided the label (escape it when rendering)."""
    in_baseline: bool = False
    """Listed in a new source's baseline summary rather than alerted one by one."""

    @property
    def time_to_handle(self) -> timedelta | None:
        """From the alert to the handling; None when nobody was alerted (no "0 min")."""
        if self.handled_at is None or self.alerted_at is None:
            return None
        return max(timedelta(0), self.handled_at - self.alerted_at)


@dataclass
class RatingSeries:
    """A review site's overall rating: the last value of each day it was read."""

    source: str
    points: list[tuple[date, float, int | None]]

    @property
    def first(self) -> float:
        return self.points[0][1]

    @property
    def last(self) -> float:
        return self.points[-1][1]


@dataclass
class SourceFailure:
    source: str
    source_type: str
    failed_runs: int
    runs: int
    last_error: str | None
    last_failed_at: datetime
    still_failing: bool


@dataclass
class BusinessReport:
    name: str
    zone: str
    period: Period
    total: Change
    by_label: dict[str, Change]
    by_source: list[tuple[str, str, Change]]
    """(source label, source type, mentions) for each source with mentions in either period."""
    daily: list[tuple[date, int, int, int]]
    """(day, positive, neutral, negative)."""
    average_rating: Change
    rated: int
    ratings: list[RatingSeries]
    negatives: list[MentionLine]
    praise: list[MentionLine]
    alerted: int
    handled: int
    median_time_to_handle: timedelta | None
    failures: list[SourceFailure]
    chart: Path | None = field(default=None)
    new_since: datetime | None = None
    """When the business was added, if during this period or the one before: no comparison then."""
    platforms: list[PlatformFigures] = field(default_factory=list)
    """Per review platform: new reviews, stars, rating trend, replies (alerts/report/platforms.py)."""
    relevance: str | None = None
    """What the mentions dismissed as not about the business suggest for its terms (pipeline.relevance)."""
    aspects: list[tuple[str, int, int]] = field(default_factory=list)
    """(aspect, complaints now, complaints the period before): see alerts.report.aspects."""
    stream_gaps: list[str] = field(default_factory=list)
    """Stretches of a shared stream (of a network the business is watched on) never read."""
    voices: list[Voice] = field(default_factory=list)
    """Share of voice against its competitors (alerts.report.voice.Voice), the business first."""

    @property
    def slug(self) -> str:
        return report_slug(self.name)


def report_slug(business: str) -> str:
    """The business's part of its report files' names (report-DATE-SLUG.png, .html)."""
    return "".join(c if c.isalnum() else "-" for c in business.lower()).strip("-") or "business"


def client_report_slug(client: str) -> str:
    """An agency client's part of its report's file name (report-DATE-client-NAME.html)."""
    return f"client-{client}"


def build_reports(session: Session, settings: AlertsConfig, period: Period, only: str | None = None) -> list[BusinessReport]:
    """One report per configured business (or just `only`), in config order."""
    catalog = Catalog(settings)
    ids = dict(session.execute(select(Business.name, Business.id)).all())
    reports = []
    for configured in settings.businesses:
        if only is not None and configured.name != only:
            continue
        business_id = ids.get(configured.name)
        report = _report(session, catalog, configured.name, business_id, period)
        report.relevance = _dismissed_line(session, configured.name, business_id, period)
        report.voices = share_of_voice(session, configured, period.since, period.until)
        reports.append(report)
    return reports


@dataclass
class PeriodCounts:
    """A business's mentions of a period by label and day, and its review sites' ratings: what the
    trends page charts. Counted by the database from the index, not read mention by mention."""

    name: str
    zone: str
    period: Period
    total: Change
    by_label: dict[str, Change]
    daily: list[tuple[date, int, int, int]]
    """(day, positive, neutral, negative), every day of the period."""
    ratings: list[RatingSeries]
    voices: list[Voice] = field(default_factory=list)
    """Share of voice against its competitors, as in the report."""


def period_counts(session: Session, settings: AlertsConfig, period: Period,
                  only: Collection[str] | None = None) -> list[PeriodCounts]:
    """PeriodCounts of each configured business (those named in `only` when given), in config
    order (the same figures as its report)."""
    catalog = Catalog(settings)
    ids = dict(session.execute(select(Business.name, Business.id)).all())
    found = []
    for configured in settings.businesses:
        if only is not None and configured.name not in only:
            continue
        name, business_id = configured.name, ids.get(configured.name)
        zone = catalog.zone(name)
        per_day = (daily_label_counts(session, business_id, period.since, period.until, zone)
                   if business_id is not None else {})
        daily = [(day, *(per_day.get(day, {}).get(label, 0) for label in LABELS)) for day in period.days(zone)]
        by_label = {label: sum(c.get(label, 0) for c in per_day.values()) for label in LABELS}
        found.append(PeriodCounts(
            name=name, zone=zone, period=period, total=Change(sum(by_label.values()), None),
            by_label={label: Change(count, None) for label, count in by_label.items()},
            daily=daily, ratings=_rating_series(session, catalog, name, business_id, period, ZoneInfo(zone)),
            voices=share_of_voice(session, configured, period.since, period.until)))
    return found


def _report(session: Session, catalog: Catalog, name: str, business_id: int | None, period: Period) -> BusinessReport:
    zone = catalog.zone(name)
    tz = ZoneInfo(zone)
    previous = period.previous
    # Watched since its first crawl (or since it was added, if never crawled). A business watched
    # for only part of the previous period has nothing fair to compare with.
    added = (session.scalar(select(func.min(Source.first_crawled_at)).where(Source.business_id == business_id))
             or session.scalar(select(Business.created_at).where(Business.id == business_id))) if business_id else None
    new_since = added if added is not None and added > previous.since else None
    compare = new_since is None

    # Every figure is counted by the database over the two periods alone (the period index, the
    # hourly counts), and only the listed mentions are read whole: a week costs the same after ten
    # years of history as after one.
    now, then = (_tally(session, business_id, period.since, period.until),
                 _tally(session, business_id, previous.since, previous.until))
    labels = {identity: catalog.source_label(name, identity) for identity, _ in (*now.sources, *then.sources)}
    sources_now, sources_before = Counter(), Counter()
    types: dict[str, str] = {}
    for tally, counter in ((now, sources_now), (then, sources_before)):
        for (identity, source_type), count in tally.sources.items():
            counter[labels[identity]] += count
            types[labels[identity]] = source_type
    by_source = sorted(
        ((label, types[label], Change(sources_now[label], sources_before[label]))
         for label in set(sources_now) | set(sources_before)),
        key=lambda item: (-(item[2].current or 0), item[0]),
    )
    per_day = (daily_label_counts(session, business_id, period.since, period.until, zone)
               if business_id is not None else {})
    daily = [(day, *(per_day.get(day, {}).get(label, 0) for label in LABELS)) for day in period.days(zone)]

    worst, best = _listed(session, catalog, name, business_id, period)
    handling = session.execute(
        select(Mention.alerted_at, Mention.handled_at)
        .where(in_period(business_id, period.since, period.until), Mention.alerted_at.is_not(None))
    ).all() if business_id is not None else []
    times = [max(timedelta(0), handled - alerted) for alerted, handled in handling if handled is not None]

    def change(current: float | None, before: float | None) -> Change:
        return Change(current, before if compare else None)

    by_source = [(label, kind, change(c.current, c.previous)) for label, kind, c in by_source]
    return BusinessReport(
        name=name, zone=zone, period=period,
        total=change(now.total, then.total),
        by_label={label: change(now.labels[label], then.labels[label]) for label in LABELS},
        by_source=by_source,
        daily=daily,
        average_rating=change(now.average_rating, then.average_rating),
        rated=now.rated,
        ratings=_rating_series(session, catalog, name, business_id, period, tz),
        negatives=worst,
        praise=best,
        alerted=len(handling),
        handled=len(times),
        median_time_to_handle=timedelta(seconds=statistics.median(t.total_seconds() for t in times)) if times else None,
        failures=_failures(session, catalog, name, business_id, period),
        new_since=new_since,
        aspects=_aspects(session, business_id, period),
        platforms=platform_figures(session, business_id, period.since, period.until),
        stream_gaps=_stream_gaps(session, business_id, period),
    )


@dataclass
class _Tally:
    """A period's mentions of a business, counted by the database."""

    labels: Counter[str] = field(default_factory=Counter)
    """Mentions by label (unlabelled ones count as neutral)."""
    sources: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Mentions by (source identity, source type)."""
    rated: int = 0
    rating_sum: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.labels.values())

    @property
    def average_rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None


def _tally(session: Session, business_id: int | None, since: datetime, until: datetime) -> _Tally:
    """Mentions of [since, until) by label and source, and their stars, summed by the database."""
    tally = _Tally()
    if business_id is None:
        return tally
    rows = session.execute(
        select(Mention.label, Source.identity, Mention.source_type, func.count(), func.count(Mention.rating),
               func.sum(Mention.rating))
        .join(Source, Source.id == Mention.source_id)
        .where(in_period(business_id, since, until))
        .group_by(Mention.label, Source.identity, Mention.source_type))
    for label, identity, source_type, count, rated, stars in rows:
        tally.labels[label or "neutral"] += count
        tally.sources[identity, source_type] += count
        tally.rated += rated
        tally.rating_sum += float(stars or 0)
    return tally


def _listed(session: Session, catalog: Catalog, name: str, business_id: int | None,
            period: Period) -> tuple[list[MentionLine], list[MentionLine]]:
    """The period's worst mentions (urgent ones first, whatever their label; then the most negative)
    and its best (the most positive, then the most stars; never an urgent one), TOP of each, picked
    by the database; ties go to the earlier mention."""
    if business_id is None:
        return [], []
    sentiment = func.coalesce(Mention.sentiment, 0)
    chosen = select(Mention.id).where(in_period(business_id, period.since, period.until))
    worst = list(session.scalars(
        chosen.where(or_(Mention.label == "negative", Mention.urgent))
        .order_by(Mention.urgent.desc(), sentiment, Mention.effective_at, Mention.id).limit(TOP)))
    best = list(session.scalars(
        chosen.where(Mention.label == "positive", not_(Mention.urgent))
        .order_by(sentiment.desc(), func.coalesce(Mention.rating, 0).desc(), Mention.effective_at, Mention.id)
        .limit(TOP)))
    if not worst and not best:
        return [], []
    whole = {m.id: (m, identity) for m, identity in session.execute(
        select(Mention, Source.identity).join(Source, Source.id == Mention.source_id)
        .where(Mention.id.in_(worst + best)))}
    baseline_ids = _in_baseline(session, worst + best)

    def line(mention_id: int) -> MentionLine:
        mention, identity = whole[mention_id]
        return _line(catalog, name, mention, identity, mention.effective_at, mention_id in baseline_ids)

    return [line(i) for i in worst], [line(i) for i in best]


def _aspects(session: Session, business_id: int | None, period: Period) -> list[tuple[str, int, int]]:
    """(aspect, complaints now, complaints the period before), from the hourly complaint counts."""
    if business_id is None:
        return []

    def count(since: datetime, until: datetime) -> Counter[str]:
        found: Counter[str] = Counter()
        for per_aspect in daily_aspect_counts(session, business_id, since, until, "UTC").values():
            found.update(per_aspect)
        return found

    return compare_aspects(count(period.since, period.until), count(period.previous.since, period.previous.until))


def _dismissed_line(session: Session, name: str, business_id: int | None, period: Period) -> str | None:
    """How many of the period's mentions were dismissed as not about the business, pointing to
    `mentionwatch check` for the terms that would filter them; None when none was.

    The terms themselves are not worked out here: checking a term reads every mention the
    business kept, its whole history (minutes at a million mentions), which `check` may take
    and a weekly report must not.
    """
    if business_id is None:
        return None
    dismissed = session.scalar(select(func.count()).where(
        Mention.business_id == business_id, Mention.effective_at >= period.since, Mention.effective_at < period.until,
        Mention.dismissed_at.is_not(None)))
    if not dismissed:
        return None
    noun = "mention" if dismissed == 1 else "mentions"
    return (f"{dismissed} {noun} of this period dismissed as not about {name}; `mentionwatch check` suggests "
            "exclude: or require_any: terms that would have filtered them.")


def _stream_gaps(session: Session, business_id: int | None, period: Period) -> list[str]:
    """'Reddit posts: 12 minutes unread at ...' for the streams of this business's networks."""
    if business_id is None:
        return []
    networks = set(session.scalars(select(Source.type).where(Source.business_id == business_id)))
    return [gap.line() for gap in recent_gaps(session, period.since, period.until) if gap.network in networks]


def _line(catalog: Catalog, business: str, m: Mention, identity: str, when: datetime,
          in_baseline: bool = False) -> MentionLine:
    title = truncate(one_line(m.title) or one_line(m.text) or m.url, 160)
    return MentionLine(
        id=m.id, title=title, url=m.url, source_type=m.source_type, source=catalog.source_label(business, identity),
        sentiment=m.sentiment, rating=m.rating, when=when, urgent=m.urgent, alerted_at=m.alerted_at,
        handled_at=m.handled_at, handled_by=m.handled_by, excerpt=plain_excerpt(m.text, m.driver, title),
        in_baseline=in_baseline,
    )


def plain_excerpt(text: str | None, driver: str | None, title: str = "", limit: int = EXCERPT) -> str:
    """What was said, around the sentence that decided the label; '' when it only repeats the title."""
    text = one_line(text)
    if not text or text == title:
        return ""
    focus = text.find(one_line(driver)) if driver else -1
    start, end = window(text, max(focus, 0), limit)
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def _in_baseline(session: Session, mention_ids: list[int]) -> set[int]:
    """Which of these mentions a sent baseline summary covered."""
    if not mention_ids:
        return set()
    return set(session.scalars(
        select(AlertMessageMention.mention_id).join(AlertMessage, AlertMessage.id == AlertMessageMention.message_id)
        .where(AlertMessage.kind == "baseline", AlertMessage.sent_at.is_not(None),
               AlertMessageMention.mention_id.in_(mention_ids))
    ))


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _rating_series(session: Session, catalog: Catalog, name: str, business_id: int | None, period: Period,
                   tz: ZoneInfo) -> list[RatingSeries]:
    if business_id is None:
        return []
    rows = session.execute(
        select(AggregateRating, Source.identity).join(Source, Source.id == AggregateRating.source_id)
        .where(Source.business_id == business_id, AggregateRating.recorded_at >= period.since,
               AggregateRating.recorded_at < period.until)
        .order_by(AggregateRating.recorded_at, AggregateRating.id)
    ).all()
    by_source: dict[str, dict[date, tuple[float, int | None]]] = {}
    for rating, identity in rows:
        # Later readings of the same day replace earlier ones: one point a day.
        by_source.setdefault(catalog.source_label(name, identity), {})[rating.recorded_at.astimezone(tz).date()] = (
            rating.value, rating.count)
    return [RatingSeries(source, [(day, value, count) for day, (value, count) in sorted(points.items())])
            for source, points in sorted(by_source.items())]


def _failures(session: Session, catalog: Catalog, name: str, business_id: int | None,
              period: Period) -> list[SourceFailure]:
    if business_id is None:
        return []
    rows = session.execute(
        select(SourceRun, Source).join(Source, Source.id == SourceRun.source_id)
        .where(Source.business_id == business_id, SourceRun.finished_at >= period.since,
               SourceRun.finished_at < period.until)
        .order_by(SourceRun.finished_at, SourceRun.id)
    ).all()
    runs: Counter[int] = Counter()
    failed: dict[int, list[SourceRun]] = {}
    sources: dict[int, Source] = {}
    for run, source in rows:
        runs[source.id] += 1
        sources[source.id] = source
        if not run.ok:
            failed.setdefault(source.id, []).append(run)
    return [
        SourceFailure(
            source=catalog.source_label(name, sources[sid].identity), source_type=sources[sid].type,
            failed_runs=len(fails), runs=runs[sid], last_error=fails[-1].error, last_failed_at=fails[-1].finished_at,
            still_failing=sources[sid].consecutive_failures > 0,
        )
        for sid, fails in failed.items()
    ]
