"""The crawler's config sections: the source types, `crawler:` and `credentials:`."""

from __future__ import annotations

import os
import re
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import Field, SecretStr, field_validator, model_validator

from pipeline.config import BaseBusiness, StoreConfig, Strict, http_url, is_host_name


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|minutes?|h|hours?)?\s*$", re.I)


def interval_minutes(value: int | str) -> float:
    """`interval:` in minutes: a number of minutes, or `15m`, `90 min`, `2h`; at least one minute."""
    match = _INTERVAL.match(str(value))
    if match is None:
        raise ValueError("expected minutes (15) or a duration such as 15m or 2h")
    minutes = float(match.group(1)) * (60 if (match.group(2) or "m").lower().startswith("h") else 1)
    if minutes < 1:
        raise ValueError("an interval shorter than a minute would hammer the site: at least 1m")
    return minutes


def short_url(url: str) -> str:
    """'https://www.example.com/news.xml' -> 'example.com/news.xml'."""
    return re.sub(r"^https?://(www\.)?", "", url).rstrip("/")


class SourceBase(Strict):
    url: str | None = None
    """Replaces the source type's default endpoint, used as given (query parameters included)."""
    match: bool | None = None
    """Whether mentions must match the business's keywords; None = the type's default."""
    name: str | None = None
    """A label for this source in summaries; defaults to the type and its target."""
    id: str | None = Field(default=None, min_length=1, max_length=1000)
    """A stable key for its history: changing the URL keeps it. Defaults to `identity()`."""
    interval: int | str | None = None
    """Workers only: how often it is checked, in minutes or as `15m`, `2h`; default by type."""

    # Search-type sources find text that may not be about the business; others are about it.
    matches_by_default: ClassVar[bool] = True
    # Feeds and social searches change by the minute; review pages and platforms by the hour.
    default_interval_minutes: ClassVar[int] = 60

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: int | str | None) -> int | str | None:
        if value is not None:
            interval_minutes(value)  # raises ValueError with the accepted forms
        return value

    @property
    def interval_minutes(self) -> float:
        """Minutes between two checks by the workers: `interval:`, else the type's default."""
        return self.default_interval_minutes if self.interval is None else interval_minutes(self.interval)

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
        """How people read it: its `name:`, else what it watches in words (not its identity key)."""
        return self.name or self.readable()

    def readable(self) -> str:
        return short_url(self.url) if self.url else self.type  # type: ignore[attr-defined]


class FeedSource(SourceBase):
    type: Literal["feed"]
    default_interval_minutes: ClassVar[int] = 15
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

    def readable(self) -> str:
        engine = {"google": "Google News", "bing": "Bing News"}[self.engine]
        return short_url(self.url) if self.url else f"{engine} search for {self.query}"


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
    default_interval_minutes: ClassVar[int] = 15
    query: str
    history: Literal["stream", "search"] = "stream"
    """With `streams: reddit:`: a new source takes what the stream holds; `search` also reads its
    older posts once by this search (a few sources a cycle, at the search's pace)."""
    subreddit: str | None = None
    comments: bool = True
    """With a subreddit: also read its newest comments (search itself finds only posts)."""
    requests_per_minute: float | None = Field(default=None, gt=0)
    """Pace of requests to Reddit; default 9 a minute without OAuth (the limit is 10), 60 with."""

    def identity(self) -> str:
        return f"reddit:{self.subreddit or ''}:{self.query}:{self.url or ''}"

    def readable(self) -> str:
        where = f" in r/{self.subreddit}" if self.subreddit else ""
        return f"Reddit search{where} for {self.query}"


class HackerNewsSource(SourceBase):
    type: Literal["hackernews"]
    default_interval_minutes: ClassVar[int] = 15
    query: str
    history: Literal["stream", "search"] = "stream"
    """As for reddit: with `streams: hackernews:`, `search` also reads older items once by search."""

    def identity(self) -> str:
        return f"hackernews:{self.query}:{self.url or ''}"

    def readable(self) -> str:
        return f"Hacker News search for {self.query}"


class MastodonSource(SourceBase):
    type: Literal["mastodon"]
    default_interval_minutes: ClassVar[int] = 15
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

    def readable(self) -> str:
        what = f"#{self.tag.lstrip('#')}" if self.tag else f"search for {self.query}"
        return f"Mastodon {what} on {short_url(self.instance)}"


class AppStoreSource(SourceBase):
    type: Literal["appstore"]
    app_id: str
    country: str = "us"
    max_pages: int = Field(default=3, ge=1, le=10)
    matches_by_default: ClassVar[bool] = False

    def identity(self) -> str:
        return f"appstore:{self.country}:{self.app_id}:{self.url or ''}"

    def readable(self) -> str:
        return f"App Store reviews of app {self.app_id} ({self.country})"


class BlueskySource(SourceBase):
    type: Literal["bluesky"]
    default_interval_minutes: ClassVar[int] = 15
    query: str
    service: str = "https://bsky.social"

    @field_validator("service")
    @classmethod
    def _http_service(cls, value: str) -> str:
        return http_url(value)

    def identity(self) -> str:
        return f"bluesky:{self.query}:{self.url or ''}"

    def readable(self) -> str:
        return f"Bluesky search for {self.query}"


class GoogleBusinessSource(SourceBase):
    """Google Business Profile reviews of one location, through the owner's OAuth token."""

    type: Literal["google_business"]
    location: str = Field(pattern=r"^accounts/[^/\s]+/locations/[^/\s]+$")
    """accounts/{account id}/locations/{location id}, as `mentionwatch connect google --list` prints it."""
    token_url: str = "https://oauth2.googleapis.com/token"
    """Where the refresh token is exchanged for an access token."""
    max_pages: int = Field(default=200, ge=1, le=1000)
    """At most this many pages of 50 reviews a run (a safety cap: 10,000 reviews by default)."""
    matches_by_default: ClassVar[bool] = False

    @property
    def api_base(self) -> str:
        """The API base with a trailing slash; `{api_base}{location}/reviews` is the listing."""
        base = self.url or "https://mybusiness.googleapis.com/v4/"
        return base if base.endswith("/") else base + "/"

    def identity(self) -> str:
        return f"google_business:{self.location}:{self.url or ''}"

    def readable(self) -> str:
        return f"Google reviews of {self.location}"


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

    def readable(self) -> str:
        return f"Yelp reviews of {self.business_id}"


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

    def readable(self) -> str:
        return f"App Store Connect reviews of app {self.app_id}"


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

    def readable(self) -> str:
        return f"Google Play reviews of {self.package}"


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

    def readable(self) -> str:
        return f"Trustpilot reviews of {self.domain}"


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


class CrawlerSettings(Strict):
    contact: str = "https://github.com/mentionwatch/mentionwatch"
    """A URL or e-mail address site owners can reach you at; part of the User-Agent."""
    concurrency_per_domain: int = Field(default=2, ge=1, le=16)
    download_timeout: float = Field(default=30, gt=0)
    """Seconds a server may take to answer; time our own busy process kept it waiting is not
    counted (crawlers/download_timeout.py)."""
    max_response_mb: float = Field(default=10, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    autothrottle: bool = True


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


class RedditStream(Strict):
    """Reddit's newest posts and comments site-wide, read once a cycle for every business."""

    api_url: str | None = None
    """Reddit's address for every request, the per-business searches included; default
    https://www.reddit.com, or https://oauth.reddit.com with OAuth credentials."""
    requests_per_minute: float | None = Field(default=None, gt=0)
    """Pace of the stream's requests; default 9 a minute without OAuth (the limit is 10), 60 with."""
    max_pages: int = Field(default=10, ge=1, le=10)
    """Pages of 100 read back per listing a cycle (Reddit keeps 1,000 items); beyond: a gap."""

    @field_validator("api_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        return http_url(value).rstrip("/") if value else None


class HackerNewsStream(Strict):
    """Hacker News' new stories and comments (Algolia's search_by_date), read once a cycle."""

    api_url: str = "https://hn.algolia.com/api/v1"
    """Algolia's HN API, for the stream and the per-business searches."""
    max_pages: int = Field(default=10, ge=1, le=50)
    """Pages of 1,000 items read a cycle; what is older than the last one read is a gap."""

    @field_validator("api_url")
    @classmethod
    def _http(cls, value: str) -> str:
        return http_url(value).rstrip("/")


class BlueskyStream(Strict):
    """Bluesky's Jetstream: every public post as it is written, held open by long-running processes."""

    jetstream: str = "wss://jetstream2.us-east.bsky.network/subscribe"

    @field_validator("jetstream")
    @classmethod
    def _websocket(cls, value: str) -> str:
        if not re.match(r"^wss?://[^/\s]+", value.strip()):
            raise ValueError("expected a WebSocket address (wss://host/subscribe)")
        return value.strip()


def mastodon_host(value: str) -> str:
    """"https://Mastodon.social/" -> "mastodon.social" (the host an instance is known by)."""
    return re.sub(r"^https?://", "", value.strip(), flags=re.I).rstrip("/").lower()


class MastodonStream(Strict):
    """Mastodon's streaming API: each instance's public statuses as they are posted, held open by
    the long-running processes; an instance that refuses it is polled as without `streams:`."""

    instances: list[str] | None = None
    """The instances to stream (host names); default: every instance a mastodon source names."""

    @field_validator("instances")
    @classmethod
    def _host_names(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        for value in values:
            if not is_host_name(mastodon_host(value)):
                raise ValueError(f"expected an instance's host name, such as mastodon.social, not {value!r}")
        return values


class StreamsConfig(Strict):
    """`streams:`: networks read once per cycle for all businesses instead of one search each."""

    reddit: RedditStream | None = None
    hackernews: HackerNewsStream | None = None
    bluesky: BlueskyStream | None = None
    mastodon: MastodonStream | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_is_defaults(cls, values: Any) -> Any:
        # `reddit:` with nothing under it (YAML's null) means: that network, with its defaults.
        if isinstance(values, dict):
            return {k: ({} if v is None else v) for k, v in values.items()}
        return values

    def networks(self) -> list[str]:
        """The source types read as streams."""
        return [name for name in ("reddit", "hackernews", "bluesky", "mastodon") if getattr(self, name) is not None]

class Competitor(BaseBusiness):
    """A competitor of a business (`competitors:`): crawled and stored to compare with, never alerted."""

    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _keywords_default_to_the_name(cls, values: Any) -> Any:
        if isinstance(values, dict) and not values.get("keywords") and values.get("name"):
            values = {**values, "keywords": [values["name"]]}
        return values


class CrawledBusiness(BaseBusiness):
    """A business and the sources it is crawled from."""

    sources: list[Source] = Field(min_length=1)
    competitors: list[Competitor] = []
    """Businesses to compare with in the report and the trends page (share of voice, rating)."""

    @model_validator(mode="after")
    def _distinct_sources(self) -> CrawledBusiness:
        seen: set[str] = set()
        for source in self.sources:
            if source.identity() in seen:
                raise ValueError(f"source {source.identity()!r} is listed twice")
            seen.add(source.identity())
        return self


class CrawlConfig(StoreConfig):
    """The crawler's sections (`crawler`, `credentials`) and the businesses' sources."""

    crawler: CrawlerSettings = CrawlerSettings()
    # A factory, so secrets are read from the environment when the file is loaded, not at import.
    credentials: Credentials = Field(default_factory=Credentials)
    businesses: list[CrawledBusiness] = Field(min_length=1)
    streams: StreamsConfig = StreamsConfig()
    """Networks read once per cycle for all businesses (see docs/sources.md, "Shared streams")."""

    @model_validator(mode="after")
    def _competitors_are_not_businesses(self) -> CrawlConfig:
        names = {b.name.casefold() for b in self.businesses}
        for business in self.businesses:
            for competitor in business.competitors:
                if competitor.name.casefold() in names:
                    raise ValueError(f"{competitor.name!r} is both a business and a competitor of "
                                     f"{business.name!r}: a competitor is never alerted, so list it once")
        return self

    def watched(self) -> list[CrawledBusiness | Competitor]:
        """Every business that is crawled: the configured ones, then their competitors (each once)."""
        found: dict[str, CrawledBusiness | Competitor] = {b.name: b for b in self.businesses}
        for business in self.businesses:
            for competitor in business.competitors:
                found.setdefault(competitor.name, competitor)
        return list(found.values())

    def competitor_names(self) -> set[str]:
        """The names of the competitors: their mentions are stored, never alerted."""
        return {c.name for b in self.businesses for c in b.competitors}
