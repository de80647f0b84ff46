"""`mentionwatch run` storing what the learned scorer adds: aspects, language, the unscored label."""

from __future__ import annotations

import json

from tests.conftest import business, run_cli
from tests.crawlers.helpers import run, summary
from tests.pipeline.helpers import ALERTS, by_title, entry, mentions, rss

COMPLAINT = "We waited over an hour at Joe's Donuts and the waiter was rude about it."
SPANISH = "El servicio en Joe's Donuts fue terrible y la comida estaba fría, no volveremos nunca."
SPANISH_URGENT = "Mi hijo sufrió una intoxicación después de comer en Joe's Donuts el sábado pasado."
PRAISE = "Joe's Donuts has the friendliest staff and the best maple bars in town!"


def _feed(web, *entries) -> None:
    web.add("/news.xml", rss(*entries), content_type="application/rss+xml")


def test_a_run_stores_aspects_and_language_and_leaves_other_languages_unscored(web, workspace):
    first = entry("Joe's Donuts opens a second shop", "https://news.example.com/second", PRAISE)
    _feed(web, first)
    workspace.write_config(
        alerts=ALERTS,
        scoring={"urgent_phrases_by_language": {"es": ["intoxicación"]},
                 "aspects": {"parking": ["parking lot"]}},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    run(workspace)  # the source's first crawl is a baseline: nothing in it is alerted
    _feed(web, first,
          entry("Joe's Donuts, never again", "https://blog.example.com/wait", COMPLAINT),
          entry("Joe's Donuts en el centro", "https://blog.example.com/es", SPANISH),
          entry("Joe's Donuts intoxicación", "https://blog.example.com/es-urgent", SPANISH_URGENT),
          entry("Joe's Donuts parking", "https://blog.example.com/parking",
                "The parking lot at Joe's Donuts is a filthy disgrace."))

    result = run(workspace)

    assert "4 new mentions (2 negative)" in summary(result)
    stored = by_title(mentions(workspace))
    complaint = stored["Joe's Donuts, never again"]
    assert (complaint["label"], complaint["language"]) == ("negative", "en")
    assert json.loads(complaint["aspects"]) == ["service and staff", "wait time"]
    assert complaint["probability"] > 0.5 and complaint["vader_compound"] < 0
    assert complaint["alert_due"] == 1
    # The owner's own aspect from config.
    assert "parking" in json.loads(stored["Joe's Donuts parking"]["aspects"])
    # Spanish is not read: unscored, not neutral; stored quietly by default (alerts.unscored: store) ...
    spanish = stored["Joe's Donuts en el centro"]
    assert (spanish["label"], spanish["language"], spanish["sentiment"]) == ("unscored", "es", 0.0)
    assert spanish["alert_due"] == 0
    # ... except when it holds an urgent phrase given for its language.
    urgent = stored["Joe's Donuts intoxicación"]
    assert (urgent["label"], urgent["urgent"], urgent["urgent_phrases"]) == ("unscored", 1, "intoxicación")
    assert urgent["alert_due"] == 1

    listed = run_cli("mentions", "--format", "json", "--config", str(workspace.config))
    assert listed.returncode == 0, listed.stderr
    records = {r["title"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert records["Joe's Donuts, never again"]["aspects"] == ["service and staff", "wait time"]
    assert records["Joe's Donuts, never again"]["language"] == "en"
    assert records["Joe's Donuts en el centro"]["label"] == "unscored"
    assert records["Joe's Donuts en el centro"]["aspects"] is None


def test_owners_can_have_unscored_mentions_alerted(web, workspace):
    _feed(web, entry("Joe's Donuts opens a second shop", "https://news.example.com/second", PRAISE))
    workspace.write_config(
        alerts={**ALERTS, "unscored": "alert"},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    run(workspace)
    _feed(web, entry("Joe's Donuts en el centro", "https://blog.example.com/es", SPANISH))

    run(workspace)

    spanish = by_title(mentions(workspace))["Joe's Donuts en el centro"]
    assert (spanish["label"], spanish["alert_due"]) == ("unscored", 1)
