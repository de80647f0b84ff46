"""Which part of a mention is about which business, when one text names several of them.

Why: a mention is stored once per business it names (``pipeline.match``), and each copy was read
as a whole. "Acme Bakery is great but Bolt Cafe gave me food poisoning last night" then gave Acme
Bakery an urgent negative alert for Bolt Cafe's incident, and share of voice counted the complaint
against both. An agency watches several clients and their competitors on the same streams, so such
comparisons are common. Aspect- (target-) based monitors read each named party in the part of the
text about it; this module does that with a rule simple enough to state and check by eye:

* the title and the body are split into sentences (``pipeline.sentence_split``, as the scorer does);
* a sentence that names two or more of the watched businesses is cut at its contrast and clause
  boundaries: before "but", "while", "whereas", "unlike", "although", "though", "vs", "versus",
  at ";", and at the first comma of a clause that opens with "while", "whereas", "unlike",
  "although", "though" or "compared" ("Unlike Bolt Cafe, Acme Bakery ..."); never inside a name;
* each piece belongs to the businesses it names; a piece naming none belongs to the last one named
  before it (a pronoun sentence: "They never cleaned the tables."), and a piece before any name to
  all of them (title and body each start afresh);
* a business's part is its pieces, in order, one a line.

A business keeps the whole-text reading when the mention names no other watched business, when
it is named in the title only ("Acme Bakery vs Bolt Cafe" over a body about Bolt Cafe alone), or
when it is not named at all (a review on its own page comparing it with a rival). So a mention
naming one business is read exactly as before. "Named" means what matching means: the business's
keywords, folded (case, accents, apostrophes, dashes), as whole words, with its excludes and
require_any; where two businesses' keywords overlap ("Acme" and "Acme Bakery") the longest wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.keyword_index import KeywordIndex, mention_text
from pipeline.match import BusinessMatcher
from pipeline.sentence_split import split_sentences

__all__ = ["Focus", "Part"]

# Where a sentence naming two businesses is cut: before a contrast word, or at a semicolon.
_CUT = re.compile(r"\s*;\s*|\s+(?=(?:but|while|whereas|unlike|although|though|vs|versus)\b)", re.IGNORECASE)
# A clause opening with one of these ends at its first comma ("Unlike Bolt Cafe, Acme Bakery ...").
_SUBORDINATE = re.compile(r"(?:while|whereas|unlike|although|though|compared)\b", re.IGNORECASE)

_Span = tuple[int, int, str]  # start, end, business


@dataclass(frozen=True, slots=True)
class Part:
    """The part of a mention about one business, when the mention names several."""

    business: str
    title: str | None
    """The title's pieces about it, one a line; None when the title has none (or there is no title)."""
    text: str
    """The body's pieces about it, one a line."""
    named: tuple[str, ...]
    """Every watched business the mention names, in the order first named."""


class Focus:
    """The watched businesses' matchers, compiled once; `part` tells a business's part of a text."""

    def __init__(self, matchers: Mapping[str, BusinessMatcher]):
        self._matchers = dict(matchers)
        self._index = KeywordIndex(self._matchers)

    def part(self, business: str, title: str | None, text: str) -> Part | None:
        """The part of a mention (``title`` and ``text``) about ``business``, or None when it is to be
        read whole (see the module docstring)."""
        if business not in self._matchers:
            return None
        candidates = self._index.named_in(mention_text(title, text))
        if business not in candidates or len(candidates) < 2:
            return None
        title_pieces = self._pieces(title or "", candidates)
        body_pieces = self._pieces(text, candidates)
        named = list(dict.fromkeys(b for _, names in title_pieces + body_pieces for b in names))
        if len(named) < 2 or not any(business in names for _, names in body_pieces):
            return None
        body = _owned(body_pieces, business)
        heading = _owned(title_pieces, business)
        return Part(business, "\n".join(heading) or None, "\n".join(body), tuple(named))

    def _pieces(self, text: str, candidates: Sequence[str]) -> list[tuple[str, tuple[str, ...]]]:
        """``text`` cut into pieces (sentences, and clauses of sentences naming two or more
        businesses), each with the businesses it names."""
        pieces = []
        for sentence in split_sentences(text):
            spans = self._names(sentence, candidates)
            if len({business for _, _, business in spans}) < 2:
                pieces.append((sentence, _businesses(spans)))
                continue
            for start, end in _clauses(sentence, spans):
                piece = sentence[start:end].strip()
                if piece:
                    inside = [span for span in spans if start <= span[0] and span[1] <= end]
                    pieces.append((piece, _businesses(inside)))
        return pieces

    def _names(self, sentence: str, candidates: Sequence[str]) -> list[_Span]:
        """Where ``sentence`` names each candidate business, in order; of overlapping names, the
        longest ("Acme Bakery" over "Acme")."""
        found = sorted(((m.start, m.end, business) for business in candidates
                        for m in self._matchers[business].find(sentence)), key=lambda s: (s[0], -s[1]))
        kept: list[_Span] = []
        for span in found:
            if not kept or span[0] >= kept[-1][1]:
                kept.append(span)
        return kept


def _businesses(spans: Sequence[_Span]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(business for _, _, business in spans))


def _clauses(sentence: str, spans: Sequence[_Span]) -> list[tuple[int, int]]:
    """The (start, end) of each clause of ``sentence``, cut where `_CUT` and `_SUBORDINATE` say,
    never inside a name."""
    def inside_name(position: int) -> bool:
        return any(start < position < end for start, end, _ in spans)

    cuts = [(m.start(), m.end()) for m in _CUT.finditer(sentence) if m.start() > 0 and not inside_name(m.start())]
    clauses, start = [], 0
    for cut_start, cut_end in [*cuts, (len(sentence), len(sentence))]:
        clauses.append((start, cut_start))
        start = cut_end
    split = []
    for start, end in clauses:
        opening = _SUBORDINATE.match(sentence, start)
        comma = sentence.find(",", start, end) if opening else -1
        while comma != -1 and inside_name(comma):
            comma = sentence.find(",", comma + 1, end)
        if comma == -1:
            split.append((start, end))
        else:
            split += [(start, comma + 1), (comma + 1, end)]
    return split


def _owned(pieces: Sequence[tuple[str, tuple[str, ...]]], business: str) -> list[str]:
    """The pieces that belong to ``business``: those naming it, those after it naming none, and
    those before any name."""
    owned, owners = [], None
    for piece, names in pieces:
        if names:
            owners = names
        if owners is None or business in owners:
            owned.append(piece)
    return owned
