"""VADER's reading of reviews and social posts (pipeline.sentiment, pipeline.sentence_split).

These tests hold the rule-based layer to its rules: the per-sentence VADER scores with the domain
lexicon, phrases, emoji, numbers and their combination, which the learned model reads as its
inputs and which ``mentionwatch score`` shows. The scorer is built with ``learned=False`` so that
the labels here are VADER's own; the learned model's labels are tested in test_learned_scorer.py.
"""

import functools
import math
import re
from pathlib import Path

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer, normalize

from pipeline.sentence_split import split_sentences
from pipeline.sentiment import (
    SentenceScore,
    SentimentScorer,
    combine_sentences,
    load_domain_lexicon,
    load_urgent_phrases,
    plain_vader_label,
)

# The scorer without the learned model: VADER's rules decide the label.
vader_scorer = functools.partial(SentimentScorer, learned=False)

DATA_DIR = Path(__file__).resolve().parents[2] / "pipeline" / "data"


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return vader_scorer()


# --- sentence splitting --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Great food! Loved the staff. But the manager was rude?", ["Great food!", "Loved the staff.", "But the manager was rude?"]),
        ("food was cold. staff was rude", ["food was cold.", "staff was rude"]),
        ("Best tacos in town 🌮\nwill be back\n\n  10/10", ["Best tacos in town 🌮", "will be back", "10/10"]),
        ("Dr. Smith fixed my tooth. No pain at all.", ["Dr. Smith fixed my tooth.", "No pain at all."]),
        ("Shipped from the U.S. within a week, e.g. faster than promised.", ["Shipped from the U.S. within a week, e.g. faster than promised."]),
        ("Paid $4.99. It broke the next day.", ["Paid $4.99.", "It broke the next day."]),
        ("We waited 45 min. Food was cold.", ["We waited 45 min.", "Food was cold."]),
        ("Would I go back? No. Never.", ["Would I go back?", "No.", "Never."]),
        ('He said "never again." We agreed...', ['He said "never again."', "We agreed..."]),
        ("", []),
        ("   \n ", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


# --- the text score --------------------------------------------------------------------------


# Complaints in words plain VADER reads as no complaint, which the domain lexicon's words and
# phrases must turn into one (tests/pipeline/test_neutral_and_registers.py holds the learned
# scorer to them too).
COMPLAINTS_VADER_MISSES = [
    "Still waiting for my refund, three weeks later.",
    "I never received my order.",
    "Ordered two weeks ago and it never arrived.",
    "The food was cold.",
    "The pizza arrived cold and soggy.",
    "We waited 45 minutes for a table.",
    "Waited two hours on hold.",
    "Half an hour late, and no apology.",
    "We won't be back.",
    "Overcharged again.",
    "Would give zero stars if I could.",
    "Called three times, never heard back.",
    "Took forever to get our drinks.",
    "The fries were stale and the burger was bland.",
    "Never again",
    "The chicken was dry and flavorless.",
    "For the price, the portions were tiny.",
    "The soup was way too salty.",
    "Our table was canceled without a call.",
    "The pasta tasted like cardboard.",
    "We won't be coming back.",
    "We will definitely not be back.",
    "We will never go there again.",
    "It couldn't have been worse.",  # VADER flips "worse" after the negation: praise to it
    "I have nothing but problems with this phone.",  # VADER: "nothing" flips "problems"
    # service gone wrong at a hotel, a shop, a repair: no word VADER knows
    "The technician left mud all over the carpet.",
    "The bathroom was out of soap.",
    "They double-booked my appointment.",
    "Nobody picked up the phone all day.",
    "They refused to honor the coupon.",
    "The waiter forgot about us.",
    "We had to ask three times for water.",
    "It took three visits to fix it.",
    "The app won't let me log in.",
    "The hot tub was out of order.",
    "There was a long hair in the sink.",
    "The sheets looked used.",
    "Never got our drinks.",
    "Nobody greeted us when we walked in.",
    "The cashier rolled her eyes at me.",
    "Found a bug in my salad.",
    "The appointment was rescheduled three times.",
    "The owner never replied to my email.",
    "Nobody responded to my ticket.",
    "They never returned my call.",
    "I left three voicemails and nobody called back.",
    "Nobody ever called back about the estimate.",
    "I could not cancel my membership and they kept charging me.",
    "They would not let me cancel.",
    "Pretty sure they shorted me on the fries.",
    "ordered delivery 2 hours ago, still nothing",
    "They shortchanged us on the wings.",
    "The app keeps shutting down.",
    "They closed my ticket without fixing anything.",
    "Unable to log in since Monday.",
    "I couldn't sign in for two days.",
    "The order tracking shows delivered but nothing arrived.",
    "Check-in took over an hour.",
    "Sheets had stains on them.",
    "They kept my deposit.",
    "They overbooked and gave our room away.",
    "The car came back with a new scratch on the door.",
    # deliveries, rooms, repairs and apps gone wrong, in words no lexicon had
    "My order arrived two days late.",
    "The driver threw the package over the fence.",
    "The item was not as described.",
    "The room was smaller than it looked in the photos.",
    "The pool was closed during our whole stay.",
    "The walls are paper thin.",
    "The music was way too loud to talk.",
    "The hygienist was rough with my gums.",
    "The check engine light came back on the next day.",
    "They kept my car for a week and didn't fix anything.",
    "The subscription auto-renewed without warning.",  # VADER: praise, by "renewed"
    "The app keeps logging me out.",
    "The app won't load since the update.",
    "They changed the recipe and it's not the same.",
    "the wifi here is trash",
    "this ain't it chief",
    "Ads every 30 seconds, uninstalled.",
    "Too many ads.",
    "I used to love this place but it's gone downhill since the new owners.",  # VADER: praise, by "love"
    # social slang
    "honestly the food here is mid",  # VADER: praise, by "honestly"
    "overhyped tbh",
    "kinda cringe how they treat their staff",  # VADER: praise, by "treat"
    "they ghosted me after I asked for a refund",
    "the vibes were off",
]


@pytest.mark.parametrize("text", COMPLAINTS_VADER_MISSES)
def test_complaints_plain_vader_misses_are_negative(scorer, text):
    assert plain_vader_label(text) != "negative"  # the case is one the domain rules must fix
    assert scorer.score(text).label == "negative"


@pytest.mark.parametrize(
    "text",
    [
        "The service was super slow.",  # "super" is an intensifier here, not praise
        "We don’t like the new menu.",  # curly apostrophe: VADER alone misses the negation
        "I won’t be back.",
        "It used to be good, but not anymore.",  # a decline: VADER reads the "good"
    ],
)
def test_complaints_plain_vader_calls_positive_or_neutral(scorer, text):
    assert plain_vader_label(text) != "negative"
    assert scorer.score(text).label == "negative"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Their support 👎", "negative"),
        ("waited 40 mins for a latte 🙄", "negative"),
        ("@joespizza the new burger 🔥🔥", "positive"),
        ("Honestly not worth the money", "negative"),
        ("The new app update is garbage, keeps crashing", "negative"),
        ("Customer service hung up on me twice.", "negative"),
    ],
)
def test_social_posts(scorer, text, expected):
    assert plain_vader_label(text) != expected  # each needs one of the domain rules
    assert scorer.score(text).label == expected


def test_owner_can_give_an_emoji_a_valence():
    assert vader_scorer().score("The manager 🤡").label == "neutral"
    assert vader_scorer(extra_lexicon={"🤡": -2.0}).score("The manager 🤡").label == "negative"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No complaints at all!", "positive"),
        ("Not bad.", "positive"),
        ("I was worried it would be cold but it was perfect.", "positive"),
        ("I was worried it would be cold. But it was perfect.", "positive"),
        ("The staff was not rude at all.", "positive"),
        ("The beer was cold and the music was great.", "positive"),
        ("Gluten free and dairy free options, everything delicious.", "positive"),
        ("Slow cooked brisket was amazing.", "positive"),
        ("Can't wait to come back!", "positive"),
        ("We will be back.", "positive"),
        ("We'll definitely be back.", "positive"),
        ("The new shop is two blocks north of the station.", "neutral"),  # VADER: "blocks" -0.9
        ("We only waited 5 minutes for a table.", "neutral"),
        ("The fish was not too salty and the rice was perfect.", "positive"),
        ("They serve small plates and dry-aged steaks.", "neutral"),
        ("Ordered the lunch menu on Tuesday.", "neutral"),
    ],
)
def test_near_misses_are_not_negative(scorer, text, expected):
    assert scorer.score(text).label == expected


def test_negation_before_a_phrase_flips_it(scorer):
    assert scorer.score("We will be back.").label == "positive"
    assert scorer.score("No, I don't think we will be back.").label == "negative"


def test_complaint_buried_in_a_long_friendly_post_drives_the_label(scorer):
    friendly = (
        "We came here for my sister's birthday and had a lovely evening. "
        "The cocktails were creative and the dessert was fantastic. "
        "The view over the harbour is stunning. "
    )
    complaint = "Unfortunately the waiter was rude to my mum when she asked for water."
    text = friendly + complaint + " Otherwise a great night."
    assert plain_vader_label(text) == "positive"  # the whole post averages the complaint away

    result = scorer.score(text)

    assert result.label == "negative"
    assert result.driver == complaint
    assert len(result.sentences) == 5
    assert min(result.sentences, key=lambda s: s.compound).text == complaint
    # Without the complaint the same post is positive, driven by its warmest sentence.
    clean = scorer.score(friendly + "Otherwise a great night.")
    assert clean.label == "positive"
    assert clean.driver == "The cocktails were creative and the dessert was fantastic."


def test_mild_gripe_in_a_friendly_post_is_not_a_complaint(scorer):
    gripe = "The music was a bit too loud and the chairs were uncomfortable."
    result = scorer.score(f"Lovely staff and great coffee. {gripe} Highly recommend!")
    assert -0.45 < result.sentences[1].compound < -0.05  # a gripe, not a clear complaint
    assert result.label == "positive"
    assert result.driver == "Lovely staff and great coffee."


def test_title_is_scored_with_the_body(scorer):
    result = scorer.score("Ordered the lunch menu on Tuesday.", title="Never again")
    assert result.label == "negative"
    assert result.driver == "Never again"
    assert [s.text for s in result.sentences] == ["Never again", "Ordered the lunch menu on Tuesday."]


def test_empty_text(scorer):
    result = scorer.score("")
    assert (result.label, result.text_label, result.compound) == ("neutral", "neutral", 0.0)
    assert result.driver is None
    assert result.sentences == ()
    assert not result.urgent
    assert scorer.score("   ", rating=1.0).label == "negative"


def test_sentence_scores_are_exposed(scorer):
    result = scorer.score("Great pizza. Rude staff.")
    assert [type(s) for s in result.sentences] == [SentenceScore, SentenceScore]
    assert result.sentences[0].compound > 0 > result.sentences[1].compound


# --- the combination rule --------------------------------------------------------------------


def test_combination_rule():
    s = [SentenceScore("a", 0.8), SentenceScore("b", -0.5), SentenceScore("c", 0.0)]
    assert combine_sentences(s, strong_negative=-0.45) == (-0.5, s[1])
    compound, driver = combine_sentences(s, strong_negative=-0.6)
    # Mean weighted by strength: (0.8 * 0.8 - 0.5 * 0.5) / (0.8 + 0.5); the neutral one adds nothing.
    assert compound == pytest.approx((0.64 - 0.25) / 1.3)
    assert driver is s[0]
    # A sentence opening with "But" halves the weight of the one before it.
    contrast = [SentenceScore("It looked awful.", -0.6), SentenceScore("But it was perfect.", 0.5)]
    compound, driver = combine_sentences(contrast, strong_negative=-0.45)
    assert compound > 0
    assert driver is contrast[1]
    assert combine_sentences([]) == (0.0, None)
    quiet = [SentenceScore("x", 0.0), SentenceScore("y", 0.0)]
    assert combine_sentences(quiet) == (0.0, quiet[0])


def test_strong_negative_is_configurable():
    text = "Lovely staff and great coffee, best in town! The parking was terrible."
    assert vader_scorer().score(text).label == "negative"
    assert vader_scorer(strong_negative=-1.0).score(text).label == "positive"


# --- ratings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "label"),
    [(1.0, "negative"), (2.0, "negative"), (2.5, "neutral"), (3.0, "neutral"), (3.9, "neutral"), (4.0, "positive"), (5, "positive")],
)
def test_rating_decides_the_label(scorer, rating, label):
    result = scorer.score("Ordered the lunch menu on Tuesday.", rating=rating)
    assert result.label == label
    assert result.text_label == "neutral"
    assert not result.rating_conflict


def test_five_stars_over_a_clear_complaint_is_a_conflict(scorer):
    result = scorer.score("Terrible, rude staff and cold food. Never again.", rating=5.0)
    assert result.label == "positive"
    assert result.text_label == "negative"
    assert result.rating_conflict


def test_one_star_over_clear_praise_is_a_conflict(scorer):
    result = scorer.score("Absolutely loved it, best pizza in town!", rating=1.0)
    assert (result.label, result.text_label, result.rating_conflict) == ("negative", "positive", True)


def test_agreeing_or_mild_disagreement_is_no_conflict(scorer):
    assert not scorer.score("Absolutely loved it, best pizza in town!", rating=5.0).rating_conflict
    assert not scorer.score("A bit slow on a busy night.", rating=4.0).rating_conflict
    # Three stars are neutral: they contradict nothing.
    assert not scorer.score("Terrible, rude staff and cold food.", rating=3.0).rating_conflict


@pytest.mark.parametrize("rating", [0.0, 5.5, -1, math.nan, "5"])
def test_rating_outside_one_to_five_is_refused(scorer, rating):
    with pytest.raises(ValueError, match="rating"):
        scorer.score("Fine.", rating=rating)


# --- thresholds and the owner's lexicon ------------------------------------------------------


def test_thresholds_are_constructor_arguments():
    text = "The staff was rude."  # compound about -0.46
    assert vader_scorer().score(text).label == "negative"
    assert vader_scorer(negative_threshold=-0.5).score(text).label == "neutral"
    assert vader_scorer(positive_threshold=0.9).score("Nice place.").label == "neutral"


@pytest.mark.parametrize(("neg", "pos"), [(0.1, 0.05), (-2.0, 0.05), (-0.05, 1.5)])
def test_inconsistent_thresholds_are_refused(neg, pos):
    with pytest.raises(ValueError, match="threshold"):
        vader_scorer(negative_threshold=neg, positive_threshold=pos)


def test_extra_lexicon_adds_words_and_phrases():
    plain = vader_scorer()
    owner = vader_scorer(extra_lexicon={"Gouged": -2.5, "out of stock": -1.5, "slow": 0.0})
    assert plain.score("They gouged us on the parking.").label == "neutral"
    assert owner.score("They gouged us on the parking.").label == "negative"
    assert plain.score("Out of stock again.").label == "neutral"
    assert owner.score("Out of   stock again.").label == "negative"
    # An owner's entry overrides a shipped one.
    assert plain.score("Slow service.").label == "negative"
    assert owner.score("Slow service.").label == "neutral"


def test_extra_lexicon_phrases_use_the_shipped_syntax():
    owner = vader_scorer(extra_lexicon={"on|in hold|queue for #30+ minutes": -2.0, "Won’t Refund": -2.5})
    assert owner.score("Was on hold for 40 minutes.").label == "negative"
    assert owner.score("Was on hold for 5 minutes.").label == "neutral"
    assert owner.score("In queue for forty minutes.").label == "negative"
    assert owner.score("They won't refund the deposit.").compound < owner.score("They won't give back the deposit.").compound


def test_extra_lexicon_stays_in_its_own_scorer():
    vader_scorer(extra_lexicon={"gouged": -2.5})
    assert vader_scorer().score("They gouged us.").label == "neutral"
    assert "gouged" not in SentimentIntensityAnalyzer().lexicon


@pytest.mark.parametrize(
    ("lexicon", "message"),
    [({"awful": 7}, "within -4..\\+4"), ({"awful": "bad"}, "must be a number"), ({"  ": -1}, "empty")],
)
def test_bad_extra_lexicon_is_refused(lexicon, message):
    with pytest.raises(ValueError, match=message):
        vader_scorer(extra_lexicon=lexicon)


# --- urgency ---------------------------------------------------------------------------------


def test_urgent_phrases_mark_a_mention_whatever_its_score(scorer):
    result = scorer.score("Great staff, they helped right away when my son had an allergic reaction.")
    assert result.label == "positive"
    assert result.urgent
    assert result.urgent_phrases == ("allergic reaction",)


def test_urgent_matching_ignores_case_and_whitespace_and_finds_overlaps(scorer):
    result = scorer.score("I GOT SICK after eating here.\nProbably food\n poisoning.")
    assert result.urgent_phrases == ("got sick", "sick after", "food poisoning")
    assert result.label == "negative"


def test_urgent_phrases_in_the_title_count(scorer):
    result = scorer.score("Ordered the lunch menu on Tuesday.", title="Scam!")
    assert result.urgent_phrases == ("scam",)


def test_news_of_the_health_authorities_is_urgent_in_its_plural_forms_too(scorer):
    # no stemming: each form is listed ("health inspector" does not match "health inspectors")
    result = scorer.score("Health inspectors closed the diner, citing three health code violations.")
    assert result.urgent_phrases == ("health inspectors", "health code")
    assert scorer.score("Two health violations in a year.").urgent_phrases == ("health violations",)


def test_urgent_matching_needs_whole_words():
    scorer = vader_scorer(urgent_phrases=["sue", "can't breathe"])
    assert not scorer.score("There was an issue with my order. I'll pursue it.").urgent
    assert scorer.score("Sue's Café").urgent  # a name matches too: why bare "sue" is not shipped
    assert scorer.score("I will sue.").urgent_phrases == ("sue",)
    # Straight and curly apostrophes alike, in the text and in the list.
    assert scorer.score("I can’t breathe near the paint fumes").urgent_phrases == ("can't breathe",)
    assert vader_scorer(urgent_phrases=["can’t breathe"]).score("can't  breathe").urgent


def test_shipped_urgent_list_skips_a_name_like_sue(scorer):
    assert not scorer.score("Sue at the front desk was lovely.").urgent
    assert scorer.score("We will sue them.").urgent


def test_urgent_list_can_be_replaced_or_extended():
    assert not vader_scorer(urgent_phrases=[]).score("Total scam.").urgent
    extended = vader_scorer(extra_urgent_phrases=["exposed wires"])
    assert extended.score("There were exposed wires in the play area").urgent_phrases == ("exposed wires",)
    assert extended.score("Total scam.").urgent_phrases == ("scam",)


# --- the shipped data files ------------------------------------------------------------------


def _instance(phrase: str) -> str:
    """A concrete text for a lexicon phrase: first alternative of each slot, numbers filled in."""
    words = []
    for slot in phrase.split():
        number = re.fullmatch(r"#(?:(\d+)\+)?", slot)
        words.append((number.group(1) or "2") if number else slot.split("|")[0])
    return " ".join(words)


def test_every_shipped_lexicon_entry_takes_effect(scorer):
    entries, intensifiers = load_domain_lexicon(DATA_DIR / "domain_lexicon.yaml")
    assert len(entries) > 50 and intensifiers
    for entry, valence in entries.items():
        text = _instance(entry)
        # A text made of the entry alone scores exactly the entry's valence, normalized as VADER
        # does: proof that the entry parsed and its rule fired in place of its words' valence.
        assert scorer.score(text).compound == pytest.approx(round(normalize(valence), 4)), text


def test_every_shipped_intensifier_strengthens_the_next_word(scorer):
    _, intensifiers = load_domain_lexicon(DATA_DIR / "domain_lexicon.yaml")
    bad = scorer.score("The service was bad.").compound
    for word in intensifiers:
        assert scorer.score(f"The service was {word} bad.").compound < bad, word


def test_every_shipped_urgent_phrase_is_found(scorer):
    phrases = load_urgent_phrases(DATA_DIR / "urgent_phrases.txt")
    assert len(phrases) > 30
    for phrase in phrases:
        assert scorer.score(f"Review: {phrase.upper()}, really.").urgent_phrases == (phrase,), phrase


@pytest.mark.parametrize(("text", "message"), [
    ("words:\n  awful: -9\n", "awful"),
    ("words:\n  stopped working: -2\n", "wrong section"),
    ("phrases: [never again]\n", "phrases: expected a mapping"),
    ("word_lists:\n  food: [tacos]\nphrases:\n  '<drink> is fire': 2\n",
     "phrase '<drink> is fire' names <drink>, which word_lists does not hold"),
    ("word_lists:\n  food: tacos\n", "word_lists: expected names, each with a list of words"),
])
def test_lexicon_file_errors_name_the_entry(tmp_path, text, message):
    bad = tmp_path / "lexicon.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_domain_lexicon(bad)


def test_a_word_list_fills_a_phrase_slot(tmp_path):
    lexicon = tmp_path / "lexicon.yaml"
    lexicon.write_text("word_lists:\n  food: [tacos, pho]\nphrases:\n  '<food>|coffee is|was fire': 2\n",
                       encoding="utf-8")
    entries, _ = load_domain_lexicon(lexicon)
    assert entries == {"tacos|pho|coffee is|was fire": 2.0}


def test_numbers_carry_no_sentiment():
    # VADER reads some numbers as slang (187 is -3.1); in reviews they are waits and order numbers.
    scorer = vader_scorer()
    assert scorer.score("Order #187 arrived on time.").label == "neutral"
    assert scorer.score("We were table 143.").label == "neutral"
