"""The reasons and waits read from servers' answers (the cases a local server cannot stage)."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from scrapy.exceptions import CannotResolveHostError
from scrapy.http import HtmlResponse, Request
from twisted.python.failure import Failure

from crawlers.failures import bot_wall, describe_failure
from crawlers.budget import parse_rate_limit_reset
from crawlers.middlewares import parse_retry_after

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (b"0", 0.0), (formatdate(NOW + 30, usegmt=True), 30.0),
    (formatdate(NOW - 30, usegmt=True), 0.0), ("soon", None), ("", None), (None, None),
])
def test_retry_after_in_seconds_or_as_an_http_date(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(("value", "seconds"), [
    ("412", 412.0),  # Reddit: seconds to go
    (str(int(NOW + 60)), 60.0),  # Bluesky: a Unix time
    ("2027-01-15T08:01:00.000Z", 60.0),  # Mastodon: an ISO time (NOW is 2027-01-15T08:00:00Z)
    ("whenever", None),
])
def test_rate_limit_resets_in_each_apis_form(value, seconds):
    assert parse_rate_limit_reset(value, now=NOW) == seconds


def test_a_dns_failure_reads_as_such():
    failure = Failure(CannotResolveHostError("nosuchhost.invalid"))
    assert describe_failure(failure) == "DNS lookup failed (no such host)"


def page(status: int, body: str, **headers: str) -> HtmlResponse:
    return HtmlResponse("https://shop.example/reviews", status=status, body=body.encode(), headers=headers,
                        request=Request("https://shop.example/reviews"))


def test_a_challenge_is_a_bot_wall_and_a_plain_refusal_or_empty_page_is_not():
    assert bot_wall(page(403, "<title>Attention Required! | Cloudflare</title>", Server="cloudflare")) == \
        "bot wall (Cloudflare challenge, HTTP 403)"
    assert bot_wall(page(429, '<script src="https://ct.captcha-delivery.com/c.js"></script>')) == \
        "bot wall (anti-bot service challenge, HTTP 429)"
    assert bot_wall(page(200, "<p>ok</p>", **{"cf-mitigated": "challenge"})) == "bot wall (challenge header)"
    assert bot_wall(page(403, "<h1>Forbidden</h1>")) is None
    assert bot_wall(page(200, "")) is None
