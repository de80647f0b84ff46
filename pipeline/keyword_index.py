"""Which businesses does this text name? One pass over a text for every business at once.

A shared stream (every new Reddit post, every Hacker News item) is matched against all the
configured businesses, so asking each business's `BusinessMatcher` in turn would cost the number
of businesses per item. Instead every keyword's *anchor* (its longest run of letters and digits,
folded; see `pipeline.match._anchors`) goes into one Aho-Corasick automaton: one scan of the
folded text finds the few businesses whose keywords could be there, and each of those businesses'
own matcher then decides with the very same rules (folding, whole words, punctuation, excludes,
require_any) as the per-business matching of `pipeline.flow`. The index narrows, never decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import ahocorasick

from pipeline.match import BusinessMatcher, Match, fold

__all__ = ["KeywordIndex", "mention_text"]


def mention_text(title: str | None, text: str) -> str:
    """A mention's title and text read together, as `pipeline.flow.names_business` reads them."""
    # " | " ends a name, so a keyword cannot straddle the title and the text.
    return f"{title or ''} | {text}"


class KeywordIndex:
    """All businesses' keywords compiled once; `named_in(text)` lists the businesses a text names.

    Build it once per run (or per process) from the businesses' matchers and reuse it.
    """

    def __init__(self, matchers: Mapping[str, BusinessMatcher]):
        self._names = list(matchers)
        self._matchers = [matchers[name] for name in self._names]
        self._automaton = ahocorasick.Automaton()
        owners: dict[str, set[int]] = {}
        for number, matcher in enumerate(self._matchers):
            for anchor in matcher.anchors:
                owners.setdefault(anchor, set()).add(number)
        for anchor, numbers in owners.items():
            self._automaton.add_word(anchor, tuple(sorted(numbers)))
        self._empty = not owners
        if not self._empty:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return len(self._names)

    def named_in(self, text: str) -> list[str]:
        """The businesses (in the order given) whose keywords `text` holds and whose excludes and
        required context let it count, exactly as each business's `BusinessMatcher.matches`."""
        if not text or self._empty:
            return []
        folded = fold(text)
        return [self._names[n] for n in self._candidates(folded) if self._matchers[n].matches_folded(folded)]

    def find(self, text: str) -> list[Match]:
        """Every keyword occurrence in `text`, in order and not overlapping (at one place the
        longest), with spans in `text`; excludes and require_any are not consulted."""
        if not text or self._empty:
            return []
        found = sorted((match for n in self._candidates(fold(text)) for match in self._matchers[n].find(text)),
                       key=lambda match: (match.start, -match.end))
        kept: list[Match] = []
        for match in found:
            if not kept or match.start >= kept[-1].end:
                kept.append(match)
        return kept

    def _candidates(self, folded: str) -> list[int]:
        """The businesses (by number, in order) whose keywords' anchors the folded text holds."""
        candidates: set[int] = set()
        for _end, numbers in self._automaton.iter(folded):
            candidates.update(numbers)
        return sorted(candidates)

    def named_in_mention(self, title: str | None, text: str) -> list[str]:
        """`named_in` for a mention's title and text, read as the pipeline reads them."""
        return self.named_in(mention_text(title, text))


def index_for(businesses: Iterable[tuple[str, BusinessMatcher]]) -> KeywordIndex:
    """A KeywordIndex of (name, matcher) pairs."""
    return KeywordIndex(dict(businesses))
