"""What the inbox and the mentions page list: filters, full-text search and keyset pages.

Lists are ordered newest-found first by id (ids grow as mentions are found), so a page is
"the next 50 below this id": one index range, as fast on page 1,000 as on page 1, and stable
while new mentions arrive. The inbox puts urgent mentions first and reads the partial index
ix_mentions_inbox, which holds only open negative or urgent mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import String, and_, cast, false, func, or_, select, text
from sqlalchemy.orm import Session

from pipeline.dialect import fulltext_join, search_words
from pipeline.models import INBOX_CONDITION, Business, Mention, Source, utcnow

PAGE = 50
LABELS = ("negative", "neutral", "positive")


class FilterError(ValueError):
    """A filter's value cannot be understood (shown above the list, not as an error page)."""


@dataclass
class Filters:
    """The mentions page's query string, as typed values."""

    q: str = ""
    business: str = ""
    source: str = ""
    label: str = ""
    aspect: str = ""
    language: str = ""
    handled: str = ""
    since: str = ""
    until: str = ""
    before: str = ""

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        return cls(**{f.name: (params.get(f.name) or "").strip()[:200] for f in fields(cls)})

    def query_string(self, **changes: str) -> dict[str, str]:
        """These filters (with `changes`) as query parameters, empty ones left out."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return {k: v for k, v in values.items() if v}


@dataclass
class Row:
    mention: Mention
    business: str
    source: str


@dataclass
class Page:
    rows: list[Row]
    next_cursor: str | None


# Dates a person can mean: a bound outside them (9999-12-31) would overflow a day later.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
MAX_ID = 2**31 - 1


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise FilterError(f"{name}: {value!r} is out of range (use a date from {FIRST_DAY} to {LAST_DAY})")
    return day


def _cursor(value: str, parts: int) -> list[int] | None:
    if not value:
        return None
    try:
        numbers = [int(p) for p in value.split(".")]
    except ValueError:
        raise FilterError("that page link is not valid; start again from the first page") from None
    # Ids are positive 32-bit numbers: anything else is a made-up link (and must not reach the driver).
    if len(numbers) != parts or not all(0 <= n <= MAX_ID for n in numbers):
        raise FilterError("that page link is not valid; start again from the first page")
    return numbers


def _rows(session: Session, query: Any, size: int = PAGE) -> list[Row]:
    """The page's mentions with their business and source, read apart: joined, the planner would
    start from the small tables and sort every mention of the business."""
    mentions = list(session.scalars(query.limit(size + 1)))
    businesses = dict(session.execute(select(Business.id, Business.name).where(
        Business.id.in_({m.business_id for m in mentions}))).all()) if mentions else {}
    sources = dict(session.execute(select(Source.id, Source.identity).where(
        Source.id.in_({m.source_id for m in mentions}))).all()) if mentions else {}
    return [Row(m, businesses[m.business_id], sources[m.source_id]) for m in mentions]


Visible = frozenset[str] | None
"""The businesses a web user may see (an agency client's user), or None for all of them."""


def visible_only(only: Visible) -> list[Any]:
    """The SQL condition keeping a client's user to its own businesses' mentions (none for None)."""
    if only is None:
        return []
    return [Mention.business_id.in_(select(Business.id).where(Business.name.in_(sorted(only))))]


def mentions_page(session: Session, filters: Filters, size: int = PAGE, only: Visible = None) -> Page:
    """One page of the mentions page: filtered, searched, newest found first (`size` of them;
    the exports read larger pages); only the businesses in `only` when given."""
    query = select(Mention)
    conditions = visible_only(only)
    if filters.business:
        business_id = session.scalar(select(Business.id).where(Business.name == filters.business))
        conditions.append(Mention.business_id == business_id if business_id is not None else false())
    if filters.source:
        conditions.append(Mention.source_type == filters.source)
    if filters.label:
        if filters.label not in LABELS:
            raise FilterError(f"label: {filters.label!r} is not one of {', '.join(LABELS)}")
        conditions.append(Mention.label == filters.label)
    if filters.aspect:
        conditions.append(cast(Mention.aspects, String).like(f"%{_like(filters.aspect)}%", escape="\\"))
    if filters.language:
        conditions.append(Mention.language == filters.language)
    if filters.handled == "yes":
        conditions.append(Mention.handled_at.is_not(None))
    elif filters.handled == "no":
        conditions.extend([Mention.handled_at.is_(None), Mention.dismissed_at.is_(None)])
    elif filters.handled == "dismissed":
        conditions.append(Mention.dismissed_at.is_not(None))
    elif filters.handled:
        raise FilterError(f"handled: {filters.handled!r} is not one of yes, no, dismissed")
    since, until = _day(filters.since, "since"), _day(filters.until, "until")  # the parameters, as web.md names them
    found_when = []
    if since:
        found_when.append(Mention.first_seen_at >= datetime.combine(since, time(0), timezone.utc))
    if until:
        end = datetime.combine(until + timedelta(days=1), time(0), timezone.utc)
        found_when.append(Mention.first_seen_at < end)
        # The list walks down from the newest id, reading the mentions found after `end` on the
        # way: few for a recent date, nearly all for one far back (160 ms at 1,000,000). Unless
        # `end` is recent, it starts instead at the newest mention of the period, read from the
        # first-seen index's range before `end` (which holds the id; `id + 0` makes SQLite take
        # the max from that range rather than walk the table).
        if not _recent(session, end):
            newest = select(func.max(Mention.id + 0)).where(*found_when).scalar_subquery()
            found_when.append(Mention.id <= newest)
    conditions += found_when
    query = query.where(*conditions)
    order = Mention.id
    words = search_words(filters.q)
    if words:
        query, order = fulltext_join(query, session.get_bind().dialect.name, Mention.id, words)
    cursor = _cursor(filters.before, 1)
    if cursor:
        query = query.where(order < cursor[0])
    rows = _rows(session, query.order_by(order.desc()), size)
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, str(rows[-1].mention.id) if more else None)


# Reading a mention from the table on the way down costs about three times reading an entry of
# the first-seen index (measured on SQLite and PostgreSQL at 1,000,000 mentions).
_WALK_COST = 3


def _recent(session: Session, moment: datetime) -> bool:
    """Whether walking down to `moment` from the newest mention reads less than the first-seen
    index's range before it would (judged by the span of first-seen times)."""
    # Two queries: SQLite answers a lone min() or max() from the index, not both in one.
    first = session.scalar(select(func.min(Mention.first_seen_at)))
    last = session.scalar(select(func.max(Mention.first_seen_at)))
    if first is None or last is None:
        return True
    first, last = (t if t.tzinfo else t.replace(tzinfo=timezone.utc) for t in (first, last))
    return (last - moment) * _WALK_COST < moment - first


def inbox_page(session: Session, before: str = "", only: Visible = None) -> Page:
    """Open negative or urgent mentions (not handled, dismissed or snoozed): urgent first, newest
    first; only the businesses in `only` when given."""
    now = utcnow()
    conditions: list[Any] = [text(INBOX_CONDITION),
                             or_(Mention.snoozed_until.is_(None), Mention.snoozed_until <= now), *visible_only(only)]
    # Competitors' complaints are theirs to answer: watched for comparison, not for the inbox.
    competitors = list(session.scalars(select(Business.id).where(Business.competitor)))
    if competitors:
        conditions.append(Mention.business_id.not_in(competitors))
    cursor = _cursor(before, 2)
    if cursor:
        urgent, last_id = bool(cursor[0]), cursor[1]
        conditions.append(or_(Mention.urgent.is_(False), Mention.id < last_id) if urgent
                          else and_(Mention.urgent.is_(False), Mention.id < last_id))
    rows = _rows(session, select(Mention).where(*conditions).order_by(Mention.urgent.desc(), Mention.id.desc()))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    last = rows[-1].mention if rows else None
    return Page(rows, f"{int(last.urgent)}.{last.id}" if more and last else None)


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def choices(session: Session, only: Visible = None) -> dict[str, list[str]]:
    """The values the filter menus offer (a client's user is offered its own businesses only)."""
    businesses = select(Business.name).order_by(Business.name)
    types = select(Source.type).distinct()
    if only is not None:
        businesses = businesses.where(Business.name.in_(sorted(only)))
        types = types.join(Business, Business.id == Source.business_id).where(Business.name.in_(sorted(only)))
    return {"business": list(session.scalars(businesses)), "source": sorted(set(session.scalars(types)))}
