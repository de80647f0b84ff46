"""App Store Connect: ES256 API tokens (PyJWT), Apple's error answers, and review responses.

Tokens are signed with the team's API key (key id, issuer id, the .p8 private key file) and live
20 minutes, Apple's maximum; a fresh one is made for every request, so none expires mid-run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jwt
import requests

from crawlers.config import AppStoreConnectSource, Credentials
from crawlers.platforms.errors import PlatformError, answered
from crawlers.platforms.google import PlatformReply

AUDIENCE = "appstoreconnect-v1"
TOKEN_LIFETIME = 20 * 60
KEYS_URL = "https://appstoreconnect.apple.com/access/integrations/api"
# Apple allows 3600 requests an hour per key (X-Rate-Limit: user-hour-lim:3600); one a second keeps under it.
MIN_INTERVAL = 1.0


class AppStoreConnectError(PlatformError):
    """Apple refused a request, or the API key is missing; the message says what to do."""


def bearer_token(credentials: Credentials, now: float | None = None) -> str:
    """A signed ES256 token for the App Store Connect API."""
    missing = [name.upper() for name in ("appstore_connect_key_id", "appstore_connect_issuer_id",
                                         "appstore_connect_private_key_file") if not getattr(credentials, name)]
    if missing:
        raise AppStoreConnectError(f"{', '.join(missing)} not set: create an API key at {KEYS_URL}")
    path = Path(credentials.appstore_connect_private_key_file).expanduser()  # type: ignore[arg-type]
    try:
        key = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AppStoreConnectError(f"cannot read the App Store Connect private key {path}: {exc.__class__.__name__}") from None
    issued = int(now if now is not None else time.time())
    try:
        return jwt.encode({"iss": credentials.appstore_connect_issuer_id, "iat": issued,
                           "exp": issued + TOKEN_LIFETIME, "aud": AUDIENCE},
                          key, algorithm="ES256", headers={"kid": credentials.appstore_connect_key_id, "typ": "JWT"})
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise AppStoreConnectError(f"{path} is not an App Store Connect private key (.p8, EC P-256): "
                                   f"{exc.__class__.__name__}") from None


def describe_error(status: int, body: bytes | str, rate_limit: str | None = None) -> str:
    """One readable `last_error` from Apple's {"errors": [{status, code, title, detail}]}."""
    try:
        errors = json.loads(body).get("errors") or [{}]
        first = errors[0] if isinstance(errors[0], dict) else {}
    except (ValueError, AttributeError, IndexError, KeyError):
        first = {}
    code, detail = str(first.get("code") or ""), str(first.get("detail") or first.get("title") or "")[:200]
    if status == 401:
        return (f"App Store Connect refused the API token ({code or 'NOT_AUTHORIZED'}): check "
                "APPSTORE_CONNECT_KEY_ID, APPSTORE_CONNECT_ISSUER_ID and the private key file, and that the key "
                f"is not revoked at {KEYS_URL}")
    if status == 403:
        return (f"App Store Connect forbids this ({code or 'FORBIDDEN_ERROR'}): the API key's role must be "
                f"Customer Support, App Manager or Admin ({detail})")
    if status == 404:
        return f"App Store Connect does not know this app ({code or 'NOT_FOUND'}): check `app_id:` ({detail})"
    if status == 429:
        limit = f"; {rate_limit}" if rate_limit else ""
        return f"App Store Connect's hourly request limit is used up (RATE_LIMIT_EXCEEDED{limit}): the next run tries again"
    return answered("App Store Connect", status, code, detail)


class AppStoreConnectClient:
    """Review responses: read (GET customerReviews/{id}?include=response), create or replace (POST)."""

    max_length = 5970  # App Store Connect's limit for a response's body

    def __init__(self, source: AppStoreConnectSource, credentials: Credentials, timeout: float = 30):
        self.source, self.credentials, self.timeout = source, credentials, timeout
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {bearer_token(self.credentials)}"}
        url = f"{self.source.api_base}{path}"
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise AppStoreConnectError(f"cannot reach App Store Connect ({url}): {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise AppStoreConnectError(describe_error(response.status_code, response.content,
                                                      response.headers.get("X-Rate-Limit")), response.status_code)
        return response.json() if response.content else {}

    def stored_reply(self, review_id: str) -> PlatformReply | None:
        answer = self.call("GET", f"v1/customerReviews/{review_id}", params={"include": "response"})
        return response_of(answer.get("data") or {}, answer.get("included") or [])

    def send(self, review_id: str, text: str) -> PlatformReply:
        body = {"data": {"type": "customerReviewResponses", "attributes": {"responseBody": text},
                         "relationships": {"review": {"data": {"type": "customerReviews", "id": review_id}}}}}
        data = self.call("POST", "v1/customerReviewResponses", json=body).get("data") or {}
        attributes = data.get("attributes") or {}
        return PlatformReply(attributes.get("responseBody", text), attributes.get("lastModifiedDate"), data.get("id"))


def response_of(review: dict[str, Any], included: list[Any]) -> PlatformReply | None:
    """The developer response of a review, from the `included` resources of an answer."""
    related = (((review.get("relationships") or {}).get("response") or {}).get("data") or {})
    for resource in included:
        if (isinstance(resource, dict) and resource.get("type") == "customerReviewResponses"
                and resource.get("id") == related.get("id")):
            attributes = resource.get("attributes") or {}
            if attributes.get("responseBody"):
                return PlatformReply(attributes["responseBody"], attributes.get("lastModifiedDate"), resource["id"])
    return None
