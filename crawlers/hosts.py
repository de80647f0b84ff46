"""Which site a source's requests go to: the key politeness is kept by across workers.

Workers on several machines never fetch from one site at once (the job engine's lock is this
key), so it must name the site the requests really reach, port included: two local servers on
one address are two sites, and every Google News search is one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from crawlers.config import SourceBase

# Where a source without `url:` sends its requests (the spiders' default endpoints).
_DEFAULT_SITES = {
    "reddit": "www.reddit.com",
    "hackernews": "hn.algolia.com",
    "appstore": "itunes.apple.com",
    "google_business": "mybusiness.googleapis.com",
    "yelp": "api.yelp.com",
    "appstore_connect": "api.appstoreconnect.apple.com",
    "google_play": "androidpublisher.googleapis.com",
}


def source_site(source: SourceBase) -> str:
    """The host (and port, when given) a source's requests go to, lower-cased."""
    kind = source.type  # type: ignore[attr-defined]
    url = source.url
    if url is None and kind == "feed":
        url = "https://www.bing.com/" if source.engine == "bing" else "https://news.google.com/"  # type: ignore[attr-defined]
    elif url is None and kind == "mastodon":
        url = "https://" + source.instance.removeprefix("https://").removeprefix("http://")  # type: ignore[attr-defined]
    elif url is None and kind == "bluesky":
        url = source.service  # type: ignore[attr-defined]
    if url is None:
        return _DEFAULT_SITES.get(kind, kind)
    return urlsplit(url).netloc.lower().rsplit("@", 1)[-1]
