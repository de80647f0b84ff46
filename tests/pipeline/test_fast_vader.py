"""FastVader gives exactly VADER's scores: on sentences made to reach each of VADER's rules, and
on many random word sequences drawn from the words those rules look for."""

from __future__ import annotations

import random

import pytest
from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
)

from pipeline.fast_vader import FastVader

VADER = SentimentIntensityAnalyzer()
FAST = FastVader()

SENTENCES = [
    "",
    "   ",
    "The coffee was good.",
    "The coffee was not good.",
    "The coffee wasn't good at all.",
    "It isn't really that good.",
    "Never so happy in my life!",
    "never this bad",
    "I was never so very happy.",
    "Without doubt the best donut.",
    "without a doubt horrible",
    "The service was kind of slow.",
    "It was sort of okay, kind of nice.",
    "no good",
    "No problems at all.",
    "There is no reason to be sad or happy.",
    "no nor bad",
    "This place is the bomb!!!",
    "That donut is the shit.",
    "He is a bad ass barista.",
    "The bus stop is outside.",
    "Yeah right, great service.",
    "They cut the mustard.",
    "The food was GREAT but the staff were RUDE.",
    "GREAT FOOD GREAT PRICES",
    "The food was great, but the wait was horrible.",
    "It was at least decent, the least bad option.",
    "very least good",
    "Is this good?? Really???",
    "Awful?!?!",
    "I love it 😍 and the staff 👍",
    "Service 😡😡 terrible",
    "Café was très bien, really good",
    "“Don’t go” — the worst",
    ":) great :( sad :D",
    "kind",
    "not",
    "but",
    "good but",
    "but good",
    "extremely good, extremely bad, barely good, hardly bad",
    "The fries weren't half bad.",
    "I can't say it was bad, nor was it good, it wasn't.",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_the_same_scores_as_vader_on_each_rule(sentence):
    assert FAST.polarity_scores(sentence) == VADER.polarity_scores(sentence)


def test_the_same_scores_as_vader_on_random_word_sequences():
    rng = random.Random(20261129)
    lexicon = [w for w, v in VADER.lexicon.items() if abs(v) > 0.5][::40]
    special = [w for phrase in [*SPECIAL_CASES, *BOOSTER_DICT] for w in phrase.split()]
    words = [*lexicon, *NEGATE, *special, *(w.upper() for w in lexicon[:40]),
             "never", "so", "this", "without", "doubt", "least", "at", "very", "no", "or", "nor", "but", "kind", "of",
             "the", "coffee", "staff", "was", "!", "?", "!!", "...", ",", ":)", "😍", "👍", "😡", "café", "don’t"]
    differences = []
    for _ in range(20_000):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(1, 14)))
        if FAST.polarity_scores(sentence) != VADER.polarity_scores(sentence):
            differences.append(sentence)
    assert differences == []
