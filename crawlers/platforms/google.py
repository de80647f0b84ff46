"""Google Business Profile: OAuth tokens (google-auth), Google's error answers, and replies.

Every call to Google goes through here or through the `google_business` spider, which gets its
access token from `access_token` below. Tokens are never logged or printed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import requests

from crawlers.config import Credentials, GoogleBusinessSource
from crawlers.platforms.errors import PlatformError, answered

SCOPE = "https://www.googleapis.com/auth/business.manage"
APPROVAL_URL = "https://developers.google.com/my-business/content/prereqs#request-access"
ACCOUNTS_API = "https://mybusinessaccountmanagement.googleapis.com/v1/"
LOCATIONS_API = "https://mybusinessbusinessinformation.googleapis.com/v1/"
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
# Google's default quota for the Business Profile APIs is 300 requests a minute per project;
# a fifth of a second between requests stays below it however many locations are read.
MIN_INTERVAL = 0.2
# Accounts and locations, 100 a page: 10,000 of either is more than any owner manages.
MAX_LISTING_PAGES = 100


class GoogleError(PlatformError):
    """Google refused a request; the message says what the owner must do."""


def oauth_credentials(credentials: Credentials, token_url: str) -> google.oauth2.credentials.Credentials:
    """google-auth credentials from the client id, secret and refresh token; they refresh themselves."""
    missing = [name for name, value in (
        ("GOOGLE_CLIENT_ID", credentials.google_client_id),
        ("GOOGLE_CLIENT_SECRET", credentials.google_client_secret),
    ) if not value]
    if missing:
        raise GoogleError(f"{' and '.join(missing)} not set: create an OAuth client (Desktop app) in the "
                          "Google Cloud console and set them in the environment or under `credentials:`")
    if credentials.google_refresh_token is None:
        raise GoogleError("no Google account connected: run `mentionwatch connect google` "
                          "(or set GOOGLE_REFRESH_TOKEN)")
    return google.oauth2.credentials.Credentials(
        token=None,
        refresh_token=credentials.google_refresh_token.get_secret_value(),
        client_id=credentials.google_client_id,
        client_secret=credentials.google_client_secret.get_secret_value(),  # type: ignore[union-attr]
        token_uri=token_url,
        scopes=[SCOPE],
    )


def access_token(creds: Any, timeout: float = 30) -> str:
    """A fresh access token for google-auth `creds` (an OAuth grant or a service account), asked of
    their token_uri, or GoogleError saying what to do."""
    session = requests.Session()
    try:
        creds.refresh(google.auth.transport.requests.Request(session))
    except google.auth.exceptions.RefreshError as exc:
        is_service_account = not isinstance(creds, google.oauth2.credentials.Credentials)
        raise GoogleError(describe_refresh_error(exc, service_account=is_service_account)) from None
    except google.auth.exceptions.TransportError as exc:
        raise GoogleError(f"cannot reach Google's token endpoint {creds.token_uri}: {exc}"[:300]) from None
    finally:
        session.close()
    return creds.token


def describe_refresh_error(exc: google.auth.exceptions.RefreshError, service_account: bool = False) -> str:
    """What a refused token refresh means for the owner."""
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    error = data.get("error") or str(exc.args[0] if exc.args else exc).split(":")[0]
    if service_account:
        return (f"Google refused the service account's key ({error}): download a current JSON key for it "
                "(Google Cloud console > IAM > Service accounts) and set GOOGLE_PLAY_SERVICE_ACCOUNT_FILE")
    if error == "invalid_grant":
        return ("Google refused the refresh token (invalid_grant: expired or revoked): run "
                "`mentionwatch connect google` again (or renew GOOGLE_REFRESH_TOKEN)")
    if error in ("invalid_client", "unauthorized_client"):
        return (f"Google refused the OAuth client ({error}): check GOOGLE_CLIENT_ID and "
                "GOOGLE_CLIENT_SECRET against the Google Cloud console")
    return f"Google refused to refresh the access token: {str(exc.args[0] if exc.args else exc)[:200]}"


def describe_api_error(status: int, body: bytes | str, retry_after: str | None = None) -> str:
    """One readable `last_error` from Google's error answer {"error": {code, message, status, details}}."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    state = str(error.get("status") or "")
    said = str(error.get("message") or "")[:200]
    reasons = {d.get("reason") for d in error.get("details") or () if isinstance(d, dict)}
    if status == 401:
        return ("Google rejected the access token even after refreshing it (UNAUTHENTICATED): run "
                "`mentionwatch connect google` again")
    if status == 403 and (state == "PERMISSION_DENIED" and (
            "SERVICE_DISABLED" in reasons or "not been used" in said or "not approved" in said.lower()
            or "disabled" in said)):
        return ("Google Business Profile API access has not been approved for this project: apply at "
                f"{APPROVAL_URL} and enable the API in the Google Cloud console (Google said: {said})")
    if status == 403:
        return (f"Google refused access (HTTP 403 {state or 'Forbidden'}): the connected account may not "
                f"manage this location; check `mentionwatch connect google --list` (Google said: {said})")
    if status == 429:
        wait = f"; asked to retry after {retry_after}s" if retry_after else ""
        return ("Google Business Profile API quota exceeded (429 RESOURCE_EXHAUSTED" + wait + "): the next run "
                "tries again; if it persists, request a higher quota in the Google Cloud console")
    if status == 404:
        return f"Google does not know this location (HTTP 404 {state}): check `location:` against `connect google --list`"
    return answered("Google", status, state, said)


# --------------------------------------------------------------------------- replies and listings


@dataclass
class PlatformReply:
    """A reply as the platform stores it."""

    text: str
    at: str | None = None
    platform_id: str | None = None


class GoogleClient:
    """The calls made on the owner's command (replies, listings): google-auth's AuthorizedSession,
    which refreshes the token once when Google answers 401."""

    def __init__(self, credentials: Credentials, token_url: str, timeout: float = 30):
        import google.auth.transport.requests as transport

        self.timeout = timeout
        # One refresh on a 401, then the refusal stands (a revoked grant is not retried in a loop).
        self.session = transport.AuthorizedSession(oauth_credentials(credentials, token_url), max_refresh_attempts=1)

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        """The JSON answer of one call, or GoogleError with what to do."""
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except google.auth.exceptions.RefreshError as exc:
            raise GoogleError(describe_refresh_error(exc)) from None
        except requests.RequestException as exc:
            raise GoogleError(f"cannot reach Google ({url}): {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise GoogleError(describe_api_error(response.status_code, response.content,
                                                 response.headers.get("Retry-After")), response.status_code)
        return response.json() if response.content else {}

    def stored_reply(self, source: GoogleBusinessSource, review_id: str) -> PlatformReply | None:
        """The review's reply as Google has it now (None when it has none)."""
        review = self.call("GET", f"{source.api_base}{source.location}/reviews/{review_id}")
        reply = review.get("reviewReply") if isinstance(review, dict) else None
        if not isinstance(reply, dict) or not reply.get("comment"):
            return None
        return PlatformReply(reply["comment"], reply.get("updateTime"), f"{source.location}/reviews/{review_id}/reply")

    def put_reply(self, source: GoogleBusinessSource, review_id: str, text: str) -> PlatformReply:
        """Create or replace the review's reply (reviews.updateReply)."""
        answer = self.call("PUT", f"{source.api_base}{source.location}/reviews/{review_id}/reply",
                           json={"comment": text})
        return PlatformReply(answer.get("comment", text), answer.get("updateTime"),
                             f"{source.location}/reviews/{review_id}/reply")

    def accounts(self, base: str = ACCOUNTS_API) -> list[dict[str, Any]]:
        """Every account the token can see (Account Management API accounts.list), all pages."""
        return self._all(f"{base}accounts", "accounts", {})

    def locations(self, account: str, base: str = LOCATIONS_API) -> list[dict[str, Any]]:
        """An account's locations (Business Information API), with their names and titles."""
        return self._all(f"{base}{account}/locations", "locations", {"readMask": "name,title,storefrontAddress"})

    def _all(self, url: str, key: str, params: dict[str, str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = None
        followed: set[str] = set()
        for _ in range(MAX_LISTING_PAGES):
            answer = self.call("GET", url, params={**params, "pageSize": "100", **({"pageToken": token} if token else {})})
            found.extend(entry for entry in answer.get(key) or [] if isinstance(entry, dict))
            token = answer.get("nextPageToken")
            if not token or not isinstance(token, str):
                return found
            if token in followed:
                raise GoogleError(f"Google's {key} listing sent a page already read (the same nextPageToken): "
                                  "stopped reading a listing that would never end")
            followed.add(token)
        raise GoogleError(f"Google's {key} listing goes on past {MAX_LISTING_PAGES} pages of 100: stopped there")
