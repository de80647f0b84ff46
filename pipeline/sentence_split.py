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
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms mx dr prof sr jr st mt ave rd blvd vs etc approx appt apt dept est
    inc ltd co corp no nos vol fig min mins hr hrs sec secs oz lb lbs ft qty
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
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
_ANY_MARK = re.compile(r"[.!?\u2026\r\n]")

# The word right before a candidate ".": what decides whether it is an abbreviation.
_LAST_WORD = re.compile(r"(\S+)$")
# Initials and dotted acronyms ("j.r.r", "u.s", "e.g"): single letters joined by dots.
# Prices such as "$4.99" are not, so "I paid $4.99. It broke." still splits.
_DOTTED = re.compile(r"(?:[a-z]\.)+[a-z]")


def _is_abbreviation(text_before: str) -> bool:
    """Return True when the word ending ``text_before`` (which ends just before a '.') is
    an abbreviation, an initial or a dotted acronym, so that '.' is not a full stop."""
    match = _LAST_WORD.search(text_before)
    if match is None:
        return False
    word = match.group(1).lstrip("(\"'\u201c\u2018[").lower()
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
    body = stripped.rstrip(_TERMINATORS + _CLOSERS)
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
