"""What an alert shows, read from the store: the mention (AlertView) and the team's work on it (AlertStatus).

Kept apart from the message builders (alerts.messages) and the scorer's explanation (alerts.why),
which both read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AlertView:
    """What an alert shows, read from the store."""

    mention_id: int
    business: str
    source_type: str
    url: str
    title: str | None
    text: str
    author: str | None
    published_at: datetime | None
    rating: float | None
    sentiment: float | None
    label: str | None
    urgent: bool = False
    urgent_phrases: str | None = None
    source_label: str | None = None
    """The source's name from config.yaml, when it has one."""
    driver: str | None = None
    """The sentence that decided the label: the excerpt is placed around it."""
    first_seen_at: datetime | None = None
    timezone: str = "UTC"
    handled_reaction: str = "white_check_mark"
    interactive: bool = False
    """Whether the alert carries the buttons `mentionwatch listen` answers (slack.interactive)."""
    status: AlertStatus | None = None
    """What the team did about it so far, shown under the alert when it is re-rendered."""
    # Why the scorer judged so (alerts.why): VADER's compound, the model's probability, aspects.
    vader_compound: float | None = None
    probability: float | None = None
    aspects: Sequence[str] = ()
    language: str | None = None


@dataclass(frozen=True)
class AlertStatus:
    """The team's work on an alerted mention, as the store has it."""

    alerted_at: datetime | None = None
    handled_at: datetime | None = None
    handled_by: str | None = None
    dismissed_at: datetime | None = None
    dismissed_by: str | None = None
    assignee: str | None = None
    snoozed_until: datetime | None = None
