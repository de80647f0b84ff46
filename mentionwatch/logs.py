"""Logging to stderr, with every configured secret redacted from every record."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from pipeline.dburl import url_passwords

if TYPE_CHECKING:
    from mentionwatch.config import Settings

REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replaces secret values in log records (slack-sdk logs request headers at DEBUG)."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        return True


# Libraries whose own log lines are for debugging: without -v their warnings and tracebacks would
# only repeat, in their terms, a failure that `run` reports once in plain words.
LIBRARY_LOGGERS = ("scrapy", "twisted", "sqlalchemy", "alembic", "py.warnings", "asyncio", "filelock",
                   "slack_sdk", "slack_bolt", "urllib3", "google", "requests_oauthlib")


class QuietLibraries(logging.Filter):
    """Without -v: no library's log line, and no traceback from anyone, reaches stderr."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".")[0] in LIBRARY_LOGGERS and record.levelno < logging.CRITICAL:
            return False
        record.exc_info = record.exc_text = None
        record.stack_info = None
        return True


def secrets_of(settings: Settings) -> list[str]:
    values = [settings.slack.token, settings.slack.webhook_url, settings.slack.app_token, settings.slack.signing_secret,
              *settings.credentials.model_dump().values()]
    # An agency's clients: their own workspaces' tokens and webhooks.
    values += [v for c in settings.clients for v in (c.slack.token, c.slack.webhook_url)]
    if settings.report.email and settings.report.email.password:
        values.append(settings.report.email.password)
    values.extend(url_passwords(settings.database_url()))  # user-info and ?password= alike
    return [v.get_secret_value() if hasattr(v, "get_secret_value") else str(v) for v in values if v]


def setup_logging(verbosity: int) -> logging.Handler:
    """Warnings and errors by default (cron stays quiet); -v for progress, -vv for debugging."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    if sys.stderr.isatty():
        from rich.logging import RichHandler  # only for a person at a terminal: cron need not load rich

        handler: logging.Handler = RichHandler(show_path=False, markup=False, rich_tracebacks=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # The level is on the handler: Scrapy resets its own loggers to DEBUG when a crawl starts.
    handler.setLevel(level)
    if verbosity <= 0:
        handler.addFilter(QuietLibraries())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return handler


def redact_with(handler: logging.Handler, settings: Settings) -> None:
    handler.addFilter(RedactSecrets(secrets_of(settings)))
