"""robots.txt read once an hour per site by a long-lived worker, not once per job.

Scrapy's RobotsTxtMiddleware keeps each site's parsed robots.txt for one crawl. `mentionwatch
run` is one crawl per cycle; a worker (`mentionwatch worker`) runs one crawl per job, so each job
asked for the site's robots.txt again: a request and its parsing for every source, every
interval. `SharedRobotsTxtMiddleware` keeps what the worker's crawls parsed, per site, for
`ROBOTSTXT_CACHE_SECONDS` (an hour; Google's crawlers keep it up to a day). Only a robots.txt
that was read is kept: a site whose robots.txt could not be fetched is asked again next job.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached

SCRAPY_NAME = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"
SHARED_NAME = "crawlers.robots_cache.SharedRobotsTxtMiddleware"


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """RobotsTxtMiddleware whose parsed robots.txt outlive the crawl, for an hour per site."""

    _kept: ClassVar[dict[str, tuple[float, Any]]] = {}
    """Site (netloc) -> (monotonic time read, parser), shared by every crawl of the process."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self._lifetime = crawler.settings.getfloat("ROBOTSTXT_CACHE_SECONDS", 3600.0)

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        kept = self._kept.get(netloc)
        if kept is not None and time.monotonic() - kept[0] < self._lifetime:
            return kept[1]
        parser = await super().robot_parser(request)
        if parser is not None:
            self._kept[netloc] = (time.monotonic(), parser)
        return parser


def share_robots_txt(settings: Any) -> None:
    """Make `settings` (Scrapy's, not frozen) use SharedRobotsTxtMiddleware in place of Scrapy's."""
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    order = settings.getdict("DOWNLOADER_MIDDLEWARES_BASE").get(SCRAPY_NAME, 100)
    middlewares.update({SCRAPY_NAME: None, SHARED_NAME: order})
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority=settings.getpriority("DOWNLOADER_MIDDLEWARES"))
