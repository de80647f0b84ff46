"""Addresses for mentions that have no page of their own (a review among others on one page)."""

from __future__ import annotations

import hashlib

from w3lib.url import add_or_replace_parameter

# The store keeps one mention per canonical URL, and canonical URLs drop the fragment, so a
# "#review-12" anchor cannot tell two reviews on one page apart. A query parameter can, and a
# site ignores a parameter it does not know: the link still opens the page with the review.
ITEM_PARAMETER = "mw_item"


def item_key(*parts: object) -> str:
    """A short stable key from what identifies an item (its id, or author and date)."""
    joined = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.blake2b(joined.encode("utf-8", "replace"), digest_size=6).hexdigest()


def item_url(page_url: str, key: str) -> str:
    """`page_url` with this item's key, e.g. https://site/reviews?mw_item=3f2a9c01d4e5."""
    return add_or_replace_parameter(page_url, ITEM_PARAMETER, key)


def item_key_of(url: str) -> str | None:
    """The item key `item_url` put into `url` (a platform's review id), or None."""
    from w3lib.url import url_query_parameter

    return url_query_parameter(url, ITEM_PARAMETER)
