"""Readable reasons for a failed fetch, stored with the source and shown to the owner."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Markers of anti-bot services' challenge pages: such a page is a wall, not an empty result.
BOT_WALL_MARKERS = (
    b"cf-chl-",
    b"challenge-platform",
    b"Attention Required! | Cloudflare",
    b"Just a moment...",
    b"captcha-delivery.com",
    b"_Incapsula_Resource",
    b"px-captcha",
    b"Access Denied</h1>",
)
BOT_WALL_HEADERS = ("cf-mitigated", "x-datadome", "x-px-block")


def bot_wall(response: Response) -> str | None:
    """The name of the anti-bot service that blocked us, if the response is a challenge."""
    if any(h.encode() in response.headers for h in BOT_WALL_HEADERS):
        return "bot wall (challenge header)"
    if response.status in (403, 429, 503):
        server = response.headers.get(b"Server", b"").decode("latin-1").lower()
        head = response.body[:20000]
        if any(m in head for m in BOT_WALL_MARKERS):
            name = "Cloudflare" if "cloudflare" in server or b"cf-" in head else "anti-bot service"
            return f"bot wall ({name} challenge, HTTP {response.status})"
    return None


def describe_failure(failure: Failure) -> str:
    """A short reason a person can act on, e.g. 'HTTP 404 Not Found' or 'timed out after 30s'."""
    exc = failure.value
    if failure.check(HttpError):
        response = exc.response
        wall = bot_wall(response)
        if wall:
            return wall
        from http import HTTPStatus

        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        return f"HTTP {response.status} {phrase}".strip()
    if failure.check(DNSLookupError):
        return "DNS lookup failed (no such host)"
    if failure.check(TimeoutError) or "TimeoutError" in type(exc).__name__:
        return "timed out"
    if failure.check(ConnectionRefusedError):
        return "connection refused"
    if failure.check(IgnoreRequest):
        message = str(exc) or "request ignored"
        return "forbidden by robots.txt" if "robots.txt" in message else message
    if failure.check(ResponseNeverReceived, ResponseFailed):
        reasons = getattr(exc, "reasons", [])
        detail = reasons[0].getErrorMessage() if reasons else str(exc)
        return f"connection lost: {detail}"
    return f"{type(exc).__name__}: {exc}"[:300]
