"""The pipeline's steps, in order, over batches of crawled items.

    normalize -> match -> dedup (batch and store) -> score (only what is new or edited) -> store

Scrapy hands every item over (``pipeline.adapters``). The first two steps (``normalize``) take one
item at a time; the rest (``take``) work in batches, which is what lets a worker process
(``pipeline.worker``) do them on the second core while the crawl parses, and lets the store be
asked once per batch rather than once per item. Nothing here grows with the run:
a batch is written and forgotten; what was seen before is the store's to remember.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from pipeline.items import MentionItem
from pipeline.keyword_index import mention_text
from pipeline.match import BusinessMatcher
from pipeline.record import MentionRecord, add_dedup_keys, record_from_item
from pipeline.registers import register_of
from pipeline.writer import BATCH_SIZE, MentionWriter, WriteCounts

if TYPE_CHECKING:  # the scorer (its model, numpy, the language model) loads with the first text to score
    from pipeline.focus import Part
    from pipeline.sentiment import Score, SentimentScorer


def names_business(matcher: BusinessMatcher, title: str | None, text: str) -> bool:
    """Whether a mention's title and text, read together, are about the matcher's business."""
    return matcher.matches(mention_text(title, text))


def judge(scorer: SentimentScorer, record: MentionRecord) -> Score:
    """The verdict on a mention, read with its title; a headline never softens a complaint in the body.

    A calm headline over an angry body ("Bakery closes for inspection" over "customers got sick")
    reads milder together than the body does alone: then the body's verdict stands, with every
    urgent phrase either reading found. A rating decides the label by itself, so it needs no second read.
    """
    return judge_all(scorer, [record])[0]


def judge_all(scorer: SentimentScorer, records: Sequence[MentionRecord]) -> list[Score]:
    """`judge`'s verdict on each of `records`, read in two passes over them: every text with its
    title, then the bodies whose titled reading was not a complaint. Each pass is one list of
    texts, which is what a scorer that reads many texts at once would be handed.

    A mention that names several watched businesses is read, for each, in the part about it
    (`focused`): another business's incident is not this one's."""
    from pipeline.sentiment import NEGATIVE  # loaded with the scorer already; not before it

    # The source type tells the register (social, news, review) the text is read in.
    registers = [register_of(record.source_type) for record in records]
    readings = [focused(scorer, record.business, record.title, record.text) for record in records]
    verdicts = [scorer.score(reading.text, title=reading.title, rating=record.rating, register=register,
                             business=record.business, language_of=reading.language_of)
                for record, register, reading in zip(records, registers, readings)]
    again = [index for index, (record, verdict) in enumerate(zip(records, verdicts))
             if readings[index].title and record.rating is None and verdict.label != NEGATIVE]
    bodies = [scorer.score(readings[index].text, register=registers[index], business=records[index].business,
                           language_of=readings[index].language_of)
              for index in again]
    for index, body in zip(again, bodies):
        if body.label == NEGATIVE:
            verdict = verdicts[index]
            phrases = tuple(dict.fromkeys(verdict.urgent_phrases + body.urgent_phrases))
            verdicts[index] = replace(body, urgent=bool(phrases) or verdict.urgent, urgent_phrases=phrases)
    return verdicts


class Reading(NamedTuple):
    """What is read of a mention for one business (`focused`)."""

    title: str | None
    text: str
    part: Part | None
    """The part about the business when the mention names others too (``pipeline.focus``), else None."""
    language_of: str | None
    """With a part, the whole mention, whose language the part is written in (a few words of it are
    too short to tell); else None (the text read is the whole)."""


def focused(scorer: SentimentScorer, business: str | None, title: str | None, text: str) -> Reading:
    """What to read of a mention for ``business``: for a mention naming other watched businesses
    too, the title's and the text's parts about this one; otherwise the title and the text."""
    part = scorer.focus.part(business, title, text) if scorer.focus and business else None
    if part is None:
        return Reading(title, text, None, None)
    return Reading(part.title, part.text, part, f"{title}\n{text}" if title else text)


@dataclass
class MentionFlow:
    """Everything a run needs to judge and store its items, built once before the crawl."""

    needs_match: dict[int, bool]
    """Per source id: whether its items must name the business (``SourceBase.needs_match``)."""
    matchers: dict[str, BusinessMatcher]
    scorer: SentimentScorer | Callable[[], SentimentScorer]
    """The scorer, or a function that builds it when the first new or edited text needs scoring:
    a run that finds nothing new never loads the model, numpy or the language model."""
    writer: MentionWriter
    batch_size: int = BATCH_SIZE
    _batch: list[MentionRecord] = field(default_factory=list)

    def process(self, items: Iterable[MentionItem]) -> None:
        """Normalize and match `items`; store the kept ones a batch at a time."""
        self.take(record for item in items if (record := self.normalize(item)) is not None)

    def normalize(self, item: MentionItem) -> MentionRecord | None:
        """The item as a normalized record, or None when it is not to be kept (see `keeps`)."""
        if item.source_id is None:  # a spider run by hand: nothing to store it under
            return None
        record = record_from_item(item, item.source_id)
        return record if self.keeps(record) else None

    def take(self, records: Iterable[MentionRecord]) -> None:
        """Store normalized, kept records (from `normalize`), a batch at a time."""
        for record in records:
            add_dedup_keys(record)
            self._batch.append(record)
            if len(self._batch) >= self.batch_size:
                self.flush()

    def keeps(self, record: MentionRecord) -> bool:
        """Whether a normalized record is about its business (or its source needs no matching)."""
        if not self.needs_match.get(record.source_id, True):
            return True
        return names_business(self.matchers[record.business], record.title, record.text)

    def score_ahead(self, record: MentionRecord) -> None:
        """Judge a normalized, kept record now, before its batch is triaged: what the crawl
        process does with time it would otherwise spend waiting for the worker. A record that
        triage then finds unchanged was judged for nothing, which costs only that idle time."""
        if record.score is None:
            record.score = judge(self.ready_scorer(), record)

    def flush(self) -> None:
        """Dedup the pending batch against the store, score what is new or edited, write it."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        triages = self.writer.triage(batch)
        # What the crawl process judged already (`score_ahead`) is not judged again.
        unjudged = [record for triage in triages for record in triage.to_score() if record.score is None]
        if unjudged:
            for record, verdict in zip(unjudged, judge_all(self.ready_scorer(), unjudged)):
                record.score = verdict
        self.writer.write(triages)

    @property
    def expects_new(self) -> bool:
        """Whether this run is a first crawl of some source (a backfill): its finds are new, so
        texts will need scoring."""
        return bool(self.writer.policy.baseline_sources)

    def prepare_scorer(self) -> None:
        """Build the scorer and load its language model now, e.g. while waiting for the first records."""
        self.ready_scorer().prepare()

    @property
    def scorer_ready(self) -> bool:
        """Whether the scorer is built (judging costs no loading any more)."""
        return not callable(self.scorer)

    def ready_scorer(self) -> SentimentScorer:
        """The scorer, built now if it was given as a function (SentimentScorer is not callable)."""
        if callable(self.scorer):
            self.scorer = self.scorer()
        return self.scorer

    def finish(self) -> WriteCounts:
        """Write what is pending; the counts of the whole run."""
        self.flush()
        return self.writer.counts
