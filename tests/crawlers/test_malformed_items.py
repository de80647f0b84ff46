"""One malformed item in an API's answer is dropped with a warning; the rest of the run goes on.

A number, list or object where text belongs, or an impossible date, drops that one item (with a
warning naming its source); a lone surrogate or NUL is removed from the text, keeping the item.
Every other item, source and business is stored as usual, and `run` exits 0.
"""

from __future__ import annotations

import copy
import json

from tests.conftest import business
from tests.crawlers.helpers import ALERTS, by_author, fixture, run, stored, summary

HN = "/api/v1/search_by_date"
REDDIT = "/search.json"
MASTODON = "/api/v1/timelines/tag/JoesDonuts"


def hn_answer() -> str:
    answer = json.loads(fixture("hackernews", "search_by_date.json"))
    comment = next(h for h in answer["hits"] if h["author"] == "grumpy_dev")
    broken = []
    for number, (field, value) in enumerate([
        ("comment_text", 42),  # a number where text belongs
        ("author", ["list", "of", "names"]),  # a list
        ("comment_text", True),  # a boolean
        ("comment_text", {"html": "an object"}),  # an object
        ("created_at_i", 99999999999999),  # an impossible date (year 5 million)
    ]):
        hit = copy.deepcopy(comment)
        hit["objectID"] = str(46000000 + number)
        hit["author"] = f"broken_{number}"
        hit[field] = value
        broken.append(hit)
    # Text with a NUL and a lone surrogate: cleaned, and kept.
    dirty = copy.deepcopy(comment)
    dirty.update(objectID="46000100", author="dirty_dev",
                 comment_text="Joe's Donuts\x00 was rude to me \ud83d today")
    answer["hits"] = [*broken, dirty, *answer["hits"]]
    return json.dumps(answer)


def reddit_answer() -> str:
    answer = json.loads(fixture("reddit", "search.json"))
    children = answer["data"]["children"]
    post = copy.deepcopy(children[0])
    post["data"].update(name="t3_broken1", id="broken1", author="broken_title", title=["not", "text"])
    dated = copy.deepcopy(children[0])
    dated["data"].update(name="t3_broken2", id="broken2", author="broken_date", created_utc=-1e300)
    answer["data"]["children"] = [post, dated, 7, {"kind": "t3", "data": "not an object"}, *children]
    return json.dumps(answer)


def mastodon_answer() -> str:
    statuses = json.loads(fixture("mastodon", "tag_timeline.json"))
    broken = copy.deepcopy(statuses[0])
    broken.update(id="113500000000000999", content={"not": "text"})
    broken["account"] = {"acct": "broken_toot"}
    undated = copy.deepcopy(statuses[0])
    undated.update(id="113500000000000998", created_at="2026-02-30T25:61:00Z")
    undated["account"] = {"acct": "impossible_date"}
    return json.dumps([broken, undated, "a string", *statuses])


def test_malformed_items_are_dropped_with_a_warning_and_the_rest_is_stored(web, workspace):
    web.add(HN, hn_answer())
    web.add(REDDIT, reddit_answer())
    web.add(MASTODON, mastodon_answer())
    web.add("/news.xml", _feed())
    workspace.write_config(alerts=ALERTS, businesses=[
        business(keywords=["Joe's Donuts", "JoesDonuts"], sources=[
            {"type": "hackernews", "query": "Joe's Donuts", "url": f"{web.url}{HN}?query=x"},
            {"type": "reddit", "query": "Joe's Donuts", "url": f"{web.url}{REDDIT}?q=x", "requests_per_minute": 600},
            {"type": "mastodon", "instance": web.url, "tag": "#JoesDonuts"},
        ]),
        business(name="Ann's Bakery", keywords=["Ann's Bakery"], sources=[
            {"type": "feed", "url": f"{web.url}/news.xml"},
        ]),
    ])

    result = run(workspace)

    assert summary(result).startswith("4 sources ok, 0 failed;"), result.stdout
    authors = set(by_author(stored(workspace)))
    # The good items of every source and business are stored ...
    assert {"grumpy_dev", "joe", "u/springfield_mom", "@kai@fosstodon.example", "Ann"} <= authors
    # ... the malformed ones are not, and the one with stray characters is, cleaned.
    assert not {a for a in authors if a and ("broken" in a or "impossible" in a)}
    dirty = by_author(stored(workspace))["dirty_dev"]
    assert dirty["text"] == "Joe's Donuts was rude to me \ufffd today"
    # One warning per dropped item, naming its business and source.
    dropped = [line for line in result.stderr.splitlines() if "dropped" in line]
    assert len([d for d in dropped if "Joe's Donuts / Hacker News search" in d]) == 5, result.stderr
    assert len([d for d in dropped if "Joe's Donuts / Reddit search" in d]) == 4, result.stderr
    assert len([d for d in dropped if "Joe's Donuts / Mastodon" in d]) == 3, result.stderr
    assert any("author is a list, not text" in d for d in dropped), dropped
    assert "Traceback" not in result.stderr


def _feed() -> str:
    return """<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
    <item><title>Ann's Bakery wins a prize</title><link>https://news.example/ann</link>
    <author>Ann</author><description>Ann's Bakery won the county prize for its rye.</description>
    <pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"""
