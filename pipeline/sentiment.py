"""Sentiment scoring of mentions: VADER, fitted to the reviews and social posts a business gets.

VADER (vaderSentiment 3.3.2, run through ``pipeline.fast_vader`` for speed, with identical scores)
stays the scorer; this module wraps it with general rules, each statable in one sentence:

* Text: the title and the body are split into sentences (``pipeline.sentence_split``) and each
  sentence is scored by VADER on its own, because VADER is built for sentence-length input and a
  whole post averages one complaint away.
* Typographic apostrophes and quotes are made ASCII before VADER sees a sentence, so that its
  negations ("don’t", "isn’t") work in text typed on phones.
* Combination (see ``combine_sentences``): a text is as negative as its most negative sentence
  when that sentence is at or below ``STRONG_NEGATIVE``; otherwise the text score is the mean of
  the sentence scores weighted by their own strength, so that neutral filler does not dilute.
  A sentence that opens with "but" or "however" halves the weight of the sentence before it,
  which is VADER's own contrast rule carried across a sentence boundary.
* Domain lexicon (``data/domain_lexicon.yaml``): complaint words missing from VADER are added
  to this analyzer's own copy of VADER's lexicon, and multi-word phrases get their valence from a
  phrase rule (the phrase's valence replaces that of its words, and a negation within the three
  words before it flips it, as VADER does for single words).
  A word given valence 0 is taken out of VADER's lexicon ("honestly" opens verdicts of both
  kinds in reviews).
* Emojis: an emoji listed in the lexicon gets that valence, because VADER reads an emoji as the
  words of its name, which carry no sentiment for most of them ("thumbs down").
* Intensifiers: a word such as "pretty" or "super" directly before another sentiment word acts
  as a booster like VADER's "very", not as praise ("pretty bad" is bad).
* Learned model (``pipeline.learned``, features in ``pipeline.features``): VADER's per-sentence
  scores and the text's words are read by two heads and a neutral gate; the label is judged on
  the register's score (``pipeline.learned.register_score``, -1..1) against the same thresholds.
  When VADER reads a clear complaint in one sentence of several (``STRONG_NEGATIVE``), the text
  is at least that negative. ``learned=False`` keeps VADER's combination alone (for training).
* Language (``pipeline.language``): text in a language VADER cannot read is ``unscored``, not
  guessed; aspects (``pipeline.aspects``) name what a negative mention is about.
* Rating: a star rating on the 1..5 scale decides the label (<= 2 negative, >= 4 positive, in
  between neutral); the text label is kept beside it (with its driving sentence) and a rating
  that contradicts a clearly scored text (``|compound| >= CONFLICT_MARGIN`` the other way) sets
  ``rating_conflict``.
* Urgency (``data/urgent_phrases.txt``): a mention containing any listed phrase, matched
  case-insensitively on word boundaries with straight or curly apostrophes, is urgent whatever
  its score.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from vaderSentiment.vaderSentiment import (
    B_INCR,
    N_SCALAR,
    SentimentIntensityAnalyzer,
    negated,
)

from pipeline.aspects import AspectFinder
from pipeline.fast_vader import FastVader
from pipeline.features import dense_features, evidence_features, tokens
from pipeline.focus import Focus
from pipeline.keyword_index import KeywordIndex
from pipeline.language import LanguageDetector, readable
from pipeline.learned import VADER_BAND, LearnedModel, load_model
from pipeline.match import BusinessMatcher
from pipeline.registers import DEFAULT_REGISTER, REGISTERS, per_register
from pipeline.sentence_split import split_sentences

DATA_DIR = Path(__file__).resolve().parent / "data"
DOMAIN_LEXICON_PATH = DATA_DIR / "domain_lexicon.yaml"
URGENT_PHRASES_PATH = DATA_DIR / "urgent_phrases.txt"

# What a name reads as (`SentimentScorer.unnamed`): a word in neither VADER's lexicon nor the
# model's vocabulary (training leaves it out; a test holds that of the shipped model).
NAME_STAND_IN = "Acme"
# Given names that are words of praise to VADER: "Our waitress Joy forgot our order twice." and
# "Grace was rude." read as praise. Capitalized inside a sentence, or at its start before a verb
# or a place, they are a person (the staff a review names), not joy or grace.
_GIVEN_NAMES = ("Joy", "Grace", "Faith", "Mercy", "Charity", "Harmony", "Precious", "Sunny")
_NAME_FOLLOWERS = ("was|is|did|does|has|had|never|always|at|from|took|helped|made|gave|got|told|said|and|who|"
                   "asked|forgot|ignored|kept|seemed|sat|brought|checked|greeted|answered|called")
_ANY_GIVEN_NAME = "|".join(_GIVEN_NAMES)
_GIVEN_NAME_HINT = re.compile(_ANY_GIVEN_NAME)  # a cheap first look: most texts hold none
_GIVEN_NAME = re.compile(rf"(?<=[^\s.!?]\s)(?:{_ANY_GIVEN_NAME})\b"
                         rf"|^(?:{_ANY_GIVEN_NAME})(?=\s+(?:{_NAME_FOLLOWERS})\b)", re.MULTILINE)

NEGATIVE = "negative"
NEUTRAL = "neutral"
POSITIVE = "positive"
# A text in a language the scorer cannot read, without a rating to decide (pipeline.language).
UNSCORED = "unscored"

# A sentence at or below this compound is a clear complaint (one strongly negative word such as
# "rude" (-2.0) or "terrible" (-2.1) alone gives about -0.46); such a sentence sets the text score.
STRONG_NEGATIVE = -0.45
# A rating conflicts with the text when the text scores at least this far the other way.
CONFLICT_MARGIN = 0.5
# Ratings at or below / at or above these decide negative / positive (1..5 stars).
RATING_NEGATIVE_MAX = 2.0
RATING_POSITIVE_MIN = 4.0
# Sentences whose VADER scores a scorer keeps (see SentimentScorer.read): a few MB at most.
SENTENCE_CACHE_SIZE = 10_000
# Opening words that make a sentence contrast with the one before it (VADER's "but" rule).
_CONTRAST_OPENERS = frozenset({"but", "however"})
# VADER weighs the clause before "but" by half; the same factor across a sentence boundary.
_CONTRAST_FACTOR = 0.5
# VADER's negation reach: a negator up to three words before a sentiment word flips it.
_NEGATION_WINDOW = 3
# VADER's valence scale.
_VALENCE_LIMIT = 4.0

# Typographic apostrophes and quotes -> ASCII, because VADER's negation list is ASCII only.
_TYPOGRAPHIC = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"'}
)


@dataclass(frozen=True, slots=True)
class SentenceScore:
    """One sentence of a mention and its VADER compound score (-1..1)."""

    text: str
    compound: float


@dataclass(frozen=True, slots=True)
class VaderReading:
    """VADER's reading of one mention, before the learned model or a rating has a say."""

    sentences: tuple[SentenceScore, ...]
    scores: list[dict[str, float]]  # VADER's polarity_scores of each sentence
    compound: float  # combine_sentences of the sentence compounds
    driver: SentenceScore | None


@dataclass(frozen=True, slots=True)
class Score:
    """The sentiment verdict on one mention."""

    compound: float  # VADER's combined text score, -1..1 (combine_sentences)
    label: str  # 'negative' | 'neutral' | 'positive' (rating decides when given)
    text_label: str  # label from the text alone
    rating_conflict: bool
    driver: str | None  # the sentence that drove the label (None for empty text)
    sentences: tuple[SentenceScore, ...]
    urgent: bool
    urgent_phrases: tuple[str, ...]
    sentiment: float = 0.0  # the score the label is judged on, -1..1: P(positive) - P(negative)
    probabilities: tuple[float, float, float] | None = None  # the model's P(neg), P(neu), P(pos)
    language: str | None = None  # ISO 639-1 code of the text's language, None when too short to tell
    aspects: tuple[str, ...] = ()  # what a negative mention is about (pipeline.aspects)
    phrase_read: bool = False  # the model's negative verdict gave way to domain phrases' reading


# ---------------------------------------------------------------------------------------------
# Data files


def load_domain_lexicon(path: Path = DOMAIN_LEXICON_PATH) -> tuple[dict[str, float], frozenset[str]]:
    """Read the domain lexicon YAML: returns ``(entries, intensifiers)``.

    ``entries`` maps lower-case words, emojis and phrases to valences on VADER's -4..+4 scale
    (the file's ``words``, ``emojis`` and ``phrases`` sections merged); ``intensifiers`` is the file's
    ``intensifiers`` list. A phrase slot written ``<name>`` stands for the words of the file's
    ``word_lists`` entry of that name. Raises ``ValueError`` naming the bad entry.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping with 'words', 'phrases', 'intensifiers'")
    sections = {section: data.get(section) or {} for section in ("words", "emojis", "phrases")}
    if isinstance(sections["phrases"], Mapping):  # else validate_lexicon says what is wrong
        word_lists = _word_lists(data.get("word_lists") or {}, path)
        expanded = {}
        for phrase, valence in sections["phrases"].items():
            try:
                expanded[_named_slots(str(phrase), word_lists)] = valence
            except KeyError as exc:
                raise ValueError(f"{path}: phrase {phrase!r} names <{exc.args[0]}>, which word_lists does not hold") from None
        sections["phrases"] = expanded
    entries: dict[str, float] = {}
    for section, given in sections.items():
        part = validate_lexicon(given, source=f"{path}: {section}")
        for entry in part:
            if (" " in entry) != (section == "phrases"):
                raise ValueError(f"{path}: {entry!r} is in the wrong section (phrases have spaces)")
        entries.update(part)
    intensifiers = frozenset(str(word).lower() for word in data.get("intensifiers") or ())
    return entries, intensifiers


def _word_lists(lists: object, path: Path) -> dict[str, str]:
    """The file's ``word_lists`` (name -> list of words), each as one phrase slot ("tacos|pho")."""
    if not isinstance(lists, Mapping) or not all(isinstance(words, list) for words in lists.values()):
        raise ValueError(f"{path}: word_lists: expected names, each with a list of words")
    return {str(name): "|".join(map(str, words)) for name, words in lists.items()}


def _named_slots(phrase: str, word_lists: Mapping[str, str]) -> str:
    """``phrase`` with each ``<name>`` alternative replaced by that word list's words (KeyError: no such list)."""
    return " ".join("|".join(word_lists[word[1:-1]] if word.startswith("<") and word.endswith(">") else word
                             for word in slot.split("|")) for slot in phrase.split())


def validate_lexicon(entries: Mapping[str, float], source: str = "extra_lexicon") -> dict[str, float]:
    """Return ``entries`` with lower-cased, whitespace-normalized keys and float valences.

    Raises ``ValueError`` for an empty key or a valence that is not a number in -4..+4.
    """
    if not isinstance(entries, Mapping):
        raise ValueError(f"{source}: expected a mapping of word or phrase -> valence")
    clean: dict[str, float] = {}
    for key, value in entries.items():
        phrase = " ".join(str(key).lower().translate(_TYPOGRAPHIC).split())
        if not phrase:
            raise ValueError(f"{source}: empty word or phrase")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise ValueError(f"{source}: valence of {key!r} must be a number, got {value!r}")
        if not -_VALENCE_LIMIT <= value <= _VALENCE_LIMIT:
            raise ValueError(f"{source}: valence of {key!r} must be within -4..+4, got {value}")
        clean[phrase] = float(value)
    return clean


def urgent_key(phrase: str) -> str:
    """An urgent phrase as the matcher compares it: lower case, one space between words, ' for ’."""
    return " ".join(phrase.lower().translate(_TYPOGRAPHIC).split())


def load_urgent_phrases(path: Path = URGENT_PHRASES_PATH) -> list[str]:
    """Read the urgent phrases file: one phrase a line, ``#`` starts a comment."""
    phrases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        phrase = line.split("#", 1)[0].strip()
        if phrase:
            phrases.append(phrase)
    return phrases


# ---------------------------------------------------------------------------------------------
# Phrase rules inside VADER


# "#" in a phrase stands for a number; "#N+" for a number of at least N ("waited #20+ minutes").
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60,
    "ninety": 90, "several": 3, "many": 3,
}  # fmt: skip
_NUMBER_SLOT = re.compile(r"#(?:(\d+)\+)?")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)?\+?")
_PUNCTUATION = string.punctuation


def _number_value(token: str) -> float | None:
    """The value of a number token ("45", "45+", "forty-five", "an"), else None."""
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    if token[:1].isdigit() and _DIGITS.fullmatch(token):
        return float(token.rstrip("+").replace(",", "."))
    return None


# A slot is either a set of words or a number with a minimum (None: any number).
_Slot = frozenset[str] | float | None


@dataclass(frozen=True, slots=True)
class _Phrase:
    text: str
    valence: float
    slots: tuple[_Slot, ...]
    numeric: tuple[bool, ...]  # per slot: is it a number slot


# Common words make poor anchors for finding phrases: a phrase is looked up from its least
# common slot, so that most sentences never reach the per-phrase checks. (Speed only: the lines
# after the first, found by counting the dev sets' sentences that reach the checks, halve how many
# anchor words they meet; the last keeps "and|but never did" and "far from" off "and" and "from".)
_COMMON_ANCHORS = frozenset(
    """a an the to in on of at for my me us you them it be is was were do does did will would
    not no never back off again away come coming go going got work found free made after
    anything best bill certainly doesn't down enough good house left like long low many only over
    people shot show there think whole without won't
    and but from up other another here still""".split()
)


class _PhraseRules:
    """Multi-word lexicon entries, matched over a sentence's tokens.

    Phrase syntax: words separated by spaces; ``a|b`` in a slot means either word; ``#`` means
    a number (digits or a number word), ``#N+`` a number of at least N. Where phrases found in
    a sentence overlap, the one starting first (then the longest) wins.
    """

    def __init__(self, phrases: Mapping[str, float]):
        # anchor word -> (index of the anchor slot in the phrase, phrase)
        self._by_anchor: dict[str, list[tuple[int, _Phrase]]] = {}
        for text, valence in phrases.items():
            slots: list[_Slot] = []
            numeric: list[bool] = []
            for word in text.split():
                number = _NUMBER_SLOT.fullmatch(word)
                numeric.append(number is not None)
                if number is None:
                    slots.append(frozenset(word.split("|")))
                else:
                    slots.append(float(number.group(1)) if number.group(1) else None)
            phrase = _Phrase(text, valence, tuple(slots), tuple(numeric))
            anchor = self._anchor_slot(phrase)
            for word in phrase.slots[anchor]:
                self._by_anchor.setdefault(word, []).append((anchor, phrase))
        # Most sentences hold no anchor word: one set test rules them out.
        self.keys = frozenset(self._by_anchor)
        # VADER strips punctuation from every token longer than two characters once stripped,
        # so only anchors of two characters or less can hide behind punctuation ("no.").
        self.short_keys = any(len(k) <= 2 for k in self.keys)

    @staticmethod
    def _anchor_slot(phrase: _Phrase) -> int:
        """Index of the slot to find the phrase by: a word slot, the least common one."""
        candidates = [i for i, numeric in enumerate(phrase.numeric) if not numeric]
        if not candidates:
            raise ValueError(f"phrase {phrase.text!r} needs at least one word that is not a number")

        def rarity(i: int) -> tuple[bool, int, int]:
            words = phrase.slots[i]
            # Uncommon words first, then longer shortest word, then the later slot.
            return (words.isdisjoint(_COMMON_ANCHORS), min(map(len, words)), i)

        return max(candidates, key=rarity)

    @staticmethod
    def _matches(phrase: _Phrase, tokens: list[str], start: int) -> bool:
        if start < 0 or start + len(phrase.slots) > len(tokens):
            return False
        for offset, (slot, numeric) in enumerate(zip(phrase.slots, phrase.numeric)):
            token = tokens[start + offset]
            if numeric:
                value = _number_value(token.rstrip(_PUNCTUATION) or token)
                if value is None or (slot is not None and value < slot):
                    return False
            # VADER leaves punctuation on tokens of two characters or less ("me.").
            elif token not in slot and token.strip(_PUNCTUATION) not in slot:
                return False
        return True

    def apply(self, lowered: list[str], sentiments: list[float]) -> list[tuple[int, int]]:
        """Give each phrase found in the sentence its valence, in place of its words' valence.

        ``lowered`` are VADER's tokens of the sentence in lower case and ``sentiments`` VADER's
        per-token valences (modified in place). A negation within the three tokens before a
        phrase flips its valence, as VADER does for single words. Returns the token spans
        (start, end) of the phrases applied.
        """
        keys = self.keys
        if self.short_keys:
            hits = [
                (i, t if t in keys else t.strip(_PUNCTUATION))
                for i, t in enumerate(lowered)
                if t in keys or (len(t) <= 3 and t.strip(_PUNCTUATION) in keys)
            ]
        else:
            hits = [(i, t) for i, t in enumerate(lowered) if t in keys]
        if not hits:
            return []
        found = []
        for i, token in hits:
            for anchor, phrase in self._by_anchor[token]:
                if self._matches(phrase, lowered, i - anchor):
                    found.append((i - anchor, -len(phrase.slots), phrase))
        found.sort(key=lambda item: item[:2])
        matched_until = 0
        applied = []
        for start, negative_length, phrase in found:
            if start < matched_until:
                continue  # overlaps a phrase already applied
            valence = phrase.valence
            if negated(lowered[max(0, start - _NEGATION_WINDOW) : start]):
                valence *= N_SCALAR
            end = start - negative_length
            sentiments[start] = valence
            sentiments[start + 1 : end] = [0.0] * (end - start - 1)
            matched_until = end
            applied.append((start, end))
        return applied


class _PhraseRead(list):
    """A sentence's valences in which domain phrases were applied."""


# Key of VADER's polarity scores set when domain phrases read the sentence and no negative word is
# left in it (a phrase of negative valence is one).
PHRASE_READ = "phrase_read"


class _DomainAnalyzer(FastVader):
    """VADER with a domain lexicon, phrase rules and intensifier words.

    Single words go into this instance's own copy of VADER's lexicon; a word given valence 0
    is taken out of it (it is then an ordinary word, not a neutral sentiment word). An emoji
    with a valence gets a token of its own as its description (VADER reads an emoji as the
    words of its name, which carry no sentiment for most of them). Phrase and intensifier
    rules run in ``_but_check``: it is the one step of ``polarity_scores`` that receives both
    the sentence's tokens and their valences (one per token), before they are summed, so
    overriding it adds the rules without copying any of VADER's code. Underneath is
    ``FastVader``: VADER's own scores, computed with less waste (``pipeline.fast_vader``).
    """

    def __init__(self, words: Mapping[str, float], phrases: _PhraseRules, intensifiers: frozenset[str]):
        super().__init__()
        # Copies: never touch dicts another analyzer may share.
        # Numbers carry no sentiment in reviews ("waited 86 minutes", "order #187"): VADER's slang
        # readings of them (86 -1.6, 187 -3.1, 143 +3.2) are left out.
        self.lexicon = {word: valence for word, valence in self.lexicon.items() if not word.isdigit()}
        self.emojis = dict(self.emojis)
        for word, valence in words.items():
            if word in self.emojis:
                token = "emoji-" + "-".join(f"{ord(c):x}" for c in word)
                self.emojis[word] = token
                word = token
            if valence == 0.0:
                self.lexicon.pop(word, None)
            else:
                self.lexicon[word] = valence
        # VADER lists "incredible" and "exceptional" among its boosters, words that only intensify
        # the next one and have no valence of their own, so "the food was incredible" was nothing
        # to it. A word this lexicon gives a valence is a word of sentiment here, not a booster.
        self.boosters = {word: boost for word, boost in self.boosters.items() if word not in words}
        self._phrase_rules = phrases
        self._intensifiers = intensifiers
        self._trigger_words = intensifiers | phrases.keys

    def _but_check(self, words_and_emoticons, sentiments):
        lowered = self._lower(words_and_emoticons)
        phrases: list[tuple[int, int]] = []
        # One set test lets most sentences skip both rules.
        if not self._trigger_words.isdisjoint(lowered) or self._phrase_rules.short_keys:
            if not self._intensifiers.isdisjoint(lowered):
                self._apply_intensifiers(lowered, sentiments)
            phrases = self._phrase_rules.apply(lowered, sentiments)
            if phrases:
                sentiments = _PhraseRead(sentiments)
        # VADER's check changes nothing unless "but" is a token; skipping it then saves a
        # second lower-casing of every token (about 4% of a call). VADER weighs the words around
        # the first "but"; one inside a phrase ("nothing but praise") is no contrast.
        if "but" in lowered:
            at = lowered.index("but")
            if any(start <= at < end for start, end in phrases):
                return sentiments
            return super()._but_check(words_and_emoticons, sentiments)
        return sentiments

    def score_valence(self, sentiments, text):
        scores = super().score_valence(sentiments, text)
        if type(sentiments) is _PhraseRead and not scores["neg"]:
            scores[PHRASE_READ] = 1.0
        return scores

    def _apply_intensifiers(self, lowered: list[str], sentiments: list[float]) -> None:
        for i in range(len(lowered) - 1):
            if lowered[i] in self._intensifiers and lowered[i + 1] in self.lexicon and sentiments[i + 1]:
                sentiments[i] = 0.0
                sentiments[i + 1] += math.copysign(B_INCR, sentiments[i + 1])


# ---------------------------------------------------------------------------------------------
# Urgency


_WORD = re.compile(r"\w+")
# Words too common to pick as an urgent phrase's key word for the prefilter.
_COMMON_WORDS = frozenset("a an the to in on of at my me us you them will going got made after".split())
# For ASCII text: every byte that \w does not match -> space, A-Z -> a-z. Splitting the
# translated bytes gives the same words as a lower-cased \w+ findall at a fraction of the cost
# (bytes.translate is one table lookup per byte in C).
_ASCII_WORD_TABLE = bytes(
    (b + 32 if 65 <= b <= 90 else b) if chr(b).isalnum() or chr(b) == "_" else 32 for b in range(256)
)


def _ascii_words(text: str) -> list[bytes]:
    """The lower-case words of an ASCII ``text``, as bytes."""
    return text.encode("ascii").translate(_ASCII_WORD_TABLE).split()


class _UrgentMatcher:
    """Finds urgent phrases: case-insensitive, on word boundaries, any apostrophe style."""

    def __init__(self, phrases: Iterable[str]):
        self._canonical: dict[str, str] = {}
        by_key: dict[str, list[str]] = {}
        for phrase in phrases:
            normalized = urgent_key(phrase)
            words = normalized.split()
            if not words:
                continue
            if normalized in self._canonical:
                continue
            self._canonical[normalized] = phrase.strip()
            # Any run of whitespace between words; any apostrophe style inside them.
            pattern = r"\s+".join(re.escape(w).replace("'", "['\u2018\u2019\u02bc]") for w in words)
            by_key.setdefault(self._key_word(normalized), []).append(pattern)
        # One regex per key word, run only on texts that contain that word: most mentions hold
        # no urgent phrase, and one set intersection costs far less than a large alternation
        # tried at every position of the text. Phrases without any word ("" key) always run.
        self._regexes = {key: self._compile(patterns) for key, patterns in by_key.items()}
        self._always = self._regexes.pop("", None)
        self._keys = frozenset(self._regexes)
        self._ascii_keys = {key.encode(): key for key in self._keys if key.isascii()}

    @staticmethod
    def _compile(patterns: list[str]) -> re.Pattern[str]:
        patterns = sorted(patterns, key=len, reverse=True)  # longest first
        # A lookahead, so that overlapping phrases ("got sick" in "got sick after") all count.
        return re.compile(r"(?<!\w)(?=(" + "|".join(patterns) + r")(?!\w))", re.IGNORECASE)

    @staticmethod
    def _key_word(phrase: str) -> str:
        """A word the phrase cannot match without: its longest word that is not a common one."""
        words = _WORD.findall(phrase)
        specific = [w for w in words if w not in _COMMON_WORDS] or words
        return max(reversed(specific), key=len, default="")

    def find(self, *texts: str) -> tuple[str, ...]:
        """Return the listed phrases found in ``texts``, each once, in order of appearance."""
        found: dict[str, None] = {}
        for text in texts:
            if text.isascii():  # O(1) for str
                keys = [self._ascii_keys[k] for k in self._ascii_keys.keys() & _ascii_words(text)]
            else:
                keys = self._keys.intersection(_WORD.findall(text.lower()))
            regexes = [self._regexes[key] for key in keys]
            if self._always is not None:
                regexes.append(self._always)
            if not regexes:
                continue
            # By position, longer first; a match lying inside another ("theft" in "identity
            # theft") adds nothing, while partly overlapping ones ("got sick after") both count.
            matches = sorted(
                (m.start(), -len(m.group(1)), m.group(1)) for regex in regexes for m in regex.finditer(text)
            )
            reach = -1
            for start, negative_length, matched in matches:
                if start - negative_length <= reach:
                    continue
                reach = start - negative_length
                found.setdefault(self._canonical[urgent_key(matched)])
        return tuple(found)


# ---------------------------------------------------------------------------------------------
# Combination and labels


def combine_sentences(
    scores: Sequence[SentenceScore], strong_negative: float = STRONG_NEGATIVE
) -> tuple[float, SentenceScore | None]:
    """Combine sentence scores into one text score; return ``(compound, driving sentence)``.

    Rule: if the most negative sentence scores at or below ``strong_negative``, the text takes
    its score and it is the driver (a clear complaint is never averaged away); otherwise the text
    score is the mean of the sentence scores weighted by their own absolute value (neutral filler
    does not dilute), where a sentence followed by one that opens with "but"/"however" weighs
    half. The driver is then the strongest sentence on the side of the result (the first one
    when all are neutral).
    """
    if not scores:
        return 0.0, None
    if len(scores) == 1:
        return scores[0].compound, scores[0]
    weights = [1.0] * len(scores)
    for i in range(1, len(scores)):
        opener = scores[i].text.split(None, 1)[0].strip(_PUNCTUATION).lower()
        if opener in _CONTRAST_OPENERS:
            weights[i - 1] = _CONTRAST_FACTOR
    weighted = [s.compound * w for s, w in zip(scores, weights)]
    worst = min(range(len(scores)), key=weighted.__getitem__)
    if weighted[worst] <= strong_negative:
        return weighted[worst], scores[worst]
    total = sum(abs(v) for v in weighted)
    if total == 0.0:
        return 0.0, scores[0]
    compound = sum(v * abs(v) for v in weighted) / total
    if compound < 0:
        return compound, scores[worst]
    best = max(range(len(scores)), key=weighted.__getitem__)
    return compound, scores[best]


def rating_label(rating: float) -> str:
    """Label from a star rating on the 1..5 scale: <= 2 negative, >= 4 positive, else neutral."""
    if isinstance(rating, bool) or not isinstance(rating, (int, float)) or not 1.0 <= rating <= 5.0:
        raise ValueError(f"rating must be a number from 1 to 5, got {rating!r}")
    if rating <= RATING_NEGATIVE_MAX:
        return NEGATIVE
    if rating >= RATING_POSITIVE_MIN:
        return POSITIVE
    return NEUTRAL


def _label(compound: float, negative_threshold: float, positive_threshold: float) -> str:
    if compound <= negative_threshold:
        return NEGATIVE
    if compound >= positive_threshold:
        return POSITIVE
    return NEUTRAL


@functools.cache
def _plain_analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def plain_vader_label(text: str, neg: float = -0.05, pos: float = 0.05) -> str:
    """Label ``text`` with bare VADER on the whole text (the baseline to compare against)."""
    return _label(_plain_analyzer().polarity_scores(text)["compound"], neg, pos)


# ---------------------------------------------------------------------------------------------
# The scorer


class SentimentScorer:
    """Scores mentions: VADER per sentence with the domain rules, star ratings and urgency.

    ``extra_lexicon`` adds or overrides words and phrases (valence on VADER's -4..+4 scale;
    a key with a space is a phrase, written as in ``data/domain_lexicon.yaml``: ``a|b`` for
    either word in a slot, ``#`` for a number, ``#N+`` for a number of at least N). ``urgent_phrases`` replaces the shipped urgent phrase list
    (None keeps it) and ``extra_urgent_phrases`` adds to it. ``strong_negative`` is the
    sentence score at or below which one sentence makes the whole text negative (see
    ``combine_sentences``); -1 turns that rule off. ``negative_threshold`` (``alerts.threshold``)
    is the score at or below which a text is negative: one for every register, or a mapping for
    the registers it names; a register left out keeps its own, chosen when the model was trained
    (``threshold_for``). ``names`` are the watched businesses' names and keywords: each is read
    as a name, not for the words in it (see `unnamed`). ``focus`` knows the watched businesses'
    keywords, to tell which part of a mention naming several is about which (``pipeline.focus``;
    ``pipeline.flow.judge_all`` and ``mentionwatch score --business`` read that part).
    """

    def __init__(
        self,
        negative_threshold: float | Mapping[str, float] | None = None,
        positive_threshold: float = 0.05,
        extra_lexicon: Mapping[str, float] | None = None,
        urgent_phrases: Sequence[str] | None = None,
        extra_urgent_phrases: Sequence[str] = (),
        *,
        strong_negative: float = STRONG_NEGATIVE,
        learned: bool = True,
        model: LearnedModel | None = None,
        extra_aspects: Mapping[str, Sequence[str]] | None = None,
        urgent_phrases_by_language: Mapping[str, Sequence[str]] | None = None,
        names: Sequence[str] = (),
        not_urgent: Mapping[str, Sequence[str]] | None = None,
        focus: Focus | None = None,
    ):
        self.configured_thresholds = per_register(negative_threshold)
        unknown = set(self.configured_thresholds) - set(REGISTERS)
        if unknown:
            raise ValueError(f"negative_threshold names no register {sorted(unknown)[0]!r}: expected {REGISTERS}")
        if not -1.0 < positive_threshold <= 1.0 or not all(
                -1.0 <= t < positive_threshold for t in self.configured_thresholds.values()):
            raise ValueError(
                "thresholds must satisfy -1 <= negative_threshold < positive_threshold <= 1, "
                f"got {negative_threshold} and {positive_threshold}"
            )
        if not -1.0 <= strong_negative <= 0.0:
            raise ValueError(f"strong_negative must be within -1..0, got {strong_negative}")
        self.positive_threshold = positive_threshold
        self.strong_negative = strong_negative
        entries, intensifiers = load_domain_lexicon()
        entries.update(validate_lexicon(extra_lexicon or {}))
        words = {k: v for k, v in entries.items() if " " not in k}
        phrases = {k: v for k, v in entries.items() if " " in k}
        self._analyzer = _DomainAnalyzer(words, _PhraseRules(phrases), intensifiers)
        self._sentence_scores: dict[str, dict[str, float]] = {}  # see `read`; never modified
        self._domain_negative = frozenset(w for w, v in words.items() if v < 0)
        if isinstance(urgent_phrases, str) or isinstance(extra_urgent_phrases, str):
            raise ValueError("urgent phrases must be a sequence of phrases, not one string")
        base = load_urgent_phrases() if urgent_phrases is None else list(urgent_phrases)
        self._urgent = _UrgentMatcher([*base, *(extra_urgent_phrases or ())])
        # Phrases given for one language are looked for in texts of that language (or of none
        # told); the shipped and extra lists above in every text.
        self._urgent_by_language = {
            language.lower(): _UrgentMatcher([*base, *(extra_urgent_phrases or ()), *phrases])
            for language, phrases in (urgent_phrases_by_language or {}).items()
        }
        # One scan of a text finds the few names that could be in it (pipeline.keyword_index).
        self._names = KeywordIndex({name: BusinessMatcher([name]) for name in names}) if names else None
        # A name is no emergency ("Injury Law Group", "Bed Bug Busters"): urgency is read without the
        # names where one holds an urgent phrase; elsewhere that would cost for nothing.
        matchers = [self._urgent, *self._urgent_by_language.values()]
        self._unnamed_for_urgency = self.unnamed if any(m.find(n) for m in matchers for n in names) else str
        # Per business, the urgent phrases that name its trade (a law firm's "lawyer").
        self._not_urgent = {business: frozenset(map(urgent_key, phrases))
                            for business, phrases in (not_urgent or {}).items()}
        self.focus = focus
        self._aspects = AspectFinder(extra_aspects)
        # A complaint's aspects are read without the names only where a name holds an aspect's
        # word ("Bad Ass Coffee": the coffee; "Dirty Dozen": cleanliness): elsewhere it costs for nothing.
        self._unnamed_for_aspects = self.unnamed if any(map(self._aspects.find, names)) else str
        self._languages = LanguageDetector()
        # The learned model judges the text; learned=False (training only) leaves VADER's rule.
        self._model = (model or load_model()) if learned else None
        if max(map(self.threshold_for, REGISTERS)) >= positive_threshold:
            raise ValueError(f"positive_threshold {positive_threshold} must be above every register's own "
                             "negative threshold; give negative_threshold too")

    def threshold_for(self, register: str | None) -> float:
        """The score at or below which a text read in ``register`` is negative: the configured one
        (``negative_threshold``) when it names the register, else the register's own from the model
        (-0.05, VADER's band, without one)."""
        register = register if register in REGISTERS else DEFAULT_REGISTER
        if register in self.configured_thresholds:
            return self.configured_thresholds[register]
        if self._model is None:
            return -VADER_BAND
        return self._model.alert_threshold(register)

    def vader_led(self, register: str | None) -> bool:
        """Whether VADER's compound leads in ``register``: always without the model."""
        return self._model is None or self._model.vader_led(register or DEFAULT_REGISTER)

    @property
    def businesses(self) -> tuple[str, ...]:
        """The businesses given with ``not_urgent`` (the pipeline gives every watched one)."""
        return tuple(self._not_urgent)

    def names_in(self, text: str) -> list[str]:
        """The watched names and keywords ``text`` holds, as written there."""
        return [text[m.start:m.end] for m in self._names.find(text)] if self._names else []

    def unnamed(self, text: str) -> str:
        """``text`` with each watched name in it, and each given name that is a word of praise
        (``_GIVEN_NAMES``), replaced by a word neither VADER nor the model knows.

        A name is not an opinion: "Dirty Dozen Brewing released a new IPA." is news, "Bad Ass
        Coffee opened in the mall." too, "Happy Lemon has a new drink." no praise, and "Grace was
        rude." a complaint. Both readers see the name's place (a sentence keeps its shape) but
        none of its words.
        """
        if _GIVEN_NAME_HINT.search(text):
            text = _GIVEN_NAME.sub(NAME_STAND_IN, text)
        found = self._names.find(text) if self._names else None
        if not found:
            return text
        parts, last = [], 0
        for match in found:
            parts += [text[last:match.start], NAME_STAND_IN]
            last = match.end
        parts.append(text[last:])
        return "".join(parts)

    def prepare(self) -> None:
        """Load now what is otherwise loaded at first need (the language model), e.g. before timing."""
        self._languages.load()

    def forget_sentences(self) -> None:
        """Empty the cache of recently read sentences (see `read`): a benchmark times cold reads."""
        self._sentence_scores.clear()

    def read(self, text: str, title: str | None = None) -> VaderReading:
        """VADER's reading of a mention: each sentence's scores and their combination."""
        pieces = split_sentences(text)
        if title:
            pieces = split_sentences(title) + pieces
        polarity = self._analyzer.polarity_scores
        # This loop runs for every mention, and the floor it is measured against is one bare
        # polarity_scores call. A sentence read lately is not read again: `judge` reads a body
        # twice (with and without its title), and feeds repeat boilerplate. The scores are VADER's
        # for the sentence alone (its names unnamed), so the cache changes nothing.
        known = self._sentence_scores
        if len(known) > SENTENCE_CACHE_SIZE:
            known.clear()
        unname = self._names is not None or _GIVEN_NAME_HINT.search(text) or (title and _GIVEN_NAME_HINT.search(title))
        scores = []
        for piece in pieces:
            found = known.get(piece)
            if found is None:
                read_as = self.unnamed(piece) if unname else piece
                found = known[piece] = polarity(read_as if read_as.isascii() else read_as.translate(_TYPOGRAPHIC))
            scores.append(found)
        sentences = tuple([SentenceScore(p, s["compound"]) for p, s in zip(pieces, scores)])
        compound, driver = combine_sentences(sentences, self.strong_negative)
        return VaderReading(sentences, scores, compound, driver)

    def features(self, text: str, title: str | None = None, reading: VaderReading | None = None):
        """The learned model's features of a mention: ``(lexical, dense, evidence)``."""
        reading = reading or self.read(text, title)
        full = self.unnamed(f"{title}\n{text}" if title else text)
        lexical = tokens(full)
        lexicon = self._analyzer.lexicon
        # Both read single features only: word pairs are left out once, here, not in each.
        single = [feature for feature in lexical if " " not in feature]
        dense = dense_features(full, reading.scores, reading.compound, lexicon, self._domain_negative, single)
        return lexical, dense, evidence_features(single, lexicon)

    def urgent_phrases(self, text: str, title: str | None = None, language: str | None = None,
                       business: str | None = None) -> tuple[str, ...]:
        """The urgent phrases in a mention written in ``language`` (None: not known), each once:
        those of that language's list, or of every list when the language is not known; never in
        a watched name, nor those that name ``business``'s trade (``not_urgent``)."""
        unnamed = self._unnamed_for_urgency
        text, title = unnamed(text), title and unnamed(title)
        if language is None and self._urgent_by_language:
            full = f"{title}\n{text}" if title else text
            found = tuple(dict.fromkeys(p for m in self._urgent_by_language.values() for p in m.find(full)))
        else:
            urgent = self._urgent_by_language.get(language or "", self._urgent)
            found = urgent.find(title, text) if title else urgent.find(text)
        trade = self._not_urgent.get(business or "")
        return tuple(p for p in found if urgent_key(p) not in trade) if trade else found

    def score(
        self, text: str, title: str | None = None, rating: float | None = None, register: str | None = None,
        business: str | None = None, language_of: str | None = None,
    ) -> Score:
        """Score one mention's plain ``text`` (and ``title``), letting a 1..5 ``rating`` decide.

        ``register`` is the kind of writing (``pipeline.registers``: "social", "news", "review";
        ``register_of(source_type)`` tells it from the source), whose calibration the model
        uses; None reads the text as a review. ``business`` is the one the mention is about, whose
        trade's words are not urgent (``not_urgent``). ``language_of`` is the text whose language
        ``text`` is written in when ``text`` is a part of it (``pipeline.focus``): a part of a few words
        is too short to tell. Raises ``ValueError`` when ``rating`` is not a number from 1 to 5.
        """
        full = f"{title}\n{text}" if title else text
        language = self._languages.detect(language_of or full)
        found = self.urgent_phrases(text, title, language, business)
        if not readable(language):
            # VADER and the model read English: another language is not guessed at.
            label = rating_label(rating) if rating is not None else UNSCORED
            return Score(0.0, label, UNSCORED, False, None, (), bool(found), found, 0.0, None, language, ())
        reading = self.read(text, title)
        sentences, compound, driver = reading.sentences, round(reading.compound, 4), reading.driver
        negative_threshold = self.threshold_for(register)
        probabilities = None
        phrase_read = False
        if self._model is None or not sentences:
            sentiment = compound
        else:
            # The model reads the whole text, as it was trained to; VADER's reading of each
            # sentence is among its inputs.
            probabilities, sentiment = self._model.judge(*self.features(text, title, reading),
                                                         register or DEFAULT_REGISTER)
            if len(sentences) > 1 and compound <= self.strong_negative and compound < sentiment:
                # VADER reads a clear complaint in one of the sentences: it is never averaged away.
                sentiment = compound
            elif sentiment <= negative_threshold and all(PHRASE_READ in s for s in reading.scores):
                # A domain phrase read every sentence and VADER found nothing negative left: the
                # phrase was written for this meaning, so the model's word weights cannot make a
                # complaint of it ("They went out of their way to help.", "There is no dress code.").
                sentiment, phrase_read = compound, True
            elif _label(sentiment, negative_threshold, self.positive_threshold) != _label(
                    compound, negative_threshold, self.positive_threshold) and sentiment:
                # The model overrules VADER: the driver is the sentence VADER reads most its way.
                driver = (min if sentiment < 0 else max)(sentences, key=lambda s: s.compound)
        text_label = _label(sentiment, negative_threshold, self.positive_threshold)
        if rating is None:
            label, conflict = text_label, False
        else:
            label = rating_label(rating)
            conflict = (label == POSITIVE and sentiment <= -CONFLICT_MARGIN) or (
                label == NEGATIVE and sentiment >= CONFLICT_MARGIN
            )
        driver_text = driver.text if driver else None
        aspects = (
            self._aspects.of_complaint([(s.text, s.compound) for s in sentences], driver_text, full,
                                       self._unnamed_for_aspects)
            if label == NEGATIVE else ()
        )
        return Score(
            compound, label, text_label, conflict, driver_text, sentences, bool(found), found,
            sentiment, probabilities, language, aspects, phrase_read,
        )  # fmt: skip  (positional: Score's field order)
