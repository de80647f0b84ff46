"""config.yaml: the owner's one file, loaded once into typed settings.

Every other module receives the part of `Settings` it needs. This is the only module that reads
the environment: `${VAR}` and `${VAR:-default}` in string values, and the fallback credentials.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from sqlalchemy.engine import make_url

from mentionwatch.errors import ConfigError

CONFIG_ENV = "MENTIONWATCH_CONFIG"
# Values of these keys are never echoed back in error messages.
SECRET_KEYS = {"token", "webhook_url", "password", "reddit_client_secret", "mastodon_token", "bluesky_app_password"}
DEFAULT_CONFIG = "config.yaml"


class Strict(BaseModel):
    """Unknown keys are errors: a typo in config.yaml must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- sources


class SourceBase(Strict):
    url: str | None = None
    """Replaces the source type's default endpoint, used as given (query parameters included)."""
    match: bool | None = None
    """Whether mentions must match the business's keywords; None = the type's default."""
    name: str | None = None
    """A label for this source in summaries; defaults to the type and its target."""

    # Search-type sources find text that may not be about the business; others are about it.
    matches_by_default: ClassVar[bool] = True

    @property
    def needs_match(self) -> bool:
        return self.matches_by_default if self.match is None else self.match

    def identity(self) -> str:
        """A stable key for this source within its business, kept across unrelated edits."""
        return f"{self.type}:{self.url or ''}"  # type: ignore[attr-defined]

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

    def identity(self) -> str:
        return f"bluesky:{self.query}:{self.url or ''}"


Source = Annotated[
    Union[
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
SOURCE_TYPES = ("feed", "reviews", "html", "reddit", "hackernews", "mastodon", "appstore", "bluesky")


# --------------------------------------------------------------------------- the rest


class QuietHours(Strict):
    start: time
    end: time


class Business(Strict):
    name: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    exclude: list[str] = []
    require_any: list[str] = []
    channel: str | None = None
    """Slack channel for this business's alerts; falls back to slack.channel."""
    timezone: str = "UTC"
    quiet_hours: QuietHours | None = None
    sources: list[Source] = Field(min_length=1)

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

    @field_validator("handled_reaction")
    @classmethod
    def _bare_name(cls, value: str) -> str:
        return value.strip().strip(":")

    @field_validator("token", "webhook_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # slack-sdk joins base_url and the method name by plain concatenation.
        return value if value.endswith("/") else value + "/"


class AlertSettings(Strict):
    threshold: float = Field(default=-0.05, ge=-1, le=1)
    """Compound score at or below which a mention is negative."""
    positive_threshold: float = Field(default=0.05, ge=-1, le=1)
    max_age_days: int = Field(default=7, ge=0)
    max_per_run: int = Field(default=10, ge=1)
    quiet_hours: QuietHours | None = None
    urgent_reraise_hours: float = Field(default=4, ge=0)
    """An urgent alert nobody marked handled is raised again, once, after this long (0: never)."""
    source_failure_runs: int = Field(default=3, ge=1)
    """A source failing this many runs in a row is reported to Slack once (and again when it recovers)."""

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
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = True
    """Upgrade the connection with STARTTLS (required before sending a password)."""
    ca_file: str | None = None
    """A PEM file of the CA certificates to trust instead of the system's (a private mail server)."""
    timeout: float = Field(default=30, gt=0)


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
    slack: SlackSettings = SlackSettings()
    alerts: AlertSettings = AlertSettings()
    scoring: ScoringSettings = ScoringSettings()
    crawler: CrawlerSettings = CrawlerSettings()
    report: ReportSettings = ReportSettings()
    credentials: Credentials = Credentials()
    web: WebSettings = WebSettings()
    businesses: list[Business] = Field(min_length=1)

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
        names = [b.name for b in self.businesses]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"business names must be unique; repeated: {', '.join(duplicates)}")
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


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, else $MENTIONWATCH_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read, expand and validate config.yaml; raise ConfigError with a readable message."""
    file = config_path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no such file (pass --config PATH or set {CONFIG_ENV})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file}: not valid YAML{where}: {problem}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: expected a mapping of settings (database, slack, businesses, ...)")
    try:
        data = expand_env(raw)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{file}: " + "; ".join(_describe(e, data) for e in exc.errors())) from None
    return settings.model_copy(update={"path": file.resolve()})


def _describe(error: Any, data: Any) -> str:
    """One validation error as `key.path: got VALUE: what is expected`."""
    # Pydantic puts the discriminator's value into the location (…sources.0.feed.url); drop it.
    loc = [p for p in error["loc"] if p not in SOURCE_TYPES]
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"{where}: missing (required)"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key"
    if error["type"] == "union_tag_invalid":
        got = error.get("input", {}).get("type") if isinstance(error.get("input"), dict) else None
        return f"{where}.type: got {got!r}: expected one of {', '.join(SOURCE_TYPES)}"
    if error["type"] == "union_tag_not_found":
        return f"{where}.type: missing: expected one of {', '.join(SOURCE_TYPES)}"
    value = error.get("input")
    hidden = isinstance(value, (dict, list)) or (loc and str(loc[-1]) in SECRET_KEYS)
    shown = "" if hidden else f"got {value!r}: "
    return f"{where or 'config'}: {shown}{message}"

