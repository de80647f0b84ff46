"""What the mention, trends and sources pages show, read from the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.report.data import Period, PeriodCounts, period_counts
from alerts.views import Catalog
from pipeline.models import (
    AlertMessage,
    AlertMessageMention,
    Business,
    Mention,
    MentionAction,
    Reply,
    Revision,
    Sighting,
    Source,
    utcnow,
)
from pipeline.queries import daily_aspect_counts
from respond import actions
from respond.config import RespondConfig
from respond.web.listing import Visible


@dataclass
class MentionDetail:
    mention: Mention
    business: str
    source: str
    sightings: list[tuple[Sighting, str]]
    revisions: list[Revision]
    alerts: list[AlertMessage]
    history: list[MentionAction]
    replies: list[Reply]


def visible_mention(session: Session, mention_id: int, only: Visible = None) -> Mention:
    """The mention, when the user may see it: NoSuchMention when there is none or it belongs to
    another client's business (the same answer, so ids of other clients' mentions tell nothing)."""
    mention = actions.get_mention(session, mention_id)
    if only is not None:
        business = session.scalar(select(Business.name).where(Business.id == mention.business_id))
        if business not in only:
            raise actions.NoSuchMention(f"no mention with id {mention_id}")
    return mention


def mention_detail(session: Session, settings: RespondConfig, mention_id: int, only: Visible = None) -> MentionDetail:
    """Everything known about one mention (NoSuchMention when there is none, or it is not the user's to see)."""
    mention = visible_mention(session, mention_id, only)
    business, identity = session.execute(
        select(Business.name, Source.identity).join(Source, Source.business_id == Business.id)
        .where(Source.id == mention.source_id)).one()
    catalog = Catalog(settings)
    sightings = [(s, catalog.source_label(business, ident)) for s, ident in session.execute(
        select(Sighting, Source.identity).join(Source, Source.id == Sighting.source_id)
        .where(Sighting.mention_id == mention_id).order_by(Sighting.seen_at, Sighting.id))]
    return MentionDetail(
        mention=mention, business=business, source=catalog.source_label(business, identity),
        sightings=sightings,
        revisions=list(session.scalars(select(Revision).where(Revision.mention_id == mention_id)
                                       .order_by(Revision.changed_at, Revision.id))),
        alerts=list(session.scalars(select(AlertMessage).join(
            AlertMessageMention, AlertMessageMention.message_id == AlertMessage.id)
            .where(AlertMessageMention.mention_id == mention_id).order_by(AlertMessage.created_at))),
        history=actions.history(session, mention_id),
        replies=list(session.scalars(select(Reply).where(Reply.mention_id == mention_id)
                                     .order_by(Reply.created_at, Reply.id))),
    )


@dataclass
class AspectSeries:
    """Complaints naming each aspect, per day."""

    days: list[date]
    counts: dict[str, list[int]]


@dataclass
class Trend:
    report: PeriodCounts
    aspects: AspectSeries


def trends(session: Session, settings: RespondConfig, days: int, only: Visible = None) -> list[Trend]:
    """Per business (those in `only` when given): the weekly report's daily counts and ratings over
    `days`, and complaint aspects."""
    now = utcnow()
    period = Period(now - timedelta(days=days), now)
    return [Trend(counts, _aspects(session, counts, period)) for counts in period_counts(session, settings, period, only)]


def _aspects(session: Session, report: PeriodCounts, period: Period) -> AspectSeries:
    """Negative mentions per aspect per day, counted as the report counts them (by when they
    happened, dismissed ones left out)."""
    days = period.days(report.zone)
    business_id = session.scalar(select(Business.id).where(Business.name == report.name))
    if business_id is None:
        return AspectSeries(days, {})
    per_day = daily_aspect_counts(session, business_id, period.since, period.until, report.zone)
    aspects = sorted({aspect for counts in per_day.values() for aspect, n in counts.items() if n})
    return AspectSeries(days, {a: [per_day.get(d, {}).get(a, 0) for d in days] for a in aspects})


@dataclass
class SourceHealth:
    id: int
    business: str
    type: str
    label: str
    status: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    configured: bool
    next_check_at: datetime | None = None
    """When the workers crawl it next; None where `run` from cron crawls every source."""


def sources(session: Session, settings: RespondConfig, only: Visible = None) -> list[SourceHealth]:
    """Each source's health (of the businesses in `only` when given), as the last runs left it."""
    catalog = Catalog(settings)
    configured = {(b.name, s.identity()) for b in settings.watched() for s in b.sources}
    found = []
    for source, business in session.execute(
            select(Source, Business.name).join(Business, Business.id == Source.business_id)
            .order_by(Business.name, Source.type, Source.id)):
        if only is not None and business not in only:
            continue
        if source.consecutive_failures:
            status = "failing"
        elif source.last_success_at is not None:
            status = "ok"
        else:
            status = "never crawled"
        found.append(SourceHealth(
            id=source.id, business=business, type=source.type, label=catalog.source_label(business, source.identity),
            status=status, last_success_at=source.last_success_at, last_error=source.last_error,
            last_error_at=source.last_error_at, failures=source.consecutive_failures,
            configured=(business, source.identity) in configured, next_check_at=source.next_check_at))
    return found


def source_key(session: Session, source_id: int) -> tuple[str, str] | None:
    """(business name, source identity) of a stored source."""
    if not 0 < source_id <= actions.MAX_ID:
        return None
    row = session.execute(select(Business.name, Source.identity).join(Business, Business.id == Source.business_id)
                          .where(Source.id == source_id)).first()
    return (row[0], row[1]) if row else None
