"""Slack messages about the watching itself: a new source's baseline, a source failing or back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from alerts.blocks import context, header, section, sections_of
from alerts.escape import fit, mrkdwn, one_line, truncate
from alerts.messages import (
    LABEL_EMOJI,
    SOURCE_EMOJI,
    SOURCE_NAMES,
    AlertView,
    Blocks,
    digest_line,
)
from alerts.when import absolute

LABELS = ("negative", "neutral", "positive")


def count(number: int, noun: str) -> str:
    """'1 mention', '2 mentions', '0 mentions'."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
BASELINE_NEGATIVES = 5
EXCERPT = 160


@dataclass
class BaselineSource:
    label: str
    type: str
    counts: dict[str, int] = field(default_factory=dict)
    ok: bool = True
    error: str | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def baseline_message(
    business: str, sources: Sequence[BaselineSource], negatives: Sequence[AlertView], max_age_days: int
) -> tuple[str, Blocks]:
    """One summary of what the first crawl of newly added sources found, instead of an alert each."""
    total = sum(s.total for s in sources)
    counts = {label: sum(s.counts.get(label, 0) for s in sources) for label in LABELS}
    noun = "source" if len(sources) == 1 else "sources"
    blocks: Blocks = [header(f"Now watching {len(sources)} new {noun} for {business}")]
    split = ", ".join(f"{LABEL_EMOJI[label]} {counts[label]} {label}" for label in LABELS)
    blocks.append(section(
        f"The first crawl found *{total}* {'mention' if total == 1 else 'mentions'} of *{mrkdwn(business)}*"
        + (f": {split}." if total else ".")
        + " They are stored, not alerted one by one (but a recent urgent one is); from now on each new"
          " negative mention is."
    ))
    lines = []
    for source in sources:
        emoji = SOURCE_EMOJI.get(source.type, ":mag:")
        state = (f"{count(source.total, 'mention')} ({source.counts.get('negative', 0)} negative)" if source.ok
                 else f":warning: failed: {fit(source.error, 300)}")
        lines.append(f"• {emoji} {fit(source.label, 200)}: {state}")
    blocks.extend(sections_of(lines))
    if negatives:
        title = "*Urgent and most recent negative mentions*" if any(v.urgent for v in negatives) else (
            "*Most recent negative mentions*")
        blocks.append(section(title))
        blocks.extend(sections_of([digest_line(v, EXCERPT) for v in negatives[:BASELINE_NEGATIVES]]))
    blocks.append(context(
        f"Mentions published more than {max_age_days} days ago are never alerted. "
        "See them all with `mentionwatch mentions`."
    ))
    text = f"Now watching {len(sources)} new {noun} for {business}: {count(total, 'mention')}, {counts['negative']} negative"
    return mrkdwn(text), blocks


def source_failing_message(
    business: str, label: str, source_type: str, failures: int, error: str | None,
    last_success: datetime | None, zone: str,
) -> tuple[str, Blocks]:
    """A source has failed several runs in a row: said once, not every run."""
    since = f"Last success: {absolute(last_success, zone)}." if last_success else "It has never worked."
    name = SOURCE_NAMES.get(source_type, source_type)
    blocks: Blocks = [
        section(f":warning: *{mrkdwn(business)}*: the {name} source {fit(label, 300)} has failed "
                 f"*{failures} runs in a row*."),
        section(f">{fit(error or 'unknown error', 1500)}"),
        context(f"{since} Mentions from it are missed until it works again; "
                 "`mentionwatch check` shows its state. You will hear when it recovers."),
    ]
    # The reason in the text too: it is what a notification and a phone's preview show.
    text = f"{business}: source {label} has failed {failures} runs in a row: {truncate(one_line(error or 'unknown error'), 300)}"
    return mrkdwn(text), blocks


def source_recovered_message(business: str, label: str, source_type: str) -> tuple[str, Blocks]:
    """A source reported as failing works again."""
    name = SOURCE_NAMES.get(source_type, source_type)
    blocks: Blocks = [section(f":white_check_mark: *{mrkdwn(business)}*: the {name} source {fit(label, 300)} "
                               "works again.")]
    return mrkdwn(f"{business}: source {label} works again"), blocks
