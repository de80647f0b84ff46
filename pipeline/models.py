"""The store's tables (SQLAlchemy 2.x). Migrations in pipeline/migrations/ must match these.

Timestamps are stored as timezone-aware UTC (`UTCDateTime`), so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zones and returns naive values; normalising here keeps the rest of the
    code free of that difference.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use aware UTC datetimes")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Business(Base):
    __tablename__ = "businesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    config_id: Mapped[str | None] = mapped_column(String(200))
    """config.yaml's `id:` for it, once set: a renamed business is found by it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    competitor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """A competitor of a configured business (`competitors:`): its mentions are stored, never alerted."""

    sources: Mapped[list[Source]] = relationship(back_populates="business")


class Source(Base):
    """A configured place to crawl, and its crawl state."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("business_id", "identity", name="uq_sources_business_identity"),
                      Index("ix_sources_next_check", "next_check_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20))
    identity: Mapped[str] = mapped_column(String(1000))
    config_id: Mapped[str | None] = mapped_column(String(1000))
    """config.yaml's `id:` for it, once set: a source whose URL changed is found by it."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a crawl of this source first succeeds: until then its finds are a baseline.
    first_crawled_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    # When the failure was reported to Slack, so it is reported once, not every run.
    failure_reported_at: Mapped[datetime | None]
    # {url: {"etag": ..., "last_modified": ...}} for conditional requests.
    http_validators: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # API sources: what the newest item seen was (a timestamp or id), to ask only for newer.
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Workers on PostgreSQL (`mentionwatch worker`): when the source is next due to be queued;
    # None = at once. Moved on as the source is queued, by its interval (crawlers.schedule).
    next_check_at: Mapped[datetime | None]

    business: Mapped[Business] = relationship(back_populates="sources")


# Open mentions worth a person's attention; the inbox query uses this very text, so that both
# databases see that the partial index ix_mentions_inbox covers it.
INBOX_CONDITION = "handled_at IS NULL AND dismissed_at IS NULL AND (label = 'negative' OR urgent)"



class Mention(Base):
    """One public mention of a business, deduplicated across sources and runs."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("business_id", "canonical_url", name="uq_mentions_business_url"),
        Index("ix_mentions_business_fingerprint", "business_id", "fingerprint"),
        Index("ix_mentions_business_published", "business_id", "published_at"),
        Index("ix_mentions_pending_alert", "alert_due", "alerted_at"),
        # The web inbox: open negative or urgent mentions, urgent first, newest first.
        Index("ix_mentions_inbox", "urgent", "id", sqlite_where=text(INBOX_CONDITION),
              postgresql_where=text(INBOX_CONDITION)),
        # The mentions page's filters, each walked newest first (by id), and its dates.
        Index("ix_mentions_label_id", "label", "id"),
        Index("ix_mentions_source_type_id", "source_type", "id"),
        # With the id: a period's newest mention is read from this index alone (web date filters).
        Index("ix_mentions_first_seen", "first_seen_at", "id"),
        # A business's period, with what its counts need, read from the index alone (trends, report).
        Index("ix_mentions_business_effective", "business_id", "effective_at", "label", "source_id", "dismissed_at"),
        # Dismissed mentions of a business (the report's relevance advice). Partial: it must not lure
        # a period's query ("dismissed_at IS NULL") away from the period index.
        Index("ix_mentions_business_dismissed", "business_id", "dismissed_at",
              sqlite_where=text("dismissed_at IS NOT NULL"), postgresql_where=text("dismissed_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    source_type: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2000))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(500))
    published_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    effective_at: Mapped[datetime | None]
    """When it happened, as every period (trends, the report, `mentions --since`) counts it: its
    publication, else when it was first seen. Set by the database's triggers on every insert and
    update (migration 0012), so every writer, bulk loads included, keeps it right; never written
    by the code."""
    updated_at: Mapped[datetime | None]
    rating: Mapped[float | None] = mapped_column(Float)
    sentiment: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(10))
    rating_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    driver: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    urgent_phrases: Mapped[str | None] = mapped_column(Text)
    # The learned scorer (migration 0005): its probability of the label it gave, VADER's compound, the text's
    # language (ISO 639-1; None when too short to tell), and what a complaint is about.
    probability: Mapped[float | None] = mapped_column(Float)
    vader_compound: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(12))
    aspects: Mapped[list[Any] | None] = mapped_column(JSON)
    # The outbox: a mention owed an alert has alert_due set and alerted_at empty.
    alert_due: Mapped[bool] = mapped_column(Boolean, default=False)
    alerted_at: Mapped[datetime | None]
    alert_attempts: Mapped[int] = mapped_column(default=0)
    alert_error: Mapped[str | None] = mapped_column(Text)
    slack_channel: Mapped[str | None] = mapped_column(String(200))
    slack_ts: Mapped[str | None] = mapped_column(String(50))
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(200))
    reraised_at: Mapped[datetime | None]
    # The team's work on it, changed only through respond.actions (which also writes the history).
    dismissed_at: Mapped[datetime | None]
    dismissed_by: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(200))
    assigned_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    # Set by an action on an alerted mention: its alert message must be re-rendered (chat.update).
    alert_refresh_due: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the platform stopped listing the review (removed by its author or the platform).
    deleted_at: Mapped[datetime | None]


class MentionHour(Base):
    """Mentions of a business per UTC hour ('YYYY-MM-DD HH') and label, dismissed ones left out.

    Kept by the database's triggers on every insert, update and delete of a mention (migration
    0012), so a year of trends reads some 9,000 rows instead of every mention. An unlabelled
    mention counts as neutral, as the report counts it.
    """

    __tablename__ = "mention_hours"

    business_id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[str] = mapped_column(String(13), primary_key=True)
    label: Mapped[str] = mapped_column(String(10), primary_key=True)
    mentions: Mapped[int]


class MentionAspectHour(Base):
    """Complaints (negative mentions, not dismissed) naming each aspect, per business and UTC hour;
    kept by the database's triggers like MentionHour (migration 0012)."""

    __tablename__ = "mention_aspect_hours"

    business_id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[str] = mapped_column(String(13), primary_key=True)
    aspect: Mapped[str] = mapped_column(String(100), primary_key=True)
    mentions: Mapped[int]


class MentionDay(Base):
    """Mentions of a business per UTC day ('YYYY-MM-DD') and label, dismissed ones left out; kept
    by the database's triggers like MentionHour (migration 0017). Long trends read these, and of
    the hourly counts only the hours a UTC day shares with the next local day."""

    __tablename__ = "mention_days"

    business_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    label: Mapped[str] = mapped_column(String(10), primary_key=True)
    mentions: Mapped[int]


class MentionAspectDay(Base):
    """Complaints naming each aspect per business and UTC day; kept by triggers (migration 0017)."""

    __tablename__ = "mention_aspect_days"

    business_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    aspect: Mapped[str] = mapped_column(String(100), primary_key=True)
    mentions: Mapped[int]


class Sighting(Base):
    """A further place the same mention was seen (syndication, a second feed)."""

    __tablename__ = "sightings"
    __table_args__ = (UniqueConstraint("mention_id", "canonical_url", name="uq_sightings_mention_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2000))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Revision(Base):
    """What a mention said before it was edited (a review changed from 5 stars to 1)."""

    __tablename__ = "revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[float | None] = mapped_column(Float)
    sentiment: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(10))


class AggregateRating(Base):
    """A review page's overall rating at one crawl, for the weekly trend."""

    __tablename__ = "aggregate_ratings"
    # A source's readings of a period (the report's and trends' ratings), not every reading since.
    __table_args__ = (Index("ix_aggregate_ratings_source_recorded", "source_id", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    value: Mapped[float] = mapped_column(Float)
    count: Mapped[int | None]


class Run(Base):
    """One `mentionwatch run`: when, what it found, what went wrong."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running", server_default="finished")
    """running (or killed: no finished_at), finished, or interrupted (stopped by SIGINT/SIGTERM)."""
    sources_ok: Mapped[int] = mapped_column(default=0)
    sources_failed: Mapped[int] = mapped_column(default=0)
    items_fetched: Mapped[int] = mapped_column(default=0)
    new_mentions: Mapped[int] = mapped_column(default=0)
    negative: Mapped[int] = mapped_column(default=0)
    alerts_sent: Mapped[int] = mapped_column(default=0)
    alerts_pending: Mapped[int] = mapped_column(default=0)
    errors: Mapped[str | None] = mapped_column(Text)


class SourceRun(Base):
    """How one source fared in one run (the report lists failures of the period)."""

    __tablename__ = "source_runs"
    # A source's runs of a period (the report's failures), not all its runs since it was added.
    __table_args__ = (Index("ix_source_runs_source_finished", "source_id", "finished_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    not_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    items_fetched: Mapped[int] = mapped_column(default=0)
    new_mentions: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertMessage(Base):
    """The outbox: one Slack message to send (an alert, a digest, a baseline, a notice).

    Rendered when planned, sent by the next delivery; `sent_at` and `slack_ts` are set only after
    Slack accepted it. A message that `marks_alerted` marks its mentions alerted when it is sent.
    """

    __tablename__ = "alert_messages"
    __table_args__ = (Index("ix_alert_messages_unsent", "sent_at", "not_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    business_id: Mapped[int | None] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[list[Any]] = mapped_column(JSON)
    thread_ts: Mapped[str | None] = mapped_column(String(50))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    marks_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Held until then (quiet hours); None = at once.
    not_before: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # Slack's channel ID and the message's ts, as Slack answered (None through a webhook).
    slack_channel: Mapped[str | None] = mapped_column(String(200))
    slack_ts: Mapped[str | None] = mapped_column(String(50))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set (and committed) before a post is attempted, cleared only by a definite answer: while it
    # is set, Slack may hold the message, and the next attempt looks for it before posting again.
    attempt_started_at: Mapped[datetime | None]
    # False for a message only for the notify: destinations (the daily digest).
    to_slack: Mapped[bool] = mapped_column(Boolean, default=True)
    # Given up as "maybe sent": Slack's answer was lost and the channel could not be read to
    # check, so it was not posted again (at most once, never twice).
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    # The Slack workspace it goes to: an agency client's name (its own token), None for the
    # top-level slack:. Recorded when planned, so a retry goes to the same workspace.
    workspace: Mapped[str | None] = mapped_column(String(200))


class AlertDelivery(Base):
    """One outbox message to one Apprise destination (e-mail, Teams, a webhook, ...).

    Slack's own delivery stays on AlertMessage; each other destination has its row, so one that
    failed is retried without sending again to one that succeeded. `destination` is a digest of
    the URL: URLs can hold secrets and are never stored.
    """

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("message_id", "destination", name="uq_alert_deliveries_message_destination"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("alert_messages.id", ondelete="CASCADE"), index=True)
    destination: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    attempt_started_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertMessageMention(Base):
    """Which mentions a message is about (one for an alert, many for a digest or a baseline)."""

    __tablename__ = "alert_message_mentions"

    message_id: Mapped[int] = mapped_column(ForeignKey("alert_messages.id", ondelete="CASCADE"), primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)


class MentionAction(Base):
    """One thing a person did about a mention (handled, dismissed, assigned, ...), for its history."""

    __tablename__ = "mention_actions"
    __table_args__ = (UniqueConstraint("mention_id", "key", name="uq_mention_actions_mention_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    # Where it was done: cli, slack, web, reaction, reply, system.
    via: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The caller's idempotency key (e.g. Slack's action_ts): a redelivered click changes nothing.
    key: Mapped[str | None] = mapped_column(String(200))


class Reply(Base):
    """An owner's public answer to a mention, recorded before it is sent so it is sent once."""

    __tablename__ = "replies"
    __table_args__ = (
        # One live row per review and text: whoever sends it, however often, it is claimed once.
        UniqueConstraint("mention_id", "claim", name="uq_replies_mention_claim"),
        # At most one reply per review on its way (pending or unknown): `--replace`s take turns.
        UniqueConstraint("in_flight", name="uq_replies_in_flight"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(20))
    # pending (being sent now), unknown (sent, but the answer was lost: read back before any
    # new upload), sent, failed.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    claim: Mapped[str | None] = mapped_column(String(64))
    """The text's digest while this row is the review's reply or on its way; NULL once it failed or
    was replaced (so the same text may be sent again then)."""
    in_flight: Mapped[int | None] = mapped_column(Integer)
    """The mention's id while pending or unknown, else NULL: one reply per review on its way."""
    attempt_at: Mapped[datetime | None]
    """When the upload was last started (how long an unknown outcome is waited for)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Bumped by each change of status, so two doors settling one row cannot both win."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    platform_reply_id: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    # The earlier reply this one replaced (`reply --replace`).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="SET NULL"))


class PlatformSecret(Base):
    """A credential a person granted through `mentionwatch connect` (a Google refresh token).

    Stored encrypted (Fernet, keyed from MENTIONWATCH_SECRET_KEY), never in config.yaml.
    """

    __tablename__ = "platform_secrets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    encrypted: Mapped[str] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(500))
    """Who granted it, when the platform says (shown by `connect`, never secret)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebUser(Base):
    """A person who may sign in to the web inbox (`mentionwatch user add`)."""

    __tablename__ = "web_users"
    __table_args__ = (Index("ix_web_users_api_token", "api_token_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # argon2id, with its parameters and salt, as argon2-cffi writes it.
    password_hash: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The read-only JSON API's token (`mentionwatch user token NAME`): only its SHA-256 is kept.
    api_token_hash: Mapped[str | None] = mapped_column(String(64))
    # An agency's client (`user add NAME --client C`): the user sees only its businesses. None: all.
    client: Mapped[str | None] = mapped_column(String(200))


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored here."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("web_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class StreamCursor(Base):
    """Where the last read of a shared stream (reddit, hackernews, bluesky) stopped."""

    __tablename__ = "stream_cursors"

    network: Mapped[str] = mapped_column(String(20), primary_key=True)
    # Per listing of the network: the newest item read ({"id": ..., "at": ...}); Jetstream: time_us.
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StreamGap(Base):
    """A stretch of a stream that moved faster than it was read: items in it were never seen."""

    __tablename__ = "stream_gaps"
    __table_args__ = (Index("ix_stream_gaps_recorded_at", "recorded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(20))
    listing: Mapped[str] = mapped_column(String(40))
    unread_from: Mapped[datetime]
    """The newest item read before the gap (the cursor)."""
    unread_to: Mapped[datetime]
    """The oldest item read after it."""
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiBudget(Base):
    """What a platform's API said of its rate limit at its last answer, and the requests made today.

    One row per API (the source type: reddit, yelp, appstore_connect, ...): its limit is the
    client's or key's, shared by every source of the type. Written after each crawl
    (crawlers.budget); `check` shows it beside the pace.
    """

    __tablename__ = "api_budgets"

    api: Mapped[str] = mapped_column(String(40), primary_key=True)
    limit: Mapped[int | None] = mapped_column(Integer, default=None)
    """Requests the window allows (e.g. Yelp's RateLimit-DailyLimit), when the API says."""
    remaining: Mapped[int | None] = mapped_column(Integer, default=None)
    """Requests left in the window at the last answer, when the API says."""
    window: Mapped[str | None] = mapped_column(String(20), default=None)
    """What the limit counts: 'minute', 'hour', 'rolling hour', 'day' (None when not known)."""
    resets_at: Mapped[datetime | None] = mapped_column(default=None)
    seen_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the API last gave its rate-limit headers."""
    day: Mapped[str] = mapped_column(String(10))
    """The UTC day (YYYY-MM-DD) `requests_today` counts."""
    requests_today: Mapped[int] = mapped_column(Integer, default=0)
