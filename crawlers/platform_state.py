"""What review platforms say beside the reviews themselves: the business's replies, deletions.

Spiders put these on their `CrawlTarget` (platform_replies, deleted_urls); after the run's
mentions are stored, `record_platform_state` writes them: a reply found on the platform becomes
a `replies` row (status 'sent', via 'platform'; an edited reply a further row, so its history
stays), and a review the platform no longer lists gets `deleted_at`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crawlers.target import CrawlTarget
from pipeline.models import Mention, Reply
from pipeline.normalize import canonical_url, to_utc

PLATFORM_AUTHOR = "(on the platform)"
"""Author of a reply read from the platform: who wrote it there is not known."""


def record_platform_state(session: Session, targets: list[CrawlTarget], now: datetime) -> None:
    """Store the replies and deletions of every source that succeeded this run."""
    for target in targets:
        if not target.ok or target.source_id is None:
            continue
        if target.deleted_urls:
            urls = {canonical_url(u) for u in target.deleted_urls}
            session.execute(update(Mention).where(
                Mention.source_id == target.source_id, Mention.canonical_url.in_(urls), Mention.deleted_at.is_(None),
            ).values(deleted_at=now))
        for url, (text, changed) in target.platform_replies.items():
            _note_reply(session, target.source_id, canonical_url(url), text, to_utc(changed) or now, now)


def _note_reply(session: Session, source_id: int, url: str, text: str, changed: datetime, now: datetime) -> None:
    mention_id = session.scalar(select(Mention.id).where(Mention.source_id == source_id, Mention.canonical_url == url))
    if mention_id is None:
        return
    latest = session.scalars(select(Reply).where(Reply.mention_id == mention_id, Reply.status == "sent")
                             .order_by(Reply.created_at.desc(), Reply.id.desc()).limit(1)).first()
    if latest is not None and latest.text.strip() == text.strip():
        return  # the reply we sent (or saw) before
    session.add(Reply(mention_id=mention_id, text=text, author=PLATFORM_AUTHOR, via="platform", status="sent",
                      created_at=now, sent_at=changed, replaces_id=latest.id if latest else None))
