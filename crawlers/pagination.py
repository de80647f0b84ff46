"""Following a listing to its next page, for every paginated source: a page cap, a loop check,
and the origin rule that keeps credentials where they were issued.

A platform's answer is untrusted. One that hands back the same `nextPageToken` forever would keep
a run (and its lock) going for ever; one that invents new pages forever would fill the store;
one whose `next` link names another host would receive the API key with the request. So before
a spider asks for a next page it asks `may_follow`, which says no (and tells the owner why,
through the source's failure or warning) when:

* the token or URL was already followed in this listing (a loop: the source fails);
* the next page is on another origin than the listing (refused with a warning: the credentials
  are the listing's origin's, and pagination stays there);
* the listing has read its cap of pages (a warning when that leaves a gap, see `gap_at_cap`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawlers.target import CrawlTarget


def origin(url: str) -> tuple[str, str | None, int | None]:
    """A URL's origin: scheme, host and port (the scheme's default when none is given)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is no number: an origin no page shares
        return (scheme, None, -1)
    return (scheme, parts.hostname, port or {"http": 80, "https": 443}.get(scheme))


def origin_text(url: str) -> str:
    """An origin as people read it: https://api.example.com (with a port only when one is given)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def same_origin(url: str, other: str) -> bool:
    """Whether two absolute http(s) URLs share scheme, host and port."""
    return url.startswith(("http://", "https://")) and origin(url) == origin(other)


def may_follow(target: CrawlTarget, listing: str, *, page: int, max_pages: int, token: str,
               next_url: str | None = None, home: str | None = None, gap_at_cap: bool = True) -> bool:
    """Whether to ask for page `page + 1` of `listing`, whose next-page token (or URL) is `token`.

    `next_url` and `home`: the next page's address and the listing's own (its first page or API
    base); a next page elsewhere is refused. `gap_at_cap`: whether stopping at `max_pages` leaves
    items unread that the owner should hear about (an API read since the last run); a window the
    owner configured (the newest N pages of a review site) says nothing when it is reached.
    """
    seen = target.pages_followed.setdefault(listing, set())
    if token in seen:
        target.fail(f"{listing}: the platform sent a next page already read ({_short(token)}) after page {page}: "
                    "stopped reading a listing that would never end")
        return False
    if next_url is not None and home is not None and not same_origin(next_url, home):
        target.warn(f"{listing}: next page on another origin refused ({origin_text(next_url)[:80]}; the listing "
                    f"and its credentials are {origin_text(home)[:80]}): stopped after page {page}")
        return False
    if page >= max_pages:
        if gap_at_cap:
            target.warn(f"{listing}: stopped at the page cap ({max_pages} pages) with more pages offered: "
                        "older items were not read this run")
        return False
    seen.add(token)
    return True


def _short(token: str) -> str:
    return token if len(token) <= 60 else token[:57] + "..."
