"""Scrapy's log lines, tuned for a cron job: a dropped item is routine, not a warning."""

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
