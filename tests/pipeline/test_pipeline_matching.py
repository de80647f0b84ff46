"""Matching through `mentionwatch run`: what is about the business is stored, the near misses are not."""

from __future__ import annotations

from tests.conftest import business
from tests.crawlers.helpers import run, summary
from tests.pipeline.helpers import ALERTS, entry, mentions, review_page, rss


def test_keywords_match_as_people_write_them_and_near_misses_are_dropped(web, workspace):
    news = [
        # About the business: in the title, in the text only, with a curly apostrophe, a hyphen,
        # in capitals, inside HTML, as an entity.
        entry("Joe’s Donuts opens a second shop downtown", "https://news.example.com/second-shop",
              "Lines formed early on Saturday."),
        entry("Best breakfast spots in Springfield", "https://news.example.com/breakfast",
              "<p>We loved the maple bars at <b>JOES DONUTS</b> on Elm Street.</p>"),
        entry("Weekend roundup", "https://news.example.com/roundup",
              "<p>Try <i>Joe&rsquo;s</i> Donuts for the apple fritters.</p>"),
        entry("Joe's-Donuts expands hours", "https://news.example.com/hours", "Open until 9 pm."),
        # Near misses: another business, a recipe, a name split between title and text, a typo.
        entry("Joe's Donutshop closes on Main Street", "https://news.example.com/donutshop",
              "The Donutshop was open for 30 years."),
        entry("Copycat Joe's Donuts glaze", "https://blog.example.com/glaze",
              "The easiest recipe for a maple glaze at home."),
        entry("Lunch at Joe's", "https://news.example.com/lunch", "Donuts were on the menu."),
        entry("Joe Donuts and the art of frying", "https://news.example.com/frying", "A history."),
        entry("McJoe's Donuts sold", "https://news.example.com/mcjoes", "A chain buys a rival."),
    ]
    web.add("/news.xml", rss(*news), content_type="application/rss+xml")
    # Reviews are about the business by definition: stored without naming it, unless the source
    # asks for matching.
    page = review_page(
        {"author": "Ann", "date": "2026-11-01", "rating": 5, "body": "Best maple bar I have had."},
        {"author": "Bo", "date": "2026-11-02", "rating": 4, "body": "Joe's Donuts never disappoints."},
    )
    web.add("/reviews", page)
    web.add("/reviews-matched", page)
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[
        {"type": "feed", "url": f"{web.url}/news.xml"},
        {"type": "reviews", "url": f"{web.url}/reviews"},
        {"type": "reviews", "url": f"{web.url}/reviews-matched", "match": True},
    ])])

    result = run(workspace)

    assert summary(result).startswith("3 sources ok, 0 failed; 13 items fetched, 7 new mentions")
    stored = mentions(workspace)
    feed_titles = sorted(m["title"] for m in stored if m["source_type"] == "feed")
    assert feed_titles == ["Best breakfast spots in Springfield", "Joe's-Donuts expands hours",
                           "Joe’s Donuts opens a second shop downtown", "Weekend roundup"]
    # What is stored is the plain text that was matched and scored.
    roundup = next(m for m in stored if m["title"] == "Weekend roundup")
    assert roundup["text"] == "Try Joe’s Donuts for the apple fritters."
    reviews = sorted((m["url"].split("?")[0].rsplit("/", 1)[1], m["author"]) for m in stored
                     if m["source_type"] == "reviews")
    assert reviews == [("reviews", "Ann"), ("reviews", "Bo"), ("reviews-matched", "Bo")]


def test_accents_and_required_context_tell_the_business_from_its_namesakes(web, workspace):
    posts = [
        entry("Cafe Lola on Elm Street reopens", "https://news.example.com/reopens", "New chairs, same coffee."),
        entry("CAFÉ LOLA wins an award", "https://news.example.com/award",
              "Springfield's favourite café was honoured on Friday."),
        entry("Cafe-Lola", "https://news.example.com/hyphen", "A new terrace in Springfield."),
        # The same name elsewhere, without the city or the street: not this business.
        entry("Café Lola in Paris closes", "https://news.example.com/paris", "The owners retire."),
        entry("Lola the café cat", "https://news.example.com/cat", "A cat named Lola lives at a café in Springfield."),
    ]
    web.add("/lola.xml", rss(*posts), content_type="application/rss+xml")
    web.add("/everything.xml", rss(entry("Springfield weather", "https://news.example.com/weather", "Rain.")),
            content_type="application/rss+xml")
    workspace.write_config(alerts=ALERTS, businesses=[{
        "name": "Café Lola", "keywords": ["Café Lola"], "require_any": ["Springfield", "Elm Street"],
        "sources": [
            {"type": "feed", "url": f"{web.url}/lola.xml"},
            # A feed that is about the business by construction (its own blog, say).
            {"type": "feed", "url": f"{web.url}/everything.xml", "match": False},
        ],
    }])

    result = run(workspace)

    assert summary(result).startswith("2 sources ok, 0 failed; 6 items fetched, 4 new mentions")
    assert sorted(m["url"].rsplit("/", 1)[1] for m in mentions(workspace)) == ["award", "hyphen", "reopens", "weather"]
