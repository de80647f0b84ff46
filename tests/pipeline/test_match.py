"""BusinessMatcher: real mentions found, near misses left alone, spans point into the original."""

from __future__ import annotations

import pytest

from pipeline.match import BusinessMatcher, Match, fold

JOES = BusinessMatcher(["Joe's Donuts", "Joe's Donut Shop"])


def spans(matcher: BusinessMatcher, text: str) -> list[tuple[str, str]]:
    """(configured keyword, text as written at the span) for each occurrence."""
    return [(m.keyword, text[m.start : m.end]) for m in matcher.find(text)]


# ------------------------------------------------------------------ apostrophes


@pytest.mark.parametrize(
    "text",
    [
        "Stopped at Joe's Donuts on the way to work.",
        "Stopped at Joe’s Donuts on the way to work.",  # right single quotation mark
        "Stopped at Joe‘s Donuts on the way to work.",  # left single quotation mark
        "Stopped at Joeʼs Donuts on the way to work.",  # modifier letter apostrophe (a \w char!)
        "Stopped at Joe`s Donuts on the way to work.",
        "Stopped at Joe´s Donuts on the way to work.",  # acute accent, common on German keyboards
        "stopped at joes donuts on the way to work",  # apostrophe left out
    ],
)
def test_apostrophe_variants_match(text: str) -> None:
    assert JOES.matches(text)
    [match] = JOES.find(text)
    assert match.keyword == "Joe's Donuts"
    written = text[text.lower().index("joe") : text.lower().index("donuts") + len("donuts")]
    assert text[match.start : match.end] == written


def test_keyword_without_apostrophe_does_not_find_the_apostrophe_form() -> None:
    # Decision: the apostrophe is optional in the text only when the keyword has one.
    plain = BusinessMatcher(["Joes Donuts"])
    assert plain.matches("joes donuts rock")
    assert not plain.matches("Joe’s Donuts rock")


def test_possessive_after_the_name_is_still_the_name() -> None:
    acme = BusinessMatcher(["Acme Bakery"])
    text = "Acme Bakery’s sourdough sold out by 9am again."
    assert spans(acme, text) == [("Acme Bakery", "Acme Bakery")]


# ------------------------------------------------------------------ near misses


@pytest.mark.parametrize(
    "text",
    [
        "Joe's Donutshop on 5th is closing",  # longer word
        "McJoe's Donuts opened a drive-through",  # letter before
        "O'Joe's Donuts in Dublin",  # a different name with a prefix and apostrophe
        "Dinner at Joe's. Donuts after at home.",  # split across a sentence
        "Joe's, Donuts & More",  # split by a comma
        "Joe’s Donut Shoppe",  # the longer keyword must not match a longer word either
        "Joe's2 Donuts",
    ],
)
def test_near_misses_do_not_match(text: str) -> None:
    assert not JOES.matches(text)
    assert JOES.find(text) == []


def test_letter_after_is_not_a_boundary_for_non_ascii_names() -> None:
    muller = BusinessMatcher(["Müller"])
    assert not muller.matches("Wir wohnen in der Müllerstraße 12.")
    assert not muller.matches("Die Muellers kommen.")  # ü->ue is not folded: list it if wanted
    assert muller.matches("Bäckerei MÜLLER hat wieder offen")
    assert muller.matches("Backerei Muller hat wieder offen")


# ------------------------------------------------------------------ separators, accents, case


@pytest.mark.parametrize(
    "text",
    [
        "acme bakery",
        "ACME BAKERY",
        "Acme-Bakery",
        "Acme – Bakery",  # en dash with spaces
        "Acme\u2011Bakery",  # non-breaking hyphen
        "Acme\u00a0Bakery",  # no-break space
        "Acme \n  Bakery",  # a line wrap in a plain-text email
    ],
)
def test_spaces_and_dashes_are_interchangeable(text: str) -> None:
    assert BusinessMatcher(["Acme Bakery"]).matches(f"Loved {text} today")
    assert BusinessMatcher(["Acme-Bakery"]).matches(f"Loved {text} today")


def test_separator_is_required() -> None:
    assert not BusinessMatcher(["Acme Bakery"]).matches("#AcmeBakery")


@pytest.mark.parametrize("keyword", ["Café Lola", "Cafe Lola", "CAFÉ LOLA"])
@pytest.mark.parametrize(
    "text",
    [
        "Brunch at Café Lola was lovely",
        "Brunch at Cafe Lola was lovely",
        "Brunch at CAFE LOLA was lovely",
        "Brunch at Cafe\u0301 Lola was lovely",  # decomposed é (e + combining acute)
        "Brunch at Ｃａｆｅ Ｌｏｌａ was lovely",  # full-width letters
    ],
)
def test_accents_and_case_fold_both_ways(keyword: str, text: str) -> None:
    matcher = BusinessMatcher([keyword])
    [match] = matcher.find(text)
    assert match.keyword == keyword
    assert text[match.start : match.end].replace("\u0301", "").casefold() in {"cafe lola", "café lola", "ｃａｆｅ ｌｏｌａ"}


def test_letters_nfkd_does_not_decompose() -> None:
    matcher = BusinessMatcher(["Søren's Smørrebrød", "Łódź Pierogi"])
    assert matcher.matches("Sorens Smorrebrod is the best lunch in town")
    assert matcher.matches("Lodz pierogi, 5 stars")


# ------------------------------------------------------------------ punctuation in keywords


def test_keyword_with_inner_punctuation() -> None:
    ca = BusinessMatcher(["C&A"])
    assert ca.matches("New C&A store opens downtown")
    assert ca.matches("(C&A) said")
    assert not ca.matches("ABC&AB corp")
    assert not ca.matches("C & A")  # punctuation other than spaces/dashes is literal


def test_abbreviation_period_is_optional() -> None:
    bread = BusinessMatcher(["St. Louis Bread Co."])
    assert spans(bread, "I love St Louis Bread Co and its bagels") == [("St. Louis Bread Co.", "St Louis Bread Co")]
    assert spans(bread, "St.Louis Bread Co. opened.") == [("St. Louis Bread Co.", "St.Louis Bread Co.")]
    assert not bread.matches("Stan Louis Bread Company")


def test_keyword_that_starts_with_an_apostrophe() -> None:
    hague = BusinessMatcher(["'s-Gravenhage Bakkerij"])
    assert hague.matches("Gisteren bij ’s-Gravenhage Bakkerij geweest")
    assert not hague.matches("Gisteren bij Ons-Gravenhage Bakkerij geweest")


def test_scripts_without_spaces_need_no_boundary() -> None:
    duck = BusinessMatcher(["北京烤鸭"])
    assert duck.matches("我们昨天去了北京烤鸭店，很好吃")
    assert not duck.matches("我们昨天去了南京烤鸭店")


# ------------------------------------------------------------------ spans


def test_spans_point_into_the_original_when_folding_changes_lengths() -> None:
    matcher = BusinessMatcher(["Joe's Donuts", "Cafe Lola"])
    # "ß" folds to two characters, "ﬁ" to two, the decomposed accent to none: all before the hits.
    text = "Straße, ﬁne Cafe\u0301 Lola und Joe’s Donuts."
    found = matcher.find(text)
    assert found == [
        Match("Cafe Lola", text.index("Cafe"), text.index(" und")),
        Match("Joe's Donuts", text.index("Joe"), text.index(".", text.index("Joe"))),
    ]
    assert text[found[0].start : found[0].end] == "Cafe\u0301 Lola"  # the accent comes along


def test_span_over_an_expanding_character() -> None:
    strasse = BusinessMatcher(["Hauptstrasse Bäckerei"])
    text = "Die HAUPTSTRAẞE Bäckerei!"  # capital sharp s folds to "ss"
    [match] = strasse.find(text)
    assert text[match.start : match.end] == "HAUPTSTRAẞE Bäckerei"
    # A match that ends inside an expansion ("…" folds to "...") still covers that character.
    bread = BusinessMatcher(["St. Louis Bread Co."])
    text = "Ugh, St. Louis Bread Co… again"
    [match] = bread.find(text)
    assert text[match.start : match.end] == "St. Louis Bread Co…"


def test_find_returns_every_occurrence_in_order_non_overlapping() -> None:
    text = "Joe's Donut Shop? More like Joe’s Donuts. JOES DONUTS forever"
    assert spans(JOES, text) == [
        ("Joe's Donut Shop", "Joe's Donut Shop"),
        ("Joe's Donuts", "Joe’s Donuts"),
        ("Joe's Donuts", "JOES DONUTS"),
    ]


def test_longest_keyword_wins_at_the_same_place() -> None:
    matcher = BusinessMatcher(["Joe's", "Joe's Donuts Bakery"])
    assert spans(matcher, "Joe's Donuts Bakery and Joe's") == [
        ("Joe's Donuts Bakery", "Joe's Donuts Bakery"),
        ("Joe's", "Joe's"),
    ]


def test_keywords_that_fold_the_same_report_the_first_configured() -> None:
    matcher = BusinessMatcher(["Café Lola", "Cafe Lola", "CAFE LOLA"])
    assert [m.keyword for m in matcher.find("cafe lola, Café Lola")] == ["Café Lola", "Café Lola"]


# ------------------------------------------------------------------ exclude / require_any


def test_exclude_vetoes_and_require_any_disambiguates() -> None:
    # "Lola" is a common name: only mentions placing it in Springfield count.
    lola = BusinessMatcher(["Cafe Lola"], exclude=["Cafe Lola Miami", "lola.com"], require_any=["Springfield", "Elm St."])
    assert lola.matches("Café Lola in Springfield does the best flat white")
    assert lola.matches("café lola (elm st) does the best flat white")
    assert not lola.matches("Café Lola does the best flat white")  # nothing places it
    assert not lola.matches("Café Lola Miami, like Springfield's, is great")  # excluded
    assert not lola.matches("Cafe Lola — Springfield review, see LOLA.COM")  # excluded
    assert not lola.matches("Springfield has a new café")  # context alone is no mention
    # find() is for highlighting: it ignores the exclude/require rules.
    assert spans(lola, "Café Lola does the best flat white") == [("Cafe Lola", "Café Lola")]


def test_require_any_is_folded_too() -> None:
    matcher = BusinessMatcher(["Müller"], require_any=["Düsseldorf"])
    assert matcher.matches("Bäckerei Muller in Dusseldorf")
    assert not matcher.matches("Bäckerei Müller in Köln")


# ------------------------------------------------------------------ inputs


def test_empty_text() -> None:
    assert not JOES.matches("")
    assert JOES.find("") == []


@pytest.mark.parametrize("bad", [[], ["  "], ["--"], ["!!!"]])
def test_unusable_keywords_are_rejected(bad: list[str]) -> None:
    with pytest.raises(ValueError):
        BusinessMatcher(bad)


def test_a_single_string_is_not_a_keyword_list() -> None:
    with pytest.raises(TypeError):
        BusinessMatcher("Joe's Donuts")  # type: ignore[arg-type]


def test_regex_metacharacters_in_keywords_are_literal() -> None:
    matcher = BusinessMatcher(["Pizza (Downtown)", "A+ Auto"])
    assert matcher.matches("Pizza (Downtown) was great")
    assert not matcher.matches("Pizza Downtown was great")
    assert matcher.matches("Took my car to A+ Auto")
    assert not matcher.matches("Took my car to AA Auto")


def test_fold_keeps_ascii_length_and_folds_the_rest() -> None:
    assert fold("Joe`S Donuts") == "joe's donuts"
    assert fold("Joe’s CAFÉ — Straße") == "joe's cafe - strasse"
    assert fold("soft\u00adhyphen") == "softhyphen"
