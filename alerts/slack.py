"""Talking to Slack through slack-sdk: retries, pacing, one error type."""

from __future__ import annotations

import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from mentionwatch.config import SlackSettings
from mentionwatch.errors import DeliveryError

# Slack allows about one message per second per channel.
POST_INTERVAL = 1.0


def make_client(settings: SlackSettings, timeout: int = 15) -> WebClient:
    assert settings.token is not None
    client = WebClient(token=settings.token.get_secret_value(), base_url=settings.api_url, timeout=timeout)
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    # 429s wait as long as Retry-After says; 5xx and dropped connections are retried with backoff.
    # Whatever still fails stays in the outbox for the next run.
    client.retry_handlers = [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
    ]
    return client


class SlackPoster:
    """Posts messages, paced per channel, raising DeliveryError with a readable reason."""

    def __init__(self, client: WebClient, interval: float = POST_INTERVAL):
        self.client = client
        self.interval = interval
        self._last_post: dict[str, float] = {}

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        """Post and return the message's ts."""
        wait = self._last_post.get(channel, 0) + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            response = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
        except SlackApiError as exc:
            raise DeliveryError(f"Slack refused the message: {exc.response.get('error', exc.response.status_code)}",
                                exc.response) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack unreachable: {type(exc).__name__}: {exc}") from None
        finally:
            self._last_post[channel] = time.monotonic()
        return str(response["ts"])
