"""A mention naming several watched businesses is read, for each, in the part about it
(pipeline/focus.py); a mention naming one is read whole, as before."""

from __future__ import annotations

import pytest

from pipeline.flow import judge
from pipeline.focus import Focus
from pipeline.match import BusinessMatcher
from pipeline.record import MentionRecord
from pipeline.sentiment import NEGATIVE, POSITIVE, SentimentScorer

KEYWORDS = {
    "Acme Bakery": ["Acme Bakery"],
    "Bolt Cafe": ["Bolt Cafe"],
    "Café Lola": ["Café Lola"],
    "Acme": ["Acme"],  # a name inside another business's name
}
MIXED = "Acme Bakery is great but Bolt Cafe gave me food poisoning last night"


@pytest.fixture(scope="module")
def focus() -> Focus:
    return Focus({name: BusinessMatcher(words) for name, words in KEYWORDS.items()})


@pytest.fixture(scope="module")
def scorer(focus: Focus) -> SentimentScorer:
    names = [word for words in KEYWORDS.values() for word in words]
    return SentimentScorer(names=names, not_urgent={name: [] for name in KEYWORDS}, focus=focus)


def lines(focus: Focus, business: str, text: str, title: str | None = None) -> list[str] | None:
    part = focus.part(business, title, text)
    return None if part is None else part.text.splitlines()


def test_two_names_in_one_sentence_are_cut_at_but(focus):
    assert lines(focus, "Acme Bakery", MIXED) == ["Acme Bakery is great"]
    assert lines(focus, "Bolt Cafe", MIXED) == ["but Bolt Cafe gave me food poisoning last night"]


def test_a_title_with_vs_is_cut_too(focus):
    part = focus.part("Acme Bakery", "Acme Bakery vs Bolt Cafe", MIXED)
    assert part is not None and part.title == "Acme Bakery" and part.named == ("Acme Bakery", "Bolt Cafe")
    assert focus.part("Bolt Cafe", "Acme Bakery vs Bolt Cafe", MIXED).title == "vs Bolt Cafe"


def test_a_business_named_in_the_title_only_keeps_the_whole_reading(focus):
    body = "Bolt Cafe gave me food poisoning last night."
    assert focus.part("Acme Bakery", "Acme Bakery vs Bolt Cafe", body) is None
    part = focus.part("Bolt Cafe", "Acme Bakery vs Bolt Cafe", body)
    assert part is not None and part.text == body and part.title == "vs Bolt Cafe"


def test_a_mention_of_one_business_is_read_whole(focus):
    assert focus.part("Acme Bakery", "Avoid", "Acme Bakery sold me mouldy bread. Never again.") is None
    assert focus.part("Acme Bakery", None, "Way better than Bolt Cafe, which made me sick.") is None  # not named
    assert focus.part("Nobody", None, MIXED) is None


def test_sentences_without_a_name_go_with_the_last_business_named(focus):
    text = ("Went to both this week. Acme Bakery was lovely. Their croissants are perfect. "
            "Bolt Cafe was another story. They never cleaned the tables and it was filthy.")
    assert lines(focus, "Acme Bakery", text) == [
        "Went to both this week.", "Acme Bakery was lovely.", "Their croissants are perfect."]
    assert lines(focus, "Bolt Cafe", text) == [
        "Went to both this week.", "Bolt Cafe was another story.",
        "They never cleaned the tables and it was filthy."]


def test_a_clause_opening_with_unlike_ends_at_its_comma(focus):
    text = "Unlike Bolt Cafe, Acme Bakery never lost my order; Bolt Cafe lost it twice."
    assert lines(focus, "Acme Bakery", text) == ["Acme Bakery never lost my order"]
    assert lines(focus, "Bolt Cafe", text) == ["Unlike Bolt Cafe,", "Bolt Cafe lost it twice."]


def test_names_are_found_in_any_case_and_accents_and_the_longest_name_wins(focus):
    text = "CAFE LOLA is lovely whereas acme bakery was rude, though ACME hardware next door is fine"
    assert lines(focus, "Café Lola", text) == ["CAFE LOLA is lovely"]
    # "Acme" is inside "acme bakery": that occurrence is Acme Bakery's only.
    assert lines(focus, "Acme Bakery", text) == ["whereas acme bakery was rude,"]
    assert lines(focus, "Acme", text) == ["though ACME hardware next door is fine"]
    # "Acme" named only inside "Acme Bakery": not named at all, so read whole.
    assert focus.part("Acme", None, MIXED) is None


def test_three_businesses(focus):
    text = "Acme Bakery was great; Café Lola was fine, but Bolt Cafe made me sick. Café Lola had nice tea though."
    assert lines(focus, "Acme Bakery", text) == ["Acme Bakery was great"]
    assert lines(focus, "Café Lola", text) == ["Café Lola was fine,", "Café Lola had nice tea though."]
    assert lines(focus, "Bolt Cafe", text) == ["but Bolt Cafe made me sick."]
    # A clause naming two of them (no cut between) is read for both.
    both = "Acme Bakery and Café Lola were lovely but Bolt Cafe was closed."
    assert lines(focus, "Acme Bakery", both) == lines(focus, "Café Lola", both) == ["Acme Bakery and Café Lola were lovely"]


def test_a_cut_word_inside_a_name_does_not_cut_it():
    focus = Focus({"Bread vs Butter": BusinessMatcher(["Bread vs Butter"]), "Bolt Cafe": BusinessMatcher(["Bolt Cafe"])})
    text = "Bread vs Butter is lovely but Bolt Cafe is dirty"
    assert focus.part("Bread vs Butter", None, text).text == "Bread vs Butter is lovely"


def record(business: str, text: str, title: str | None = None) -> MentionRecord:
    return MentionRecord(business=business, source_id=1, source_type="reddit", url="https://reddit.example/1",
                         title=title, text=text, author=None, published_at=None, rating=None)


def test_each_business_gets_the_label_driver_and_urgency_of_its_part(scorer):
    acme = judge(scorer, record("Acme Bakery", MIXED, title="Acme Bakery vs Bolt Cafe"))
    bolt = judge(scorer, record("Bolt Cafe", MIXED, title="Acme Bakery vs Bolt Cafe"))
    assert (acme.label, acme.urgent, acme.urgent_phrases, acme.driver) == (
        POSITIVE, False, (), "Acme Bakery is great")
    assert (bolt.label, bolt.urgent, bolt.urgent_phrases) == (NEGATIVE, True, ("food poisoning",))
    assert bolt.driver == "but Bolt Cafe gave me food poisoning last night"
    assert acme.language == bolt.language == "en"


def test_a_mention_of_one_business_scores_as_without_focus(scorer):
    plain = SentimentScorer(names=[w for words in KEYWORDS.values() for w in words],
                            not_urgent={name: [] for name in KEYWORDS})
    for text, title in [("Acme Bakery sold me mouldy bread, terrible, rude staff, never again", "Avoid Acme Bakery"),
                        ("Acme Bakery is great. The staff were kind.", None)]:
        assert judge(scorer, record("Acme Bakery", text, title)) == judge(plain, record("Acme Bakery", text, title))
