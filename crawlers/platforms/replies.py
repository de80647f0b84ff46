"""Which platforms take replies through an API, and the one shape their reply calls share.

`replier_for(source, credentials)` is what respond.actions uses to answer a review; sources of
other types (a blog, a review page, Yelp) have none, and the owner answers by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from crawlers.config import (
    AppStoreConnectSource,
    Credentials,
    GoogleBusinessSource,
    GooglePlaySource,
    SourceBase,
    TrustpilotSource,
)
from crawlers.links import item_key_of
from crawlers.platforms.appstore_connect import AppStoreConnectClient
from crawlers.platforms.google import GoogleClient, PlatformReply
from crawlers.platforms.google_play import GooglePlayClient
from crawlers.platforms.trustpilot import TrustpilotClient
from pipeline.errors import MentionwatchError


# How long after an upload each platform's read-back is trusted to show the reply (seconds).
# Google answers reviews.get from the stored review at once; App Store Connect lists a response
# (PENDING_PUBLISH) as soon as it is created; Trustpilot's and Play's read APIs are cached and may
# lag by minutes. Until then, an upload whose answer was lost counts as still on its way.
SHOWS_REPLY_WITHIN: dict[str, float] = {
    "google_business": 60,
    "appstore_connect": 120,
    "google_play": 300,
    "trustpilot": 300,
}


class ReplyError(MentionwatchError):
    """A reply that cannot be sent (no API, a text the platform refuses, an unknown review)."""


class Replier(Protocol):
    """A platform's reply calls for one source; `review_url` is the stored mention's URL."""

    max_length: int | None
    platform: str
    """The platform's name, as people know it."""
    shows_reply_within: float
    """Seconds after an upload by which the platform's read-back shows the reply: an upload whose
    answer was lost and that is not shown by then did not arrive (docs/platforms.md lists them)."""

    def stored_reply(self, review_url: str) -> PlatformReply | None: ...

    def send(self, review_url: str, text: str) -> PlatformReply: ...

    def close(self) -> None: ...


class GoogleBusinessReplier:
    """reviews.updateReply (PUT {url}{location}/reviews/{id}/reply) and reviews.get."""

    max_length = 4096  # Google's documented limit for a reply's comment
    platform = "Google Business Profile"
    shows_reply_within = SHOWS_REPLY_WITHIN["google_business"]

    def __init__(self, source: GoogleBusinessSource, credentials: Credentials, timeout: float):
        self.source = source
        self.client = GoogleClient(credentials, source.token_url, timeout)

    def stored_reply(self, review_url: str) -> PlatformReply | None:
        return self.client.stored_reply(self.source, review_id(review_url))

    def send(self, review_url: str, text: str) -> PlatformReply:
        return self.client.put_reply(self.source, review_id(review_url), text)

    def close(self) -> None:
        self.client.close()


class ClientReplier:
    """A platform client's `stored_reply(id)` and `send(id, text)`, addressed by the review's URL
    (App Store Connect, Google Play and Trustpilot share this shape)."""

    def __init__(self, client: AppStoreConnectClient | GooglePlayClient | TrustpilotClient,
                 id_of: Callable[[str], str], platform: str, source_type: str):
        self.client, self._id_of = client, id_of
        self.max_length: int | None = client.max_length
        self.platform, self.shows_reply_within = platform, SHOWS_REPLY_WITHIN[source_type]

    def stored_reply(self, review_url: str) -> PlatformReply | None:
        return self.client.stored_reply(self._id_of(review_url))

    def send(self, review_url: str, text: str) -> PlatformReply:
        return self.client.send(self._id_of(review_url), text)

    def close(self) -> None:
        self.client.close()


def trustpilot_review_id(review_url: str) -> str:
    """The id in an API-read review's address, https://www.trustpilot.com/reviews/{id}."""
    return review_url.rstrip("/").rsplit("/", 1)[-1]


def review_id(review_url: str) -> str:
    key = item_key_of(review_url)
    if not key:
        raise ReplyError(f"cannot tell which review {review_url} is (no review id in its address)")
    return key


MANUAL_REPLY_HINTS = {
    "google_play": "Google Play replies need a service account (GOOGLE_PLAY_SERVICE_ACCOUNT_FILE); answer in Play Console",
    "trustpilot": ("Trustpilot replies go through its API only for reviews read through it (a business_unit_id "
                   "and TRUSTPILOT_API_KEY); answer in Trustpilot Business (businessapp.b2b.trustpilot.com)"),
    "yelp": "Yelp lets only its partners reply through the API; answer as the owner at https://biz.yelp.com",
}


def manual_reply_hint(source_type: str) -> str:
    """Why a mention of this type cannot be answered from here."""
    return MANUAL_REPLY_HINTS.get(source_type, f"{source_type} takes no replies through an API")


def has_reply_api(source: SourceBase | None, credentials: Credentials) -> bool:
    """Whether replies to `source`'s reviews can be posted from here (without asking the platform)."""
    if isinstance(source, (GoogleBusinessSource, AppStoreConnectSource)):
        return True
    if isinstance(source, GooglePlaySource):
        return bool(credentials.google_play_service_account_file)
    if isinstance(source, TrustpilotSource):
        return bool(source.business_unit_id and credentials.trustpilot_api_key)
    return False


def replier_for(source: SourceBase, credentials: Credentials, timeout: float = 30) -> Replier | None:
    """The reply calls for `source`'s platform, or None when the platform has no reply API."""
    if isinstance(source, GoogleBusinessSource):
        return GoogleBusinessReplier(source, credentials, timeout)
    if not has_reply_api(source, credentials):
        return None
    if isinstance(source, GooglePlaySource):
        return ClientReplier(GooglePlayClient(source, credentials, timeout), review_id, "Google Play", "google_play")
    if isinstance(source, AppStoreConnectSource):
        return ClientReplier(AppStoreConnectClient(source, credentials, timeout), review_id, "App Store Connect",
                             "appstore_connect")
    if isinstance(source, TrustpilotSource):
        return ClientReplier(TrustpilotClient(source, credentials, timeout), trustpilot_review_id, "Trustpilot",
                             "trustpilot")
    return None
