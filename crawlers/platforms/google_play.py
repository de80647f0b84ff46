"""Google Play Developer API: a service account's token (google-auth), Play's refusals, replies.

The service account (a JSON key) must be invited to the app in Play Console with permission to
reply to reviews; the API only lists reviews created or changed in the last seven days.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.oauth2 import service_account

from crawlers.config import Credentials, GooglePlaySource
from crawlers.links import item_url
from crawlers.platforms.errors import answered
from crawlers.platforms.google import GoogleError, PlatformReply, describe_refresh_error

SCOPE = "https://www.googleapis.com/auth/androidpublisher"
REPLY_LIMIT = 350  # Play's limit for a developer reply, in characters
# Play's reviews quota is 200 list calls an hour and 2000 replies a day per app; one call every
# two seconds at most is plenty for the few pages of a week's reviews.
MIN_INTERVAL = 2.0


def review_url(package: str, review_id: str) -> str:
    """The app's reviews in Play Console, with the review's id."""
    return item_url(f"https://play.google.com/store/apps/details?id={quote(package)}&showAllReviews=true", review_id)


def service_account_credentials(credentials: Credentials, source: GooglePlaySource) -> service_account.Credentials:
    """The service account's google-auth credentials (they sign their own token requests)."""
    path = credentials.google_play_service_account_file
    if not path:
        raise GoogleError("GOOGLE_PLAY_SERVICE_ACCOUNT_FILE not set: create a service account, download its JSON "
                          "key, and invite it in Play Console (Users and permissions) with 'Reply to reviews'")
    try:
        account = service_account.Credentials.from_service_account_file(path, scopes=[SCOPE])
    except (OSError, ValueError, KeyError) as exc:
        raise GoogleError(f"cannot read the service account key {path}: {type(exc).__name__}") from None
    return account.with_token_uri(source.token_url) if source.token_url else account


def describe_error(status: int, body: bytes | str) -> str:
    """One readable `last_error` from Play's {"error": {code, message, status}}."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    said = str(error.get("message") or "")[:200] if isinstance(error, dict) else ""
    if status == 401:
        return "Google Play refused the service account's token (UNAUTHENTICATED): check the JSON key is not revoked"
    if status == 403:
        return ("Google Play refused access (PERMISSION_DENIED): invite the service account to this app in Play "
                f"Console (Users and permissions) with 'Reply to reviews', and enable the Google Play Android "
                f"Developer API (Google said: {said})")
    if status == 404:
        return f"Google Play does not know this app (NOT_FOUND): check `package:` ({said})"
    if status == 429:
        return "Google Play's reviews quota is used up (429 RESOURCE_EXHAUSTED): the next run tries again"
    return answered("Google Play", status, said=said)


def seconds_of(stamp: Any) -> float | None:
    """Play's Timestamp {"seconds": "1600000000", "nanos": 0} as seconds."""
    if not isinstance(stamp, dict):
        return None
    try:
        return float(stamp.get("seconds")) + float(stamp.get("nanos") or 0) / 1e9
    except (TypeError, ValueError):
        return None


def utc_of(stamp: Any) -> datetime | None:
    seconds = seconds_of(stamp)
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def developer_reply(review: dict[str, Any]) -> PlatformReply | None:
    """The developer's reply among a Review's comments."""
    for comment in review.get("comments") or ():
        reply = comment.get("developerComment") if isinstance(comment, dict) else None
        if isinstance(reply, dict) and reply.get("text"):
            at = utc_of(reply.get("lastModified"))
            return PlatformReply(reply["text"], at.isoformat() if at else None, review.get("reviewId"))
    return None


class GooglePlayClient:
    """reviews.get and reviews.reply, through google-auth's AuthorizedSession."""

    max_length = REPLY_LIMIT

    def __init__(self, source: GooglePlaySource, credentials: Credentials, timeout: float = 30):
        self.source, self.timeout = source, timeout
        self.session = google.auth.transport.requests.AuthorizedSession(
            service_account_credentials(credentials, source), max_refresh_attempts=1)

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.source.api_base}applications/{self.source.package}/{path}"
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except google.auth.exceptions.RefreshError as exc:
            raise GoogleError(describe_refresh_error(exc, service_account=True)) from None
        except requests.RequestException as exc:
            raise GoogleError(f"cannot reach Google Play ({url}): {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise GoogleError(describe_error(response.status_code, response.content), response.status_code)
        return response.json() if response.content else {}

    def stored_reply(self, review_id: str) -> PlatformReply | None:
        return developer_reply(self.call("GET", f"reviews/{review_id}"))

    def send(self, review_id: str, text: str) -> PlatformReply:
        result = self.call("POST", f"reviews/{review_id}:reply", json={"replyText": text}).get("result") or {}
        at = utc_of(result.get("lastEdited"))
        return PlatformReply(result.get("replyText", text), at.isoformat() if at else None, review_id)
