"""What both trend checks share: the business's day, its 28 days before, what they hand the planner."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.trends.counts import effective_at
from alerts.trends.tail import DAYS
from pipeline.models import AlertMessage, Business, Mention

MIN_HISTORY_DAYS = 14
"""A business whose mentions go back less than this has no usual to compare with yet."""


TREND_KINDS = ("spike", "rating_drop")
"""The outbox kinds (AlertMessage.kind) of trend alerts."""


@dataclass
class TrendAlert:
    """One message for the planner to queue."""

    kind: str
    """spike or rating_drop (AlertMessage.kind)."""
    business_id: int
    business: str
    message: tuple[str, list[dict[str, Any]]]
    mention_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class LocalDay:
    """Today where the business is, and the 28 days before it."""

    today: date
    zone: ZoneInfo

    @classmethod
    def of(cls, now: datetime, zone: str) -> LocalDay:
        tz = ZoneInfo(zone)
        return cls(now.astimezone(tz).date(), tz)

    def start(self, day: date | None = None) -> datetime:
        return datetime.combine(day or self.today, time(0), self.zone)

    @property
    def end(self) -> datetime:
        return self.start(self.today + timedelta(days=1))

    @property
    def history_start(self) -> datetime:
        return self.start(self.today - timedelta(days=DAYS))

    def history(self, counts: Counter[date]) -> list[int]:
        """The 28 days before today, oldest first."""
        return [counts[self.today - timedelta(days=DAYS - i)] for i in range(DAYS)]


def has_history(session: Session, business_id: int, day: LocalDay) -> bool:
    """Whether the business's mentions go back far enough to know its usual: its oldest mention,
    the first entry of the period index."""
    oldest = session.scalar(select(func.min(effective_at())).where(Mention.business_id == business_id))
    if oldest is None:
        return False
    if isinstance(oldest, str):  # min() loses the column's type on SQLite: its stored text
        oldest = datetime.fromisoformat(oldest)
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=ZoneInfo("UTC"))
    return oldest <= day.start() - timedelta(days=MIN_HISTORY_DAYS)


def due_today(session: Session, zones: dict[str, str], now: datetime, kind: str,
              watched: set[str] | None = None) -> Iterator[tuple[Business, LocalDay]]:
    """The watched businesses (by default those in `zones`, name -> time zone) with no `kind`
    alert planned yet on their local day, and that day."""
    for business in session.scalars(select(Business).order_by(Business.id)):
        if business.name not in (watched if watched is not None else zones):
            continue
        day = LocalDay.of(now, zones.get(business.name, "UTC"))
        if not planned_since(session, kind, business.id, day.start()):
            yield business, day


def planned_since(session: Session, kind: str, business_id: int, since: datetime) -> bool:
    """Whether a message of `kind` was planned for the business since `since` (one per spike)."""
    return session.scalar(select(func.count()).select_from(AlertMessage).where(
        AlertMessage.kind == kind, AlertMessage.business_id == business_id,
        AlertMessage.created_at >= since)) > 0


def inbox_link(inbox_url: str | None, business: str, day: LocalDay, **filters: str) -> str | None:
    """The web inbox's mentions page filtered to the business and the day (its dates are UTC days)."""
    if not inbox_url:
        return None
    first, last = day.start().astimezone(ZoneInfo("UTC")).date(), day.end.astimezone(ZoneInfo("UTC")).date()
    query = {"business": business, "since": first.isoformat(), "until": last.isoformat(), **filters}
    return f"{inbox_url.rstrip('/')}/mentions?{urlencode(query)}"
