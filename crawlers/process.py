"""One Scrapy CrawlerProcess for a run: one crawl per source type, every source of that type in it.

Sharing one crawl per type means one downloader, so the per-domain throttle holds across
businesses that watch the same site.
"""

from __future__ import annotations

import importlib
import os
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings

from crawlers.config import CrawlerSettings, Credentials
from crawlers.interrupt import Interruption
from crawlers.redirects import PUBLIC_TEST_HOSTS_SETTING, public_test_hosts
from crawlers.settings import user_agent
from crawlers.spiders.base import MentionSpider
from crawlers.streams.hackernews import HackerNewsStreamSpider
from crawlers.streams.reddit import RedditStreamSpider
from crawlers.streams.state import StreamState
from crawlers.target import CrawlTarget
from pipeline.items import MentionItem

# Source type -> "module:class" of its spider, imported only when a run has such a source (the
# platforms' spiders bring JWT, crypto and OAuth clients a run over feeds never needs).
SPIDERS: dict[str, str] = {
    "feed": "crawlers.spiders.feed:FeedSpider",
    "reviews": "crawlers.spiders.reviews:ReviewsSpider",
    "html": "crawlers.spiders.html:HtmlSpider",
    "reddit": "crawlers.spiders.reddit:RedditSpider",
    "hackernews": "crawlers.spiders.hackernews:HackerNewsSpider",
    "mastodon": "crawlers.spiders.mastodon:MastodonSpider",
    "appstore": "crawlers.spiders.appstore:AppStoreSpider",
    "bluesky": "crawlers.spiders.bluesky:BlueskySpider",
    "google_business": "crawlers.spiders.google_business:GoogleBusinessSpider",
    "yelp": "crawlers.spiders.yelp:YelpSpider",
    "appstore_connect": "crawlers.spiders.appstore_connect:AppStoreConnectSpider",
    "google_play": "crawlers.spiders.google_play:GooglePlaySpider",
    "trustpilot": "crawlers.spiders.trustpilot:TrustpilotSpider",
}


def spider_class(source_type: str) -> type[MentionSpider]:
    """The spider of `source_type`, imported now."""
    module, name = SPIDERS[source_type].split(":")
    return getattr(importlib.import_module(module), name)


# Networks whose shared stream is read by `run` once a cycle (Bluesky's Jetstream is held open by
# the long-running processes instead).
STREAM_SPIDERS: dict[str, type[MentionSpider]] = {
    "reddit": RedditStreamSpider,
    "hackernews": HackerNewsStreamSpider,
}


def crawler_settings(config: CrawlerSettings, extra: dict[str, Any] | None = None) -> ScrapySettings:
    """crawlers/settings.py with config.yaml's `crawler:` section applied."""
    settings = ScrapySettings()
    settings.setmodule("crawlers.settings", priority="project")
    settings.setdict(
        {
            "USER_AGENT": user_agent(config.contact),
            "CONCURRENT_REQUESTS_PER_DOMAIN": config.concurrency_per_domain,
            "DOWNLOAD_TIMEOUT": config.download_timeout,
            "DOWNLOAD_MAXSIZE": int(config.max_response_mb * 1024 * 1024),
            "RETRY_TIMES": config.retries,
            "AUTOTHROTTLE_ENABLED": config.autothrottle,
            # mentionwatch configures logging itself (stderr, redacted, -v levels).
            "LOG_INSTALL_ROOT_HANDLER": False,
            # Each crawl is handed its spider class (spider_class): Scrapy's spider loader would
            # otherwise import every spider module, and with them the platforms' OAuth, JWT and
            # HTTP clients, in every run.
            "SPIDER_MODULES": [],
            **_public_test_hosts(),
            **(extra or {}),
        },
        priority="cmdline",
    )
    return settings


def _public_test_hosts() -> dict[str, Any]:
    """Tests only: MENTIONWATCH_PUBLIC_TEST_HOSTS="name=127.0.0.1,..." makes `name` a public host
    at that address (crawlers/redirects.py), so the refusal of a redirect from a public site into
    a private address is tested without leaving the machine."""
    pairs = public_test_hosts()
    return {PUBLIC_TEST_HOSTS_SETTING: pairs} if pairs else {}


def crawl(
    targets: list[CrawlTarget],
    settings: ScrapySettings,
    credentials: Credentials | None = None,
    on_item: Callable[[MentionItem], None] | None = None,
    interruption: Interruption | None = None,
    streams: list[StreamState] | None = None,
    api_urls: dict[str, str] | None = None,
) -> None:
    """Crawl every target, blocking until done. Outcomes are written into the targets.

    Each of `streams` is read once for all its targets (which are not in `targets`); `api_urls`
    replace a network's address (by source type) for its per-business spiders.

    `credentials` go to the spiders that log in (reddit, mastodon, bluesky); `on_item` sees every
    item that passed the item pipelines (all of them when none are configured). When
    `interruption` is requested, the crawl stops at once: downloads in flight are abandoned and
    the targets whose crawl had not finished keep `finished` False.
    """
    by_type: dict[str, list[CrawlTarget]] = defaultdict(list)
    for target in targets:
        by_type[target.source.type].append(target)  # type: ignore[attr-defined]
    process = CrawlerProcess(settings)
    for source_type, group in by_type.items():
        crawler = process.create_crawler(spider_class(source_type))
        if on_item is not None:
            crawler.signals.connect(lambda item, **_: on_item(item), signal=signals.item_scraped, weak=False)
        crawler.signals.connect(_mark_finished, signal=signals.spider_closed, weak=False)
        options = {"api_url": api_urls[source_type]} if api_urls and api_urls.get(source_type) else {}
        process.crawl(crawler, targets=group, credentials=credentials or Credentials(), **options)
    for stream in streams or ():
        crawler = process.create_crawler(STREAM_SPIDERS[stream.network])
        if on_item is not None:
            crawler.signals.connect(lambda item, **_: on_item(item), signal=signals.item_scraped, weak=False)
        crawler.signals.connect(_mark_finished, signal=signals.spider_closed, weak=False)
        process.crawl(crawler, targets=stream.targets, stream=stream, index=stream.index,
                      credentials=credentials or Credentials(), **stream.options)
    if not (by_type or streams) or (interruption is not None and interruption.requested):
        return
    if interruption is None:
        process.start()
        return
    from twisted.internet import reactor

    # Scrapy's own handlers would stop gracefully, waiting for every download in flight (up to
    # DOWNLOAD_TIMEOUT); a run that is asked to stop must stop within seconds instead.
    interruption.on_stop(lambda: reactor.callFromThread(_abandon_crawl))
    try:
        process.start(install_signal_handlers=False)
    finally:
        interruption.on_stop(None)


def _mark_finished(spider: MentionSpider, reason: str) -> None:
    if reason == "finished":
        for target in spider.targets:
            target.finished = True


def _abandon_crawl() -> None:
    """Stop the reactor now: no graceful close of the spiders, no wait for downloads in flight."""
    from twisted.internet import reactor

    reactor.crash()  # type: ignore[attr-defined]
    threads = getattr(reactor, "threadpool", None)
    if threads is not None:  # its worker threads (DNS lookups) would otherwise keep the process alive
        threads.stop()
