"""Scrapy settings for mentionwatch's spiders (the project template's file).

`mentionwatch run` starts from these and applies config.yaml's `crawler:` section on top
(see crawlers.process.crawler_settings). `scrapy crawl` from the repository root uses them as is.
"""

from pipeline.version import __version__

BOT_NAME = "mentionwatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Identify ourselves, and obey robots.txt: this tool reads public pages politely.
USER_AGENT = f"mentionwatch/{__version__} (+https://github.com/mentionwatch/mentionwatch)"


def user_agent(contact: str) -> str:
    """The User-Agent with `crawler.contact`, where a site's owner can reach whoever runs it."""
    return f"mentionwatch/{__version__} (+{contact})"


ROBOTSTXT_OBEY = True

# Politeness is per site (CONCURRENT_REQUESTS_PER_DOMAIN, AutoThrottle's per-site delay); the
# total only bounds our own resources, and must leave room for many distinct sites at once.
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
# The delay each site starts with; AutoThrottle then follows the site's own latency.
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30
# The timeout counts the time the network takes, not the time our own busy process (a big feed's
# parse, a machine under load) kept the event loop from reading it (crawlers/download_timeout.py).
# Sources are http(s) only (crawlers.config): Scrapy imports every listed handler when a crawl
# starts, and the S3 and FTP ones bring code no run uses.
DOWNLOAD_HANDLERS = {
    "http": "crawlers.download_timeout.NetworkTimeoutHandler",
    "https": "crawlers.download_timeout.NetworkTimeoutHandler",
    "data": None,
    "file": None,
    "s3": None,
    "ftp": None,
}
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Scrapy's RetryMiddleware retries at once and ignores Retry-After; ours waits (middlewares.py).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.PoliteRetryMiddleware": 550,
    # Redirects only to http(s), and never from a public address inward (crawlers/redirects.py).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawlers.redirects.SafeRedirectMiddleware": 600,
    # Before RobotsTxtMiddleware (100): not even a refused address's robots.txt is asked for.
    "crawlers.redirects.PrivateRedirectGuard": 90,
    # API keys and tokens only to the origin they were issued for, redirects included.
    "crawlers.credential_guard.CredentialOriginGuard": 95,
}
RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry without Retry-After; doubles each time
RETRY_BACKOFF_MAX = 60.0
# A server asking for a longer pause than this is tried again on the next run, not waited for.
RETRY_AFTER_MAX = 120.0

COOKIES_ENABLED = False
# Scrapy's own list less the cookie middleware: it is off (COOKIES_ENABLED), but Scrapy imports
# every listed middleware, even one set to None, and that one imports tldextract and requests,
# a tenth of the CPU of a run over unchanged sources.
DOWNLOADER_MIDDLEWARES_BASE = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": 300,
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": 850,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": 900,
}
# No listening ports: a cron job needs neither the telnet console nor remote control.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawlers.logformatter.QuietLogFormatter"
EXTENSIONS = {
    # Scrapy's item and page counters (and the -v log line that reports them) cost a signal
    # handler per item, about a tenth of the crawl process's time on a large backfill; the run
    # summary counts what matters.
    "scrapy.extensions.corestats.CoreStats": None,
    "scrapy.extensions.logstats.LogStats": None,
}
# Scrapy's own list less RemoteControl and TelnetConsole: they are off (REMOTE_CONTROL_ENABLED,
# TELNETCONSOLE_ENABLED), but Scrapy imports every listed extension, even one set to None, and
# RemoteControl imports aiohttp: a second of CPU on a busy machine that every run paid for nothing.
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.memusage.MemoryUsage": 0,
    "scrapy.extensions.memdebug.MemoryDebugger": 0,
    "scrapy.extensions.closespider.CloseSpider": 0,
    "scrapy.extensions.feedexport.FeedExporter": 0,
    "scrapy.extensions.logstats.LogStats": 0,
    "scrapy.extensions.spiderstate.SpiderState": 0,
    "scrapy.extensions.throttle.AutoThrottle": 0,
}
