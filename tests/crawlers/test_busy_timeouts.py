"""A download timeout measures the network: a crawl process busy parsing fails no feed for it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from mentionwatch.sandbox.web import Response
from tests.conftest import business
from tests.crawlers.helpers import ALERTS, failures, run, stored, summary

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 0.3
"""crawler.download_timeout of these runs: far shorter than the parse of one big feed."""


def big_feed(name: str, entries: int, about: str = "the town") -> str:
    """An RSS feed of `entries` entries: seconds of parsing in all (entries about the town are
    read, counted and left out; about the business, stored)."""
    items = "".join(
        f"<item><title>News of {about} {name} {i}</title><link>https://news.example.com/{name}/{i}</link>"
        f"<guid>{name}-{i}</guid><pubDate>Tue, 01 Dec 2026 10:00:00 +0000</pubDate>"
        f"<description>{escape(f'<p>The maple glaze at {about} was lovely, {name} visit {i}.</p>')}</description></item>"
        for i in range(entries)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'


def padded_feed(name: str) -> str:
    """One entry, in a body that takes the crawl many reads of its socket to receive."""
    return big_feed(name, 1, about="Joe's Donuts").replace("<channel>", f"<channel><!-- {'x' * 400_000} -->")


def test_feeds_answered_promptly_are_not_failed_while_the_crawl_is_busy_parsing(web, workspace):
    # Big feeds and padded ones on one site: a padded feed arrives in many pieces, each read
    # between two stretches of parsing a big feed, which keep the crawl's one thread busy for
    # far longer than the timeout. The server answers every feed at once but the silent one.
    names = []
    for n in range(3):
        web.add(f"/big{n}.xml", big_feed(f"big{n}", 2500), content_type="application/rss+xml")
        names.append(f"big{n}")
        for m in range(2):
            web.add(f"/padded{n}{m}.xml", padded_feed(f"padded{n}{m}"), content_type="application/rss+xml")
            names.append(f"padded{n}{m}")
    web.add("/silent.xml", big_feed("silent", 1), content_type="application/rss+xml")
    web.script("/silent.xml", Response(200, big_feed("silent", 1), {"Content-Type": "application/rss+xml"}, delay=60))
    names.append("silent")
    workspace.write_config(
        alerts=ALERTS,
        crawler={"contact": "mailto:owner@example.com", "retries": 0, "download_timeout": TIMEOUT,
                 "autothrottle": False},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/{name}.xml"} for name in names])])

    result = run(workspace)

    host = web.url.removeprefix("http://")
    assert failures(result) == [f"Joe's Donuts / {host}/silent.xml: timed out after {TIMEOUT:g}s"]
    assert summary(result).startswith(f"{len(names) - 1} sources ok, 1 failed; {3 * 2500 + 6} items fetched")
    assert sorted(row["url"].rsplit("/", 2)[1] for row in stored(workspace, "feed")) == sorted(
        f"padded{n}{m}" for n in range(3) for m in range(2))


def test_autothrottle_still_reads_the_latency_of_each_download(web, tmp_path):
    # AutoThrottle paces each site by the latency the download handler notes on the request.
    web.add("/a.xml", big_feed("a", 1), content_type="application/rss+xml")
    script = tmp_path / "probe.py"
    script.write_text(
        "import scrapy\n"
        "from scrapy.crawler import CrawlerProcess\n"
        "from crawlers.config import CrawlerSettings\n"
        "from crawlers.process import crawler_settings\n"
        "seen = []\n"
        "class Probe(scrapy.Spider):\n"
        "    name = 'probe'\n"
        "    async def start(self):\n"
        f"        yield scrapy.Request({web.url + '/a.xml'!r})\n"
        "    def parse(self, response):\n"
        "        seen.append(response.meta.get('download_latency'))\n"
        "process = CrawlerProcess(crawler_settings(CrawlerSettings(autothrottle=True)))\n"
        "process.crawl(Probe)\n"
        "process.start()\n"
        "print(repr(seen))\n", encoding="utf-8")

    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=REPO)

    assert done.returncode == 0, done.stderr[-2000:]
    latencies = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert len(latencies) == 1 and isinstance(latencies[0], float)
