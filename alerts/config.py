"""The alerts' config sections: `slack:`, `alerts:` (with quiet hours and notify:), `report:`."""

from __future__ import annotations

import logging
import os
from datetime import time
from email.utils import parseaddr
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from crawlers.config import CrawlConfig, CrawledBusiness
from pipeline.config import Strict, http_url


class QuietHours(Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError(f"quiet hours start when they end ({self.start:%H:%M}): give two different times")
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


class TrendSettings(Strict):
    """`alerts.trends`: spike and rating-drop alerts (alerts/trends/)."""

    spikes: bool = True
    """A day with far more mentions (or negative ones) than the business's usual raises one alert."""
    rating_drops: bool = True
    """A review page's overall rating falling, or a burst of 1-2 star reviews, raises one alert."""
    min_mentions: int = Field(default=5, ge=1)
    """A spike needs at least this many mentions (or negative mentions) in the day."""
    min_low_stars: int = Field(default=3, ge=1)
    """A burst needs at least this many 1-2 star reviews in the day."""
    min_ratio: float = Field(default=1.5, ge=1)
    """...and at least this many times the usual count."""
    p_value: float = Field(default=0.0001, gt=0, lt=0.5)
    """How unlikely the day's count must be under the usual (a negative binomial's upper tail):
    smaller means fewer, larger spikes (bench/trends_bench.py measures both)."""
    rating_fall: float = Field(default=0.2, gt=0, le=4)
    """Stars the overall rating of a review page must fall within a week to raise an alert."""


class AlertSettings(Strict):
    trends: TrendSettings = TrendSettings()
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


def email_address(value: str) -> str:
    _, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if (not local or not domain or any(c.isspace() for c in address) or "@" in local
            or not all(label for label in domain.split("."))):
        raise ValueError(f"{value!r} is not an e-mail address (expected name@example.com)")
    return value


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
        return [email_address(value) for value in values]

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return email_address(value)


class ReportSettings(Strict):
    out_dir: str = "reports"
    email: EmailSettings | None = None


class AlertedBusiness(CrawledBusiness):
    """A business and where its alerts go."""

    channel: str | None = None
    """Slack channel for this business's alerts; falls back to slack.channel."""
    quiet_hours: QuietHours | None = None
    notify: list[SecretStr] | None = None
    """Apprise URLs for this business's alerts; unset: alerts.notify; []: none."""

    _notify_urls = field_validator("notify")(classmethod(lambda cls, v: check_apprise_urls(v)))


class AlertsConfig(CrawlConfig):
    """The alerts' sections (`slack`, `alerts`, `report`) and where each business's alerts go."""

    # A factory, so secrets are read from the environment when the file is loaded, not at import.
    slack: SlackSettings = Field(default_factory=SlackSettings)
    alerts: AlertSettings = AlertSettings()
    report: ReportSettings = ReportSettings()
    businesses: list[AlertedBusiness] = Field(min_length=1)

    def slack_missing(self) -> str | None:
        """Why Slack, which the file asks for, cannot be used: a token key or a channel is written
        but no token or webhook came through (an unset variable, easy to miss in cron); else None."""
        slack = self.slack
        if slack.token is not None or slack.webhook_url is not None:
            return None
        named = sorted({"token", "webhook_url", "channel", "urgent_channel"} & slack.model_fields_set)
        named += [f"the channel of {b.name}" for b in self.businesses if b.channel]
        if not named:
            return None
        variable = "SLACK_WEBHOOK_URL" if "webhook_url" in named else "SLACK_BOT_TOKEN"
        return (f"Slack is configured ({', '.join(f'slack.{n}' if n.isidentifier() else n for n in named)}) but no "
                f"token is set: is {variable} exported where mentionwatch runs (cron has its own environment)? "
                "Until then alerts print to the console")
