"""Credentials go only to the origin they were issued for, redirects included.

A spider attaches an API key or token through `MentionSpider.request(credentials=...)`, which
records the origin they belong to (`credential_origin`) and the headers that carry them
(`credential_headers`). A redirect copies headers and meta to its new request; Scrapy drops
`Authorization` and `Cookie` when the host changes, but not a platform's own header (Trustpilot's
`apikey`). This middleware runs on every request the engine sends, redirected ones included, and
removes the credential headers from any request that is not for their origin.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request

from crawlers.pagination import origin_text, same_origin

logger = logging.getLogger(__name__)

CREDENTIAL_ORIGIN = "credential_origin"
CREDENTIAL_HEADERS = "credential_headers"
# Always credentials, whoever set them: never sent to another origin either.
ALWAYS_SECRET = ("Authorization", "Proxy-Authorization", "Cookie")


class CredentialOriginGuard:
    """Downloader middleware: strips credentials from requests to another origin than theirs."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        home = request.meta.get(CREDENTIAL_ORIGIN)
        if not home or same_origin(request.url, home):
            return None
        names = {*ALWAYS_SECRET, *request.meta.get(CREDENTIAL_HEADERS, ())}
        removed = [name for name in names if request.headers.pop(name, None) is not None]
        if removed:
            logger.info("credentials for %s not sent to %s (%s removed)", origin_text(home),
                        origin_text(request.url), ", ".join(sorted(removed)))
        return None
