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

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts.escape import visible
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


# Ids are 32-bit integers on PostgreSQL: a larger number names no mention (and must not reach the driver).
MAX_ID = 2**31 - 1


def get_mention(session: Session, mention_id: int) -> Mention:
    """The mention with this id, or NoSuchMention."""
    mention = session.get(Mention, mention_id) if 0 < mention_id <= MAX_ID else None
    if mention is None:
        raise NoSuchMention(f"no mention with id {mention_id}")
    return mention


def lock_mention(session: Session, mention_id: int) -> Mention:
    """The mention, locked until the transaction ends, read afresh: two doors acting on one mention at
    once take turns, and the second sees the first's result. A write takes the lock on both
    backends (PostgreSQL's row lock; SQLite's database write lock, waited for up to busy_timeout)."""
    if not 0 < mention_id <= MAX_ID:
        raise NoSuchMention(f"no mention with id {mention_id}")
    table = Mention.__table__
    # A write that changes nothing (not a key, no full-text trigger) is what takes the lock.
    if not session.execute(update(table).where(table.c.id == mention_id)
                           .values(handled_by=table.c.handled_by)).rowcount:
        raise NoSuchMention(f"no mention with id {mention_id}")
    return session.get(Mention, mention_id, populate_existing=True)  # type: ignore[return-value]


def handle(session: Session, mention_id: int, by: str, via: str, key: str | None = None,
           at: datetime | None = None) -> Outcome:
    """Mark a mention handled (someone responded); an already handled one keeps its time."""
    mention, at = lock_mention(session, mention_id), at or utcnow()
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
    mention = lock_mention(session, mention_id)
    if mention.handled_at is None or _seen(session, mention_id, key):
        return Outcome(mention, "reopened", False, "Not handled yet")
    detail = {"was_handled_by": mention.handled_by}
    mention.handled_at = mention.handled_by = None
    _record(session, mention, "reopened", by, via, key, utcnow(), detail)
    return Outcome(mention, "reopened", True, f"Reopened by {by}")


def dismiss(session: Session, mention_id: int, by: str, via: str, key: str | None = None) -> Outcome:
    """'Not about us': hide the mention from the inbox and reports; it counts toward match suggestions."""
    mention = lock_mention(session, mention_id)
    if mention.dismissed_at is not None or _seen(session, mention_id, key):
        return Outcome(mention, "dismissed", False, f"Already dismissed by {mention.dismissed_by or 'someone'}")
    mention.dismissed_at, mention.dismissed_by = utcnow(), by
    _record(session, mention, "dismissed", by, via, key, mention.dismissed_at)
    return Outcome(mention, "dismissed", True, f"Dismissed as not about us by {by}")


def restore(session: Session, mention_id: int, by: str, via: str, key: str | None = None) -> Outcome:
    """Undo `dismiss`: the mention is about us after all."""
    mention = lock_mention(session, mention_id)
    if mention.dismissed_at is None or _seen(session, mention_id, key):
        return Outcome(mention, "restored", False, "Not dismissed")
    mention.dismissed_at = mention.dismissed_by = None
    _record(session, mention, "restored", by, via, key, utcnow())
    return Outcome(mention, "restored", True, f"Restored by {by}")


def assign(session: Session, mention_id: int, assignee: str | None, by: str, via: str,
           key: str | None = None) -> Outcome:
    """Give the mention to `assignee` (a name or a Slack user id); None takes it back."""
    mention = lock_mention(session, mention_id)
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
    mention = lock_mention(session, mention_id)
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


class ReplyInProgress(ActionError):
    """A reply to this review is on its way (being sent now, or sent with an outcome not known
    yet): nothing more is sent until it is settled."""


def reply_claim(text: str) -> str:
    """The claim a reply's text takes on its review: one row per review and text."""
    return hashlib.sha256(text.strip().encode()).hexdigest()


def reply(session: Session, settings: Any, mention_id: int, text: str, by: str, via: str,
          replace: bool = False) -> Outcome:
    """Post `text` as the business's public reply to a review, exactly once; mark the mention handled.

    Unlike the other actions this one commits, because a reply sent to a platform cannot be
    rolled back. Whoever sends it and however often, one row per review and text is claimed
    (a unique claim, taken under the mention's lock) before anything is sent, and at most one
    reply per review is on its way at a time: a later request is told that row's state ("already
    sent by dana", "being sent"). An upload whose answer was lost is `unknown`, not failed:
    before any new upload to that review the platform is read back, and an unknown reply that
    it does not show yet blocks new uploads until the platform's read-back delay has passed
    (Replier.shows_reply_within). An existing reply with another text is replaced only with
    `replace=True`.
    """
    from crawlers.platforms.replies import manual_reply_hint, replier_for
    from crawlers.platforms.vault import with_stored_credentials

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
        # A pending row younger than this may be in the middle of its upload (two timeouts: read, send).
        in_flight_for = timedelta(seconds=2 * settings.crawler.download_timeout + 30)
        claimed = _claim(session, replier, mention, text, by, via, in_flight_for)
        if isinstance(claimed, Outcome):
            return claimed
        return _upload(session, replier, mention, claimed, by, replace)
    finally:
        replier.close()


def _claim(session: Session, replier: Any, mention: Mention, text: str, by: str, via: str,
           in_flight_for: timedelta) -> Any:
    """The new pending row for `text`, claimed for this caller; or the Outcome when settling an
    earlier upload showed this very reply on the platform. Raises what a later request is told."""
    from pipeline.models import Reply

    claim = reply_claim(text)
    for _ in range(5):
        lock_mention(session, mention.id)  # decisions about one review's replies take turns
        rows = list(session.scalars(select(Reply).where(
            Reply.mention_id == mention.id, or_(Reply.claim == claim, Reply.status.in_(("pending", "unknown"))))
            .order_by(Reply.id).execution_options(populate_existing=True)))
        done = next((r for r in rows if r.claim == claim and r.status == "sent"), None)
        if done is not None:
            session.commit()
            raise ReplyExists(f"mention {mention.id} already has this reply: nothing was sent ({_sent_by(done)})")
        on_its_way = [r for r in rows if r.status in ("pending", "unknown")]
        busy = next((r for r in on_its_way if r.status == "pending" and _started(r) > utcnow() - in_flight_for), None)
        if busy is not None:
            session.commit()
            which = "this reply" if busy.text.strip() == text else "another reply"
            # Until then it may still be uploading; after it, the platform is read back first.
            settled_after = _started(busy) + in_flight_for
            raise ReplyInProgress(f"{which} to mention {mention.id} is being sent right now by {busy.author} via "
                                  f"{busy.via} (since {_started(busy):%H:%M} UTC): nothing was sent; run again "
                                  f"after {settled_after:%H:%M:%S} UTC")
        if on_its_way:
            session.commit()  # the platform is read without holding the lock
            found = _settle(session, replier, mention, on_its_way, in_flight_for)
            if found is not None and found.text.strip() == text:
                return _replied(session, mention, found, found.author,
                                "Reply found on the platform (sent before); recorded")
            continue
        now = utcnow()
        intent = Reply(mention_id=mention.id, text=text, author=by, via=via, status="pending", created_at=now,
                       attempt_at=now, claim=claim, in_flight=mention.id, attempts=1)
        session.add(intent)
        try:
            session.commit()  # the claim is on disk before the platform hears of it
        except IntegrityError:  # another door claimed it a moment before: look again
            session.rollback()
            continue
        return intent
    raise ReplyInProgress(f"replies to mention {mention.id} are changing hands right now: nothing was sent; run "
                          "again in a minute")


def _settle(session: Session, replier: Any, mention: Mention, rows: list[Any], in_flight_for: timedelta) -> Any:
    """Read the platform back for uploads whose outcome was never recorded; each is marked sent
    (shown there), failed (not shown though the platform's delay has passed) or left unknown (not
    shown yet: ReplyInProgress). The row this caller marked sent, if any."""
    try:
        stored = replier.stored_reply(mention.url)
    except MentionwatchError as exc:
        latest = rows[-1]
        raise ReplyInProgress(f"the reply {latest.author} sent at {_started(latest):%H:%M} UTC may have reached "
                              f"{replier.platform}, which cannot be read now ({exc}): nothing was sent; run again "
                              "later") from None
    found, waiting, now = None, None, utcnow()
    for row in rows:
        if stored is not None and stored.text.strip() == row.text.strip():
            if _change(session, row, status="sent", sent_at=now, error=None, in_flight=None,
                       platform_reply_id=stored.platform_id):
                _release_older_claims(session, row)
                found = row
            continue
        shown_by = _started(row) + timedelta(seconds=replier.shows_reply_within)
        if row.status == "pending":  # a door that stopped mid-upload: it may have sent until it gave up
            shown_by += in_flight_for
        if now >= shown_by:
            _change(session, row, status="failed", claim=None, in_flight=None,
                    error=f"not shown by {replier.platform} {replier.shows_reply_within:g} s after it was sent: "
                          "it did not arrive")
        else:
            waiting = (row, shown_by)
    session.commit()
    if waiting is not None and found is None:
        row, shown_by = waiting
        raise ReplyInProgress(
            f"the reply {row.author} sent at {_started(row):%H:%M} UTC (\"{_excerpt(row.text)}\") may still arrive: "
            f"{replier.platform} does not show it yet, and can take up to {replier.shows_reply_within:g} s to. "
            f"Nothing was sent; run again after {shown_by:%H:%M:%S} UTC")
    return found


def _change(session: Session, row: Any, **values: Any) -> bool:
    """Move `row` on from the state this caller read, unless another door moved it first."""
    from pipeline.models import Reply

    table = Reply.__table__
    changed = session.execute(update(table).where(
        table.c.id == row.id, table.c.status == row.status, table.c.attempts == row.attempts,
    ).values(attempts=table.c.attempts + 1, **values)).rowcount
    if changed:
        session.expire(row)
    return bool(changed)


def _release_older_claims(session: Session, row: Any) -> None:
    """The review's earlier replies are replaced by `row`: their texts may be sent again."""
    from pipeline.models import Reply

    table = Reply.__table__
    session.execute(update(table).where(table.c.mention_id == row.mention_id, table.c.id != row.id,
                                        table.c.status == "sent").values(claim=None))


def _upload(session: Session, replier: Any, mention: Mention, intent: Any, by: str, replace: bool) -> Outcome:
    """Send the claimed `intent`: the platform is read first, the outcome recorded after."""
    try:
        stored = replier.stored_reply(mention.url)
    except MentionwatchError:
        _unclaim(session, intent)
        raise
    if stored is not None and stored.text.strip() == intent.text:
        _unclaim(session, intent)
        raise ReplyExists(f"mention {mention.id} already has this reply: nothing was sent")
    if stored is not None and not replace:
        _unclaim(session, intent)
        shown = " ".join(stored.text.split())
        raise ReplyExists(f"mention {mention.id} already has a reply: \"{shown[:300]}\"; run again with "
                          "--replace to replace it (nothing was sent)")
    previous = _latest_sent(session, mention.id) if stored is not None else None
    intent.replaces_id = previous.id if previous is not None else None
    session.commit()
    try:
        answer = replier.send(mention.url, intent.text)
    except MentionwatchError as exc:
        answer = _after_failed_upload(session, replier, mention, intent, exc)
    intent.status, intent.sent_at, intent.error, intent.in_flight = "sent", utcnow(), None, None
    intent.platform_reply_id, intent.attempts = answer.platform_id, intent.attempts + 1
    _release_older_claims(session, intent)
    session.commit()
    summary = f"Replied by {by}"
    if previous is not None:
        summary = (f"Replied by {by}, replacing the reply {previous.author} sent"
                   f"{f' at {previous.sent_at:%Y-%m-%d %H:%M} UTC' if previous.sent_at else ''}; the review's reply "
                   f"is now: \"{_excerpt(intent.text)}\"")
    return _replied(session, mention, intent, by, summary)


def _unclaim(session: Session, intent: Any) -> None:
    """Nothing was sent: the claim is given back (the row goes, leaving no trace of a non-event)."""
    session.delete(intent)
    session.commit()


def _after_failed_upload(session: Session, replier: Any, mention: Mention, intent: Any, exc: MentionwatchError) -> Any:
    """After a failed upload, the platform's reply if it shows ours after all (the answer was
    lost). Otherwise a refusal is recorded failed and raised; a lost answer is recorded unknown."""
    from crawlers.platforms.errors import outcome_unknown

    readable = True
    try:
        stored = replier.stored_reply(mention.url)
    except MentionwatchError:
        stored, readable = None, False
    if stored is not None and stored.text.strip() == intent.text.strip():
        return stored
    intent.error, intent.attempts = str(exc)[:1000], intent.attempts + 1
    if not outcome_unknown(exc):
        intent.status, intent.claim, intent.in_flight = "failed", None, None
        session.commit()
        raise exc
    intent.status = "unknown"
    session.commit()
    shown = "does not show it yet" if readable else "cannot be read back now"
    raise ReplyInProgress(f"{exc}; whether the reply arrived is not known: {replier.platform} {shown}. Nothing is "
                          "sent to this review until the platform shows it or its delay has passed "
                          f"({replier.shows_reply_within:g} s): run the same command again, it reads the platform "
                          "back first") from None


def _started(row: Any) -> datetime:
    return row.attempt_at or row.created_at


def _sent_by(row: Any) -> str:
    at = f" at {row.sent_at:%Y-%m-%d %H:%M} UTC" if row.sent_at else ""
    return f"sent by {row.author} via {row.via}{at}"


def _excerpt(text: str, limit: int = 120) -> str:
    shown = " ".join(text.split())
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


def _latest_sent(session: Session, mention_id: int) -> Any:
    from pipeline.models import Reply

    return session.scalars(select(Reply).where(Reply.mention_id == mention_id, Reply.status == "sent")
                           .order_by(Reply.created_at.desc(), Reply.id.desc()).limit(1)
                           .execution_options(populate_existing=True)).first()


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
    # Stored before authors were cleaned at ingestion, a name may still hold escape sequences.
    author = visible(author)
    words = author.split()
    if not words or author in ("A Google user", "Anonymous"):
        return "there"
    return words[0]
