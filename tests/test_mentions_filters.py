"""`mentions` filters as a user types them: any case for --business, --source by type or name,
--unhandled, --urgent; an unknown business or source is an error naming the known ones."""

from __future__ import annotations

import json

from tests.conftest import business, feed_fixture

REVIEWS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Joe's Donuts reviews</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Bakery", "name": "Joe's Donuts", "review": [
 {"@type": "Review", "author": "Ann", "datePublished": "2026-11-25",
  "reviewBody": "I got food poisoning at Joe's Donuts. Awful, terrible, never again."},
 {"@type": "Review", "author": "Bob", "datePublished": "2026-11-24",
  "reviewBody": "Lovely donuts and friendly staff."}
]}
</script></head><body><h1>Joe's Donuts</h1></body></html>"""


def authors(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return sorted(m["author"] or m["title"][:20] for m in map(json.loads, result.stdout.splitlines()))


def test_mentions_filters_by_business_source_handled_and_urgent(web, workspace):
    web.add("/reviews/joes", REVIEWS, content_type="text/html; charset=utf-8")
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(
        alerts={"max_age_days": 36500},
        businesses=[business(sources=[{"type": "reviews", "url": f"{web.url}/reviews/joes", "name": "Yelp page"},
                                      {"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    assert workspace.cli("run").returncode == 0

    def listed(*options: str) -> list[str]:
        return authors(workspace.cli("mentions", "--format", "json", *options))

    assert len(listed()) == 4
    assert listed("--business", "JOE'S DONUTS", "--source", "reviews") == ["Ann", "Bob"]
    assert listed("--source", "yelp page") == ["Ann", "Bob"]
    assert len(listed("--source", "feed")) == 2
    assert listed("--urgent") == ["Ann"]

    ids = {m["author"]: m["id"] for m in map(json.loads, workspace.cli("mentions", "--format", "json").stdout.splitlines())}
    assert workspace.cli("handle", str(ids["Ann"])).returncode == 0
    assert "Ann" not in listed("--unhandled")
    assert len(listed("--unhandled")) == 3

    unknown = workspace.cli("mentions", "--business", "Joe's Pizza")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "Error: no business named \"Joe's Pizza\"; known: Joe's Donuts"
    no_source = workspace.cli("mentions", "--source", "bluesky")
    assert no_source.returncode == 1
    assert no_source.stderr.strip() == (
        f"Error: no source named 'bluesky'; known: {web.url.removeprefix('http://')}/news.xml, Yelp page, feed, reviews")
