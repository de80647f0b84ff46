"""What a complaint is about: service and staff, wait time, food or product quality, ...

The aspect lexicon ships in ``data/aspects.yaml`` (aspect name -> words and phrases); owners
extend it in config.yaml under ``scoring.aspects:`` with the same shape (new words for a shipped
aspect, or aspects of their own). A negative mention names every aspect that has a word in one of
its negative sentences (VADER compound below zero) or in the sentence that drove its label; when
no negative sentence names one, the whole text is searched. Matching is case-insensitive on
whole words; a trailing ``*`` matches any ending.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import yaml

_WORD = re.compile(r"\w+")
ASPECTS_PATH = Path(__file__).resolve().parent / "data" / "aspects.yaml"


def load_aspects(path: Path = ASPECTS_PATH) -> dict[str, list[str]]:
    """Read an aspect lexicon file: aspect name -> its words and phrases."""
    return validate_aspects(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, source=str(path))


def validate_aspects(data: object, source: str = "scoring.aspects") -> dict[str, list[str]]:
    """Check an aspect mapping; returns it with names and words trimmed and lower-cased.

    Raises ``ValueError`` naming the bad entry.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a mapping of aspect name -> list of words")
    clean: dict[str, list[str]] = {}
    for name, words in data.items():
        aspect = " ".join(str(name).split()).lower()
        if not aspect:
            raise ValueError(f"{source}: empty aspect name")
        if isinstance(words, str) or not isinstance(words, Iterable):
            raise ValueError(f"{source}: {name!r} must list words, got {words!r}")
        entries = [" ".join(str(w).lower().split()) for w in words]
        if not all(entries) or any(e.strip("*") == "" for e in entries):
            raise ValueError(f"{source}: {name!r} has an empty word")
        clean[aspect] = entries
    return clean


def _pattern(entry: str) -> str:
    wildcard = entry.endswith("*")
    words = entry.rstrip("*").split()
    body = r"\s+".join(re.escape(w) for w in words)
    return body + (r"\w*" if wildcard else "")


class AspectFinder:
    """Finds the aspects of a complaint (see the module docstring)."""

    def __init__(self, extra: Mapping[str, Sequence[str]] | None = None):
        lexicon = load_aspects()
        for aspect, words in validate_aspects(extra or {}).items():
            lexicon[aspect] = [*lexicon.get(aspect, []), *words]
        self.names = tuple(lexicon)
        # Plain words are looked up in a dict, one lookup per word of the text; only phrases and
        # words with a * need a regex (one, a named group per aspect, one pass over the text).
        self._words: dict[str, set[int]] = {}
        patterns: dict[int, list[str]] = {}
        for i, words in enumerate(lexicon.values()):
            for word in words:
                if " " in word or word.endswith("*") or not _WORD.fullmatch(word):
                    patterns.setdefault(i, []).append(_pattern(word))
                else:
                    self._words.setdefault(word, set()).add(i)
        groups = [f"(?P<a{i}>" + "|".join(p) + ")" for i, p in patterns.items()]
        self._regex = re.compile(r"(?<!\w)(?:" + "|".join(groups) + r")(?!\w)", re.IGNORECASE) if groups else None

    def find(self, text: str) -> tuple[str, ...]:
        """The aspects named in ``text``, in the lexicon's order."""
        words = self._words
        found = {i for word in _WORD.findall(text.lower()) if word in words for i in words[word]}
        if self._regex is not None:
            found.update(int(m.lastgroup[1:]) for m in self._regex.finditer(text) if m.lastgroup)
        return tuple(self.names[i] for i in sorted(found))

    def of_complaint(self, sentences: Sequence[tuple[str, float]], driver: str | None, whole: str,
                     unnamed: Callable[[str], str] = str) -> tuple[str, ...]:
        """The aspects of a negative mention: from its negative sentences, else the whole text.

        ``sentences`` are ``(text, VADER compound)`` pairs and ``driver`` the sentence that
        drove the label; ``unnamed`` replaces the watched names in a text, which name a
        business, not what a complaint is about.
        """
        complaint = "\n".join(text for text, compound in sentences if compound < 0 or text == driver)
        return (self.find(unnamed(complaint)) if complaint else ()) or self.find(unnamed(whole))
