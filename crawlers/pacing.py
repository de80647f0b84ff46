"""How fast mentionwatch asks each platform's API, against what the API allows: `check` shows it.

Each pace is the spacing the crawl keeps between two requests of one API (all of a run's
requests to it share one pace, whatever the number of sources): the spiders and platform clients
own the figures; this module only reads them, so what `check` says is what a run does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from crawlers.budget import API_TYPES
from crawlers.platforms import appstore_connect, google, google_play, yelp
from crawlers.spiders import hackernews, reddit, trustpilot

# Source type -> (seconds between requests, what the API allows), for a fixed pace.
FIXED_PACES: dict[str, tuple[float, str]] = {
    "hackernews": (hackernews.MIN_INTERVAL, "Algolia allows about 10,000 an hour"),
    "trustpilot": (trustpilot.MIN_INTERVAL, "Trustpilot allows 833 in 5 minutes per key"),
    "yelp": (yelp.MIN_INTERVAL, "Yelp limits requests per second and per day"),
    "appstore_connect": (appstore_connect.MIN_INTERVAL, "Apple allows 3,600 an hour per key"),
    "google_business": (google.MIN_INTERVAL, "Google's default quota is 300 a minute per project"),
    # One every 2 s is the spacing within a run, not an hourly rate: a run reads one page per app
    # (stopping at the first review it has read) unless more than 100 are new.
    "google_play": (google_play.MIN_INTERVAL, "Play allows 200 review list calls an hour per app, "
                                              "and a run asks one page per app unless over 100 reviews are new"),
}


def api_interval(source: Any, credentials: Any) -> float:
    """The seconds a source's API asks between two requests; 0 for a web page or feed (paced per site)."""
    if source.type == "reddit":
        return 60.0 / _reddit_per_minute(source, credentials)
    return FIXED_PACES[source.type][0] if source.type in FIXED_PACES else 0.0


def _reddit_per_minute(source: Any, credentials: Any) -> float:
    authenticated = credentials.reddit_client_id is not None
    return source.requests_per_minute or (
        reddit.AUTHENTICATED_PER_MINUTE if authenticated else reddit.UNAUTHENTICATED_PER_MINUTE)


def api_pace(source: Any, credentials: Any) -> str | None:
    """'at most 9,000 requests an hour (one every 0.4 s); Algolia allows about 10,000 an hour'
    for a source read through a platform's API; None for a web page or feed (paced per site)."""
    if source.type == "reddit":
        authenticated = credentials.reddit_client_id is not None
        per_minute = _reddit_per_minute(source, credentials)
        allows = "Reddit allows 100 a minute with OAuth" if authenticated else "Reddit allows 10 a minute without OAuth"
        return f"at most {per_minute:g} requests a minute; {allows}"
    if source.type not in FIXED_PACES:
        return None
    interval, allows = FIXED_PACES[source.type]
    return f"at most {3600 / interval:,.0f} requests an hour (one every {interval:g} s); {allows}"


def api_budget(source_type: str, budget: Any, now: datetime, clock: Callable[[datetime], str]) -> str | None:
    """'87 of 100 left until 14:05 CST (at 13:58 CST)': what is left of an API's allowance, from
    its `api_budgets` row (None for a web page or feed). `clock` writes a time for the reader.

    Told by the API's own headers where it gives them (crawlers.budget); otherwise the requests
    made today (UTC) beside the allowance its documentation gives.
    """
    if source_type not in API_TYPES:
        return None
    if budget is None:
        return "not known yet: no run has asked this API"
    if budget.remaining is not None and budget.seen_at is not None:
        left = f"{budget.remaining:,} of {budget.limit:,}" if budget.limit is not None else f"{budget.remaining:,}"
        seen = f"at {clock(budget.seen_at)}"
        if budget.resets_at is not None and budget.resets_at <= now:
            return f"{left} left {seen}; the window has reset since ({clock(budget.resets_at)})"
        if budget.resets_at is not None:
            return f"{left} left until {clock(budget.resets_at)} ({seen})"
        window = {"rolling hour": " in the rolling hour", "day": " today"}.get(budget.window or "", "")
        return f"{left} left{window} ({seen})"
    made = budget.requests_today if budget.day == now.date().isoformat() else 0
    allows = FIXED_PACES[source_type][1] if source_type in FIXED_PACES else "no documented quota"
    return f"{made:,} request{'' if made == 1 else 's'} made today (UTC); {allows}"
