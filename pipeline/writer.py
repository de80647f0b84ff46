"""Writing mentions to the store in batches, deduplicated against what it already holds.

One transaction per batch. A mention already stored at the same canonical URL is skipped, or
updated when its text or rating changed (the old version is kept as a revision); one stored
under the same text fingerprint (the same story elsewhere) gets a sighting instead of a row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from pipeline.dialect import insert_ignoring_conflicts
from pipeline.models import Mention, Revision, Sighting, utcnow
from pipeline.record import MentionRecord

BATCH_SIZE = 500


@dataclass
class AlertPolicy:
    """Which new mentions are owed an alert (the rest are only stored)."""

    max_age_days: int = 7
    # Sources whose first crawl this is: their finds are a baseline, summarised, not alerted.
    baseline_sources: set[int] = field(default_factory=set)

    def owed(self, record: MentionRecord, now: datetime) -> bool:
        score = record.score
        if score is None or (score.label != "negative" and not score.urgent):
            return False
        if record.source_id in self.baseline_sources:
            return False
        if record.published_at is not None and record.published_at < now - timedelta(days=self.max_age_days):
            return False
        return True


@dataclass
class WriteCounts:
    new: Counter[int] = field(default_factory=Counter)
    negative: Counter[int] = field(default_factory=Counter)
    updated: Counter[int] = field(default_factory=Counter)
    sightings: Counter[int] = field(default_factory=Counter)


class MentionWriter:
    def __init__(
        self,
        engine: Engine,
        business_ids: dict[str, int],
        policy: AlertPolicy,
        batch_size: int = BATCH_SIZE,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.business_ids = business_ids
        self.policy = policy
        self.batch_size = batch_size
        self.clock = clock
        self.counts = WriteCounts()
        self._batch: list[MentionRecord] = []

    def add(self, record: MentionRecord) -> None:
        self._batch.append(record)
        if len(self._batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write what is pending in one transaction."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        with Session(self.engine) as session, session.begin():
            for business, records in _by_business(batch).items():
                self._write(session, self.business_ids[business], records)

    def _write(self, session: Session, business_id: int, records: list[MentionRecord]) -> None:
        now = self.clock()
        by_url = {
            row.canonical_url: row
            for row in session.execute(
                select(Mention.id, Mention.canonical_url, Mention.content_hash, Mention.label, Mention.title,
                       Mention.text, Mention.rating, Mention.sentiment).where(
                    Mention.business_id == business_id,
                    Mention.canonical_url.in_({r.canonical_url for r in records}),
                )
            )
        }
        by_fingerprint = {
            row.fingerprint: row.id
            for row in session.execute(
                select(Mention.id, Mention.fingerprint).where(
                    Mention.business_id == business_id,
                    Mention.fingerprint.in_({r.fingerprint for r in records if r.fingerprint}),
                )
            )
        }
        new_rows: list[dict] = []
        pending_fingerprints: dict[str, MentionRecord] = {}
        sightings: list[tuple[str, MentionRecord]] = []
        for record in records:
            existing = by_url.get(record.canonical_url)
            if existing is not None:
                if existing.content_hash != record.content_hash:
                    self._update(session, existing, record, now)
                continue
            if record.fingerprint and (record.fingerprint in by_fingerprint or record.fingerprint in pending_fingerprints):
                sightings.append((record.fingerprint, record))
                continue
            if record.fingerprint:
                pending_fingerprints[record.fingerprint] = record
            new_rows.append(self._row(business_id, record, now))
            self.counts.new[record.source_id] += 1
            if record.score and record.score.label == "negative":
                self.counts.negative[record.source_id] += 1
        if new_rows:
            session.execute(insert_ignoring_conflicts(self.engine, Mention.__table__), new_rows)
        if sightings:
            self._add_sightings(session, business_id, sightings, by_fingerprint, now)

    def _row(self, business_id: int, record: MentionRecord, now: datetime) -> dict:
        score = record.score
        return {
            "business_id": business_id,
            "source_id": record.source_id,
            "source_type": record.source_type,
            "url": record.url,
            "canonical_url": record.canonical_url,
            "fingerprint": record.fingerprint,
            "content_hash": record.content_hash,
            "title": record.title,
            "text": record.text,
            "author": record.author,
            "published_at": record.published_at,
            "first_seen_at": now,
            "rating": record.rating,
            "sentiment": score.compound if score else None,
            "label": score.label if score else None,
            "rating_conflict": bool(score and score.rating_conflict),
            "driver": score.driver if score else None,
            "urgent": bool(score and score.urgent),
            "urgent_phrases": ", ".join(score.urgent_phrases) if score and score.urgent_phrases else None,
            "alert_due": self.policy.owed(record, now),
        }

    def _update(self, session: Session, existing, record: MentionRecord, now: datetime) -> None:
        """An edited mention: keep the old version, store the new, alert if it turned negative."""
        session.execute(
            insert(Revision).values(
                mention_id=existing.id, changed_at=now, title=existing.title, text=existing.text,
                rating=existing.rating, sentiment=existing.sentiment, label=existing.label,
            )
        )
        row = self._row(0, record, now)
        changes = {k: row[k] for k in ("title", "text", "author", "rating", "sentiment", "label",
                                      "rating_conflict", "driver", "urgent", "urgent_phrases",
                                      "content_hash", "fingerprint")}
        changes["updated_at"] = now
        turned_negative = row["label"] == "negative" and existing.label != "negative"
        if turned_negative and row["alert_due"]:
            # Treated as new for alerting: it is owed an alert again.
            changes.update(alert_due=True, alerted_at=None, slack_ts=None, handled_at=None)
            self.counts.negative[record.source_id] += 1
        session.execute(update(Mention).where(Mention.id == existing.id).values(**changes))
        self.counts.updated[record.source_id] += 1

    def _add_sightings(self, session, business_id, sightings, by_fingerprint, now) -> None:
        missing = {fp for fp, _ in sightings if fp not in by_fingerprint}
        if missing:
            # Stories first seen in this very batch: their ids exist only now.
            by_fingerprint.update(
                session.execute(
                    select(Mention.fingerprint, Mention.id).where(
                        Mention.business_id == business_id, Mention.fingerprint.in_(missing)
                    )
                ).tuples()
            )
        rows = [
            {"mention_id": by_fingerprint[fp], "source_id": r.source_id, "url": r.url,
             "canonical_url": r.canonical_url, "seen_at": now}
            for fp, r in sightings
        ]
        session.execute(insert_ignoring_conflicts(self.engine, Sighting.__table__), rows)
        for _, r in sightings:
            self.counts.sightings[r.source_id] += 1


def _by_business(batch: list[MentionRecord]) -> dict[str, list[MentionRecord]]:
    grouped: dict[str, list[MentionRecord]] = {}
    for record in batch:
        grouped.setdefault(record.business, []).append(record)
    return grouped

