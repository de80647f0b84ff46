"""How much of a crawl is waiting, and what an unchanged second run costs.

Usage: python bench/crawl_bench.py [--sites 50] [--pages 4] [--latency 0.3] [--keep DIR]

Starts one local site per loopback address (127.0.0.2, 127.0.0.3, ...), each answering every
request after `--latency` seconds, each with a review page of `--pages` pages chained by
rel=next (schema.org reviews in JSON-LD). One business watches all of them (`reviews` sources).
Then runs `mentionwatch run` twice as a user would (a subprocess, a fresh SQLite file):

* the first run against the serial sum of the latencies of the requests it made (what a crawler
  that waited for each answer in turn would need at least);
* the second run, nothing changed: requests answered 200 vs 304, bytes sent, wall time.

Every site also gets asked for robots.txt (a 404 here, as on most sites): those requests are
counted with the rest. The wall times include the command's start (imports, database); the
"crawl span" is from the first request's arrival to the last answer.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from mentionwatch.sandbox.web import LocalHTTPServer  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
REVIEWS_PER_PAGE = 10


def review_page(site: int, page: int, pages: int) -> str:
    reviews = [
        {"@type": "Review", "author": {"@type": "Person", "name": f"Reviewer {site}-{page}-{n}"},
         "datePublished": f"2026-10-{1 + (page * REVIEWS_PER_PAGE + n) % 28:02d}",
         "reviewBody": f"Visit {n} on page {page} of shop {site}: the donuts were "
                       f"{'great' if n % 3 else 'stale and the coffee cold'}.",
         "reviewRating": {"@type": "Rating", "ratingValue": 1 + (n + page) % 5, "bestRating": 5}}
        for n in range(REVIEWS_PER_PAGE)
    ]
    data = {"@context": "https://schema.org", "@type": "Bakery", "name": f"Shop {site}",
            "aggregateRating": {"@type": "AggregateRating", "ratingValue": 4.2, "reviewCount": 321},
            "review": reviews}
    following = f'<link rel="next" href="/reviews?page={page + 1}">' if page < pages else ""
    return (f"<!DOCTYPE html><html><head><title>Shop {site}, page {page}</title>{following}"
            f'<script type="application/ld+json">{json.dumps(data)}</script></head>'
            f"<body><h1>Shop {site}</h1>{'<p>' + 'Lorem ipsum dolor sit amet. ' * 40 + '</p>'}</body></html>")


def start_sites(count: int, pages: int, latency: float) -> list[LocalHTTPServer]:
    sites = []
    for index in range(count):
        server = LocalHTTPServer(host=f"127.0.0.{index + 2}", latency=latency).start()
        server.add("/reviews", review_page(index, 1, pages))
        for page in range(2, pages + 1):
            server.add(f"/reviews?page={page}", review_page(index, page, pages))
        sites.append(server)
    return sites


def run_once(config: Path, sites: list[LocalHTTPServer], latency: float) -> dict:
    before = [len(s.requests) for s in sites]
    started = time.monotonic()
    result = subprocess.run([str(MENTIONWATCH), "run", "--config", str(config)], capture_output=True, text=True,
                            cwd=config.parent, timeout=600)
    wall = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"mentionwatch run failed:\n{result.stderr}")
    requests = [r for s, n in zip(sites, before, strict=True) for r in s.requests[n:]]
    statuses: dict[int, int] = {}
    for r in requests:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    arrivals = [r.time for r in requests]
    return {
        "wall": wall,
        "summary": result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "",
        "requests": len(requests),
        "statuses": dict(sorted(statuses.items())),
        "bytes": sum(r.bytes_sent for r in requests),
        "serial": len(requests) * latency,
        "span": (max(arrivals) + latency - min(arrivals)) if arrivals else 0.0,
        "failed": [line for line in result.stderr.splitlines() if line.startswith("failed:")],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--keep", type=Path, help="keep the config and database in this folder")
    args = parser.parse_args()
    if not 1 <= args.sites <= 250:
        parser.error("--sites must be 1..250 (one loopback address each)")

    folder = args.keep or Path(tempfile.mkdtemp(prefix="crawl-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    sites = start_sites(args.sites, args.pages, args.latency)
    try:
        config = folder / "config.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///bench.db",
            # The reviews are weeks old: stored and scored, not alerted (no console output to time).
            "alerts": {"max_age_days": 0},
            "crawler": {"contact": "mailto:bench@example.com"},
            "businesses": [{
                "name": "Bench Bakery",
                "keywords": ["donuts"],
                "sources": [{"type": "reviews", "url": f"{s.url}/reviews", "max_pages": args.pages} for s in sites],
            }],
        }, sort_keys=False), encoding="utf-8")
        print(f"{args.sites} sites on 127.0.0.2..127.0.0.{args.sites + 1}, {args.pages} pages each, "
              f"{args.latency:g} s latency per answer, robots.txt asked of each (404); "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        first = run_once(config, sites, args.latency)
        second = run_once(config, sites, args.latency)
    finally:
        for site in sites:
            site.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    for name, run in (("first run", first), ("second run, nothing changed", second)):
        print(f"\n{name}: {run['summary']}")
        print(f"  requests      {run['requests']} answered {run['statuses']}")
        print(f"  bytes sent    {run['bytes']:,}")
        print(f"  wall time     {run['wall']:.2f} s (crawl span {run['span']:.2f} s)")
        print(f"  serial sum of latencies {run['serial']:.1f} s -> wall time is "
              f"{run['wall'] / run['serial']:.1%} of it" if run["serial"] else "")
        for line in run["failed"]:
            print(f"  {line}")
    print(f"\nsecond vs first: {second['statuses'].get(304, 0)} answered 304 and "
          f"{second['statuses'].get(200, 0)} answered 200 (first: {first['statuses'].get(200, 0)} x 200); "
          f"bytes {second['bytes']:,} vs {first['bytes']:,} ({second['bytes'] / max(first['bytes'], 1):.1%}); "
          f"wall {second['wall']:.2f} s vs {first['wall']:.2f} s")


if __name__ == "__main__":
    main()
