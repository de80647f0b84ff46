"""One cycle of 500 businesses x 4 sources with one and with two workers (issue 20, deliverable 6).

Usage: python bench/worker_scale_bench.py [--businesses 500] [--sites 25] [--new-share 0.2]
                                          [--concurrency 16]

Each business has four sources, each against a local server of its kind (mentionwatch/sandbox/):
an RSS feed and a review page (`html:` with selectors) on LocalHTTPServers, a Reddit search on
a LocalReddit and a Hacker News search on a LocalHackerNews. Politeness holds per site (host and
port: a worker never fetches from one site twice at once, on any machine), so the sources are
spread over `--sites` servers of each kind, each on its own port of 127.0.0.1 (4 x 25 = 100
sites, 20 sources each, by default), as 2,000 sources would be spread over many real sites.

Cycles, each `run --queue` then burst workers (`mentionwatch worker --burst`, the installed CLI)
until the queue is empty:
1. the first crawl, one worker: every source is new (a baseline: stored, summarised, not alerted);
2. a steady cycle, one worker: `--new-share` of the businesses got a new mention on each of their
   four sources since, the other sources are unchanged (feeds and pages answer 304);
3. the same steady cycle with two workers side by side (on this one machine they share its two
   cores; on two machines they would not).
Figures per cycle: wall time (from the workers' start to their exit, start-up included), the
workers' CPU per source (getrusage of the children; PostgreSQL's and the servers' CPU are not
counted), the database's growth (pg_database_size) and the largest tables' growth, against the
goal: a 500-business cycle within 15 minutes on one two-core machine. The load average is printed
with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.worker_bench import bench_folders, burst, cli, database_size, make_due  # noqa: E402
from mentionwatch.sandbox.hackernews import LocalHackerNews  # noqa: E402
from mentionwatch.sandbox.reddit import LocalReddit  # noqa: E402
from mentionwatch.sandbox.web import LocalHTTPServer  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

GOAL_SECONDS = 15 * 60
WORDS = ["Friendly staff and quick service at {name}", "Waited forever at {name}, the order was cold",
         "{name} has the best prices in town", "Rude cashier at {name} today, not coming back",
         "Lovely little shop, {name} is worth the trip"]


class Business:
    """One business's four sources and what each has published so far."""

    def __init__(self, number: int, feeds: LocalHTTPServer, pages: LocalHTTPServer, reddit: LocalReddit,
                 hackernews: LocalHackerNews):
        self.number, self.name = number, f"Shop{number:04d}"
        self.feeds, self.pages, self.reddit, self.hackernews = feeds, pages, reddit, hackernews
        self.entries: list[tuple[int, str, datetime]] = []
        self.reviews: list[tuple[int, str]] = []

    def sources(self) -> list[dict[str, str]]:
        return [
            {"type": "feed", "url": f"{self.feeds.url}/{self.name}/feed.xml"},
            {"type": "html", "url": f"{self.pages.url}/{self.name}/reviews.html", "item": "div.review",
             "text": "p.text", "title": "h3", "link": "a::attr(href)"},
            # At Reddit's OAuth pace (60 a minute), as an agency with 500 clients would read it.
            {"type": "reddit", "query": self.name, "requests_per_minute": 60,
             "url": f"{self.reddit.base_url}/search.json?q={self.name}&sort=new&limit=100"},
            {"type": "hackernews", "query": self.name,
             "url": f"{self.hackernews.api_url}/search_by_date?query={self.name}&tags=(story,comment)"},
        ]

    def publish(self, rng: random.Random, count: int) -> None:
        """`count` new mentions on each of the four sources."""
        for _ in range(count):
            n = len(self.entries)
            text = rng.choice(WORDS).format(name=self.name)
            self.entries.append((n, text, datetime.now(timezone.utc) - timedelta(minutes=rng.randint(1, 600))))
            self.reviews.append((n, text))
            self.reddit.post(f"{self.name} visit {n}", text)
            self.hackernews.story(f"{self.name}: visit {n}", text)
        items = "".join(
            f"<item><title>{self.name} news {n}</title><link>http://news.example/{self.name}/{n}</link>"
            f"<description>{text}</description><pubDate>{format_datetime(when)}</pubDate></item>"
            for n, text, when in self.entries)
        self.feeds.add(f"/{self.name}/feed.xml",
                       '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
                       f"<link>http://news.example/</link><description>x</description>{items}</channel></rss>",
                       content_type="application/rss+xml")
        reviews = "".join(f'<div class="review"><h3>Review {n}</h3><p class="text">{text}</p>'
                          f'<a href="/{self.name}/reviews/{n}">link</a></div>' for n, text in self.reviews)
        self.pages.add(f"/{self.name}/reviews.html", f"<html><body>{reviews}</body></html>",
                       content_type="text/html")


def table_sizes(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        rows = db.execute("SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables").fetchall()
    return {name: int(size) for name, size in rows}


def report(label: str, sources: int, cpu: float, wall: float, before: tuple[int, dict[str, int]],
           after: tuple[int, dict[str, int]]) -> None:
    grown = sorted(((after[1].get(t, 0) - before[1].get(t, 0), t) for t in after[1]), reverse=True)[:4]
    load = os.getloadavg()
    print(f"{label}: {wall:.0f} s wall ({'within' if wall <= GOAL_SECONDS else 'OVER'} the goal of "
          f"{GOAL_SECONDS // 60} min), {cpu:.0f} s worker CPU = {cpu / sources * 1000:.0f} ms per source; "
          f"database +{(after[0] - before[0]) / 2**20:.1f} MiB "
          f"({', '.join(f'{t} +{size / 2**10:.0f} KiB' for size, t in grown)}); "
          f"load average {load[0]:.1f} / {load[1]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--businesses", type=int, default=500)
    parser.add_argument("--sites", type=int, default=25, help="Servers of each of the four kinds.")
    parser.add_argument("--new-share", type=float, default=0.2,
                        help="Share of the businesses with a new mention on each source per steady cycle.")
    parser.add_argument("--concurrency", type=int, default=16, help="Jobs at once in each worker.")
    parser.add_argument("--seed", type=int, default=20)
    options = parser.parse_args()
    rng = random.Random(options.seed)

    root, folder = bench_folders("mentionwatch-worker-scale-")
    kinds = [[LocalHTTPServer().start() for _ in range(options.sites)],
             [LocalHTTPServer().start() for _ in range(options.sites)],
             [LocalReddit().start() for _ in range(options.sites)],
             [LocalHackerNews().start() for _ in range(options.sites)]]
    try:
        with postgres_server(root / "pg") as url:
            businesses = [Business(b, *(servers[b % options.sites] for servers in kinds))
                          for b in range(options.businesses)]
            for business in businesses:
                business.publish(rng, 3)
            config = {"database": url,
                      "businesses": [{"name": b.name, "keywords": [b.name], "sources": b.sources()}
                                     for b in businesses]}
            (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            sources = 4 * options.businesses
            print(f"{options.businesses} businesses x 4 sources = {sources} sources on {4 * options.sites} local "
                  f"sites ({sources // (4 * options.sites)} sources per site), {os.cpu_count()} cores; "
                  f"{options.concurrency} jobs at once per worker", flush=True)

            def cycle(label: str, workers: int, first: bool = False) -> None:
                if not first:
                    for business in businesses:
                        if rng.random() < options.new_share:
                            business.publish(rng, 1)
                    make_due(url)
                cli(folder, "run", "--queue")
                before = database_size(url), table_sizes(url)
                cpu, wall = burst(folder, workers, concurrency=options.concurrency)
                report(label, sources, cpu, wall, before, (database_size(url), table_sizes(url)))

            cycle("first crawl, 1 worker", 1, first=True)
            cycle(f"steady cycle ({options.new_share:.0%} of businesses with news), 1 worker", 1)
            cycle(f"steady cycle ({options.new_share:.0%} of businesses with news), 2 workers", 2)
    finally:
        for servers in kinds:
            for server in servers:
                server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
