"""The one error shape the platforms' API clients share: what the platform answered, if anything.

A reply upload that failed is either refused (the platform answered 4xx: nothing was stored) or of
unknown outcome (no answer, a dropped connection, a timeout, a 5xx: it may have been stored), and
respond.actions treats the two differently (`outcome_unknown`).
"""

from __future__ import annotations

from http import HTTPStatus

import requests

from pipeline.errors import MentionwatchError


class PlatformError(MentionwatchError):
    """A platform API call that failed; `status` is the HTTP status it answered (None: no answer)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def answered(platform: str, status: int, code: str = "", said: str = "") -> str:
    """An answer no more specific message fits: "Trustpilot answered HTTP 502 Bad Gateway", with the
    platform's own error code and words when it gave them (a gateway's HTML page gives neither)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"{platform} answered HTTP {status} {code or phrase}".rstrip() + (f": {said}" if said else "")


def outcome_unknown(exc: BaseException) -> bool:
    """Whether a failed upload may have reached the platform all the same.

    An HTTP answer below 500 is a refusal (nothing stored); a 5xx, a timeout or a connection that
    broke after it was made may hide a stored reply. A connection that was never made stored nothing.
    """
    status = getattr(exc, "status", None)
    if status is not None:
        return status >= 500 or status == 408
    cause = exc.__cause__
    if not isinstance(cause, requests.RequestException):
        return False
    if isinstance(cause, requests.ConnectTimeout):
        return False
    # requests wraps urllib3's NewConnectionError (refused, unreachable): nothing was sent.
    reason = getattr(cause.args[0], "reason", None) if cause.args else None
    return not (isinstance(cause, requests.ConnectionError) and type(reason).__name__ == "NewConnectionError")
