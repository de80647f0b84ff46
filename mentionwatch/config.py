"""config.yaml: the owner's one file, loaded once into typed settings.

Every other module receives the part of `Settings` it needs. This is the only module that reads
the environment: `${VAR}` and `${VAR:-default}` in string values, and the fallback credentials.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import os
import re
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url

from mentionwatch.confighints import suggest_key
from mentionwatch.errors import ConfigError
from mentionwatch.yamlfile import Document, read_yaml

CONFIG_ENV = "MENTIONWATCH_CONFIG"
SECRET_KEY_ENV = "MENTIONWATCH_SECRET_KEY"
"""The Fernet key that encrypts credentials stored in the database (`mentionwatch connect`)."""
# Values of these keys are never echoed back in error messages.
SECRET_KEYS = {"token", "webhook_url", "app_token", "signing_secret", "password", "reddit_client_secret",
               "mastodon_token", "bluesky_app_password", "google_client_secret", "google_refresh_token",
               "yelp_api_key", "trustpilot_api_key", "trustpilot_api_secret", "trustpilot_password"}
DEFAULT_CONFIG = "config.yaml"


class Strict(BaseModel):
    """Unknown keys are errors: a typo in config.yaml must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------- values that cannot work
# Refused when the file loads, so a run never half-works (or fetches file:///etc/passwd).

_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def http_url(value: str) -> str:
    """`value` if it is an http:// or https:// URL with a host; ValueError otherwise."""
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parts = None
    spaced = any(c.isspace() or not c.isprintable() for c in value.strip())
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname or spaced:
        raise ValueError("expected an http:// or https:// URL (such as https://example.com/feed.xml)")
    return value.strip()


def is_host_name(value: str) -> bool:
    """A DNS name or IP address, optionally with a port: what goes between // and the path."""
    try:
        parts = urlsplit("//" + value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    host = parts.hostname
    if not host or parts.path or parts.query or parts.fragment or parts.username is not None:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return len(host) <= 253 and all(_HOST_LABEL.match(label) for label in host.rstrip(".").split("."))


def _phrase(value: str, what: str) -> str:
    """A phrase to match on must have a letter or a digit: a blank or "!!!" would match anything or nothing."""
    if not any(c.isalnum() for c in value):
        raise ValueError(f"{value!r} is not a usable {what}: it needs a letter or a digit")
    return value


def _email_address(value: str) -> str:
    _, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if (not local or not domain or any(c.isspace() for c in address) or "@" in local
            or not all(label for label in domain.split("."))):
        raise ValueError(f"{value!r} is not an e-mail address (expected name@example.com)")
    return value


# --------------------------------------------------------------------------- sources


class SourceBase(Strict):
    url: str | None = None
    """Replaces the source type's default endpoint, used as given (query parameters included)."""
    match: bool | None = None
    """Whether mentions must match the business's keywords; None = the type's default."""
    name: str | None = None
    """A label for this source in summaries; defaults to the type and its target."""
    id: str | None = Field(default=None, min_length=1, max_length=1000)
    """A stable key for its history: changing the URL keeps it. Defaults to `identity()`."""

    # Search-type sources find text that may not be about the business; others are about it.
    matches_by_default: ClassVar[bool] = True

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is None or (not value.strip() and not cls.model_fields["url"].is_required()):
            return None  # `url: ${FEED_URL:-}` left empty: the type's default endpoint
        return http_url(value)

    @property
    def needs_match(self) -> bool:
        return self.matches_by_default if self.match is None else self.match

    def identity(self) -> str:
        """A stable key for this source within its business, kept across unrelated edits."""
        return f"{self.type}:{self.url or ''}"  # type: ignore[attr-defined]

    def key(self) -> str:
        """What its stored history is found by: its `id:`, else its identity."""
        return self.id or self.identity()

    @property
    def label(self) -> str:
        return self.name or self.identity()


class FeedSource(SourceBase):
    type: Literal["feed"]
    query: str | None = None
    engine: Literal["google", "bing"] = "google"
    language: str = "en-US"
    country: str = "US"

    @model_validator(mode="after")
    def _url_or_query(self) -> FeedSource:
        if not self.url and not self.query:
            raise ValueError("a feed source needs `url` or `query`")
        return self

    def identity(self) -> str:
        return f"feed:{self.url}" if self.url else f"feed:{self.engine}:{self.query}"


class ReviewsSource(SourceBase):
    type: Literal["reviews"]
    url: str
    next: str | None = None
    max_pages: int = Field(default=5, ge=1, le=100)
    matches_by_default: ClassVar[bool] = False


class HtmlSource(SourceBase):
    type: Literal["html"]
    url: str
    item: str
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None
    rating: str | None = None
    link: str | None = None
    next: str | None = None
    max_pages: int = Field(default=5, ge=1, le=100)
    matches_by_default: ClassVar[bool] = False


class RedditSource(SourceBase):
    type: Literal["reddit"]
    query: str
    subreddit: str | None = None
    comments: bool = True
    """With a subreddit: also read its newest comments (search itself finds only posts)."""
    requests_per_minute: float | None = Field(default=None, gt=0)
    """Pace of requests to Reddit; default 9 a minute without OAuth (the limit is 10), 60 with."""

    def identity(self) -> str:
        return f"reddit:{self.subreddit or ''}:{self.query}:{self.url or ''}"


class HackerNewsSource(SourceBase):
    type: Literal["hackernews"]
    query: str

    def identity(self) -> str:
        return f"hackernews:{self.query}:{self.url or ''}"


class MastodonSource(SourceBase):
    type: Literal["mastodon"]
    instance: str
    tag: str | None = None
    query: str | None = None

    @model_validator(mode="after")
    def _tag_or_query(self) -> MastodonSource:
        if not self.tag and not self.query:
            raise ValueError("a mastodon source needs `tag` or `query`")
        return self

    @field_validator("instance")
    @classmethod
    def _host_name(cls, value: str) -> str:
        host = re.sub(r"^https?://", "", value.strip(), flags=re.I).rstrip("/")
        if not is_host_name(host):
            raise ValueError("expected the instance's host name, such as mastodon.social")
        return value

    def identity(self) -> str:
        return f"mastodon:{self.instance}:{self.tag or ''}:{self.query or ''}:{self.url or ''}"


class AppStoreSource(SourceBase):
    type: Literal["appstore"]
    app_id: str
    country: str = "us"
    max_pages: int = Field(default=3, ge=1, le=10)
    matches_by_default: ClassVar[bool] = False

    def identity(self) -> str:
        return f"appstore:{self.country}:{self.app_id}:{self.url or ''}"


class BlueskySource(SourceBase):
    type: Literal["bluesky"]
    query: str
    service: str = "https://bsky.social"

    @field_validator("service")
    @classmethod
    def _http_service(cls, value: str) -> str:
        return http_url(value)

    def identity(self) -> str:
        return f"bluesky:{self.query}:{self.url or ''}"


class GoogleBusinessSource(SourceBase):
    """Google Business Profile reviews of one location, through the owner's OAuth token."""

    type: Literal["google_business"]
    location: str = Field(pattern=r"^accounts/[^/\s]+/locations/[^/\s]+$")
    """accounts/{account id}/locations/{location id}, as `mentionwatch connect google --list` prints it."""
    token_url: str = "https://oauth2.googleapis.com/token"
    """Where the refresh token is exchanged for an access token."""
    matches_by_default: ClassVar[bool] = False

    @property
    def api_base(self) -> str:
        """The API base with a trailing slash; `{api_base}{location}/reviews` is the listing."""
        base = self.url or "https://mybusiness.googleapis.com/v4/"
        return base if base.endswith("/") else base + "/"

    def identity(self) -> str:
        return f"google_business:{self.location}:{self.url or ''}"


class YelpSource(SourceBase):
    """Yelp Fusion's review excerpts of one business (at most three, the newest): needs YELP_API_KEY."""

    type: Literal["yelp"]
    business_id: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    """The business's id or alias, as in its Yelp address (yelp.com/biz/ALIAS)."""
    matches_by_default: ClassVar[bool] = False

    @property
    def api_base(self) -> str:
        base = self.url or "https://api.yelp.com/v3/"
        return base if base.endswith("/") else base + "/"

    def identity(self) -> str:
        return f"yelp:{self.business_id}:{self.url or ''}"


class AppStoreConnectSource(SourceBase):
    """App Store Connect customer reviews of one app, through an API key (ES256 JWT)."""

    type: Literal["appstore_connect"]
    app_id: str = Field(pattern=r"^[0-9]+$")
    """The app's Apple ID (App Store Connect > App Information), digits."""
    max_pages: int = Field(default=5, ge=1, le=100)
    """Pages of 200 reviews read on the first run (later runs stop at the first known review)."""
    matches_by_default: ClassVar[bool] = False

    @property
    def api_base(self) -> str:
        base = self.url or "https://api.appstoreconnect.apple.com/"
        return base if base.endswith("/") else base + "/"

    def identity(self) -> str:
        return f"appstore_connect:{self.app_id}:{self.url or ''}"


class GooglePlaySource(SourceBase):
    """Google Play reviews of one app: the Play Developer API with a service account."""

    type: Literal["google_play"]
    package: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
    """The app's package name, e.g. com.joesdonuts.app."""
    token_url: str | None = None
    """Replaces the service account key's own `token_uri` (a local server in tests)."""
    language: str = "en"
    country: str = "us"
    """Without a service account: the public reviews of this store's language and country."""
    max_reviews: int = Field(default=200, ge=1, le=2000)
    """Without a service account: at most this many of the newest public reviews a run."""
    matches_by_default: ClassVar[bool] = False

    @property
    def api_base(self) -> str:
        base = self.url or "https://androidpublisher.googleapis.com/androidpublisher/v3/"
        return base if base.endswith("/") else base + "/"

    def identity(self) -> str:
        return f"google_play:{self.package}:{self.url or ''}"


class TrustpilotSource(SourceBase):
    """A business's Trustpilot reviews: its public page's schema.org markup, or the API with a key."""

    type: Literal["trustpilot"]
    domain: str = Field(pattern=r"^[A-Za-z0-9.-]+$")
    """The business's Trustpilot page name: trustpilot.com/review/DOMAIN."""
    business_unit_id: str | None = None
    """Its business unit id, for the API (used when TRUSTPILOT_API_KEY is set)."""
    api_url: str = "https://api.trustpilot.com/v1/"
    next: str | None = None
    max_pages: int = Field(default=3, ge=1, le=100)
    matches_by_default: ClassVar[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _public_page(cls, values: Any) -> Any:
        # `url:` is the public review page (read without a key); by default Trustpilot's own.
        if isinstance(values, dict) and not values.get("url") and values.get("domain"):
            values = {**values, "url": f"https://www.trustpilot.com/review/{values['domain']}"}
        return values

    @property
    def api_base(self) -> str:
        return self.api_url if self.api_url.endswith("/") else self.api_url + "/"

    def identity(self) -> str:
        return f"trustpilot:{self.domain}:{self.url or ''}"


Source = Annotated[
    Union[
        GoogleBusinessSource,
        TrustpilotSource,
        GooglePlaySource,
        AppStoreConnectSource,
        YelpSource,
        FeedSource,
        ReviewsSource,
        HtmlSource,
        RedditSource,
        HackerNewsSource,
        MastodonSource,
        AppStoreSource,
        BlueskySource,
    ],
    Field(discriminator="type"),
]
SOURCE_TYPES = ("feed", "reviews", "html", "reddit", "hackernews", "mastodon", "appstore", "bluesky",
                "google_business", "yelp", "appstore_connect", "google_play", "trustpilot")


# --------------------------------------------------------------------------- the rest


class QuietHours(Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError(f"quiet hours start when they end ({self.start:%H:%M}): give two different times")
        return self


REPLY_PLACEHOLDERS = ("first_name", "business")


class ReplyTemplate(Strict):
    """A suggested reply (`reply ID --draft`): for reviews of `label`, mentioning `aspect`."""

    text: str = Field(min_length=1)
    label: Literal["negative", "neutral", "positive"] | None = None
    """Only for mentions judged so; none = any."""
    aspect: str | None = None
    """Only when the review mentions this word or phrase (case-insensitive); none = any."""

    @field_validator("text")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        import string

        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            raise ValueError(f"not a valid template ({exc}); write {{{{ and }}}} for literal braces") from None
        unknown = sorted(names - set(REPLY_PLACEHOLDERS))
        if unknown:
            raise ValueError(f"unknown placeholder {{{unknown[0]}}}: use {{first_name}} or {{business}}")
        return value


class Business(Strict):
    name: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    exclude: list[str] = []
    require_any: list[str] = []
    channel: str | None = None
    """Slack channel for this business's alerts; falls back to slack.channel."""
    timezone: str = "UTC"
    quiet_hours: QuietHours | None = None
    notify: list[SecretStr] | None = None
    """Apprise URLs for this business's alerts; unset: alerts.notify; []: none."""
    replies: list[ReplyTemplate] = []
    """Reply drafts, the first that fits a review wins: put the specific ones (an aspect) first."""
    sources: list[Source] = Field(min_length=1)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    """A stable key for its history: renaming the business keeps it. Defaults to the name."""

    _notify_urls = field_validator("notify")(classmethod(lambda cls, v: check_apprise_urls(v)))

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a business needs a name")
        return value

    @field_validator("keywords", "exclude", "require_any")
    @classmethod
    def _usable_phrases(cls, values: list[str], info: Any) -> list[str]:
        what = {"keywords": "keyword", "exclude": "exclude term", "require_any": "require_any word"}[info.field_name]
        return [_phrase(value, what) for value in values]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (expected an IANA name such as Europe/Paris)") from None
        return value

    @model_validator(mode="after")
    def _distinct_sources(self) -> Business:
        seen: set[str] = set()
        for source in self.sources:
            if source.identity() in seen:
                raise ValueError(f"source {source.identity()!r} is listed twice")
            seen.add(source.identity())
        return self


class SlackSettings(Strict):
    token: SecretStr | None = None
    webhook_url: SecretStr | None = None
    channel: str = "#reviews"
    urgent_channel: str | None = None
    api_url: str = "https://slack.com/api/"
    handled_reaction: str = "white_check_mark"
    """The reaction (emoji name, without colons) that marks an alert handled."""
    post_interval: float = Field(default=1.0, ge=0, le=60)
    """Seconds between two posts to one channel: Slack allows about one message a second."""
    request_timeout: float = Field(default=15, gt=0, le=300)
    """Seconds to wait for Slack's answer; past it the outcome is unknown and the post is looked up."""
    interactive: bool = True
    """Buttons on alerts (Handled, Not about us, Assign, Snooze, Reply), answered by `mentionwatch listen`."""
    app_token: SecretStr | None = None
    """App-level token (xapp-...) for Socket Mode; default: $SLACK_APP_TOKEN."""
    signing_secret: SecretStr | None = None
    """The app's signing secret, to verify requests in HTTP mode; default: $SLACK_SIGNING_SECRET."""

    @model_validator(mode="before")
    @classmethod
    def _listener_secrets_from_environment(cls, values: Any) -> Any:
        # The listener's secrets, like the API credentials, default to their usual variables.
        if values is not None and not isinstance(values, dict):
            return values  # not a mapping: the type check reports it
        values = dict(values or {})
        for name, variable in (("app_token", "SLACK_APP_TOKEN"), ("signing_secret", "SLACK_SIGNING_SECRET")):
            if not values.get(name) and os.environ.get(variable):
                values[name] = os.environ[variable]
        return values

    @field_validator("handled_reaction")
    @classmethod
    def _bare_name(cls, value: str) -> str:
        return value.strip().strip(":")

    @field_validator("token", "webhook_url", "app_token", "signing_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_is_a_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                http_url(value.get_secret_value())
            except ValueError:  # the value is a secret: the message never repeats it
                raise ValueError("expected the webhook's https:// URL (https://hooks.slack.com/services/...)") from None
        return value

    @field_validator("api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        value = http_url(value)
        # slack-sdk joins base_url and the method name by plain concatenation.
        return value if value.endswith("/") else value + "/"


def check_apprise_urls(urls: list[SecretStr] | None) -> list[SecretStr] | None:
    """Each URL must be one Apprise can use; the error names its scheme only (URLs hold secrets)."""
    if not urls:
        return urls
    import apprise

    # Apprise logs an unusable URL half-masked: never let that reach the output.
    apprise_log = logging.getLogger("apprise")
    for index, url in enumerate(urls):
        value = url.get_secret_value().strip()
        was, apprise_log.disabled = apprise_log.disabled, True
        try:
            plugin = apprise.Apprise.instantiate(value)
        finally:
            apprise_log.disabled = was
        if plugin is None:
            scheme = value.split("://", 1)[0] if "://" in value else "no scheme"
            raise ValueError(f"entry {index + 1} ({scheme}://...) is not a URL Apprise can send to "
                             "(see https://github.com/caronc/apprise/wiki for the URL of each service)")
    return urls


class AlertSettings(Strict):
    notify: list[SecretStr] = []
    """Apprise URLs (mailto://, msteams://, discord://, tgram://, json://, ...) that get every alert too."""
    digest: Literal["off", "daily"] = "off"
    """daily: the notify: destinations get one digest a day of the non-urgent alerts instead of each one."""
    digest_time: time = time(8, 0)
    """When the daily digest goes out, in each business's time zone."""
    threshold: float = Field(default=-0.05, ge=-1, le=1)
    """Score (P(positive) - P(negative), -1..1) at or below which a mention is negative."""
    positive_threshold: float = Field(default=0.05, ge=-1, le=1)
    max_age_days: int = Field(default=7, ge=0)
    max_per_run: int = Field(default=10, ge=1)
    quiet_hours: QuietHours | None = None
    urgent_reraise_hours: float = Field(default=4, ge=0)
    """An urgent alert nobody marked handled is raised again, once, after this long (0: never)."""
    source_failure_runs: int = Field(default=3, ge=1)
    """A source failing this many runs in a row is reported to Slack once (and again when it recovers)."""
    unscored: Literal["alert", "store"] = "store"
    """Mentions in a language the scorer cannot read (label `unscored`): alert them, or only store them.
    One holding an urgent phrase is alerted either way."""

    _notify_urls = field_validator("notify")(classmethod(lambda cls, v: check_apprise_urls(v)))

    @field_validator("digest", mode="before")
    @classmethod
    def _yaml_off(cls, value: Any) -> Any:
        return "off" if value is False else value  # YAML reads a bare `off` as false

    @model_validator(mode="after")
    def _ordered(self) -> AlertSettings:
        if self.threshold >= self.positive_threshold:
            raise ValueError("alerts.threshold must be below alerts.positive_threshold")
        return self


class ScoringSettings(Strict):
    lexicon: dict[str, float] = {}
    """Extra words or phrases and their valence on VADER's -4..+4 scale."""
    urgent_phrases: list[str] = []
    """Added to the shipped list of urgent phrases."""
    urgent_phrases_by_language: dict[str, list[str]] = {}
    """Language code (ISO 639-1, e.g. es) -> urgent phrases looked for in texts of that language."""
    aspects: dict[str, list[str]] = {}
    """Aspect name -> words that name it: added to the shipped aspect lexicon (pipeline/data/aspects.yaml)."""

    @field_validator("aspects")
    @classmethod
    def _aspects(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from pipeline.aspects import validate_aspects

        validate_aspects(value)
        return value

    @field_validator("lexicon")
    @classmethod
    def _vader_scale(cls, lexicon: dict[str, float]) -> dict[str, float]:
        for word, valence in lexicon.items():
            if not word.strip():  # emoji are words to VADER, so only a blank one is refused
                raise ValueError("a blank word cannot be scored")
            if not -4 <= valence <= 4:
                raise ValueError(f"{word!r}: {valence:g} is outside VADER's scale of -4 to +4")
        return lexicon


class CrawlerSettings(Strict):
    contact: str = "https://github.com/mentionwatch/mentionwatch"
    """A URL or e-mail address site owners can reach you at; part of the User-Agent."""
    concurrency_per_domain: int = Field(default=2, ge=1, le=16)
    download_timeout: float = Field(default=30, gt=0)
    max_response_mb: float = Field(default=10, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    autothrottle: bool = True


class EmailSettings(Strict):
    to: list[str] = Field(min_length=1)
    sender: str
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    """Upgrade the connection with STARTTLS (required before sending a password)."""
    ca_file: str | None = None
    """A PEM file of the CA certificates to trust instead of the system's (a private mail server)."""
    timeout: float = Field(default=30, gt=0)

    @field_validator("to")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        return [_email_address(value) for value in values]

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _email_address(value)


class ReportSettings(Strict):
    out_dir: str = "reports"
    email: EmailSettings | None = None


class WebSettings(Strict):
    """`mentionwatch serve`: the web inbox."""

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=1, le=65535)
    trusted_header: str | None = None
    """Behind a reverse proxy that signs people in: the header naming the user (e.g. X-Forwarded-User)."""
    secure_cookies: bool = False
    """Mark cookies Secure even when the request does not look like https (a proxy that hides it)."""


class Credentials(Strict):
    """API credentials; each defaults to the environment variable of the same name, upper-cased."""

    reddit_client_id: SecretStr | None = None
    reddit_client_secret: SecretStr | None = None
    mastodon_token: SecretStr | None = None
    bluesky_handle: str | None = None
    bluesky_app_password: SecretStr | None = None
    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_refresh_token: SecretStr | None = None
    """Else the one `mentionwatch connect google` stored (encrypted) in the database."""
    yelp_api_key: SecretStr | None = None
    trustpilot_api_key: SecretStr | None = None
    trustpilot_api_secret: SecretStr | None = None
    trustpilot_username: str | None = None
    trustpilot_password: SecretStr | None = None
    """A Trustpilot business user's login: replies are posted as that user (password grant)."""
    trustpilot_business_user_id: str | None = None
    google_play_service_account_file: str | None = None
    """The JSON key of a service account invited to the app in Play Console."""
    appstore_connect_key_id: str | None = None
    appstore_connect_issuer_id: str | None = None
    appstore_connect_private_key_file: str | None = None
    """The .p8 file App Store Connect let you download once (Users and Access > Integrations)."""

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, values: Any) -> Any:
        values = dict(values or {})
        for name in cls.model_fields:
            if not values.get(name) and os.environ.get(name.upper()):
                values[name] = os.environ[name.upper()]
            if values.get(name) == "":
                values[name] = None
        return values


class Settings(Strict):
    database: str = "sqlite:///mentionwatch.db"
    # Factories, so secrets are read from the environment when the file is loaded, not at import.
    slack: SlackSettings = Field(default_factory=SlackSettings)
    alerts: AlertSettings = AlertSettings()
    scoring: ScoringSettings = ScoringSettings()
    crawler: CrawlerSettings = CrawlerSettings()
    report: ReportSettings = ReportSettings()
    credentials: Credentials = Field(default_factory=Credentials)
    web: WebSettings = WebSettings()
    businesses: list[Business] = Field(min_length=1)
    retention_days: int = Field(default=365, ge=0)
    """Sent Slack messages and old versions of edited mentions are pruned after this; 0 keeps them."""

    # Where the file was read from; relative paths in it are relative to its folder.
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("database")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        try:
            make_url(value)
        except Exception:
            raise ValueError("expected an SQLAlchemy URL such as sqlite:///mentionwatch.db") from None
        return value

    @model_validator(mode="after")
    def _distinct_businesses(self) -> Settings:
        # Names that differ only in case or spaces are one business to a reader (and in Slack).
        seen: dict[str, str] = {}
        for business in self.businesses:
            key = " ".join(business.name.split()).casefold()
            if key in seen:
                same = "repeated" if seen[key] == business.name else "differ only in case or spaces"
                raise ValueError(f"business names must be unique; {seen[key]!r} and {business.name!r} {same}")
            seen[key] = business.name
        return self

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def database_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the config's folder."""
        url = make_url(self.database)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            db_path = Path(url.database)
            if not db_path.is_absolute():
                url = url.set(database=str(self.base_dir / db_path))
        return url.render_as_string(hide_password=False)

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config's folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


# --------------------------------------------------------------------------- loading

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")


def expand_env(value: Any, where: str = "", environ: dict[str, str] | None = None) -> Any:
    """Expand ${VAR} and ${VAR:-default} in every string of a parsed YAML tree.

    Expansion happens after parsing, so a secret's value can never change the file's structure.
    """
    env = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {k: expand_env(v, _join(where, k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v, f"{where}[{i}]", env) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env and (env[name] != "" or default is None):
            return env[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{where or 'config'}: environment variable {name} is not set "
            f"(write ${{{name}:-}} to allow it to be empty)"
        )

    return _VAR.sub(substitute, value)


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def secret_key_from_environment() -> str | None:
    """$MENTIONWATCH_SECRET_KEY, or None when unset or empty."""
    return os.environ.get(SECRET_KEY_ENV) or None


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, else $MENTIONWATCH_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read, expand and validate config.yaml; raise ConfigError with a readable message."""
    file = config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no such file (pass --config PATH or set {CONFIG_ENV})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    document = read_yaml(text, str(file))
    raw = document.data
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: expected a mapping of settings (database, slack, businesses, ...)")
    try:
        data = expand_env(raw)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{file}: " + "; ".join(_describe(e, data, document) for e in exc.errors())) from None
    return settings.model_copy(update={"path": file.resolve()})


def _describe(error: Any, data: Any, document: Document | None = None) -> str:
    """One validation error as `key.path: got VALUE: what is expected (line N)`."""
    # Pydantic puts the discriminator's value into the location (…sources.0.feed.url); drop it.
    loc = [p for p in error["loc"] if p not in SOURCE_TYPES]
    line = document.line_of(tuple(loc)) if document is not None else None
    return _explain_error(error, loc) + (f" (line {line})" if line else "")


def _explain_error(error: Any, loc: list[Any]) -> str:
    where = _dotted(loc)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"{where}: missing (required)"
    if error["type"] == "extra_forbidden":
        return f"unknown key `{where}`{suggest_key(Settings, error['loc'])}"
    if error["type"] == "union_tag_invalid":
        got = error.get("input", {}).get("type") if isinstance(error.get("input"), dict) else None
        close = difflib.get_close_matches(str(got), SOURCE_TYPES, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        return f"{where}.type: got {got!r}: expected one of {', '.join(SOURCE_TYPES)}{hint}"
    if error["type"] == "union_tag_not_found":
        return f"{where}.type: missing: expected one of {', '.join(SOURCE_TYPES)}"
    value = error.get("input")
    hidden = isinstance(value, (dict, list)) or (loc and str(loc[-1]) in SECRET_KEYS)
    shown = "" if hidden else f"got {value!r}: "
    if error["type"] in ("model_type", "dict_type") and isinstance(value, str) and " " in value.strip():
        # `slack:\n  channel "#reviews"` parses as one string: the colon was forgotten.
        message += " (is a colon missing after a key? write `key: value`)"
    return f"{where or 'config'}: {shown}{message}"


def _dotted(loc: list[Any]) -> str:
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where
