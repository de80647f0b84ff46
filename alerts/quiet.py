"""Quiet hours: a business's nights, in its own time zone, when only urgent alerts go out."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from alerts.config import AlertedBusiness, AlertsConfig, QuietHours


def quiet_hours_of(settings: AlertsConfig, business: AlertedBusiness) -> QuietHours | None:
    """The business's own quiet hours, else the global ones, else none."""
    return business.quiet_hours or settings.alerts.quiet_hours


def quiet_until(now: datetime, hours: QuietHours | None, zone: str) -> datetime | None:
    """When the quiet hours around `now` end (aware UTC), or None when `now` is not in them.

    The hours are wall-clock times in `zone`; `start` after `end` spans midnight (22:00-07:00).
    `start == end` means no quiet hours.
    """
    if hours is None or hours.start == hours.end:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    start, end = hours.start, hours.end
    if start < end:
        inside = start <= clock < end
    else:
        inside = clock >= start or clock < end
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return _wall_clock(end_day, end, tz).astimezone(now.tzinfo)


def _wall_clock(day: object, at: time, tz: ZoneInfo) -> datetime:
    """`at` on `day` in `tz`; a time skipped by a DST change is taken as the moment after it."""
    naive = datetime.combine(day, at)  # type: ignore[arg-type]
    local = naive.replace(tzinfo=tz)
    # Round-trip through UTC: a non-existent local time comes back shifted, which is what we want.
    return local.astimezone(ZoneInfo("UTC"))
