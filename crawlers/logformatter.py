"""Scrapy's log lines, tuned for a cron job: a dropped item is routine, a scraped one is news only at -vv."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter


class QuietLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any = None) -> dict[str, Any]:
        # Most items are dropped on purpose (not about the business, already seen).
        result = dict(super().dropped(item, exception, response, spider))
        result["level"] = logging.DEBUG
        return result

    def scraped(self, item: Any, response: Any, spider: Any = None) -> dict[str, Any] | None:
        # One line per item is for debugging (-vv); otherwise not even its record is built
        # (Scrapy sets its own loggers to DEBUG, so only the root's level tells).
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            return None
        return super().scraped(item, response, spider)
