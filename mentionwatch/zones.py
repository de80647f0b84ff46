"""Time zones from what an owner types: an IANA name, or the town or city the zone is named after.

The IANA database names each zone after its largest city (America/Chicago, Europe/Paris), so
"Chicago" or "new york" finds its zone with no gazetteer; a town that names no zone gets the
closest spellings as suggestions.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Zones kept for compatibility (US/Central, Etc/GMT+6, Navajo): never offered.
_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/",
            "Pacific/")


@cache
def _by_city() -> dict[str, str]:
    """'chicago' -> 'America/Chicago', 'new york' -> 'America/New_York', 'indianapolis' -> ...."""
    found: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if zone.startswith(_REGIONS):
            city = zone.rsplit("/", 1)[-1].replace("_", " ").lower()
            found.setdefault(city, zone)  # sorted: America/Indiana/Indianapolis after America/Indianapolis
    return found


def _key(place: str) -> str:
    # "Chicago, IL" and "Paris (France)" name the city first.
    return re.split(r"[,(]", place)[0].strip().lower().replace("_", " ")


def zone_of_place(place: str | None) -> str | None:
    """The IANA zone named after `place` (a town or city), or None."""
    return _by_city().get(_key(place)) if place else None


def resolve_zone(value: str) -> str:
    """`value` as an IANA zone: itself when it is one, else the zone named after it; ValueError
    with the nearest names otherwise."""
    name = value.strip()
    if "/" in name or name.upper() == "UTC":
        try:
            ZoneInfo(name)
            return "UTC" if name.upper() == "UTC" else name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    found = zone_of_place(name)
    if found:
        return found
    close = difflib.get_close_matches(_key(name), list(_by_city()), n=3, cutoff=0.75)
    close += [z for z in difflib.get_close_matches(name, sorted(available_timezones()), n=3, cutoff=0.75)
              if z not in close]
    hint = f"; did you mean {' or '.join(_by_city().get(c, c) for c in close[:3])}?" if close else ""
    raise ValueError(f"unknown time zone {value!r}: give an IANA name such as America/Chicago, or the city "
                     f"it is named after{hint}")
