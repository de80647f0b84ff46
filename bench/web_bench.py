"""The web inbox at 1,000,000 mentions: how long the inbox and a search take to answer.

Usage: python bench/web_bench.py [--mentions 1000000] [--requests 20] [--keep FOLDER]

Fills an SQLite file with `--mentions` mentions in bulk (the full-text index kept by its
triggers, as in production), starts `mentionwatch serve` on it as a subprocess, and times whole
HTTP requests (query, template, transfer) for: the inbox's first page, the next one, filters,
searches for a common word, a rare word, two words within filters, and prefixes. Prints the median and the
slowest of `--requests` tries of each against the goal of 100 ms.
"""

from __future__ import annotations

import argparse
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.store import open_engine  # noqa: E402

GOAL_MS = 100
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
COMMON = ["coffee", "donut", "service", "staff", "order", "shop", "price", "taste", "fresh", "wait"]
WORDS = (COMMON + ["great", "terrible", "friendly", "rude", "slow", "cold", "warm", "sweet", "line", "morning",
                   "visit", "again", "never", "always", "best", "worst", "town", "street", "parking", "card"])


def fill(database: Path, count: int) -> float:
    """`count` mentions in the store: 20% negative, 1% urgent, most older negatives handled."""
    open_engine(f"sqlite:///{database}").dispose()  # the schema, by the migrations
    rng = random.Random(7)
    started = time.perf_counter()
    db = sqlite3.connect(database)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("INSERT INTO businesses (id, name, created_at) VALUES (1, 'Joe''s Donuts', '2024-01-01 00:00:00.000000')")
    db.execute("INSERT INTO sources (id, business_id, type, identity, created_at, consecutive_failures, "
               "http_validators, cursor) VALUES (1, 1, 'feed', 'feed:https://news.example/feed.xml', "
               "'2024-01-01 00:00:00.000000', 0, '{}', '{}')")
    columns = ("business_id, source_id, source_type, url, canonical_url, title, text, first_seen_at, sentiment, "
               "label, rating_conflict, urgent, alert_due, alert_attempts, handled_at, handled_by")
    sql = f"INSERT INTO mentions ({columns}) VALUES ({', '.join('?' * 16)})"
    step = timedelta(days=700) / count
    batch = []
    for i in range(count):
        seen = START + step * i
        roll = rng.random()
        label = "negative" if roll < 0.2 else "positive" if roll < 0.6 else "neutral"
        urgent = rng.random() < 0.01
        words = rng.choices(WORDS, k=30)
        if rng.random() < 0.001:
            words.append("refund")
        handled = (label == "negative" or urgent) and i < count * 0.95 and rng.random() < 0.9
        when = seen.strftime("%Y-%m-%d %H:%M:%S.%f")
        batch.append((1, 1, "feed", f"https://news.example/{i}", f"https://news.example/{i}",
                      " ".join(words[:6]).capitalize() + " at Joe's Donuts", " ".join(words), when,
                      -0.5 if label == "negative" else 0.5 if label == "positive" else 0.0, label, 0, urgent, 0, 0,
                      when if handled else None, "dana" if handled else None))
        if len(batch) == 20_000:
            db.executemany(sql, batch)
            batch.clear()
    db.executemany(sql, batch)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    (folder / "config.yaml").write_text(
        "database: sqlite:///bench.db\nbusinesses:\n  - name: Joe's Donuts\n    keywords: [Joe's Donuts]\n"
        "    sources:\n      - type: feed\n        url: https://news.example/feed.xml\n", encoding="utf-8")
    port = free_port()
    mentionwatch = Path(sys.executable).with_name("mentionwatch")
    process = subprocess.Popen([str(mentionwatch), "serve", "--config", str(folder / "config.yaml"), "--port",
                                str(port)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(url + "/login", timeout=2).close()
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("serve did not start")


def timed(url: str, tries: int) -> tuple[float, float, int]:
    """(median ms, slowest ms, mentions on the page) of `tries` GETs of `url` (after one warm-up)."""
    def get() -> bytes:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    body = get()
    times = []
    for _ in range(tries):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), body.count(b'<article class="mention')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="Keep the database in this folder (and reuse it if filled).")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="mentionwatch-web-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bench.db"
    if not database.exists():
        seconds = fill(database, args.mentions)
        print(f"filled {args.mentions:,} mentions in {seconds:.0f} s ({database.stat().st_size / 1e6:.0f} MB)")
    process, url = serve(folder)
    try:
        with urllib.request.urlopen(url + "/", timeout=60) as response:
            html = response.read().decode()
        deep = html.split('href="/?before=', 1)[1].split('"', 1)[0] if 'href="/?before=' in html else ""
        cases = [
            ("inbox, first page", "/"),
            ("inbox, next page", f"/?before={urllib.parse.unquote(deep)}"),
            ("mentions, newest page", "/mentions"),
            ("filter: negative, open", "/mentions?label=negative&handled=no"),
            ("filter: a source type found in none", "/mentions?source=reddit"),
            ("filter: two days found", "/mentions?since=2024-06-01&until=2024-06-02"),
            ("filter: everything before a date", "/mentions?until=2024-03-01"),
            ("filter: before a recent date", "/mentions?until=2025-11-01"),
            ("search a common word (coffee)", "/mentions?q=coffee"),
            ("search a rare word (refund)", "/mentions?q=refund"),
            ("search two words, negative, open", "/mentions?q=rude+staff&label=negative&handled=no"),
            ("search a prefix (refu*)", "/mentions?q=refu*"),
            ("search a common prefix (coff*)", "/mentions?q=coff*"),
        ]
        print(f"{'request':<36} {'median':>8} {'slowest':>8} {'rows':>5}  goal < {GOAL_MS} ms")
        worst = 0.0
        for name, path in cases:
            median, slowest, rows = timed(url + path, args.requests)
            worst = max(worst, median)
            print(f"{name:<36} {median:7.1f}  {slowest:7.1f}  {rows:5}  {'ok' if median < GOAL_MS else 'SLOW'}")
        print(f"slowest median {worst:.1f} ms: {'within' if worst < GOAL_MS else 'over'} the {GOAL_MS} ms goal")
    finally:
        process.terminate()
        process.wait(timeout=15)


if __name__ == "__main__":
    main()
