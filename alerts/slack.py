"""Talking to Slack through slack-sdk: retries, pacing, one error type."""

from __future__ import annotations

import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculator import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from mentionwatch.config import SlackSettings
from mentionwatch.errors import DeliveryError

# Slack allows about one message per second per channel.
POST_INTERVAL = 1.0


class ServerErrorRetryHandler(RetryHandler):
    """Retry 5xx answers with backoff: Slack's own outages are usually short."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return response is not None and response.status_code >= 500


def make_client(settings: SlackSettings, timeout: int = 15) -> WebClient:
    assert settings.token is not None
    client = WebClient(token=settings.token.get_secret_value(), base_url=settings.api_url, timeout=timeout)
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.5)
    client.retry_handlers.extend(
        [
            RateLimitErrorRetryHandler(max_retry_count=3),  # honours Retry-After
            ServerErrorRetryHandler(max_retry_count=2, interval_calculator=backoff),
        ]
    )
    # The default connection handler retries once; allow a little more, with backoff.
    client.retry_handlers[:] = [h for h in client.retry_handlers if not isinstance(h, ConnectionErrorRetryHandler)]
    client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=backoff))
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
