"""The outbox: messages owed to Slack, each sent once and marked only after Slack accepted it.

Messages are sent urgent first, in the order they were planned within each channel, taking
channels in turn (the poster paces each channel to about one post a second). A message Slack
refuses for its own reasons (an unknown channel) is skipped and its channel set aside for this
run; any other failure (Slack down, rate limited past the retries) stops delivery to that Slack
workspace (an agency's clients may each have their own), and whatever is left goes out on the next run. Each message is committed on its own, so what was sent stays
sent whatever happens next.

Exactly once, even when Slack's answer is lost: before a message is posted, the time of the
attempt is committed (`attempt_started_at`), and each post carries message metadata naming its
outbox row. While that time is set, Slack may hold the message (the answer was a 5xx, a timeout
or a hang-up, or the run was killed before it recorded the answer), so the next attempt, in this
run or a later one, first looks the message up in the channel (`Poster.find`) and records the
found `ts` instead of posting again. Where the channel cannot be read (an incoming webhook, a
token without the history scope), such a message is given up as "maybe sent"
(`outcome_unknown`): at most once, never twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from alerts.slack import (
    CannotLookUp,
    MessageRejected,
    OutcomeUnknown,
    Posted,
    Poster,
    outbox_metadata,
)
from pipeline.errors import DeliveryError
from pipeline.models import AlertDelivery, AlertMessage, AlertMessageMention, Mention

log = logging.getLogger(__name__)

# Within one run, a message whose answer was lost is looked up and tried again this many times.
# Messages about mentions (a reaction on one means "handled"); the rest are summaries and notices.
ALERT_KINDS = ("alert", "digest", "reminder")
IN_RUN_RETRIES = 2
RETRY_PAUSE = 0.5  # seconds, doubled each time: Slack's history may lag its answer a little


@dataclass
class Delivered:
    sent: int = 0
    alerted: set[int] = field(default_factory=set)
    """The mentions that the alerts sent (not baseline summaries or notices) are about: one
    mention alerted in two channels (slack.urgent_channel) is one; a digest counts each of its."""
    baselines: int = 0
    """Of those sent, the summaries of a new source's first crawl."""
    given_up: int = 0
    """Messages whose answer was lost where the channel cannot be read: not posted again."""
    problems: list[str] = field(default_factory=list)

    @property
    def alerts(self) -> int:
        """How many mentions were alerted."""
        return len(self.alerted)


# A report's message is sent by `mentionwatch report` itself (which may run beside `run`); a run
# takes one over only when it is this old: its report was stopped while posting.
REPORT_ORPHANED_AFTER = timedelta(hours=1)


def deliverable(session: Session, now: datetime) -> list[AlertMessage]:
    """Unsent messages whose time has come, urgent first, then in the order they were planned."""
    return list(session.scalars(
        select(AlertMessage)
        .where(AlertMessage.sent_at.is_(None), AlertMessage.to_slack,
               or_(AlertMessage.not_before.is_(None), AlertMessage.not_before <= now),
               or_(AlertMessage.kind != "report", AlertMessage.created_at < now - REPORT_ORPHANED_AFTER))
        .order_by(AlertMessage.urgent.desc(), AlertMessage.id)
    ))


def interleaved(messages: list[AlertMessage]) -> list[AlertMessage]:
    """Round robin over channels (urgent ones first), keeping each channel's order.

    Slack's pace is per channel: while one channel waits its second, another can take a post.
    """
    order: list[AlertMessage] = []
    for urgent in (True, False):
        queues: dict[tuple[str | None, str], list[AlertMessage]] = {}
        for message in messages:
            if message.urgent == urgent:
                queues.setdefault((message.workspace, message.channel), []).append(message)
        while queues:
            for channel in list(queues):
                order.append(queues[channel].pop(0))
                if not queues[channel]:
                    del queues[channel]
    return order


def deliver(session: Session, posters: Poster | Mapping[str | None, Poster],
            clock: Callable[[], datetime]) -> Delivered:
    """Send what is deliverable now, each message through the poster of its Slack workspace
    (`posters` by workspace key, or one poster for the top-level workspace); see the module doc
    for what happens on failures. A workspace that fails is set aside; the others go on."""
    if not isinstance(posters, Mapping):
        posters = {None: posters}
    result = Delivered()
    refused_channels: set[tuple[str | None, str]] = set()
    stopped: set[str | None] = set()
    for message in interleaved(deliverable(session, clock())):
        where = (message.workspace, message.channel)
        if where in refused_channels or message.workspace in stopped:
            continue
        poster = posters.get(message.workspace)
        if poster is None:
            # Its client's Slack left config.yaml: kept, never sent to another client's workspace.
            stopped.add(message.workspace)
            result.problems.append(f"{message.kind} to {message.channel}: the Slack of client {message.workspace!r} "
                                   "is not configured any more (kept in the outbox)")
            continue
        try:
            posted = send_once(session, poster, message, clock)
        except DeliveryError as exc:
            _failed(session, message, str(exc))
            session.commit()
            if isinstance(exc, MessageRejected):
                refused_channels.add(where)
                result.problems.append(f"{message.kind} to {message.channel} refused: {exc} (kept for the next run)")
                continue
            result.problems.append(str(exc))
            # Said once, by the caller that prints or logs result.problems; here only for -v.
            log.info("delivery stopped%s: %s; the rest stays in the outbox for the next run",
                      f" for client {message.workspace}" if message.workspace else "", exc)
            stopped.add(message.workspace)
            continue
        if posted is None:
            result.given_up += 1
            result.problems.append(f"{message.kind} to {message.channel}: {message.last_error}")
        else:
            result.sent += 1
            if message.kind in ALERT_KINDS:
                result.alerted.update(session.scalars(select(AlertMessageMention.mention_id)
                                                      .where(AlertMessageMention.message_id == message.id)))
            result.baselines += message.kind == "baseline"
    return result


def send_once(session: Session, poster: Poster, message: AlertMessage,
              clock: Callable[[], datetime]) -> Posted | None:
    """Post `message` unless Slack already holds it; record and commit the outcome.

    Returns where it went, or None when it was given up as "maybe sent" (see the module doc).
    Raises DeliveryError when it is still owed (the attempt state says whether to look first).
    """
    metadata = outbox_metadata(message.id, message.created_at)
    pause = RETRY_PAUSE
    for attempt in range(IN_RUN_RETRIES + 1):
        if message.attempt_started_at is not None:
            found = _look_up(session, poster, message, metadata)
            if found is None and message.sent_at is not None:
                return None  # given up as maybe sent
            if found is not None:
                log.info("outbox %s was already in Slack (%s); recorded, not posted again", message.id, found.ts)
                _sent(session, message, found, clock())
                return found
        elif poster.records_attempts:
            message.attempt_started_at = clock()
            session.commit()  # before the post: a run killed during it must look first next time
        try:
            posted = poster.post(message.channel, message.text, message.blocks, message.thread_ts, metadata)
        except OutcomeUnknown as exc:
            if not poster.can_look_up:
                _give_up(session, message, f"{exc}; not posted again: {_why_no_look_up(poster)}", clock())
                return None
            if attempt == IN_RUN_RETRIES:
                raise
            log.warning("outbox %s: %s; looking it up before trying again", message.id, exc)
            time.sleep(pause)
            pause *= 2
            continue
        except DeliveryError:
            # A definite answer: Slack did not take it (and found nothing from earlier attempts).
            message.attempt_started_at = None
            raise
        _sent(session, message, posted, clock())
        return posted
    raise AssertionError("unreachable")


def _look_up(session: Session, poster: Poster, message: AlertMessage,
             metadata: dict) -> Posted | None:
    """The message if Slack holds it; None if not. Gives the message up when the channel cannot be read."""
    if not poster.can_look_up:
        _give_up(session, message, "an earlier attempt's outcome is unknown (the run may have been stopped "
                 f"while posting); not posted again: {_why_no_look_up(poster)}", message.attempt_started_at)
        return None
    same_workspace = (AlertMessage.workspace.is_(None) if message.workspace is None
                      else AlertMessage.workspace == message.workspace)
    hint = session.scalar(select(AlertMessage.slack_channel).where(
        AlertMessage.channel == message.channel, same_workspace, AlertMessage.slack_channel.is_not(None)).limit(1))
    assert message.attempt_started_at is not None
    try:
        return poster.find(message.channel, metadata, message.attempt_started_at, hint)  # type: ignore[attr-defined]
    except CannotLookUp as exc:
        _give_up(session, message, f"Slack's answer was lost and {exc}; not posted again (at most once)",
                 message.attempt_started_at)
        return None


def _why_no_look_up(poster: Poster) -> str:
    return ("an incoming webhook cannot read the channel to check" if not poster.can_route
            else "this poster cannot read the channel to check")


def _sent(session: Session, message: AlertMessage, posted: Posted, now: datetime) -> None:
    message.sent_at = now
    message.slack_channel = posted.channel
    message.slack_ts = posted.ts
    message.last_error = None
    message.attempt_started_at = None
    if message.marks_alerted:
        mark_alerted(session, message)
    session.commit()


def _give_up(session: Session, message: AlertMessage, reason: str, now: datetime | None) -> None:
    """At most once: Slack may hold the message and we cannot check, so it is not posted again."""
    log.warning("outbox %s given up as maybe sent: %s", message.id, reason)
    message.sent_at = now or message.created_at
    message.outcome_unknown = True
    message.last_error = reason
    message.attempt_started_at = None
    if message.marks_alerted:
        mark_alerted(session, message)
        ids = select(AlertMessageMention.mention_id).where(AlertMessageMention.message_id == message.id)
        session.execute(update(Mention).where(Mention.id.in_(ids)).values(alert_error=reason))
    session.commit()


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


def held_count(session: Session) -> int:
    """Owed mentions not yet in any message: kept back by quiet hours."""
    return session.scalar(
        select(func.count()).select_from(Mention).where(Mention.alert_due, Mention.alerted_at.is_(None), ~queued_in_outbox())
    ) or 0


def pending_count(session: Session) -> int:
    """What is still to go out, counted as Delivered counts what went: each mention whose alert
    waits once (in two channels, or for Slack and an e-mail, it is still one), each other message
    (a summary, a notice) once, and the mentions held back by quiet hours."""
    waiting = select(AlertMessage.id, AlertMessage.kind).where(or_(
        (AlertMessage.sent_at.is_(None)) & AlertMessage.to_slack,  # not yet accepted by Slack
        exists().where(AlertDelivery.message_id == AlertMessage.id, AlertDelivery.sent_at.is_(None)),
    )).subquery()
    mentions = session.scalar(
        select(func.count(AlertMessageMention.mention_id.distinct()))
        .join(waiting, waiting.c.id == AlertMessageMention.message_id)
        .where(waiting.c.kind.in_(ALERT_KINDS))) or 0
    others = session.scalar(select(func.count()).select_from(waiting).where(waiting.c.kind.not_in(ALERT_KINDS))) or 0
    return mentions + others + held_count(session)
