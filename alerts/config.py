"""The alerts' config sections: `slack:`, `alerts:` (with quiet hours and notify:), `report:`, and
where each client's alerts go (`clients:`: its own Slack workspace, notify: and report recipients)."""

from __future__ import annotations

import difflib
import logging
import os
from datetime import time
from email.utils import parseaddr
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from crawlers.config import CrawlConfig, CrawledBusiness
from pipeline.config import Strict, http_url
from pipeline.registers import REGISTERS, did_you_mean, per_register


class QuietHours(Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError(f"quiet hours start when they end ({self.start:%H:%M}): give two different times")
        return self


def webhook_url_checked(value: SecretStr | None) -> SecretStr | None:
    """An incoming webhook's URL must be a URL; the error never repeats it (it is a secret)."""
    if value is not None:
        try:
            http_url(value.get_secret_value())
        except ValueError:
            raise ValueError("expected the webhook's https:// URL (https://hooks.slack.com/services/...)") from None
    return value


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

    _webhook = field_validator("webhook_url")(classmethod(lambda cls, v: webhook_url_checked(v)))

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


def _threshold_number(value: Any, register: str = "") -> float:
    """A threshold on the score's -1..1 scale, or a ValueError saying what is wrong with it."""
    named = f"{register}: got {value!r}: " if register else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{named}expected a number from -1 to 1"
                         + ("" if register else ", or one per kind of writing ({social: -0.3})"))
    if not -1 <= value <= 1:
        raise ValueError(f"{named}expected a number from -1 to 1")
    return float(value)


class AlertSettings(Strict):
    trends: TrendSettings = TrendSettings()
    notify: list[SecretStr] = []
    """Apprise URLs (mailto://, msteams://, discord://, tgram://, json://, ...) that get every alert too."""
    digest: Literal["off", "daily"] = "off"
    """daily: the notify: destinations get one digest a day of the non-urgent alerts instead of each one."""
    digest_time: time = time(8, 0)
    """When the daily digest goes out, in each business's time zone."""
    threshold: float | dict[str, float] | None = None
    """Score (-1..1) at or below which a mention is negative: one for every register, or one for
    each register named (``{social: -0.3}``). Unset (or a register not named): the register's own,
    chosen when the scorer was trained (reviews, news, social posts; see docs/scoring.md)."""
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

    @field_validator("threshold", mode="plain")
    @classmethod
    def _threshold(cls, value: Any) -> float | dict[str, float] | None:
        if value is None:
            return None
        if isinstance(value, dict):
            unknown = [str(key) for key in value if key not in REGISTERS]
            if unknown:
                raise ValueError(f"{unknown[0]!r} is not a kind of writing: expected {', '.join(REGISTERS)}"
                                 f"{did_you_mean(unknown[0])}")
            return {register: _threshold_number(number, register) for register, number in value.items()}
        return _threshold_number(value)

    @model_validator(mode="after")
    def _ordered(self) -> AlertSettings:
        configured = per_register(self.threshold)
        if len(configured) < len(REGISTERS) and self.positive_threshold <= 0:
            raise ValueError("alerts.positive_threshold must be above 0 unless alerts.threshold is set below it")
        if any(number >= self.positive_threshold for number in configured.values()):
            raise ValueError("alerts.threshold must be below alerts.positive_threshold")
        return self


def client_problem(clients: list[AlertedClient], businesses: list[AlertedBusiness]) -> str | None:
    """One line saying what is wrong between `clients:` and the businesses' `client:`, or None."""
    names = [c.name for c in clients]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"clients: {twice[0]!r} is listed twice"
    for business in businesses:
        if business.client is not None and business.client not in names:
            close = difflib.get_close_matches(business.client, names, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            known = ", ".join(names) if names else "none: add it under clients:"
            return (f"business {business.name!r}: client {business.client!r} is not one of clients: "
                    f"({known}){hint}")
    used = {b.client for b in businesses}
    for name in names:
        if name not in used:
            return (f"clients: {name!r} has no businesses: give its businesses `client: {name}` "
                    "(or remove the client)")
    return None


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


class ClientSlack(Strict):
    """`clients[].slack`: a client's own Slack workspace (its bot token or webhook) and channels."""

    token: SecretStr | None = None
    """The bot token (xoxb-...) of the client's workspace, read from the environment (${ACME_SLACK_TOKEN})."""
    webhook_url: SecretStr | None = None
    channel: str | None = None
    """Default channel of the client's businesses; falls back to slack.channel."""
    urgent_channel: str | None = None
    """Urgent mentions also go here; in the client's own workspace only its own urgent_channel is used."""
    api_url: str | None = None
    """Slack's API for this workspace; falls back to slack.api_url (GovSlack, or a local server in tests)."""

    _empty_is_unset = field_validator("token", "webhook_url", mode="before")(
        classmethod(lambda cls, v: None if v in ("", None) else v))
    _webhook = field_validator("webhook_url")(classmethod(lambda cls, v: webhook_url_checked(v)))
    _api_url = field_validator("api_url")(classmethod(lambda cls, v: http_url(v) if v else None))

    @property
    def own_workspace(self) -> bool:
        """Whether the client posts with its own token or webhook (else through the top-level slack:)."""
        return self.token is not None or self.webhook_url is not None


class AlertedClient(Strict):
    """`clients:` one of an agency's clients: where its businesses' alerts and reports go. Anything
    it leaves unset falls back to the top-level settings (slack:, alerts.notify, report.email.to)."""

    name: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """Short name businesses refer to (`client: acme`): letters, digits, dots, dashes, underscores."""
    slack: ClientSlack = ClientSlack()
    notify: list[SecretStr] | None = None
    """Apprise URLs for the client's alerts; unset: alerts.notify; []: none."""
    report_to: list[str] | None = None
    """Who gets the client's weekly report by e-mail (through report.email's server); unset: report.email.to."""

    _notify_urls = field_validator("notify")(classmethod(lambda cls, v: check_apprise_urls(v)))

    @field_validator("report_to")
    @classmethod
    def _addresses(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [email_address(value) for value in values]

    @property
    def workspace(self) -> str | None:
        """The key of the Slack workspace the client's messages go to: its name, or None (the top-level one)."""
        return self.name if self.slack.own_workspace else None

    def slack_settings(self, top: SlackSettings) -> SlackSettings:
        """The top-level slack: settings with this client's token, webhook and channels in place."""
        if not self.slack.own_workspace:
            return top.model_copy(update={
                "channel": self.slack.channel or top.channel,
                "urgent_channel": self.slack.urgent_channel or top.urgent_channel})
        # Another workspace: the top-level urgent channel is not in it.
        api_url = self.slack.api_url or top.api_url
        return top.model_copy(update={
            "token": self.slack.token, "webhook_url": self.slack.webhook_url,
            "api_url": api_url if api_url.endswith("/") else api_url + "/",
            "channel": self.slack.channel or top.channel, "urgent_channel": self.slack.urgent_channel})


class AlertedBusiness(CrawledBusiness):
    """A business and where its alerts go."""

    client: str | None = None
    """The agency's client it belongs to (a name under `clients:`): its alerts and reports go where
    that client's go, and only that client's web users see it."""
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
    clients: list[AlertedClient] = []
    """An agency's clients, each with its own Slack workspace, notify: and report recipients."""
    businesses: list[AlertedBusiness] = Field(min_length=1)

    @model_validator(mode="after")
    def _clients_match_businesses(self) -> AlertsConfig:
        problem = client_problem(self.clients, self.businesses)
        if problem:
            raise ValueError(problem)
        return self

    def client_of(self, business: str) -> AlertedClient | None:
        """The client a business (by name) belongs to, or None."""
        configured = next((b for b in self.businesses if b.name == business), None)
        if configured is None or configured.client is None:
            return None
        return next(c for c in self.clients if c.name == configured.client)

    def workspace_of(self, business: str) -> str | None:
        """The key of the Slack workspace a business's messages go to (see `workspaces`)."""
        client = self.client_of(business)
        return client.workspace if client is not None else None

    def slack_for(self, client: AlertedClient | None) -> SlackSettings:
        """The Slack settings a client's messages use (the top-level ones for no client)."""
        return self.slack if client is None else client.slack_settings(self.slack)

    def workspaces(self) -> dict[str | None, SlackSettings]:
        """Every Slack workspace messages go to, by key: None for the top-level slack:, a
        client's name for a client with its own token or webhook."""
        found: dict[str | None, SlackSettings] = {None: self.slack}
        for client in self.clients:
            if client.workspace is not None:
                found[client.workspace] = client.slack_settings(self.slack)
        return found

    def report_recipients(self, client: AlertedClient | None) -> list[str]:
        """Who gets the e-mailed report of a client's businesses (report.email.to when it names none)."""
        if client is not None and client.report_to is not None:
            return list(client.report_to)
        return list(self.report.email.to) if self.report.email is not None else []

    def slack_missing(self) -> str | None:
        """Why Slack, which the file asks for, cannot be used: a token key or a channel is written
        but no token or webhook came through (an unset variable, easy to miss in cron); else None."""
        slack = self.slack
        for client in self.clients:
            # A client's own token written but empty: its alerts would go to the agency's workspace.
            if {"token", "webhook_url"} & client.slack.model_fields_set and not client.slack.own_workspace:
                return (f"the Slack of client {client.name} is configured (clients[].slack.token) but no token is "
                        "set: is its variable exported where mentionwatch runs? Until then its alerts go to the "
                        "top-level slack:")
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
