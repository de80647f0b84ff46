"""Is this text about this business? Keyword matching that survives how people really type names.

Both the configured terms and the text are *folded* the same way before matching:

- case: ``str.casefold`` ("MÜLLER" ~ "müller", "Straße" ~ "strasse");
- accents: NFKD, combining marks dropped ("Café Lola" ~ "Cafe Lola"), plus a few letters NFKD
  leaves alone (ø, æ, œ, ł, đ, ð, þ, ı);
- apostrophes: ’ ‘ ʼ ` ´ ′ and friends all become "'";
- dashes: every hyphen/dash variant becomes "-"; invisible characters (soft hyphen,
  zero-width space/joiners, BOM) are dropped.

Rules of a keyword, applied to its folded form:

- a run of spaces and/or dashes in the keyword matches any run of whitespace and/or dashes in the
  text ("Acme Bakery" ~ "Acme-Bakery" ~ "ACME  bakery" ~ "Acme\\nBakery");
- an apostrophe in the keyword is optional in the text ("Joe's Donuts" also finds "Joes Donuts"),
  but a keyword written without one does not find the apostrophe form ("Joes Donuts" does not
  find "Joe's Donuts": list both, as the example config does, when both are wanted);
- a period that ends an abbreviation ("St. Louis", "Co.") is optional in the text;
- any other punctuation is literal ("C&A" does not find "C & A");
- words must stand alone: no letter or digit right before or after ("Joe's Donuts" is not found in
  "Joe's Donutshop", "McJoe's Donuts" or "O'Joe's Donuts", "Müller" not in "Müllerstraße"), but a
  possessive is fine ("Acme Bakery's croissants");
- punctuation other than whitespace and dashes between the words breaks the keyword: "Joe's.
  Donuts" is two sentences, not a mention of "Joe's Donuts";
- in scripts written without spaces (Chinese, Japanese, Thai) a keyword edge there needs no
  boundary, since none exists.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = ["BusinessMatcher", "Match", "fold"]

_APOSTROPHES = "'`´‘’‛′ʹʻʼʽˈ＇"
_DASHES = "-‐‑‒–—―−⁃﹘﹣－"
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
# Letters NFKD does not decompose but that people routinely type without the mark.
_EXTRA = {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}


def _fold_char(char: str) -> str:
    if char in _APOSTROPHES:
        return "'"
    if char in _DASHES:
        return "-"
    if char in _INVISIBLE:
        return ""
    # casefold before and after NFKD: casefold can emit decomposable output ("İ" -> "i̇").
    decomposed = unicodedata.normalize("NFKD", char.casefold()).casefold()
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(_EXTRA.get(c, c) for c in out)


class _FoldTable(dict[int, str]):
    """A str.translate table that folds each code point once, on first sight, then caches it."""

    def __missing__(self, codepoint: int) -> str:
        folded = _fold_char(chr(codepoint))
        self[codepoint] = folded
        return folded


_TABLE = _FoldTable()
for _code in range(128):
    _TABLE[_code] = _fold_char(chr(_code))


def fold(text: str) -> str:
    """Fold *text* for matching: casefold, strip accents, unify apostrophes and dashes.

    ASCII text (the common case) keeps its length, so positions in the result are positions in
    the input; non-ASCII text may grow or shrink (see ``BusinessMatcher.find`` for mapping back).
    """
    if text.isascii():
        folded = text.lower()
        return folded.replace("`", "'") if "`" in folded else folded
    return text.translate(_TABLE)


def _span_mapper(text: str) -> Callable[[int, int], tuple[int, int]]:
    """Map a span of ``fold(text)`` back to a span of *text*."""
    if text.isascii():
        return lambda start, end: (start, end)
    # cum[i] = position in the folded text where original character i begins.
    cum = [0, *accumulate(len(_TABLE[ord(c)]) for c in text)]

    def to_original(start: int, end: int) -> tuple[int, int]:
        first = bisect_right(cum, start) - 1
        last = bisect_right(cum, end) - 1
        # An end inside an expansion ("ß" -> "ss") still covers that character; an end right
        # before dropped characters (a decomposed accent) takes them along.
        if cum[last] < end:
            last += 1
        return first, last

    return to_original


_SEP = r"[\s\-]+"
_NO_SPACE_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r"[\s\-]+|\.(?=[\s\-]|$)|'|.", re.DOTALL)
# No letter/digit, nor letter/digit + apostrophe ("O'Joe's"), right before the first character.
# Written *after* that character so the regex starts with a literal: re then scans for it in C
# instead of trying a lookbehind at every position (10x faster on texts that do not match).
_LEFT_EDGE = r"(?<!\w.)(?<!\w'.)"
_RIGHT_EDGE = r"(?!\w)"


def _term_pattern(term: str) -> str:
    """The regex for one folded, stripped term, word boundaries included."""
    parts = []
    for token in _TOKEN.findall(term):
        if token[0] == "-" or token[0].isspace():
            parts.append(_SEP)
        elif token == "'":
            parts.append("'?")
        elif token == ".":
            parts.append(r"\.?")
        else:
            parts.append(re.escape(token))
    if not _NO_SPACE_SCRIPT.match(term[0]):
        if term[0] in "'.":  # optional first character: the edge cannot follow it
            parts.insert(0, r"(?<!\w)(?<!\w')")
        else:
            parts.insert(1, _LEFT_EDGE)
    if not _NO_SPACE_SCRIPT.match(term[-1]):
        parts.append(_RIGHT_EDGE)
    # "St. Louis": after an optional period the separator may be absent too ("St.Louis").
    return "".join(parts).replace(r"\.?" + _SEP, r"(?:\.[\s\-]*|[\s\-]+)")


@dataclass(frozen=True, slots=True)
class _Terms:
    """Compiled term list: one regex for all (no groups, so re can scan fast), one per term."""

    any: re.Pattern[str]
    each: tuple[tuple[re.Pattern[str], str], ...]

    def which(self, folded: str, start: int) -> str:
        # The combined regex tries alternatives in this same order, so the first term that
        # matches here is the one that produced the combined match.
        for regex, term in self.each:
            if regex.match(folded, start):
                return term
        raise AssertionError("unreachable: the combined regex matched here")


def _compile(terms: Sequence[str], what: str) -> _Terms | None:
    if isinstance(terms, str):
        raise TypeError(f"{what} must be a list of strings, not a single string")
    patterns: dict[str, str] = {}
    for term in terms:
        folded = fold(term).strip(" \t\n\r\f\v-")
        if not re.search(r"\w", folded):
            raise ValueError(f"{what} term {term!r} has no letters or digits")
        # "Café" and "Cafe" fold to one pattern; the first configured spelling names it.
        patterns.setdefault(_term_pattern(folded), term)
    if not patterns:
        return None
    # Longest first, so "Joe's Donuts Bakery" wins over "Joe's Donuts" at the same place.
    ordered = sorted(patterns, key=len, reverse=True)
    return _Terms(
        any=re.compile("|".join(ordered)),
        each=tuple((re.compile(p), patterns[p]) for p in ordered),
    )


def _anchors(terms: Sequence[str]) -> tuple[str, ...]:
    """For each term, its longest run of letters and digits once folded.

    Every part of a term's pattern other than whitespace, dashes, an optional apostrophe or an
    optional period is a literal character, so a text the pattern matches holds each such run
    verbatim (after `fold`): a substring search for it finds every candidate text, and the
    term's own pattern then decides.
    """
    anchors = []
    for term in terms:
        runs = re.findall(r"\w+", fold(term))
        anchors.append(max(runs, key=len))
    return tuple(anchors)


@dataclass(frozen=True, slots=True)
class Match:
    """One keyword occurrence; ``text[start:end]`` is the occurrence as written."""

    keyword: str
    """The configured keyword that matched (the first configured one, if two fold the same)."""
    start: int
    end: int


class BusinessMatcher:
    """Decides whether a text mentions one business, from its configured terms.

    Build it once per business (it compiles one regex per term list) and reuse it.
    """

    def __init__(self, keywords: Sequence[str], exclude: Sequence[str] = (), require_any: Sequence[str] = ()):
        keyword_terms = _compile(keywords, "keyword")
        if keyword_terms is None:
            raise ValueError("a business needs at least one keyword")
        self._keywords = keyword_terms
        self.anchors = _anchors(keywords)
        """Per keyword, a literal every text it matches contains once folded (see `_anchors`)."""
        exclude_terms = _compile(exclude, "exclude")
        require_terms = _compile(require_any, "require_any")
        self._exclude = exclude_terms.any if exclude_terms else None
        self._require = require_terms.any if require_terms else None

    def find(self, text: str) -> list[Match]:
        """Keyword occurrences in *text*, in order and non-overlapping, with spans in *text*.

        Excludes and require_any are not consulted: this is for highlighting.
        """
        if not text:
            return []
        folded = fold(text)
        found = list(self._keywords.any.finditer(folded))
        if not found:
            return []
        to_original = _span_mapper(text)
        matches = []
        for m in found:
            start, end = to_original(m.start(), m.end())
            matches.append(Match(self._keywords.which(folded, m.start()), start, end))
        return matches

    def matches(self, text: str) -> bool:
        """True when *text* has a keyword, no exclude term, and (if any are set) a require_any term."""
        if not text:
            return False
        return self.matches_folded(fold(text))

    def matches_folded(self, folded: str) -> bool:
        """`matches` for a text already folded with `fold` (a caller matching many businesses
        against one text folds it once)."""
        if self._keywords.any.search(folded) is None:
            return False
        if self._exclude is not None and self._exclude.search(folded) is not None:
            return False
        return self._require is None or self._require.search(folded) is not None
