"""The config sections of the front doors: `web:` and each business's reply templates."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from alerts.config import AlertedBusiness, AlertsConfig
from pipeline.config import Strict, http_url

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


class Business(AlertedBusiness):
    """A business as config.yaml describes it: every room's part of it."""

    replies: list[ReplyTemplate] = []
    """Reply drafts, the first that fits a review wins: put the specific ones (an aspect) first."""


class WebSettings(Strict):
    """`mentionwatch serve`: the web inbox."""

    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=1, le=65535)
    trusted_header: str | None = None
    """Behind a reverse proxy that signs people in: the header naming the user (e.g. X-Forwarded-User)."""
    secure_cookies: bool = False
    """Mark cookies Secure even when the request does not look like https (a proxy that hides it)."""
    url: str | None = None
    """The inbox's address as people reach it (https://mentions.example.com): alerts link to it. In
    trusted-header mode only requests naming its host (or this machine) are answered."""
    proxy: str = "127.0.0.1"
    """The reverse proxy's address in trusted-header mode: its X-Forwarded-For and -Proto are
    believed, from it only. Without a trusted header no forwarded header is believed."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return http_url(value).rstrip("/") if value else None

    @property
    def public_host(self) -> str | None:
        """The host name of `url` (without its port), or None."""
        return urlsplit(self.url).hostname if self.url else None


class RespondConfig(AlertsConfig):
    """The web inbox's section (`web`) and the businesses' reply templates."""

    web: WebSettings = WebSettings()
    businesses: list[Business] = Field(min_length=1)

    def visible_businesses(self, client: str | None) -> frozenset[str] | None:
        """The businesses a web user of `client` may see (every page, export and the API), or None
        for the agency's own users (no client: everything). A client no longer in config.yaml
        sees nothing, never everything."""
        if client is None:
            return None
        return frozenset(b.name for b in self.businesses if b.client == client)
