"""VADER, the same scores in less time: the hot spots of vaderSentiment 3.3.2 without their waste.

The scorer calls VADER once per sentence of every mention, so VADER's fixed costs per call are
most of the pipeline's scoring time. Four of them can go without changing any result:

* ``polarity_scores`` rebuilds the text character by character to swap emojis for their names;
  an ASCII text holds no emoji, so it is used as it is (and a non-ASCII one is rebuilt only
  when it holds an emoji).
* ``_negation_check`` and ``_special_idioms_check`` lower-case the whole sentence again for each
  sentiment word they look around (up to four times per word); here each sentence is lower-cased
  once.
* ``negated`` walks VADER's list of negations for one word; here it is a set lookup.
* ``sentiment_valence`` is called for every word; here only for words in the lexicon (for any
  other it appends 0, which is done directly).

``FastVader`` is a drop-in subclass: ``tests/pipeline/test_fast_vader.py`` holds it to exactly
VADER's scores on sentences made to reach every rule and on 20,000 random word sequences drawn
from the words the rules look for. The methods copied here follow vaderSentiment 3.3.2 line for
line apart from those changes (the version is pinned below 3.4 in pyproject.toml for that reason).
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
)

_NEGATIONS = frozenset(NEGATE)


def _negated(word: str) -> bool:
    """VADER's ``negated([word])`` for one lower-case word."""
    return word in _NEGATIONS or "n't" in word


class FastVader(SentimentIntensityAnalyzer):
    """``SentimentIntensityAnalyzer`` with the same results, computed with less waste."""

    # The last sentence's words and their lower case, in one tuple so that a thread scoring
    # another sentence meanwhile can never pair one's words with the other's lower case.
    _lowered: tuple[list[str] | None, list[str]] = (None, [])
    # Words that only intensify the next one and carry no valence of their own (VADER's).
    boosters: dict[str, float] = BOOSTER_DICT

    def polarity_scores(self, text: str) -> dict[str, float]:
        if not text.isascii() and any(c in self.emojis for c in text):
            text = self._emoji_names(text)
        sentitext = SentiText(text.strip())
        words = sentitext.words_and_emoticons
        lowered = [w.lower() for w in words]
        self._lowered = (words, lowered)
        sentiments: list[float] = []
        lexicon, boosters = self.lexicon, self.boosters
        last = len(words) - 1
        for i, item in enumerate(words):
            word = lowered[i]
            # VADER's own loop: boosters and "kind of" carry no valence of their own, nor does a
            # word outside the lexicon (sentiment_valence would only append its 0).
            if word in boosters or word not in lexicon or (i < last and word == "kind" and lowered[i + 1] == "of"):
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
        sentiments = self._but_check(words, sentiments)
        return self.score_valence(sentiments, sentitext.text)

    def _emoji_names(self, text: str) -> str:
        """VADER's emoji step: each emoji replaced by its name, set apart by spaces."""
        pieces: list[str] = []
        prev_space = True
        for char in text:
            if char in self.emojis:
                if not prev_space:
                    pieces.append(" ")
                pieces.append(self.emojis[char])
                prev_space = False
            else:
                pieces.append(char)
                prev_space = char == " "
        return "".join(pieces)

    def _lower(self, words: list[str]) -> list[str]:
        """``words`` in lower case, computed once per sentence."""
        of, lowered = self._lowered
        return lowered if words is of else [str(w).lower() for w in words]

    def _negation_check(self, valence, words_and_emoticons, start_i, i):  # type: ignore[override]
        lowered = self._lower(words_and_emoticons)
        if start_i == 0:
            if _negated(lowered[i - 1]):
                valence = valence * N_SCALAR
        if start_i == 1:
            if lowered[i - 2] == "never" and lowered[i - 1] in ("so", "this"):
                valence = valence * 1.25
            elif lowered[i - 2] == "without" and lowered[i - 1] == "doubt":
                pass
            elif _negated(lowered[i - 2]):
                valence = valence * N_SCALAR
        if start_i == 2:
            if (lowered[i - 3] == "never" and lowered[i - 2] in ("so", "this")) or lowered[i - 1] in ("so", "this"):
                valence = valence * 1.25
            elif lowered[i - 3] == "without" and "doubt" in (lowered[i - 2], lowered[i - 1]):
                pass
            elif _negated(lowered[i - 3]):
                valence = valence * N_SCALAR
        return valence

    def _special_idioms_check(self, valence, words_and_emoticons, i):  # type: ignore[override]
        lowered = self._lower(words_and_emoticons)
        one, two, three, zero = lowered[i - 1], lowered[i - 2], lowered[i - 3], lowered[i]
        twoone, threetwoone, threetwo = f"{two} {one}", f"{three} {two} {one}", f"{three} {two}"
        for seq in (f"{one} {zero}", f"{two} {one} {zero}", twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        if len(lowered) - 1 > i:
            zeroone = f"{zero} {lowered[i + 1]}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if len(lowered) - 1 > i + 1:
            zeroonetwo = f"{zero} {lowered[i + 1]} {lowered[i + 2]}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence
