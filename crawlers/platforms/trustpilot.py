"""Trustpilot replies: a business user's OAuth token (password grant, requests-oauthlib) and the
private reply call; the company's current reply is read from the public review.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import HTTPBasicAuth

from crawlers.config import Credentials, TrustpilotSource
from crawlers.platforms.errors import PlatformError
from crawlers.platforms.google import PlatformReply


class TrustpilotError(PlatformError):
    """Trustpilot refused a reply or its login; the message says what to do."""


class TrustpilotClient:
    max_length = None

    def __init__(self, source: TrustpilotSource, credentials: Credentials, timeout: float = 30):
        needed = ("trustpilot_api_key", "trustpilot_api_secret", "trustpilot_username", "trustpilot_password",
                  "trustpilot_business_user_id")
        missing = [name.upper() for name in needed if not getattr(credentials, name)]
        if missing:
            raise TrustpilotError(f"{', '.join(missing)} not set: replying on Trustpilot needs the API key and "
                                  "secret and a business user's login (Trustpilot Business > Integrations)")
        self.source, self.credentials, self.timeout = source, credentials, timeout
        self.session = requests.Session()
        self._token: str | None = None

    def close(self) -> None:
        self.session.close()

    def _login(self) -> str:
        """A business user's access token (OAuth 2 password grant, client authenticated by Basic)."""
        from oauthlib.oauth2 import LegacyApplicationClient, OAuth2Error
        from requests_oauthlib import OAuth2Session

        if self._token:
            return self._token
        url = f"{self.source.api_base}oauth/oauth-business-users-for-applications/accesstoken"
        if urlsplit(url).scheme == "http" and urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # a loopback test server only
        creds = self.credentials
        key = creds.trustpilot_api_key.get_secret_value()  # type: ignore[union-attr]
        oauth = OAuth2Session(client=LegacyApplicationClient(client_id=key))
        try:
            token = oauth.fetch_token(url, username=creds.trustpilot_username,
                                      password=creds.trustpilot_password.get_secret_value(),  # type: ignore[union-attr]
                                      auth=HTTPBasicAuth(key, creds.trustpilot_api_secret.get_secret_value()),  # type: ignore[union-attr]
                                      timeout=self.timeout, include_client_id=False)
        except (OAuth2Error, ValueError) as exc:
            raise TrustpilotError(f"Trustpilot refused the business user's login ({getattr(exc, 'error', type(exc).__name__)}):"
                                  " check TRUSTPILOT_USERNAME and TRUSTPILOT_PASSWORD, and the API secret") from None
        except requests.RequestException as exc:
            raise TrustpilotError(f"cannot reach Trustpilot ({url}): {type(exc).__name__}") from exc
        finally:
            oauth.close()
        self._token = token["access_token"]
        return self._token

    def _call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> requests.Response:
        from crawlers.spiders.trustpilot import describe_error

        url = f"{self.source.api_base}{path}"
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise TrustpilotError(f"cannot reach Trustpilot ({url}): {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise TrustpilotError(describe_error(response.status_code, response.content), response.status_code)
        return response

    def stored_reply(self, review_id: str) -> PlatformReply | None:
        key = self.credentials.trustpilot_api_key.get_secret_value()  # type: ignore[union-attr]
        review = self._call("GET", f"reviews/{review_id}", {"apikey": key}).json()
        reply = review.get("companyReply") if isinstance(review, dict) else None
        if isinstance(reply, dict) and reply.get("text"):
            return PlatformReply(reply["text"], reply.get("updatedAt") or reply.get("createdAt"), review_id)
        return None

    def send(self, review_id: str, text: str) -> PlatformReply:
        self._call("POST", f"private/reviews/{review_id}/reply", {"Authorization": f"Bearer {self._login()}"},
                   json={"authorBusinessUserId": self.credentials.trustpilot_business_user_id, "message": text})
        return PlatformReply(text, None, review_id)
