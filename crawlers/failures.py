"""Readable reasons for a failed fetch, stored with the source and shown to the owner."""

from __future__ import annotations

import re
from http import HTTPStatus

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
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


def http_reason(response: Response) -> str:
    """'HTTP 404 Not Found', a named bot wall, or a rate limit with the wait the server asked for."""
    wall = bot_wall(response)
    if wall:
        return wall
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = ""
    reason = f"HTTP {response.status} {phrase}".strip()
    retry_after = response.headers.get(b"Retry-After")
    if response.status in (429, 503) and retry_after:
        wait = retry_after.decode("latin-1").strip()[:40]
        # Seconds, or an HTTP date (RFC 9110 section 10.2.3)
        reason += f" (asked to retry after {wait} seconds)" if wait.isdigit() else f" (asked to retry after {wait})"
    return reason


def body_kind(response: Response) -> str:
    """What a response holds, in plain words: "an HTML page", "JSON", "an empty body", ..."""
    head = response.body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
    if not head:
        return "an empty body"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512] or content_type == "text/html":
        return "an HTML page"
    if head.startswith((b"{", b"[")) or content_type.endswith("json"):
        return "JSON"
    return f"a {content_type} document" if content_type else "something else"


def xml_problem(exc: object) -> str:
    """A parser's complaint in plain words: 'XML error at line 3, column 5: no element found'."""
    if hasattr(exc, "getLineNumber") and hasattr(exc, "getMessage"):
        return f"XML error at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return str(exc)[:200] or type(exc).__name__


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.3g} MB" if n >= 1024 * 1024 else f"{n / 1024:.3g} KB"


def describe_failure(failure: Failure) -> str:
    """A short reason a person can act on, e.g. 'HTTP 404 Not Found' or 'timed out after 30s, 4 attempts'."""
    exc = failure.value
    if failure.check(HttpError):
        return http_reason(exc.response)
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "DNS lookup failed (no such host)"
    if failure.check(TimeoutError, DownloadTimeoutError) or "TimeoutError" in type(exc).__name__:
        seconds = re.search(r"longer than ([\d.]+) seconds", str(exc))
        reason = f"timed out after {float(seconds.group(1)):g}s" if seconds else "timed out"
        # Retried (crawler.retries): a silent server cost every attempt's wait, not one.
        request = getattr(failure, "request", None)
        attempts = 1 + (request.meta.get("retry_times", 0) if request is not None else 0)
        return f"{reason}, {attempts} attempts" if attempts > 1 else reason
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return "connection refused"
    if failure.check(DownloadCancelledError):
        limit = re.search(r"max size \((\d+)\)", str(exc))
        if limit:
            return f"response too large (over the {_size(int(limit.group(1)))} limit, crawler.max_response_mb)"
        return "download cancelled"
    if failure.check(ResponseDataLossError) or "DataLoss" in str(exc):
        return "response cut short (the connection closed before the announced length)"
    if failure.check(IgnoreRequest):
        message = str(exc) or "request ignored"
        return "forbidden by robots.txt" if "robots.txt" in message else message
    if failure.check(ResponseNeverReceived, ResponseFailed, DownloadFailedError):
        reasons = getattr(exc, "reasons", None) or getattr(exc.__cause__, "reasons", None) or []
        detail = reasons[0].getErrorMessage() if reasons else str(exc)
        return f"connection lost: {detail}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]
