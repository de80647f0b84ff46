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

from pipeline.errors import MentionwatchError
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


# --------------------------------------------------------------------------- replies


class ReplyExists(ActionError):
    """The review already has a reply; replacing it needs `replace=True` (--replace)."""


class NoReplyApi(ActionError):
    """The mention's platform takes no replies through an API: answer by hand at `link`."""

    def __init__(self, message: str, link: str):
        super().__init__(message)
        self.link = link


def reply(session: Session, settings: Any, mention_id: int, text: str, by: str, via: str,
          replace: bool = False) -> Outcome:
    """Post `text` as the business's public reply to a review, exactly once; mark the mention handled.

    Unlike the other actions this one commits, because a reply sent to a platform cannot be
    rolled back: the intent is committed as a 'pending' reply before anything is sent, and
    before sending, the platform's stored reply is read, so a reply that was accepted but whose
    answer was lost (or a command interrupted, or run twice) is recorded as sent, never sent
    again. An existing reply with another text is replaced only with `replace=True`.
    """
    from crawlers.platforms.replies import manual_reply_hint, replier_for
    from crawlers.platforms.vault import with_stored_credentials
    from pipeline.models import Reply

    text = text.strip()
    if not text:
        raise ActionError("the reply is empty: nothing was sent")
    mention = get_mention(session, mention_id)
    source = _configured_source(session, settings, mention)
    replier = replier_for(source, with_stored_credentials(session, settings.credentials),
                          settings.crawler.download_timeout) if source is not None else None
    if replier is None:
        raise NoReplyApi(f"{manual_reply_hint(mention.source_type)}; answer by hand at {mention.url}", mention.url)
    try:
        if replier.max_length and len(text) > replier.max_length:
            raise ActionError(f"the reply is {len(text)} characters; {mention.source_type} accepts at most "
                              f"{replier.max_length}: nothing was sent")
        stored = replier.stored_reply(mention.url)
        pending = list(session.scalars(select(Reply).where(Reply.mention_id == mention_id, Reply.status == "pending")))
        in_flight_since = utcnow() - timedelta(seconds=2 * settings.crawler.download_timeout + 30)
        for earlier in pending:
            # An earlier attempt whose outcome was never recorded: the platform says what happened.
            if stored is not None and stored.text.strip() == earlier.text.strip():
                _mark_sent(earlier, stored, utcnow())
            elif earlier.created_at > in_flight_since:
                # Not on the platform yet, and recent: another door may be sending it this moment.
                raise ActionError(f"another reply to mention {mention_id} is being sent right now: nothing was "
                                  "sent; run again in a minute")
            elif earlier.text.strip() != text:
                earlier.status, earlier.error = "failed", "not on the platform: interrupted before it was sent"
        session.commit()
        done = next((r for r in pending if r.status == "sent" and r.text.strip() == text), None)
        if done is not None:
            return _replied(session, mention, done, by, "Reply found on the platform (sent before); recorded")
        if stored is not None and stored.text.strip() == text and not any(r.status == "pending" for r in pending):
            raise ReplyExists(f"mention {mention_id} already has this reply: nothing was sent")
        previous = _latest_sent(session, mention_id)
        if stored is not None and not replace:
            shown = " ".join(stored.text.split())
            raise ReplyExists(f"mention {mention_id} already has a reply: \"{shown[:300]}\"; run again with "
                              "--replace to replace it (nothing was sent)")
        intent = next((r for r in pending if r.status == "pending" and r.text.strip() == text), None)
        if intent is None:
            intent = Reply(mention_id=mention_id, text=text, author=by, via=via, status="pending",
                           created_at=utcnow(), replaces_id=previous.id if previous and stored else None)
            session.add(intent)
        session.commit()  # the intent is on disk before the platform hears of it
        # Two doors at once (a Slack click and the CLI): both intents are on disk now; the older sends.
        rival = session.scalar(select(Reply.id).where(Reply.mention_id == mention_id, Reply.status == "pending",
                                                      Reply.id < intent.id))
        if rival is not None:
            intent.status, intent.error = "failed", f"reply {rival} was being sent at the same time"
            session.commit()
            raise ActionError(f"another reply to mention {mention_id} is being sent right now: nothing was sent")
        try:
            answer = replier.send(mention.url, text)
        except MentionwatchError as exc:
            answer = _stored_after_failure(session, replier, mention, intent, exc)
        _mark_sent(intent, answer, utcnow())
        return _replied(session, mention, intent, by, f"Replied by {by}")
    finally:
        replier.close()


def _stored_after_failure(session: Session, replier: Any, mention: Mention, intent: Any, exc: MentionwatchError) -> Any:
    """After a failed send, the platform's reply if it has ours after all (the answer was lost);
    otherwise the failure is recorded and raised."""
    try:
        stored = replier.stored_reply(mention.url)
    except MentionwatchError:
        session.commit()  # the outcome is unknown: it stays pending, and the next attempt checks first
        raise ActionError(f"{exc}; whether the reply arrived is not known: run the same command again, it checks "
                          "the platform before sending") from None
    if stored is not None and stored.text.strip() == intent.text.strip():
        return stored
    intent.status, intent.error = "failed", str(exc)[:1000]
    session.commit()
    raise exc


def _mark_sent(row: Any, answer: Any, now: datetime) -> None:
    row.status, row.sent_at, row.error = "sent", now, None
    row.platform_reply_id = answer.platform_id


def _latest_sent(session: Session, mention_id: int) -> Any:
    from pipeline.models import Reply

    return session.scalars(select(Reply).where(Reply.mention_id == mention_id, Reply.status == "sent")
                           .order_by(Reply.created_at.desc(), Reply.id.desc()).limit(1)).first()


def _replied(session: Session, mention: Mention, row: Any, by: str, summary: str) -> Outcome:
    """A sent reply: the mention is handled (via "reply"), its history says so, its alert is re-rendered."""
    handle(session, mention.id, by, via="reply", at=row.sent_at)
    _record(session, mention, "replied", by, "reply", f"reply:{row.id}", row.sent_at or utcnow(),
            {"reply_id": row.id, "replaces": row.replaces_id})
    took = time_to_handle(mention)
    if took is not None and summary.startswith("Replied"):
        summary += f" in {describe_duration(took)}"
    session.commit()
    return Outcome(mention, "replied", True, summary)


def _configured_source(session: Session, settings: Any, mention: Mention) -> Any:
    """The config.yaml source the mention was found by (None when it was removed from the file)."""
    from pipeline.models import Business, Source

    row = session.get(Source, mention.source_id)
    business = session.get(Business, mention.business_id)
    for configured in settings.businesses:
        if business is not None and configured.name == business.name:
            for source in configured.sources:
                if row is not None and source.identity() == row.identity:
                    return source
    return None


@dataclass
class Draft:
    """A suggested reply: `text` from the first fitting template ("" when none fits), `can_send`
    when the mention's platform takes replies from here, else `link` is where to answer by hand."""

    text: str
    can_send: bool
    link: str
    reason: str
    """Why `text` is empty, or why it cannot be sent from here; "" when neither."""


def draft_reply(session: Session, settings: Any, mention_id: int) -> Draft:
    """A suggested reply from the business's `replies:` templates; nothing is sent.

    The first template whose label fits the mention's and whose aspect the review mentions wins;
    {first_name} is the reviewer's first name ("there" when unknown), {business} the business.
    """
    from crawlers.platforms.replies import has_reply_api, manual_reply_hint
    from pipeline.models import Business

    mention = get_mention(session, mention_id)
    business = session.get(Business, mention.business_id)
    configured = next((b for b in settings.businesses if business is not None and b.name == business.name), None)
    can_send = has_reply_api(_configured_source(session, settings, mention), settings.credentials)
    reason = "" if can_send else f"{manual_reply_hint(mention.source_type)}; answer by hand at {mention.url}"
    said = f"{mention.title or ''} {mention.text or ''}".lower()
    for template in (configured.replies if configured else ()):
        if template.label and template.label != mention.label:
            continue
        if template.aspect and template.aspect.lower() not in said:
            continue
        text = template.text.format(first_name=_first_name(mention.author), business=configured.name)  # type: ignore[union-attr]
        return Draft(text, can_send, mention.url, reason)
    if configured is None or not configured.replies:
        why = (f"no reply templates for {business.name if business else 'this business'}: add `replies:` to the "
               "business in config.yaml (see docs/platforms.md)")
    else:
        why = (f"no reply template fits mention {mention_id} (label {mention.label or 'none'}): add a template "
               "without `label` and `aspect` as the fallback")
    # Where nothing can be sent from here, answering by hand matters more than a missing template.
    return Draft("", can_send, mention.url, why if can_send else reason)


def _first_name(author: str | None) -> str:
    words = (author or "").split()
    if not words or author in ("A Google user", "Anonymous"):
        return "there"
    return words[0]
