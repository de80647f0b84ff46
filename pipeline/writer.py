"""Writing mentions to the store in batches, deduplicated against what it already holds.

A batch goes in two steps, so that only what is really new gets scored (``pipeline.flow``):
``triage`` reads what the store knows of the batch's URLs and fingerprints, and sorts each
record into new, edited, a further sighting, or already known; ``write`` then stores the scored
result in one transaction.

- Same canonical URL as a stored mention (or one of its sightings): known, skipped; unless the
  source that stored it now shows another title, text or rating: an edit, which updates the
  mention and keeps the old version as a revision. Another source showing the same page with
  another excerpt is not an edit.
- Same text fingerprint as a stored mention, at another URL: the same story elsewhere
  (syndication, a second feed): a sighting of that mention, not a mention of its own.
- Within a batch the first record of a URL or fingerprint wins, as it would across batches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Row, insert, select, update
from sqlalchemy.orm import Session

from pipeline.dialect import insert_ignoring_conflicts
from pipeline.models import Mention, Revision, Sighting, utcnow
from pipeline.record import MentionRecord

if TYPE_CHECKING:
    from pipeline.sentiment import Score

BATCH_SIZE = 1000
"""Records per triage and per transaction. Each commit waits for the disk (SQLite's WAL is
synced), and the full-text index writes a segment per transaction: on a backfill of 15,000 short
reviews 1,000 cost the worker some 0.4 s less than 500 did."""


@dataclass
class AlertPolicy:
    """Which new mentions are owed an alert (the rest are only stored)."""

    max_age_days: int = 7
    # Sources whose first crawl this is: their finds are a baseline, summarised, not alerted.
    baseline_sources: set[int] = field(default_factory=set)
    # Whether a mention the scorer cannot read (label 'unscored') is alerted (alerts.unscored).
    alert_unscored: bool = False
    # Businesses whose mentions are only stored (competitors, kept for comparison).
    never_alerted: set[str] = field(default_factory=set)

    def owed(self, record: MentionRecord, now: datetime) -> bool:
        if record.business in self.never_alerted:
            return False
        score = record.score
        if score is None:
            return False
        alarming = score.label == "negative" or (score.label == "unscored" and self.alert_unscored)
        if not alarming and not score.urgent:
            return False
        # A first crawl's finds are summarised, not alerted one by one; but an urgent one that is
        # recent (a dated story within max_age_days) cannot wait in a summary: it is alerted too.
        if record.source_id in self.baseline_sources and not (score.urgent and record.published_at is not None):
            return False
        if record.published_at is not None and record.published_at < now - timedelta(days=self.max_age_days):
            return False
        return True


@dataclass
class WriteCounts:
    """What the writes of a run did, per source id."""

    new: Counter[int] = field(default_factory=Counter)
    negative: Counter[int] = field(default_factory=Counter)
    """New (or newly alarming) negative mentions of the businesses watched for alerts."""
    competitors: Counter[int] = field(default_factory=Counter)
    """Of the new, those of competitors (stored for comparison, never alerted)."""
    updated: Counter[int] = field(default_factory=Counter)
    sightings: Counter[int] = field(default_factory=Counter)


@dataclass
class Triage:
    """One business's part of a batch, sorted against the store (see the module docstring)."""

    business_id: int
    new: list[MentionRecord] = field(default_factory=list)
    edited: list[tuple[Row[Any], MentionRecord]] = field(default_factory=list)
    """(the stored version, the record that replaces it)"""
    sightings: list[tuple[str, MentionRecord]] = field(default_factory=list)
    """(fingerprint of the stored or new mention it is another copy of, the record)"""
    mention_ids: dict[str, int] = field(default_factory=dict)
    """fingerprint -> id of the stored mention, for the sightings"""

    def to_score(self) -> Iterable[MentionRecord]:
        """The records whose verdict will be stored: nothing else needs scoring."""
        yield from self.new
        for _, record in self.edited:
            yield record


# What an edit compares and keeps of the stored version.
_STORED = (Mention.id, Mention.source_id, Mention.canonical_url, Mention.content_hash, Mention.title,
           Mention.text, Mention.rating, Mention.sentiment, Mention.label, Mention.urgent)
# What an edit replaces.
_EDITABLE = ("title", "text", "author", "rating", "sentiment", "label", "rating_conflict", "driver",
             "urgent", "urgent_phrases", "content_hash", "fingerprint", "probability", "vader_compound", "language",
             "aspects")


class MentionWriter:
    """Stores batches of records for the businesses in `business_ids` (name -> id)."""

    def __init__(
        self,
        engine: Engine,
        business_ids: dict[str, int],
        policy: AlertPolicy,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.business_ids = business_ids
        self.policy = policy
        self.clock = clock
        self.counts = WriteCounts()

    def triage(self, records: list[MentionRecord]) -> list[Triage]:
        """Sort a batch against the store: new, edited, sightings; drop what is known.

        Reads only, in one short session, so no transaction stays open while the batch is scored.
        """
        with Session(self.engine) as session:
            return [self._triage(session, self.business_ids[business], group)
                    for business, group in _by_business(records).items()]

    def write(self, triages: list[Triage]) -> None:
        """Store a triaged, scored batch in one transaction."""
        now = self.clock()
        with Session(self.engine) as session, session.begin():
            for triage in triages:
                self._insert(session, triage, now)
                for stored, record in triage.edited:
                    self._update(session, stored, record, now)
                if triage.sightings:
                    self._add_sightings(session, triage, now)

    def _triage(self, session: Session, business_id: int, records: list[MentionRecord]) -> Triage:
        urls = {r.canonical_url for r in records}
        stored = {
            row.canonical_url: row
            for row in session.execute(
                select(*_STORED).where(Mention.business_id == business_id, Mention.canonical_url.in_(urls))
            )
        }
        seen_elsewhere = self._sighted(session, business_id, urls)
        fingerprints = {r.fingerprint for r in records if r.fingerprint}
        triage = Triage(business_id)
        if fingerprints:
            triage.mention_ids = dict(
                session.execute(
                    select(Mention.fingerprint, Mention.id).where(
                        Mention.business_id == business_id, Mention.fingerprint.in_(fingerprints)
                    )
                ).all()
            )
        new_fingerprints: set[str] = set()
        edited_urls: set[str] = set()
        for record in records:
            url = record.canonical_url
            if url in stored:
                row = stored[url]
                # A second copy in the same batch is the same edit, not another one.
                if url not in edited_urls and row.source_id == record.source_id and (
                    row.content_hash != record.content_hash
                ):
                    triage.edited.append((row, record))
                    edited_urls.add(url)
                continue
            if url in seen_elsewhere:
                continue
            seen_elsewhere.add(url)  # later copies of this URL in the batch are known now
            fingerprint = record.fingerprint
            if fingerprint and (fingerprint in triage.mention_ids or fingerprint in new_fingerprints):
                triage.sightings.append((fingerprint, record))
                continue
            if fingerprint:
                new_fingerprints.add(fingerprint)
            triage.new.append(record)
        return triage

    @staticmethod
    def _sighted(session: Session, business_id: int, urls: set[str]) -> set[str]:
        """Those of `urls` already stored as sightings of one of the business's mentions."""
        # Sightings first, their mentions second: joined in one query, the database would walk
        # every mention of the business for each batch, a cost that grows with the store.
        found = session.execute(
            select(Sighting.canonical_url, Sighting.mention_id).where(Sighting.canonical_url.in_(urls))
        ).all()
        if not found:
            return set()
        ours = set(session.scalars(select(Mention.id).where(
            Mention.id.in_({mention_id for _, mention_id in found}), Mention.business_id == business_id)))
        return {url for url, mention_id in found if mention_id in ours}

    def _insert(self, session: Session, triage: Triage, now: datetime) -> None:
        if not triage.new:
            return
        rows = [self._row(triage.business_id, record, now) for record in triage.new]
        # Conflicts are ignored rather than fatal: a mention stored meanwhile by a racing writer
        # is the same mention.
        session.execute(insert_ignoring_conflicts(self.engine, Mention.__table__), rows)
        for record in triage.new:
            self.counts.new[record.source_id] += 1
            if record.business in self.policy.never_alerted:
                self.counts.competitors[record.source_id] += 1  # not the owner's news: counted apart
            elif record.score is not None and record.score.label == "negative":
                self.counts.negative[record.source_id] += 1

    def _row(self, business_id: int, record: MentionRecord, now: datetime, owed: bool | None = None) -> dict:
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
            # What the database's trigger would set (migration 0012), sent with the row so that
            # SQLite need not write the row a second time (migration 0015).
            "effective_at": record.published_at or now,
            "rating": record.rating,
            "sentiment": score.sentiment if score else None,
            "probability": _probability(score),
            "vader_compound": score.compound if score and score.text_label != "unscored" else None,
            "language": score.language if score else None,
            "aspects": list(score.aspects) if score and score.label == "negative" else None,
            "label": score.label if score else None,
            "rating_conflict": bool(score and score.rating_conflict),
            "driver": score.driver if score else None,
            "urgent": bool(score and score.urgent),
            "urgent_phrases": ", ".join(score.urgent_phrases) if score and score.urgent_phrases else None,
            "alert_due": self.policy.owed(record, now) if owed is None else owed,
        }

    def _update(self, session: Session, stored: Row[Any], record: MentionRecord, now: datetime) -> None:
        """An edited mention: keep the old version, store the new, alert if it turned alarming."""
        session.execute(
            insert(Revision).values(
                mention_id=stored.id, changed_at=now, title=stored.title, text=stored.text,
                rating=stored.rating, sentiment=stored.sentiment, label=stored.label,
            )
        )
        score = record.score
        # A complaint that was not one before (a 5-star review edited to 1 star, a post edited
        # to mention food poisoning) is news now, however old the original post: judged as if
        # published at the edit.
        turned = score is not None and (
            (score.label == "negative" and stored.label != "negative") or (score.urgent and not stored.urgent)
        )
        owed = turned and self.policy.owed(replace(record, published_at=now), now)
        row = self._row(0, record, now, owed=owed)
        changes = {key: row[key] for key in _EDITABLE}
        changes["updated_at"] = now
        if owed:
            changes.update(alert_due=True, alerted_at=None, slack_ts=None, handled_at=None)
            self.counts.negative[record.source_id] += 1
        session.execute(update(Mention).where(Mention.id == stored.id).values(**changes))
        self.counts.updated[record.source_id] += 1

    def _add_sightings(self, session: Session, triage: Triage, now: datetime) -> None:
        missing = {fp for fp, _ in triage.sightings if fp not in triage.mention_ids}
        if missing:
            # Stories first seen in this very batch: their ids exist only now.
            triage.mention_ids.update(
                session.execute(
                    select(Mention.fingerprint, Mention.id).where(
                        Mention.business_id == triage.business_id, Mention.fingerprint.in_(missing)
                    )
                ).all()
            )
        rows = [
            {"mention_id": triage.mention_ids[fp], "source_id": r.source_id, "url": r.url,
             "canonical_url": r.canonical_url, "seen_at": now}
            for fp, r in triage.sightings
        ]
        session.execute(insert_ignoring_conflicts(self.engine, Sighting.__table__), rows)
        for _, r in triage.sightings:
            self.counts.sightings[r.source_id] += 1


def _probability(score: Score | None) -> float | None:
    """The model's probability of the label it gave (None without a model reading)."""
    if score is None or score.probabilities is None or score.text_label not in _CLASSES:
        return None
    return round(score.probabilities[_CLASSES.index(score.text_label)], 4)


_CLASSES = ("negative", "neutral", "positive")


def _by_business(batch: list[MentionRecord]) -> dict[str, list[MentionRecord]]:
    grouped: dict[str, list[MentionRecord]] = {}
    for record in batch:
        grouped.setdefault(record.business, []).append(record)
    return grouped
