"""Keeping a sent alert true to what the team did: its message is re-rendered and updated in place.

An action on an alerted mention (respond.actions: handled, dismissed, assigned, snoozed, ...)
sets `Mention.alert_refresh_due`. `refresh_due_alerts` renders the alert again from the store
(who did what and when, the buttons that now apply) and replaces every sent copy with
`chat.update`. The flag is cleared only when Slack took every update, so whatever failed is tried
again by the listener's next action or by the next `run`. A message Slack no longer has (deleted,
or too old to edit) is not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.config import AlertsConfig
from alerts.messages import alert_message
from alerts.views import Catalog
from pipeline.models import (
    AlertMessage,
    AlertMessageMention,
    Business,
    Mention,
    Source,
    utcnow,
)

log = logging.getLogger(__name__)

# Slack's answers for a message that can never be updated: retrying would not help.
GONE = {"message_not_found", "channel_not_found", "cant_update_message", "edit_window_closed", "is_archived",
        "not_in_channel"}


@dataclass
class Refreshed:
    updated: int = 0
    """Messages Slack updated."""
    mentions: int = 0
    """Mentions whose alerts are now up to date."""
    problems: list[str] = field(default_factory=list)


def refresh_due_alerts(session: Session, client: WebClient | Mapping[str | None, WebClient], settings: AlertsConfig,
                       now: datetime | None = None, mention_ids: list[int] | None = None) -> Refreshed:
    """Re-render and `chat.update` the alerts of mentions flagged `alert_refresh_due`; commit per mention.

    `client`: one WebClient for the top-level Slack, or one per workspace key (an agency client's
    name, None for the top-level one). A mention with an alert in a workspace not given keeps
    its flag for a caller that has that workspace's client.

    `mention_ids` limits it to those mentions (the listener refreshes the one it just changed).
    Stops at the first failure that is not about one message (Slack down, rate limited past the
    retries): those mentions keep their flag for the next try.
    """
    now = now or utcnow()
    clients = client if isinstance(client, Mapping) else {None: client}
    catalog = Catalog(settings)
    query = (
        select(Mention, Business.name, Source.identity)
        .join(Business, Business.id == Mention.business_id)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.alert_refresh_due)
        .order_by(Mention.id)
    )
    if mention_ids is not None:
        query = query.where(Mention.id.in_(mention_ids))
    result = Refreshed()
    for mention, business, identity in session.execute(query).all():
        text, blocks = alert_message(catalog.view(mention, business, identity), now, catalog.highlighter(business))
        messages = sent_alerts(session, mention.id)
        if any(message.workspace not in clients for message in messages):
            continue
        try:
            for message in messages:
                if _update(clients[message.workspace], message, text, blocks):
                    message.text, message.blocks = text, blocks
                    result.updated += 1
        except SlackUnavailable as exc:
            session.rollback()
            result.problems.append(str(exc))
            log.info("alert updates stopped: %s; they are retried on the next run", exc)
            break
        mention.alert_refresh_due = False
        session.commit()
        result.mentions += 1
    return result


def sent_alerts(session: Session, mention_id: int) -> list[AlertMessage]:
    """The alert messages Slack accepted for this mention (its channel's, the urgent channel's, a re-raise)."""
    return list(session.scalars(
        select(AlertMessage)
        .join(AlertMessageMention, AlertMessageMention.message_id == AlertMessage.id)
        .where(AlertMessageMention.mention_id == mention_id, AlertMessage.kind == "alert",
               AlertMessage.slack_ts.is_not(None), AlertMessage.sent_at.is_not(None))
        .order_by(AlertMessage.id)
    ))


class SlackUnavailable(Exception):
    """Slack could not take an update now (unreachable, rate limited, a bad token)."""


def _update(client: WebClient, message: AlertMessage, text: str, blocks: list) -> bool:
    """chat.update one message; False when Slack no longer has it; SlackUnavailable to retry later."""
    try:
        client.chat_update(channel=message.slack_channel or message.channel, ts=message.slack_ts, text=text,
                           blocks=blocks)
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        if error in GONE:
            log.info("alert %s cannot be updated any more: %s", message.id, error)
            return False
        raise SlackUnavailable(f"Slack refused to update an alert: {error or exc.response.status_code}") from None
    except (SlackClientError, OSError) as exc:
        raise SlackUnavailable(f"Slack unreachable while updating an alert: {type(exc).__name__}") from None
    return True
