"""The learned scorer's features: what a mention's text and VADER's reading of it turn into.

The same functions serve training (``pipeline/training/train_scorer.py``) and the runtime scorer
(``pipeline.sentiment``, ``pipeline.learned``), so the two can never drift apart. The feature set
is pinned by ``FEATURE_VERSION``, which the model file records; a model built for another
feature set is refused when it is loaded.

Two kinds of feature:

* **Lexical features** (``tokens``): lower-cased words and word pairs. A word inside a negation's
  scope (after "not", "never", "n't" ... up to the next punctuation mark or "but") is marked
  ``~word``, so "not good" and "good" are different features. Words in the clause after a
  contrast word ("but", "however", "although") also count once more as ``>word``: the clause
  after "but" is usually the verdict. The model file holds their vocabulary (``indexed``): each
  feature seen in at least a few training texts has a row of its own, and one it never saw has
  none, so no two words share a weight (when words were hashed into 2**18 buckets, "restaurant"
  shared one with "too" and read as a complaint). Each text's features are present-or-absent,
  scaled by 1/sqrt(their number), so that a one-line tweet and a long review weigh alike.
* **Dense features** (``DENSE_NAMES``): VADER's per-sentence compounds (combined by
  ``combine_sentences``, min, max, mean, first, last), its mean pos / neg / neu shares, bins of
  the combined compound, counts of domain-lexicon complaint words, negated positive and negated
  negative words, intensifiers, "!" and "?", and the number of sentences.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE

FEATURE_VERSION = 3

DENSE_NAMES = (
    "combined", "min", "max", "mean", "first", "last",
    "pos", "neg", "neu",
    "combined<=-0.5", "combined<=-0.05", "combined>=0.05", "combined>=0.5",
    "domain_negative_words", "negated_positive", "negated_negative", "intensifiers",
    "exclamations", "questions", "log_sentences",
    "shouted_words", "elongated_words", "emoticons",
)  # fmt: skip

# Words, emoji and the two marks that carry tone. Apostrophes stay inside words ("don't").
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[!?]|[\u2600-\u27bf\U0001f300-\U0001faff]")
# Emoticons, read before punctuation splits them apart: eyes, an optional nose, a mouth; and hearts.
_EMOTICON = re.compile(r"(?<![\w:;=])(?:[:;=8][-o*']?[()\[\]dpb/\\|3*]|<3|</3)(?![\w)(])", re.IGNORECASE)
_EMOTICON_MARKS = frozenset(":;=<")
# A letter written three or more times in a row ("sooo", "nooo"): social writing's emphasis.
_ELONGATED = re.compile(r"([a-z])\1{2,}")
# Punctuation that ends a negation's or a contrast's scope.
_SCOPE_END = re.compile(r"[.,;:!?()\n]")
_NEGATORS = frozenset(w for w in NEGATE if "'" not in w) | frozenset(
    w.replace("'", "") for w in NEGATE
) | {"no", "not", "never", "nothing", "nobody", "none", "neither", "nor", "without", "hardly"}
_CONTRAST = frozenset({"but", "however", "although", "though", "yet"})
_SCOPE_WORDS = _NEGATORS | _CONTRAST
_INTENSIFIERS = frozenset(BOOSTER_DICT) | {"super", "pretty", "so", "too", "really"}
_TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})


def tokens(text: str) -> list[str]:
    """The text's lexical features, as the vocabulary names them (for tests and for reading a model).

    Words in a negation's scope are marked ``~``; words of a clause after a contrast word are
    repeated marked ``>``; word pairs are joined by a space.
    """
    marked: list[str] = []
    extra: list[str] = []
    lowered = text.lower()
    if not lowered.isascii():  # isascii is O(1); translate is not
        lowered = lowered.translate(_TYPOGRAPHIC)
    if not _EMOTICON_MARKS.isdisjoint(lowered):
        faces = _EMOTICON.findall(lowered)
        if faces:
            marked += [":" + face for face in faces]  # ":" marks them apart from words
            lowered = _EMOTICON.sub(" ", lowered)
    if _ELONGATED.search(lowered):
        # "sooo good" and "soo good" are one feature, and the elongation one of its own.
        marked.append("<elongated>")
        lowered = _ELONGATED.sub(r"\1\1", lowered)
    for clause in _SCOPE_END.split(lowered):
        words = _TOKEN.findall(clause)
        if not words:
            continue
        if _SCOPE_WORDS.isdisjoint(words) and "n't" not in clause:
            # Most clauses: no negation or contrast, so the words and their pairs as they are.
            marked += words
            marked.append("^ " + words[0])
            marked += map(" ".join, zip(words, words[1:]))
            continue
        negated = False
        contrast = False
        previous = "^"
        for word in words:
            if word in _CONTRAST:
                negated = False
                contrast = True
                feature = word
            elif word in _NEGATORS or word.endswith("n't"):
                negated = True
                feature = word
            else:
                feature = "~" + word if negated else word
                if contrast:
                    extra.append(">" + word)
            marked.append(feature)
            marked.append(previous + " " + feature)
            previous = feature
    marked.extend(extra)
    # "!" and "?" end clauses above, so they are only seen here.
    marked.extend(mark for mark in "!?" if mark in text)
    return marked


def indexed(features: Sequence[str], vocabulary: Mapping[str, int]) -> tuple[list[int], float]:
    """The vocabulary's rows of ``features`` (each once; a feature it lacks has no row) and the value
    each takes: 1/sqrt(the number of distinct features, known or not)."""
    distinct = set(features)
    rows = set(map(vocabulary.get, distinct))
    rows.discard(None)
    return list(rows), (1.0 / math.sqrt(len(distinct)) if distinct else 0.0)


def vocabulary_of(texts_features: Iterable[Sequence[str]], min_count: int) -> dict[str, int]:
    """Each feature found in at least ``min_count`` of the texts, numbered in sorted order."""
    counts = Counter(feature for features in texts_features for feature in set(features))
    return {feature: row for row, feature in enumerate(sorted(f for f, n in counts.items() if n >= min_count))}


def dense_features(
    text: str,
    sentence_scores: Sequence[dict[str, float]],
    combined: float,
    lexicon: dict[str, float],
    domain_negative: frozenset[str],
    lexical: Sequence[str],
) -> list[float]:
    """The ``DENSE_NAMES`` values of a text.

    ``sentence_scores`` are VADER's ``polarity_scores`` of each sentence, ``combined`` the text
    compound from ``pipeline.sentiment.combine_sentences``, ``lexicon`` the analyzer's word
    valences, ``domain_negative`` the domain lexicon's complaint words and ``lexical`` the
    output of ``tokens(text)`` (or only its single
    features: word pairs are not read here).
    """
    negated_positive = negated_negative = domain_hits = boosts = 0
    for feature in lexical:
        if " " in feature or feature[0] in ">:<":
            continue
        if feature[0] == "~":
            valence = lexicon.get(feature[1:], 0.0)
            if valence > 0:
                negated_positive += 1
            elif valence < 0:
                negated_negative += 1
        elif feature in domain_negative:
            domain_hits += 1
        elif feature in _INTENSIFIERS:
            boosts += 1
    counts = [
        min(domain_hits, 5) / 5, min(negated_positive, 5) / 5, min(negated_negative, 5) / 5,
        min(boosts, 5) / 5, min(text.count("!"), 5) / 5, min(text.count("?"), 5) / 5,
        math.log1p(len(sentence_scores)) / 3, *_social_marks(text, lexical),
    ]
    bins = [float(combined <= -0.5), float(combined <= -0.05), float(combined >= 0.05), float(combined >= 0.5)]
    if len(sentence_scores) == 1:  # the pipeline's case: the model reads one sentence at a time
        one = sentence_scores[0]
        c = one["compound"]
        return [combined, c, c, c, c, c, one["pos"], one["neg"], one["neu"], *bins, *counts]
    compounds = [s["compound"] for s in sentence_scores] or [0.0]
    count = len(sentence_scores) or 1
    return [
        combined, min(compounds), max(compounds), sum(compounds) / len(compounds),
        compounds[0], compounds[-1],
        sum(s["pos"] for s in sentence_scores) / count,
        sum(s["neg"] for s in sentence_scores) / count,
        sum(s["neu"] for s in sentence_scores) / count if sentence_scores else 1.0,
        *bins, *counts,
    ]  # fmt: skip


# The evidence of sentiment a text holds, beside the dense features: the neutral gate's own inputs.
EVIDENCE_NAMES = ("log_words", "personal", "log_lexicon_hits", "no_lexicon_hits")
# First and second person: a writer speaking of their own experience or to the reader judges more
# often than one reporting a fact.
_PERSONAL = frozenset({"i", "i'm", "i've", "i'd", "me", "my", "we", "we're", "our", "us", "you", "you're", "your"})


def evidence_features(lexical: Sequence[str], lexicon: dict[str, float]) -> list[float]:
    """The ``EVIDENCE_NAMES`` values of a text from ``tokens(text)`` and VADER's word valences.

    A lexicon hit is a word (negated or not) that VADER gives a valence; a text without any holds
    no sentiment evidence of VADER's.
    """
    words = hits = 0
    personal = 0.0
    for feature in lexical:
        if " " in feature or feature[0] in ">:<!?":
            continue
        words += 1
        word = feature[1:] if feature[0] == "~" else feature
        if word in lexicon:
            hits += 1
        elif word in _PERSONAL:
            personal = 1.0
    return [math.log1p(words) / 4, personal, math.log1p(hits), float(hits == 0)]


_SHOUTED = re.compile(r"\b[A-Z][A-Z']+\b")


def _social_marks(text: str, lexical: Sequence[str]) -> list[float]:
    """Shouted (ALL CAPS) words while the rest is not, elongated words, and emoticons, each 0..1."""
    shouted = 0
    if not text.islower():  # C speed: most texts have a capital only where a sentence starts
        caps = _SHOUTED.findall(text)
        # A text in capitals throughout is a style, not emphasis (VADER reads it so too).
        if caps and len(caps) < len(_TOKEN.findall(text.lower())):
            shouted = len(caps)
    elongated = "<elongated>" in lexical
    faces = sum(1 for feature in lexical if feature[0] == ":") if not _EMOTICON_MARKS.isdisjoint(text) else 0
    return [min(shouted, 3) / 3, float(elongated), min(faces, 3) / 3]
