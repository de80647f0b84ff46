"""config.yaml: the owner's one file, loaded once into typed settings.

Every other module receives the part of `Settings` it needs. This is the only module that reads
the environment: `${VAR}` and `${VAR:-default}` in string values, and the fallback credentials.
"""

from __future__ import annotations

import difflib
import ipaddress
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
# Values of these keys are never echoed back in error messages.
SECRET_KEYS = {"token", "webhook_url", "app_token", "signing_secret", "password", "reddit_client_secret", "mastodon_token", "bluesky_app_password"}
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

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError(f"quiet hours start when they end ({self.start:%H:%M}): give two different times")
        return self


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
    # A factory, so the listener's secrets are read from the environment when the file is loaded.
    slack: SlackSettings = Field(default_factory=SlackSettings)
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
