"""The report's line on what complaints were about: '4 complaints about wait time, up from 1'."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alerts.escape import mrkdwn

# Aspects named in the Slack summary; the HTML report lists them all.
TOP_ASPECTS = 4


def aspect_counts(current: Iterable[Any], before: Iterable[Any]) -> list[tuple[str, int, int]]:
    """(aspect, complaints this period, complaints the period before) for every aspect named by
    a negative mention in either period, most complained about first.

    ``current`` and ``before`` are stored mentions (anything with ``label`` and ``aspects``).
    """

    def count(mentions: Iterable[Any]) -> Counter[str]:
        return Counter(a for m in mentions if m.label == "negative" for a in (m.aspects or ()))

    return compare_aspects(count(current), count(before))


def compare_aspects(now: Mapping[str, int], then: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """(aspect, complaints now, complaints before) from the two periods' complaints per aspect,
    most complained about first (the report reads them from the database's hourly counts)."""
    named = {a for a, n in now.items() if n} | {a for a, n in then.items() if n}
    return sorted(((a, now.get(a, 0), then.get(a, 0)) for a in named), key=lambda item: (-item[1], -item[2], item[0]))


def aspect_phrase(aspect: str, now: int, before: int) -> str:
    """'4 complaints about wait time, up from 1' (plain text)."""
    noun = "complaint" if now == 1 else "complaints"
    if now == before:
        trend = "as many as the period before"
    else:
        trend = f"{'up' if now > before else 'down'} from {before}"
    return f"{now} {noun} about {aspect}, {trend}"


def aspect_summary(counts: Sequence[tuple[str, int, int]], limit: int = TOP_ASPECTS) -> str | None:
    """The Slack section text: what the period's complaints were about (escaped), or None."""
    lines = [f"• {mrkdwn(aspect_phrase(*item))}" for item in counts[:limit] if item[1]]
    return "*What complaints were about*\n" + "\n".join(lines) if lines else None
