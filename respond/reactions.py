"""Did anyone respond? A ✅ reaction on an alert, or `mentionwatch handle ID`, marks it handled.

Reactions are read with `reactions.get` on each run, for alerts of the last FOLLOW_UP_DAYS days
whose mentions are not yet handled. Slack does not say when a reaction was added, so a mention
counts as handled when the run first sees the reaction (at most one run interval late).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from alerts.outbox import ALERT_KINDS
from alerts.planner import FOLLOW_UP_DAYS
from pipeline.models import AlertMessage, AlertMessageMention, Mention
from respond import actions

log = logging.getLogger(__name__)
TRACKED_KINDS = ALERT_KINDS  # a reaction on these means "handled"
SCOPE_HINT = "add the reactions:read scope to the Slack app and reinstall it"


@dataclass
class ReactionsRead:
    checked: int = 0
    handled: int = 0
    problems: list[str] = field(default_factory=list)


def read_reactions(session: Session, client: WebClient, reaction: str, now: datetime,
                   workspace: str | None = None) -> ReactionsRead:
    """Mark handled the mentions whose alert, posted in `workspace` (None: the top-level Slack, else
    an agency client's own), carries `reaction`; commit per message."""
    result = ReactionsRead()
    unhandled = exists().where(
        AlertMessageMention.message_id == AlertMessage.id,
        AlertMessageMention.mention_id == Mention.id,
        Mention.handled_at.is_(None),
    )
    messages = session.scalars(
        select(AlertMessage).where(
            AlertMessage.kind.in_(TRACKED_KINDS), AlertMessage.slack_ts.is_not(None),
            AlertMessage.sent_at >= now - timedelta(days=FOLLOW_UP_DAYS), unhandled,
            AlertMessage.workspace.is_(None) if workspace is None else AlertMessage.workspace == workspace,
        ).order_by(AlertMessage.id)
    ).all()
    for message in messages:
        try:
            response = client.reactions_get(channel=message.slack_channel or message.channel,
                                            timestamp=message.slack_ts, full=True)
        except SlackApiError as exc:
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if error in ("message_not_found", "channel_not_found", "thread_not_found"):
                continue  # deleted: nothing to read
            hint = f" ({SCOPE_HINT})" if error == "missing_scope" else ""
            result.problems.append(f"cannot read reactions: {error or exc.response.status_code}{hint}")
            break
        except (SlackClientError, OSError) as exc:
            result.problems.append(f"cannot read reactions: Slack unreachable: {type(exc).__name__}")
            break
        result.checked += 1
        users = _users_who_reacted(response.get("message") or {}, reaction)
        if users:
            result.handled += mark_handled_by_message(session, message.id, users[0], now)
            session.commit()
    return result


def _users_who_reacted(message: dict, reaction: str) -> list[str]:
    for item in message.get("reactions") or []:
        # "white_check_mark::skin-tone-2" is the same reaction in another skin tone.
        if str(item.get("name", "")).split("::")[0] == reaction:
            return [str(u) for u in item.get("users") or []] or ["someone"]
    return []


def mark_handled_by_message(session: Session, message_id: int, by: str, now: datetime) -> int:
    """Mark handled the not yet handled mentions a message is about; return how many."""
    ids = session.scalars(
        select(AlertMessageMention.mention_id).where(AlertMessageMention.message_id == message_id)
    ).all()
    return sum(actions.handle(session, mention_id, by, via="reaction", at=now).changed for mention_id in ids)
