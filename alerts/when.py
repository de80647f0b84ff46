"""Times in messages: relative ("3 hours ago") and absolute, in the reader's or the business's zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def ago(then: datetime, now: datetime) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago' (or 'in 2 hours' for the future)."""
    seconds = (now - then).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            phrase = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {phrase}" if future else f"{phrase} ago"
    raise AssertionError("unreachable")


def absolute(when: datetime, zone: str = "UTC") -> str:
    """'Mon 23 Nov 2026 10:30 CET': the date and time in `zone`, with the zone's abbreviation."""
    local = when.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y %H:%M} {local.tzname()}"


def local_time(when: datetime, zone: str = "UTC") -> str:
    """'2026-12-04 00:00 CST': a compact date and time in `zone` with its abbreviation, for tables,
    `check` and the web inbox (a stored time is UTC; a person reads the business's clock)."""
    local = when.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def slack_date(when: datetime, now: datetime, zone: str = "UTC") -> str:
    """Slack's date formatting: each reader sees the time in their own zone, and how long ago
    it was as of when they read it; the fallback (for clients without it) is computed now."""
    fallback = f"{absolute(when, zone)}, {ago(when, now)}"
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}} ({{ago}})|{fallback}>"


def duration(delta: timedelta) -> str:
    """A short human duration: '45 min', '3.5 h', '2.0 days'."""
    minutes = delta.total_seconds() / 60
    if minutes < 90:
        return f"{max(0, round(minutes))} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
