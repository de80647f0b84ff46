"""Scrapy settings for mentionwatch's spiders (the project template's file).

`mentionwatch run` starts from these and applies config.yaml's `crawler:` section on top
(see crawlers.process.crawler_settings). `scrapy crawl` from the repository root uses them as is.
"""

from mentionwatch import __version__

BOT_NAME = "mentionwatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# Identify ourselves, and obey robots.txt: this tool reads public pages politely.
USER_AGENT = f"mentionwatch/{__version__} (+https://github.com/mentionwatch/mentionwatch)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
