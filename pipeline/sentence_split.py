"""Split plain review / social text into sentences for per-sentence scoring.

A small rule-based splitter, chosen over NLTK's punkt because punkt needs a model download
that the monitor's machines cannot do, and review text needs only a few rules:

* a sentence ends at a run of ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or
  brackets) that is followed by whitespace;
* a line break always ends a sentence, because social posts use line breaks instead of
  full stops;
* a single ``.`` does not end a sentence after a known abbreviation ("Dr.", "e.g."), a
  single letter or a word with inner dots ("J.R.R.", "U.S."), since those are not stops.
"""

from __future__ import annotations

import re

# Lower-case abbreviations (without their final dot) after which a "." is not a full stop.
# Units ("min", "hrs") and words that are also ordinary words ("no", "sun", "apt") are left
# out on purpose: reviews often end a sentence with them ("We waited 45 min. Cold food.").
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof sr jr st mt ave rd blvd vs etc approx appt dept est
    inc ltd co corp vol fig
    jan feb apr jun jul aug sep sept oct nov dec
    """.split()
)

# Candidate boundary: terminal punctuation (plus closing quotes/brackets) followed by
# whitespace, or a line break. Group 1 holds the punctuation and closers, so that a lone
# "." can be checked for an abbreviation.
# Each alternative starts with a character from a small set, which lets the regex engine skip
# ahead quickly; spaces before a line break are stripped from the piece afterwards.
_BOUNDARY = re.compile(r"""([.!?\u2026]+["'\u201d\u2019)\]]*)[ \t]+|[\r\n]\s*""")
_CLOSERS = "\"'\u201d\u2019)]"
_TERMINATORS = ".!?\u2026"
_ENDING = _TERMINATORS + _CLOSERS
_ANY_MARK = re.compile(r"[.!?\u2026\r\n]")

# Initials and dotted acronyms ("j.r.r", "u.s", "e.g"): single letters joined by dots.
# Prices such as "$4.99" are not, so "I paid $4.99. It broke." still splits.
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]")


def _is_abbreviation(text_before: str) -> bool:
    """Return True when the word ending ``text_before`` (which ends just before a '.') is
    an abbreviation, an initial or a dotted acronym, so that '.' is not a full stop."""
    words = text_before.rsplit(None, 1)
    if not words:
        return False
    word = words[-1].lstrip("(\"'\u201c\u2018[").lower()
    if len(word) == 1 and word.isalpha():
        return True
    return word in _ABBREVIATIONS or _DOTTED.fullmatch(word) is not None


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into stripped, non-empty sentences (in order).

    A text without any boundary comes back as a one-element list (or ``[]`` when it is
    blank), so short texts cost one regex scan.
    """
    stripped = text.strip()
    # Fast path for the common one-sentence text: no terminator or line break before its end.
    body = stripped.rstrip(_ENDING)
    if _ANY_MARK.search(body) is None:
        return [stripped] if stripped else []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        punct = match.group(1)
        if punct and punct.rstrip(_CLOSERS) == "." and _is_abbreviation(text[start : match.start()]):
            continue
        end = match.end(1) if punct else match.start()
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences
