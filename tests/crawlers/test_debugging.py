"""Trying sources by hand: `mentionwatch check --fetch`, and `scrapy list` / `scrapy crawl`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import business, feed_fixture
from tests.crawlers.helpers import ALERTS, fixture, run

REPOSITORY = Path(__file__).parents[2]
SCRAPY = Path(sys.executable).with_name("scrapy")


def test_check_fetch_shows_what_each_source_holds_and_changes_nothing(web, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    web.add("/reviews", fixture("reviews", "page3.html"))
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[
        {"type": "feed", "url": f"{web.url}/news.xml"},
        {"type": "reviews", "url": f"{web.url}/reviews"},
        {"type": "feed", "url": f"{web.url}/missing.xml"},
    ])])

    result = workspace.cli("check", "--fetch")

    assert result.returncode == 1, result.stderr
    fetched = [line for line in result.stdout.splitlines() if " fetch " in line]
    assert fetched == [
        f"ok fetch feed Joe's Donuts / {web.url.removeprefix('http://')}/news.xml: 4 items, 2 name the business; newest "
        "2026-11-23 09:30 UTC: Customers furious after Joe's Donuts charged them twice - Springfield Daily "
        "<https://daily.example.com/news/joes-donuts-double-charge>",
        f"ok fetch reviews Joe's Donuts / {web.url.removeprefix('http://')}/reviews: 1 item; newest 2026-10-30 00:00 UTC: "
        f"Found a hair in my donut. The manager shrugged. <{web.url}/reviews?mw_item=" + fetched[1].split("mw_item=")[1],
        f"FAILED fetch feed Joe's Donuts / {web.url.removeprefix('http://')}/missing.xml: HTTP 404 Not Found",
    ]
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*) from mentions").fetchone() == (0,)

    # Nothing was remembered either: the next run downloads the feed in full.
    run(workspace)
    assert [r.status for r in web.requests_for("/news.xml")] == [200, 200]


def test_scrapy_list_and_crawl_work_from_the_repository_root(web, tmp_path):
    web.add("/reviews", fixture("reviews", "page3.html"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDDIT_", "MASTODON_", "BLUESKY_"))}

    listed = subprocess.run([str(SCRAPY), "list"], cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120)

    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["appstore", "appstore_connect", "bluesky", "feed", "google_business", "google_play",
                                     "hackernews", "html", "mastodon", "reddit", "reviews", "trustpilot", "yelp"]

    out = tmp_path / "items.jsonl"
    crawled = subprocess.run(
        [str(SCRAPY), "crawl", "reviews", "-a", f"url={web.url}/reviews", "-a", "max_pages=1", "-O", str(out)],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=120)

    assert crawled.returncode == 0, crawled.stderr
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(i["author"], i["rating"], i["published_at"][:10]) for i in items] == [("Olu", 1.0, "2026-10-30")]
