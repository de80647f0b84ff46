"""Quiet hours are wall-clock times in the business's own zone, across midnight and DST changes."""

from __future__ import annotations

from datetime import datetime, time, timezone

from alerts.config import QuietHours
from alerts.quiet import quiet_until

NIGHT = QuietHours(start=time(22, 0), end=time(7, 0))
LUNCH = QuietHours(start=time(12, 0), end=time(14, 0))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_outside_quiet_hours_nothing_is_held():
    assert quiet_until(utc(2026, 11, 23, 15, 0), NIGHT, "Europe/Paris") is None  # 16:00 in Paris
    assert quiet_until(utc(2026, 11, 23, 15, 0), None, "Europe/Paris") is None


def test_a_night_spanning_midnight_ends_the_next_morning_in_the_business_zone():
    # 23:30 in Paris (CET, UTC+1) -> quiet until 07:00 Paris = 06:00 UTC the next day.
    assert quiet_until(utc(2026, 11, 23, 22, 30), NIGHT, "Europe/Paris") == utc(2026, 11, 24, 6, 0)
    # 05:00 in Paris: the same night, ending the same morning.
    assert quiet_until(utc(2026, 11, 24, 4, 0), NIGHT, "Europe/Paris") == utc(2026, 11, 24, 6, 0)
    # The same instant is daytime in New York (17:30), so nothing is held there.
    assert quiet_until(utc(2026, 11, 23, 22, 30), NIGHT, "America/New_York") is None


def test_hours_within_a_day_and_the_end_itself():
    assert quiet_until(utc(2026, 11, 23, 12, 30), LUNCH, "UTC") == utc(2026, 11, 23, 14, 0)
    assert quiet_until(utc(2026, 11, 23, 14, 0), LUNCH, "UTC") is None
    assert quiet_until(utc(2026, 11, 23, 12, 0), LUNCH, "UTC") == utc(2026, 11, 23, 14, 0)


def test_the_end_is_wall_clock_time_across_a_dst_change():
    # Night of 28-29 March 2026: Paris moves from UTC+1 to UTC+2; 07:00 local is 05:00 UTC.
    assert quiet_until(utc(2026, 3, 28, 23, 0), NIGHT, "Europe/Paris") == utc(2026, 3, 29, 5, 0)
