"""KeywordIndex: every business a stream item names, by the very rules of each BusinessMatcher."""

from __future__ import annotations

import pytest

from pipeline.keyword_index import KeywordIndex
from pipeline.match import BusinessMatcher

BUSINESSES = {
    "Joe's Donuts": BusinessMatcher(["Joe's Donuts", "Joes Donuts"], exclude=["recipe"]),
    "Acme Bakery": BusinessMatcher(["Acme Bakery"]),
    "Café Lola": BusinessMatcher(["Café Lola"]),
    "Müller": BusinessMatcher(["Müller Straße"]),
    "Sørensen": BusinessMatcher(["Sørensen & Co."]),
    "St. Louis Bread": BusinessMatcher(["St. Louis Bread Co."]),
    "Round Midnight": BusinessMatcher(["'Round Midnight"]),
    "Ramen": BusinessMatcher(["拉面店"]),
    "Apple Farm": BusinessMatcher(["Apple Farm"], require_any=["orchard", "cider"]),
    "C&A": BusinessMatcher(["C&A"]),
}

TEXTS = [
    "Stopped at Joe’s Donuts, then Acme-Bakery.",
    "joes donuts recipe, copycat version",  # Joe's exclude
    "Joe's Donutshop is not it; McJoe's Donuts neither",
    "CAFE LOLA was lovely, and so was Cafe Lolas? no",
    "Ich war in der MÜLLER STRASSE gestern",
    "sorensen & co. fixed my bike",
    "St.Louis Bread Co. and st louis bread co",
    "Round Midnight played 'round midnight",
    "我喜欢拉面店的汤",
    "Apple Farm cider is back",
    "Apple Farm stock fell",  # no required context
    "C & A is not C&A, but C&A is",
    "Acme Bakery | Joe's Donuts",
    "",
    "Nothing here at all",
    "Acme\u00adBakery with a soft hyphen, Acme\u200bBakery with a zero-width space",
]


@pytest.mark.parametrize("text", TEXTS)
def test_the_index_names_exactly_the_businesses_their_own_matchers_accept(text: str) -> None:
    index = KeywordIndex(BUSINESSES)
    assert index.named_in(text) == [name for name, matcher in BUSINESSES.items() if matcher.matches(text)]


def test_one_item_naming_two_businesses_is_for_both_and_one_naming_neither_for_none() -> None:
    index = KeywordIndex(BUSINESSES)
    assert index.named_in_mention("Two favourites", "Joes Donuts and the Acme Bakery") == ["Joe's Donuts", "Acme Bakery"]
    assert index.named_in_mention("Weekend plans", "nothing about any shop") == []
    # The title and the text are read as the pipeline reads them: a name cannot straddle them.
    assert index.named_in_mention("Acme", "Bakery opened") == []


def test_many_businesses_sharing_a_word_are_each_decided_by_their_own_terms() -> None:
    shops = {f"Shop {n}": BusinessMatcher([f"Corner Shop {n}"]) for n in range(300)}
    index = KeywordIndex(shops)
    assert index.named_in("I love Corner Shop 17 and corner-shop 250, not Corner Shop 3000") == ["Shop 17", "Shop 250"]


@pytest.mark.parametrize("text", TEXTS)
def test_the_index_finds_where_each_keyword_stands_as_the_business_s_own_matcher_does(text: str) -> None:
    """`find` is for reading names out of a text (pipeline.sentiment): every occurrence, as each
    business's matcher finds it, in order, excludes and required context not consulted."""
    found = [(m.keyword, m.start, m.end) for m in KeywordIndex(BUSINESSES).find(text)]
    own = sorted(((m.keyword, m.start, m.end) for matcher in BUSINESSES.values() for m in matcher.find(text)),
                 key=lambda m: m[1])
    assert found == own


def test_keywords_found_at_one_place_give_the_longest() -> None:
    index = KeywordIndex({"Dozen": BusinessMatcher(["Dirty Dozen"]), "Brewing": BusinessMatcher(["Dirty Dozen Brewing"]),
                          "Brewing Co": BusinessMatcher(["Brewing Company"])})
    text = "Dirty Dozen Brewing Company and dirty dozen"
    assert [text[m.start:m.end] for m in index.find(text)] == ["Dirty Dozen Brewing", "dirty dozen"]
