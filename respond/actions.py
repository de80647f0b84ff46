"""What a team can do about a mention: handle, reopen, dismiss, restore, assign, snooze.

The one place these changes are made. The CLI, the Slack listener, the web inbox and the
reaction reader all call these functions; none of them writes mention state or history rows
itself. Each function changes the mention, writes one `MentionAction` row when something
changed, and flags an alerted mention's Slack message for re-rendering (`alert_refresh_due`,
picked up by the alerts room). They commit nothing: the caller owns the transaction.

Idempotent by design: Slack redelivers clicks, people click twice. An action that changes
nothing (handling a handled mention) returns `changed=False` and writes no row, and a repeated
`key` (e.g. Slack's action_ts) for the same mention is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentionwatch.errors import MentionwatchError
from pipeline.models import Mention, MentionAction, utcnow

# Where an action came from, as its history shows it.
VIA = ("cli", "slack", "web", "reaction", "reply", "system")


class ActionError(MentionwatchError):
    """An action that cannot be done (an unknown mention, a bad value)."""


class NoSuchMention(ActionError):
    """No mention has that id."""


@dataclass
class Outcome:
    """What an action did: `changed` is False when it was already so (or a repeated click)."""

    mention: Mention
    action: str
    changed: bool
    summary: str


def get_mention(session: Session, mention_id: int) -> Mention:
    """The mention with this id, or NoSuchMention."""
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise NoSuchMention(f"no mention with id {mention_id}")
    return mention


def handle(session: Session, mention_id: int, by: str, via: str, key: str | None = None,
           at: datetime | None = None) -> Outcome:
    """Mark a mention handled (someone responded); an already handled one keeps its time."""
    mention, at = get_mention(session, mention_id), at or utcnow()
    if mention.handled_at is not None or _seen(session, mention_id, key):
        return Outcome(mention, "handled", False, f"Already handled by {mention.handled_by or 'someone'}")
    mention.handled_at, mention.handled_by = at, by
    took = time_to_handle(mention)
    detail = {"minutes": round(took.total_seconds() / 60)} if took is not None else {}
    _record(session, mention, "handled", by, via, key, at, detail)
    after = f" {describe_duration(took)} after the alert" if took is not None else ""
    return Outcome(mention, "handled", True, f"Handled by {by}{after}")


def reopen(session: Session, mention_id: int, by: str, via: str, key: str | None = None) -> Outcome:
    """Undo `handle`: the mention is open again (it is not alerted a second time)."""
    mention = get_mention(session, mention_id)
    if mention.handled_at is None or _seen(session, mention_id, key):
        return Outcome(mention, "reopened", False, "Not handled yet")
    detail = {"was_handled_by": mention.handled_by}
    mention.handled_at = mention.handled_by = None
    _record(session, mention, "reopened", by, via, key, utcnow(), detail)
    return Outcome(mention, "reopened", True, f"Reopened by {by}")


def dismiss(session: Session, mention_id: int, by: str, via: str, key: str | None = None) -> Outcome:
    """'Not about us': hide the mention from the inbox and reports; it counts toward match suggestions."""
    mention = get_mention(session, mention_id)
    if mention.dismissed_at is not None or _seen(session, mention_id, key):
        return Outcome(mention, "dismissed", False, f"Already dismissed by {mention.dismissed_by or 'someone'}")
    mention.dismissed_at, mention.dismissed_by = utcnow(), by
    _record(session, mention, "dismissed", by, via, key, mention.dismissed_at)
    return Outcome(mention, "dismissed", True, f"Dismissed as not about us by {by}")


def restore(session: Session, mention_id: int, by: str, via: str, key: str | None = None) -> Outcome:
    """Undo `dismiss`: the mention is about us after all."""
    mention = get_mention(session, mention_id)
    if mention.dismissed_at is None or _seen(session, mention_id, key):
        return Outcome(mention, "restored", False, "Not dismissed")
    mention.dismissed_at = mention.dismissed_by = None
    _record(session, mention, "restored", by, via, key, utcnow())
    return Outcome(mention, "restored", True, f"Restored by {by}")


def assign(session: Session, mention_id: int, assignee: str | None, by: str, via: str,
           key: str | None = None) -> Outcome:
    """Give the mention to `assignee` (a name or a Slack user id); None takes it back."""
    mention = get_mention(session, mention_id)
    assignee = (assignee or "").strip() or None
    if mention.assignee == assignee or _seen(session, mention_id, key):
        return Outcome(mention, "assigned", False, f"Already assigned to {assignee}" if assignee else "Not assigned")
    detail = {"assignee": assignee, "previous": mention.assignee}
    mention.assignee, mention.assigned_at = assignee, utcnow() if assignee else None
    _record(session, mention, "assigned" if assignee else "unassigned", by, via, key, utcnow(), detail)
    return Outcome(mention, "assigned", True, f"Assigned to {assignee} by {by}" if assignee else f"Unassigned by {by}")


def snooze(session: Session, mention_id: int, by: str, via: str, days: float = 1, key: str | None = None) -> Outcome:
    """Put the mention aside for `days`; its alert is raised once more when the time is up."""
    if not 0 < days <= 365:
        raise ActionError(f"cannot snooze for {days} days: give a number of days from 1 to 365")
    mention = get_mention(session, mention_id)
    if _seen(session, mention_id, key):
        return Outcome(mention, "snoozed", False, "Already snoozed")
    now = utcnow()
    mention.snoozed_until = now + timedelta(days=days)
    _record(session, mention, "snoozed", by, via, key, now, {"until": mention.snoozed_until.isoformat()})
    return Outcome(mention, "snoozed", True, f"Snoozed by {by} until {mention.snoozed_until:%Y-%m-%d %H:%M} UTC")


def history(session: Session, mention_id: int) -> list[MentionAction]:
    """Everything done about a mention, oldest first."""
    return list(session.scalars(
        select(MentionAction).where(MentionAction.mention_id == mention_id).order_by(MentionAction.at, MentionAction.id)
    ))


def time_to_handle(mention: Mention) -> timedelta | None:
    """From the alert to the handling; None when it was never alerted or is not handled."""
    if mention.alerted_at is None or mention.handled_at is None:
        return None
    return max(timedelta(0), mention.handled_at - mention.alerted_at)


def describe_duration(took: timedelta) -> str:
    """'4 min', '2.5 h', '3 days': how long a person would say it took."""
    minutes = took.total_seconds() / 60
    if minutes < 90:
        return f"{max(1, round(minutes))} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.0f} days"


def _seen(session: Session, mention_id: int, key: str | None) -> bool:
    """Whether this idempotency key was already applied to this mention."""
    if key is None:
        return False
    return session.scalar(
        select(MentionAction.id).where(MentionAction.mention_id == mention_id, MentionAction.key == key)
    ) is not None


def _record(session: Session, mention: Mention, action: str, by: str, via: str, key: str | None,
            at: datetime, detail: dict[str, Any] | None = None) -> None:
    if via not in VIA:
        raise ActionError(f"unknown origin {via!r} for an action; expected one of {', '.join(VIA)}")
    session.add(MentionAction(mention_id=mention.id, action=action, actor=by, via=via, at=at,
                              detail=detail or {}, key=key))
    if mention.alerted_at is not None:
        mention.alert_refresh_due = True
    session.flush()
