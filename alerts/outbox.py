"""The outbox: mentions owed an alert, delivered once, marked only after Slack accepted them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from alerts.escape import truncate
from alerts.messages import AlertView, alert_message
from alerts.slack import SlackPoster, make_client
from mentionwatch.config import Settings
from mentionwatch.errors import DeliveryError
from pipeline.models import Business, Mention, utcnow

log = logging.getLogger(__name__)
CONSOLE = "console"


@dataclass
class DeliveryResult:
    sent: int = 0
    pending: int = 0
    error: str | None = None


def pending_count(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Mention).where(Mention.alert_due, Mention.alerted_at.is_(None))
    ) or 0


def _pending(session: Session) -> list[tuple[Mention, str]]:
    # Urgent first, then oldest first, so the queue drains in the order it filled.
    query = (
        select(Mention, Business.name)
        .join(Business, Business.id == Mention.business_id)
        .where(Mention.alert_due, Mention.alerted_at.is_(None))
        .order_by(Mention.urgent.desc(), Mention.first_seen_at, Mention.id)
    )
    return list(session.execute(query).tuples())


def view_of(mention: Mention, business: str) -> AlertView:
    return AlertView(
        mention_id=mention.id, business=business, source_type=mention.source_type, url=mention.url,
        title=mention.title, text=mention.text, author=mention.author, published_at=mention.published_at,
        rating=mention.rating, sentiment=mention.sentiment, label=mention.label, urgent=mention.urgent,
        urgent_phrases=mention.urgent_phrases,
    )


def deliver_pending(
    settings: Settings, engine: Engine, console: Console, clock: Callable[[], datetime] = utcnow
) -> DeliveryResult:
    """Send every owed alert; on a Slack failure stop and leave the rest owed for the next run."""
    channels = {b.name: b.channel or settings.slack.channel for b in settings.businesses}
    result = DeliveryResult()
    send = _console_sender(console) if settings.slack.token is None else _slack_sender(settings)
    with Session(engine) as session:
        for mention, business in _pending(session):
            channel = channels.get(business, settings.slack.channel)
            try:
                ts = send(channel, view_of(mention, business))
            except DeliveryError as exc:
                # Each alert is committed on its own, so what was sent stays sent.
                mention.alert_attempts += 1
                mention.alert_error = str(exc)
                session.commit()
                result.error = str(exc)
                log.error("alert for mention %s not delivered: %s (it stays pending)", mention.id, exc)
                break
            mention.alerted_at = clock()
            mention.slack_ts = ts
            mention.slack_channel = channel if ts else CONSOLE
            mention.alert_error = None
            session.commit()
            result.sent += 1
        result.pending = pending_count(session)
    return result


def _slack_sender(settings: Settings) -> Callable[[str, AlertView], str]:
    poster = SlackPoster(make_client(settings.slack))

    def send(channel: str, view: AlertView) -> str:
        text, blocks = alert_message(view)
        return poster.post(channel, text, blocks)

    return send


def _console_sender(console: Console) -> Callable[[str, AlertView], str]:
    """Without Slack credentials, alerts are printed, so a first run shows what would be sent."""

    def send(channel: str, view: AlertView) -> str:
        urgent = "URGENT " if view.urgent else ""
        score = f"{view.sentiment:+.2f}" if view.sentiment is not None else "n/a"
        console.print(
            # Web text is escaped so that "[...]" in a post cannot restyle the terminal output.
            f"[bold red]{urgent}{view.label}[/] ({score}) [bold]{escape(view.business)}[/] via {view.source_type}: "
            f"{escape(truncate(view.title or view.text, 150))}",
            markup=True, highlight=False, soft_wrap=True,
        )
        console.print(f"  {view.url}", markup=False, highlight=False, soft_wrap=True)
        return ""

    return send
