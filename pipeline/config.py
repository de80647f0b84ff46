"""The store's config sections (`database`, `scoring`, `retention_days`) and what every room shares.

Each room owns the schema of its own part of config.yaml and extends the one below it:
pipeline.config.StoreConfig <- crawlers.config.CrawlConfig <- alerts.config.AlertsConfig <-
respond.config.RespondConfig <- mentionwatch.config.Settings (which reads and validates the file).
A room's code is typed with its own class, so it never needs to import a room above it.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.dburl import url_problem


class Strict(BaseModel):
    """Unknown keys are errors: a typo in config.yaml must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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


class BaseBusiness(Strict):
    """What the store and the matcher know of a business: its name, the words that find it, its zone."""

    name: str = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    exclude: list[str] = []
    require_any: list[str] = []
    timezone: str = "UTC"
    id: str | None = Field(default=None, min_length=1, max_length=200)
    """A stable key for its history: renaming the business keeps it. Defaults to the name."""
    not_urgent: list[str] = []
    """Urgent phrases that name this business's trade, not an emergency (a law firm's "lawyer", an
    exterminator's "roaches"): they do not make its mentions urgent."""

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a business needs a name")
        return value

    @field_validator("keywords", "exclude", "require_any", "not_urgent")
    @classmethod
    def _usable_phrases(cls, values: list[str], info: Any) -> list[str]:
        what = {"keywords": "keyword", "exclude": "exclude term", "require_any": "require_any word",
                "not_urgent": "not_urgent phrase"}[info.field_name]
        return [_phrase(value, what) for value in values]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (expected an IANA name such as Europe/Paris)") from None
        return value


class StoreConfig(Strict):
    """The store's part of config.yaml (database, scoring, retention) and the businesses it keeps."""

    database: str = "sqlite:///mentionwatch.db"
    scoring: ScoringSettings = ScoringSettings()
    businesses: list[BaseBusiness] = Field(min_length=1)
    retention_days: int = Field(default=365, ge=0)
    """Sent Slack messages and old versions of edited mentions are pruned after this; 0 keeps them."""

    # Where the file was read from; relative paths in it are relative to its folder.
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("database")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        problem = url_problem(value)
        if problem:
            raise ValueError(problem)  # the URL is shown with its password masked (safe_url)
        return value

    @model_validator(mode="after")
    def _distinct_businesses(self) -> StoreConfig:
        # Names that differ only in case or spaces are one business to a reader (and in Slack).
        seen: dict[str, str] = {}
        for business in self.businesses:
            key = " ".join(business.name.split()).casefold()
            if key in seen:
                same = "repeated" if seen[key] == business.name else "differ only in case or spaces"
                raise ValueError(f"business names must be unique; {seen[key]!r} and {business.name!r} {same}")
            seen[key] = business.name
        return self

    @model_validator(mode="after")
    def _not_urgent_are_urgent_phrases(self) -> StoreConfig:
        # A misspelt phrase would leave the alerts it was meant to quiet: say so now.
        asked = [(business.name, phrase) for business in self.watched() for phrase in business.not_urgent]
        if asked:
            from pipeline.sentiment import load_urgent_phrases, urgent_key  # the scorer: only when asked

            scoring = self.scoring
            listed = [*load_urgent_phrases(), *scoring.urgent_phrases, *(
                phrase for phrases in scoring.urgent_phrases_by_language.values() for phrase in phrases)]
            known = set(map(urgent_key, listed))
            for name, phrase in asked:
                if urgent_key(phrase) not in known:
                    raise ValueError(f"{name}: not_urgent: {phrase!r} is not an urgent phrase "
                                     "(pipeline/data/urgent_phrases.txt or scoring.urgent_phrases)")
        return self

    def watched(self) -> list[BaseBusiness]:
        """Every business whose mentions are stored."""
        return list(self.businesses)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def database_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the config's folder."""
        from sqlalchemy.engine import make_url

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
