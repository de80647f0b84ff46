"""The outbox: messages owed to Slack, each sent once and marked only after Slack accepted it.

Messages are sent urgent first, in the order they were planned within each channel, taking
channels in turn (the poster paces each channel to about one post a second). A message Slack
refuses for its own reasons (an unknown channel) is skipped and its channel set aside for this
run; any other failure (Slack down, rate limited past the retries) stops delivery, and whatever
is left goes out on the next run. Each message is committed on its own, so what was sent stays
sent whatever happens next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from alerts.slack import MessageRejected, Poster
from mentionwatch.errors import DeliveryError
from pipeline.models import AlertMessage, AlertMessageMention, Mention

log = logging.getLogger(__name__)


@dataclass
class Delivered:
    sent: int = 0
    problems: list[str] = field(default_factory=list)


def deliverable(session: Session, now: datetime) -> list[AlertMessage]:
    """Unsent messages whose time has come, urgent first, then in the order they were planned."""
    return list(session.scalars(
        select(AlertMessage)
        .where(AlertMessage.sent_at.is_(None), or_(AlertMessage.not_before.is_(None), AlertMessage.not_before <= now))
        .order_by(AlertMessage.urgent.desc(), AlertMessage.id)
    ))


def interleaved(messages: list[AlertMessage]) -> list[AlertMessage]:
    """Round robin over channels (urgent ones first), keeping each channel's order.

    Slack's pace is per channel: while one channel waits its second, another can take a post.
    """
    order: list[AlertMessage] = []
    for urgent in (True, False):
        queues: dict[str, list[AlertMessage]] = {}
        for message in messages:
            if message.urgent == urgent:
                queues.setdefault(message.channel, []).append(message)
        while queues:
            for channel in list(queues):
                order.append(queues[channel].pop(0))
                if not queues[channel]:
                    del queues[channel]
    return order


def deliver(session: Session, poster: Poster, clock: Callable[[], datetime]) -> Delivered:
    """Send what is deliverable now; see the module doc for what happens on failures."""
    result = Delivered()
    refused_channels: set[str] = set()
    for message in interleaved(deliverable(session, clock())):
        if message.channel in refused_channels:
            continue
        try:
            posted = poster.post(message.channel, message.text, message.blocks, message.thread_ts)
        except DeliveryError as exc:
            _failed(session, message, str(exc))
            session.commit()
            if isinstance(exc, MessageRejected):
                refused_channels.add(message.channel)
                result.problems.append(f"{message.kind} to {message.channel} refused: {exc} (kept for the next run)")
                continue
            result.problems.append(str(exc))
            log.error("delivery stopped: %s; the rest stays in the outbox for the next run", exc)
            break
        message.sent_at = clock()
        message.slack_channel = posted.channel
        message.slack_ts = posted.ts
        message.last_error = None
        if message.marks_alerted:
            mark_alerted(session, message)
        session.commit()
        result.sent += 1
    return result


def _failed(session: Session, message: AlertMessage, reason: str) -> None:
    message.attempts += 1
    message.last_error = reason
    if message.marks_alerted:
        ids = select(AlertMessageMention.mention_id).where(AlertMessageMention.message_id == message.id)
        session.execute(update(Mention).where(Mention.id.in_(ids)).values(
            alert_attempts=Mention.alert_attempts + 1, alert_error=reason))


def mark_alerted(session: Session, message: AlertMessage) -> None:
    """The message carrying these mentions was accepted: they are alerted."""
    ids = select(AlertMessageMention.mention_id).where(AlertMessageMention.message_id == message.id)
    session.execute(
        update(Mention).where(Mention.id.in_(ids), Mention.alerted_at.is_(None)).values(
            alerted_at=message.sent_at, slack_channel=message.slack_channel, slack_ts=message.slack_ts,
            alert_error=None,
        )
    )


def queued_in_outbox():  # type: ignore[no-untyped-def]
    """SQL: the mention is carried by an outbox message that will mark it alerted."""
    return exists().where(
        AlertMessageMention.mention_id == Mention.id,
        AlertMessageMention.message_id == AlertMessage.id,
        AlertMessage.marks_alerted,
    )


def unsent_count(session: Session) -> int:
    """Messages in the outbox not yet accepted by Slack (failed, or held for quiet hours)."""
    return session.scalar(select(func.count()).select_from(AlertMessage).where(AlertMessage.sent_at.is_(None))) or 0


def held_count(session: Session) -> int:
    """Owed mentions not yet in any message: kept back by quiet hours."""
    return session.scalar(
        select(func.count()).select_from(Mention).where(Mention.alert_due, Mention.alerted_at.is_(None), ~queued_in_outbox())
    ) or 0


def pending_count(session: Session) -> int:
    """What is still to go out: unsent messages plus held alerts."""
    return unsent_count(session) + held_count(session)
