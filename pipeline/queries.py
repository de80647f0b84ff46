"""Reading mentions back out of the store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, literal_column, or_, select
from sqlalchemy.orm import Session

from pipeline.dialect import HOUR, MINUTE, utc_bucket
from pipeline.errors import MentionwatchError
from pipeline.models import (
    Business,
    Mention,
    MentionAspectDay,
    MentionAspectHour,
    MentionDay,
    MentionHour,
    Reply,
    Source,
)
from pipeline.normalize import business_named


def list_mentions(
    session: Session,
    business: str | None = None,
    label: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
    *,
    periods: Mapping[str, tuple[datetime | None, datetime | None]] | None = None,
    source_ids: Collection[int] | None = None,
    unhandled: bool = False,
    urgent: bool = False,
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
    if source_ids is not None:
        query = query.where(Mention.source_id.in_(list(source_ids)))
    if unhandled:  # nobody handled or dismissed it yet
        query = query.where(Mention.handled_at.is_(None), Mention.dismissed_at.is_(None))
    if urgent:
        query = query.where(Mention.urgent.is_(True))
    when = Mention.effective_at
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


def resolve_business(session: Session, name: str) -> str:
    """The stored business `name` means, case and spaces aside; an error names the known ones."""
    known = list(session.scalars(select(Business.name).order_by(Business.name)))
    found = business_named(name, known)
    if found is not None:
        return found
    raise MentionwatchError(f"no business named {name!r}; known: {', '.join(known) or '(none stored yet)'}")


def resolve_sources(session: Session, wanted: str, labels: Mapping[tuple[str, str], str],
                    business: str | None = None) -> list[int]:
    """Ids of the stored sources `wanted` names: a source type ("reviews"), a source's `name:` in
    config.yaml, or its identity ("feed:https://..."), case-insensitively. `labels` maps
    (business, identity) to the configured label. An error names what is known."""
    key = wanted.strip().casefold()
    rows = session.execute(select(Source.id, Source.type, Source.identity, Business.name)
                           .join(Business, Business.id == Source.business_id)).all()
    found = [source_id for source_id, type_, identity, owner in rows
             if (business is None or owner == business)
             and key in (type_.casefold(), identity.casefold(), labels.get((owner, identity), "").casefold())]
    if not found:
        names = sorted({type_ for _, type_, _, _ in rows} | {label for label in labels.values()})
        raise MentionwatchError(f"no source named {wanted!r}; known: {', '.join(names) or '(none stored yet)'}")
    return found


def latest_replies(session: Session, mention_ids: list[int]) -> dict[int, Reply]:
    """The newest sent reply of each of `mention_ids` that has one."""
    found: dict[int, Reply] = {}
    query = (select(Reply).where(Reply.mention_id.in_(mention_ids), Reply.status == "sent")
             .order_by(Reply.mention_id, Reply.created_at, Reply.id))
    for reply in session.scalars(query):
        found[reply.mention_id] = reply  # later rows replace earlier ones
    return found


# --------------------------------------------------------------------------- a period's counts
#
# Every summary of a period (trends, the weekly report, spike detection) counts a business's
# mentions by `effective_at` (publication, else first seen), leaving out those dismissed as not
# about it. These helpers read only the period, from ix_mentions_business_effective.


def in_period(business_id: int, since: datetime, until: datetime) -> Any:
    """The condition: `business_id`'s mentions of [since, until), dismissed ones left out."""
    return and_(Mention.business_id == business_id, Mention.effective_at >= since, Mention.effective_at < until,
                Mention.dismissed_at.is_(None))


def bucket_unit(zone: str, days: Collection[date]) -> str:
    """HOUR when every UTC hour falls within one local day of `zone` over `days`, else MINUTE
    (India, Nepal, Newfoundland: offsets of half and quarter hours)."""
    tz = ZoneInfo(zone)
    for day in days:
        offset = datetime(day.year, day.month, day.day, 12, tzinfo=tz).utcoffset() or timedelta(0)
        if offset.total_seconds() % 3600:
            return MINUTE
    return HOUR


def daily_label_counts(session: Session, business_id: int, since: datetime, until: datetime,
                       zone: str) -> dict[date, dict[str, int]]:
    """{local day: {label: mentions}} of [since, until) in `zone` (an unlabelled mention counts as
    neutral), dismissed ones left out."""
    return _daily_counts(session, business_id, since, until, zone, (MentionHour, MentionDay), "label", bucket_counts)


def daily_aspect_counts(session: Session, business_id: int, since: datetime, until: datetime,
                        zone: str) -> dict[date, dict[str, int]]:
    """{local day: {aspect: complaints}} of [since, until) in `zone`: negative mentions naming each
    aspect, dismissed ones left out."""
    return _daily_counts(session, business_id, since, until, zone, (MentionAspectHour, MentionAspectDay), "aspect",
                         aspect_bucket_counts)


def _daily_counts(session: Session, business_id: int, since: datetime, until: datetime, zone: str,
                  tables: tuple[Any, Any], key: str,
                  from_mentions: Callable[..., list[tuple[datetime, str | None, int]]],
                  ) -> dict[date, dict[str, int]]:
    """Whole UTC hours are read from `tables` (the hourly and daily counts kept by triggers, see
    `_local_day_sums`); the part-hours at the ends from the mentions themselves (`from_mentions`).
    A zone whose days do not start on a UTC hour is counted from the mentions by the minute."""
    tz = ZoneInfo(zone)
    first, last = since.astimezone(tz).date(), (until - timedelta(microseconds=1)).astimezone(tz).date()
    unit = bucket_unit(zone, [first + timedelta(days=i) for i in range((last - first).days + 1)])
    found: dict[date, dict[str, int]] = {}
    days_of: dict[datetime, date] = {}

    def add(bucket: datetime, name: str | None, count: int) -> None:
        day = days_of.get(bucket)
        if day is None:
            day = days_of[bucket] = bucket.astimezone(tz).date()
        per_key = found.setdefault(day, {})
        per_key[name or "neutral"] = per_key.get(name or "neutral", 0) + count

    whole_from = since.replace(minute=0, second=0, microsecond=0)
    whole_from += timedelta(hours=1) if whole_from < since else timedelta(0)
    whole_until = until.replace(minute=0, second=0, microsecond=0)
    if unit != HOUR or whole_from >= whole_until:
        edges = [(since, until)]
    else:
        edges = [(since, whole_from), (whole_until, until)]
        segments = _constant_offsets(whole_from, whole_until, tz)
        for day, name, count in _local_day_sums(session, tables, key, business_id, segments, tz):
            per_key = found.setdefault(day, {})
            per_key[name] = per_key.get(name, 0) + count
    for start, end in edges:
        if start < end:
            for bucket, name, count in from_mentions(session, business_id, start, end, unit):
                add(bucket, name, count)
    return found


def _constant_offsets(since: datetime, until: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime, timedelta]]:
    """[since, until) cut where `tz` changes its UTC offset (daylight saving): (start, end, offset)
    pieces, each with one offset throughout. Both ends are whole UTC hours, as are the changes of
    the zones this is used for."""
    def offset(moment: datetime) -> timedelta:
        return moment.astimezone(tz).utcoffset() or timedelta(0)

    pieces, start, moment = [], since, since
    while moment < until:
        step = min(moment + timedelta(days=1), until)
        if offset(step - timedelta(hours=1)) != offset(start):
            # The change is within this day: find its hour.
            change = moment
            while offset(change) == offset(start):
                change += timedelta(hours=1)
            pieces.append((start, change, offset(start)))
            start = change
        moment = step
    pieces.append((start, until, offset(start)))
    return pieces


HOURS_ONLY = timedelta(days=35)
"""Spans shorter than this are summed from the hourly counts alone: one statement, a few thousand
rows, cheaper than the four statements of days, part-days and hours (each a round trip)."""


def _local_day_sums(session: Session, tables: tuple[Any, Any], key: str, business_id: int,
                    segments: list[tuple[datetime, datetime, timedelta]],
                    tz: ZoneInfo) -> Iterator[tuple[date, str, int]]:
    """(local day, key, count) of the whole hours of `segments` ((start, end, offset): spans of
    whole hours in which the zone is `offset` from UTC throughout, a whole number of hours).
    `tables` are the hourly and the daily counts.

    A UTC day's hours before the one at which the zone's day changes belong to one local day, the
    rest to the next. Whole UTC days of long spans are read from the daily counts, less the hours
    of the smaller of those two parts, read from the hourly counts and summed by the database; the
    part-days at their ends hour by hour; a short span from the hourly counts, summed by the
    database into those two parts. At most three statements for the days of a long span, whatever
    its daylight saving changes: a year is some 1,100 day rows and a few hours a day.
    """
    hours, days = tables
    edges: list[tuple[datetime, datetime]] = []
    spans: list[tuple[str, str, int, timedelta]] = []  # whole UTC days [first, last), change, offset
    for start, end, offset in segments:
        change = int((-offset.total_seconds() // 3600) % 24)  # the UTC hour at which local days start
        first = start.astimezone(timezone.utc).replace(hour=0)
        first += timedelta(days=1) if first < start else timedelta(0)
        last = end.astimezone(timezone.utc).replace(hour=0)
        if last - first < HOURS_ONLY:
            yield from _hour_sums(session, hours, key, business_id, start, end, change, offset)
            continue
        edges += [(start, first), (last, end)]
        spans.append((f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}", change, offset))
    if not spans:
        return
    edges = [(start, end) for start, end in edges if start < end]
    if edges:  # a few hours at each end of each span, each hour to its own local day
        ranges = [and_(hours.hour >= _hour_text(start), hours.hour < _hour_text(end)) for start, end in edges]
        for hour, name, count in session.connection().execute(
                select(hours.hour, getattr(hours, key), hours.mentions).where(
                    hours.business_id == business_id, hours.hour >= _hour_text(edges[0][0]),
                    hours.hour < _hour_text(edges[-1][1]), hours.mentions != 0, or_(*ranges))):
            moment = datetime(int(hour[:4]), int(hour[5:7]), int(hour[8:10]), int(hour[11:13]), tzinfo=timezone.utc)
            yield moment.astimezone(tz).date(), name, int(count)
    totals = {(text, name): int(count) for text, name, count in session.connection().execute(
        select(days.day, getattr(days, key), days.mentions).where(
            days.business_id == business_id, days.day >= spans[0][0], days.day < spans[-1][1], days.mentions != 0,
            or_(*(and_(days.day >= first, days.day < last) for first, last, _, _ in spans))))}
    # The smaller part of each UTC day: before the change (up to noon), else from it on.
    hour_of_day = func.substr(hours.hour, literal_column("12"), literal_column("2"))
    utc_day = func.substr(hours.hour, literal_column("1"), literal_column("10"))
    sides = [and_(hours.hour >= f"{first} 00", hours.hour < f"{last} 00",
                  hour_of_day < literal_column(f"'{change:02d}'") if change <= 12 else
                  hour_of_day >= literal_column(f"'{change:02d}'"))
             for first, last, change, _ in spans if change]
    part = {(text, name): int(count) for text, name, count in session.connection().execute(
        select(utc_day, getattr(hours, key), func.sum(hours.mentions))
        # The whole range as well as each span's: an index range, not the table filtered.
        .where(hours.business_id == business_id, hours.hour >= f"{spans[0][0]} 00", hours.hour < f"{spans[-1][1]} 00",
               hours.mentions != 0, or_(*sides))
        .group_by(utc_day, getattr(hours, key)))} if sides else {}
    for text, name in totals.keys() | part.keys():
        first, _, change, offset = next(span for span in spans if span[0] <= text < span[1])
        total, some = totals.get((text, name), 0), part.get((text, name), 0)
        before = (some if change <= 12 else total - some) if change else 0
        midnight = datetime(int(text[:4]), int(text[5:7]), int(text[8:10]))
        if before:
            yield (midnight + offset).date(), name, before
        if total - before:
            yield (midnight + timedelta(hours=change) + offset).date(), name, total - before


def _hour_sums(session: Session, hours: Any, key: str, business_id: int, since: datetime, until: datetime,
               change: int, offset: timedelta) -> Iterator[tuple[date, str, int]]:
    """(local day, key, count) of the whole hours [since, until) from the hourly counts, summed by
    the database into two rows per UTC day and key: before the hour `change` and from it on."""
    if since >= until:
        return
    utc_day = func.substr(hours.hour, literal_column("1"), literal_column("10"))
    later = func.substr(hours.hour, literal_column("12"), literal_column("2")) >= literal_column(f"'{change:02d}'")
    rows = session.connection().execute(
        select(utc_day, later, getattr(hours, key), func.sum(hours.mentions))
        .where(hours.business_id == business_id, hours.hour >= _hour_text(since), hours.hour < _hour_text(until),
               hours.mentions != 0)
        .group_by(utc_day, later, getattr(hours, key)))
    for text, after, name, count in rows:
        if count:
            first = datetime(int(text[:4]), int(text[5:7]), int(text[8:10]), change if after else 0)
            yield (first + offset).date(), name, int(count)


def aspect_bucket_counts(session: Session, business_id: int, since: datetime, until: datetime,
                         unit: str = HOUR) -> list[tuple[datetime, str | None, int]]:
    """(UTC hour or minute, aspect, complaints) of [since, until), read from the mentions."""
    counts: Counter[tuple[datetime, str]] = Counter()
    rows = session.execute(select(Mention.aspects, Mention.effective_at)
                           .where(in_period(business_id, since, until), Mention.label == "negative"))
    for aspects, when in rows:
        bucket = when.replace(minute=when.minute if unit == MINUTE else 0, second=0, microsecond=0)
        for aspect in set(aspects) if isinstance(aspects, list) else ():
            counts[bucket, aspect] += 1
    return [(bucket, aspect, count) for (bucket, aspect), count in counts.items()]


def bucket_counts(session: Session, business_id: int, since: datetime, until: datetime,
                  unit: str = HOUR) -> list[tuple[datetime, str | None, int]]:
    """(UTC hour or minute, label, mentions) of [since, until), counted from the mentions by the
    database over the period index: for short spans (a spike's hour, a period's ends)."""
    bucket = utc_bucket(session.get_bind().dialect.name, Mention.effective_at, unit)
    pattern = "%Y-%m-%d %H" if unit == HOUR else "%Y-%m-%d %H:%M"
    rows = session.execute(select(bucket, Mention.label, func.count()).where(in_period(business_id, since, until))
                           .group_by(bucket, Mention.label))
    return [(datetime.strptime(text, pattern).replace(tzinfo=timezone.utc), label, count)
            for text, label, count in rows]


def _hour_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H")
