"""Scoring through `mentionwatch run`: what is stored about each mention's sentiment and urgency."""

from __future__ import annotations

import json

from pipeline.sentiment import SentimentScorer
from tests.conftest import business, run_cli
from tests.crawlers.helpers import run, summary
from tests.pipeline.helpers import (
    ALERTS,
    by_title,
    days_ago,
    entry,
    mentions,
    review_page,
    rss,
)

SLACK_ENV = {"TEST_SLACK_TOKEN": "xoxb-test-token"}

LONG_FRIENDLY_POST = (
    "<p>Joe&#39;s Donuts is our Saturday ritual. The maple bars are wonderful and the coffee is great.</p>"
    "<p>The staff know our names and always smile. The new patio is lovely in the sun. Prices are fair "
    "for the quality. My kids adore the sprinkles.</p>"
    "<p>But the cashier was rude and overcharged me twice last week.</p>"
    "<p>Still, we will be back every weekend.</p>"
)


def test_title_and_plain_text_are_scored_sentence_by_sentence_with_the_configured_thresholds(web, workspace):
    web.add("/news.xml", rss(
        entry("A family tradition", "https://blog.example.com/tradition", LONG_FRIENDLY_POST),
        entry("Joe's Donuts, reviewed", "https://blog.example.com/bland", "Could use more seating."),
        entry("Joe's Donuts glaze", "https://blog.example.com/gluey", "The donuts were gluey today."),
        entry("Joe's Donuts drill", "https://blog.example.com/drill",
              "A gas leak drill this morning; the staff handled it calmly and handed out free coffee."),
    ), content_type="application/rss+xml")
    workspace.write_config(
        alerts={**ALERTS, "threshold": -0.5, "positive_threshold": 0.3},
        scoring={"lexicon": {"gluey": -2.5}, "urgent_phrases": ["gas leak"]},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )

    result = run(workspace)

    assert summary(result).startswith("1 source ok, 0 failed; 4 items fetched, 4 new mentions (2 negative)")
    stored = by_title(mentions(workspace))
    post = stored["A family tradition"]
    # HTML stripped and entities decoded before scoring; the score is the pipeline scorer's on
    # the title and the text together.
    assert "<p>" not in post["text"] and "Joe's Donuts is our Saturday ritual." in post["text"]
    scorer = SentimentScorer(negative_threshold=-0.5, positive_threshold=0.3)
    # A feed is news: its mentions are read in the news register.
    assert post["sentiment"] == scorer.score(post["text"], title=post["title"], register="news").sentiment
    # One complaint in a long friendly post is not averaged away, and it is kept as the reason.
    assert post["label"] == "negative"
    assert post["driver"] == "But the cashier was rude and overcharged me twice last week."
    # A wish without negative evidence is no complaint in the news register, at any threshold
    # (news scores are a verdict or 0: the register's calibration, docs/scoring.md).
    bland = stored["Joe's Donuts, reviewed"]
    assert (bland["label"], bland["sentiment"]) == ("neutral", 0.0)
    # The owner's own lexicon and urgent phrases from config.
    assert stored["Joe's Donuts glaze"]["label"] == "negative"
    drill = stored["Joe's Donuts drill"]
    assert (drill["urgent"], drill["urgent_phrases"]) == (1, "gas leak")


def test_a_star_rating_decides_the_label_and_a_contradicting_text_is_flagged(web, workspace):
    earlier = {"author": "Di", "date": "2026-10-01", "rating": 4, "body": "Nice place."}
    web.add("/reviews", review_page(earlier))
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "reviews", "url": f"{web.url}/reviews"}])])
    run(workspace)  # the source's first crawl: a baseline, whatever it holds
    web.add("/reviews", review_page(
        earlier,
        {"author": "Ann", "date": "2026-11-01", "rating": 5, "body": "Absolutely furious. Rude staff, cold food."},
        {"author": "Bo", "date": "2026-11-02", "rating": 1, "body": "It was okay I guess."},
        {"author": "Cy", "date": "2026-11-03", "rating": 3, "body": "Wonderful donuts, lovely staff!"},
    ))

    run(workspace)

    stored = {m["author"]: m for m in mentions(workspace)}
    verdicts = {a: (m["rating"], m["label"], m["rating_conflict"]) for a, m in stored.items() if a != "Di"}
    assert verdicts == {"Ann": (5.0, "positive", 1), "Bo": (1.0, "negative", 0), "Cy": (3.0, "neutral", 0)}
    # The text's own score is stored beside the rating.
    assert stored["Ann"]["sentiment"] < -0.5 and stored["Cy"]["sentiment"] > 0.5
    # A one-star review is owed an alert however mild its words; five stars are not, whatever they say.
    assert (stored["Bo"]["alert_due"], stored["Ann"]["alert_due"]) == (1, 0)


def test_urgent_mentions_are_marked_whatever_their_score_and_alerted_first(web, slack, workspace):
    quiet = entry("Joe's Donuts adds a patio", "https://gazette.example.com/patio", "Seats for twenty.", days_ago(5))
    web.add("/news.xml", rss(quiet), content_type="application/rss+xml")
    workspace.write_config(
        slack={"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url}, alerts=ALERTS,
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    run(workspace, env=SLACK_ENV)  # the source's first crawl
    earlier = len(slack.calls("chat.postMessage"))
    web.add("/news.xml", rss(
        quiet,
        # Found first, and negative...
        entry("Slow morning at Joe's Donuts", "https://blog.example.com/slow",
              "Terrible wait, cold coffee, rude cashier.", days_ago(2)),
        # ...but this one is urgent, though its words are friendly.
        entry("Inspection day at Joe's Donuts", "https://blog.example.com/inspection",
              "Lovely staff as always. The health department inspector came by today and loved the new "
              "kitchen!", days_ago(1)),
    ), content_type="application/rss+xml")

    result = run(workspace, env=SLACK_ENV)

    assert summary(result).startswith("1 source ok, 0 failed; 3 items fetched, 2 new mentions")
    urgent = by_title(mentions(workspace))["Inspection day at Joe's Donuts"]
    assert urgent["urgent"] == 1 and urgent["label"] != "negative"
    assert urgent["urgent_phrases"] == "health department"
    posted = [json.dumps(c.args) for c in slack.calls("chat.postMessage")[earlier:]]
    assert len(posted) == 2
    assert "Inspection day" in posted[0] and "Slow morning" in posted[1]


def test_a_business_named_in_words_of_sentiment_is_read_as_a_name(web, workspace):
    """"Dirty Dozen Brewing" holds "dirty": every mention of it read as a complaint (each news item
    an alert), and a competitor named "Happy Lemon" as praise. Names and keywords are read as names,
    so what the mentions say decides (the label and what a complaint is about), and the stored text
    keeps the name."""
    web.add("/news.xml", rss(
        entry("Dirty Dozen Brewing opens in the mall", "https://news.example.com/opens",
              "Dirty Dozen Brewing opened its second taproom in the mall this week."),
        entry("Dirty Dozen Brewing, reviewed", "https://news.example.com/rude",
              "The bartender at Dirty Dozen Brewing was rude and charged me twice."),
    ), content_type="application/rss+xml")
    web.add("/rival.xml", rss(
        entry("Happy Lemon hours", "https://news.example.com/hours", "Happy Lemon now opens at 7 on weekdays."),
    ), content_type="application/rss+xml")
    workspace.write_config(alerts=ALERTS, businesses=[{
        "name": "Dirty Dozen Brewing", "keywords": ["Dirty Dozen Brewing"],
        "sources": [{"type": "feed", "url": f"{web.url}/news.xml"}],
        "competitors": [{"name": "Happy Lemon", "sources": [{"type": "feed", "url": f"{web.url}/rival.xml"}]}],
    }])

    run(workspace)

    stored = by_title(mentions(workspace))
    assert {title: m["label"] for title, m in stored.items()} == {
        "Dirty Dozen Brewing opens in the mall": "neutral",
        "Dirty Dozen Brewing, reviewed": "negative",
        "Happy Lemon hours": "neutral",
    }
    assert stored["Dirty Dozen Brewing, reviewed"]["driver"] == "The bartender at Dirty Dozen Brewing was rude and charged me twice."
    # The complaint is about the bartender and the bill; the dirt is only in the name.
    assert json.loads(stored["Dirty Dozen Brewing, reviewed"]["aspects"]) == ["service and staff", "price and billing"]
    # Without the names, the scorer reads the news of the opening and of the hours as verdicts.
    plain = SentimentScorer()
    assert plain.score("Dirty Dozen Brewing opened its second taproom in the mall this week.",
                       title="Dirty Dozen Brewing opens in the mall", register="news").label == "negative"
    assert "cleanliness" in plain.score("The bartender at Dirty Dozen Brewing was rude and charged me twice.").aspects
    assert plain.score("Happy Lemon now opens at 7 on weekdays.", title="Happy Lemon hours",
                       register="news").label == "positive"


def test_a_business_s_trade_words_do_not_make_its_mentions_urgent(web, slack, workspace):
    """A law firm's every mention says "lawyer" or "injury": urgent phrases for a bakery, and its
    trade's words for the firm, which lists them under `not_urgent`. Urgency by another phrase still
    counts, the bakery's "lawyer" stays urgent, and a name holding an urgent phrase is no emergency."""
    web.add("/law.xml", rss(entry("Smith Injury Law, reviewed", "https://blog.example.com/law-0", "Intro.", days_ago(9))),
            content_type="application/rss+xml")
    web.add("/bakery.xml", rss(entry("Joe's Donuts hours", "https://blog.example.com/joe-0", "Open at 7.", days_ago(9))),
            content_type="application/rss+xml")
    workspace.write_config(
        slack={"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url}, alerts=ALERTS,
        businesses=[
            {"name": "Smith Injury Law", "keywords": ["Smith Injury Law"], "not_urgent": ["lawyer", "Attorney"],
             "sources": [{"type": "feed", "url": f"{web.url}/law.xml"}]},
            business(sources=[{"type": "feed", "url": f"{web.url}/bakery.xml"}]),
        ],
    )
    run(workspace, env=SLACK_ENV)  # the sources' first crawl
    earlier = len(slack.calls("chat.postMessage"))
    web.add("/law.xml", rss(
        entry("Smith Injury Law, reviewed", "https://blog.example.com/law-0", "Intro.", days_ago(9)),
        entry("Best lawyer in town", "https://blog.example.com/law-1",
              "Our attorney at Smith Injury Law won my case in three months. Great lawyer!", days_ago(2)),
        entry("Harassed at Smith Injury Law", "https://blog.example.com/law-2",
              "The lawyer at Smith Injury Law harassed me about fees.", days_ago(1)),
    ), content_type="application/rss+xml")
    web.add("/bakery.xml", rss(
        entry("Joe's Donuts hours", "https://blog.example.com/joe-0", "Open at 7.", days_ago(9)),
        entry("A letter from a lawyer", "https://blog.example.com/joe-1",
              "A lawyer wrote to Joe's Donuts about the new sign.", days_ago(1)),
    ), content_type="application/rss+xml")

    run(workspace, env=SLACK_ENV)

    stored = by_title(mentions(workspace))
    praise = stored["Best lawyer in town"]
    assert (praise["urgent"], praise["urgent_phrases"], praise["label"]) == (0, None, "positive")
    assert (stored["Harassed at Smith Injury Law"]["urgent"], stored["Harassed at Smith Injury Law"]["urgent_phrases"]) \
        == (1, "harassed")
    assert (stored["A letter from a lawyer"]["urgent"], stored["A letter from a lawyer"]["urgent_phrases"]) == (1, "lawyer")
    posted = " ".join(json.dumps(c.args) for c in slack.calls("chat.postMessage")[earlier:])
    assert "Harassed at Smith Injury Law" in posted and "A letter from a lawyer" in posted
    assert "Best lawyer in town" not in posted
    checked = run_cli("check", "--config", str(workspace.config), env=SLACK_ENV)
    assert "Smith Injury Law: keywords Smith Injury Law; not urgent: lawyer, Attorney;" in checked.stdout
    # Without the list, the firm's praise is urgent by its trade's words and by its name ("injury").
    plain = SentimentScorer()
    assert plain.score(praise["text"], title=praise["title"]).urgent_phrases == ("lawyer", "attorney", "injury")
