"""The web inbox and the weekly report at 1,000,000 mentions: how long every page and the report take.

Usage: python bench/web_bench.py [--mentions 1000000] [--requests 20] [--keep FOLDER] [--database URL]
       [--zone America/Chicago]

Fills an SQLite file (or, with `--database`, an empty PostgreSQL database) with `--mentions`
mentions in bulk over the 700 days up to today (the full-text index kept by its triggers, as in
production), starts `mentionwatch serve` on it as a subprocess, and times whole HTTP requests
(query, template, transfer) for: the inbox's first page, the next one, filters, searches for a
common word, a rare word, two words within filters, and prefixes, trends over 7, 30, 90 and 365
days, the sources and reports pages and a mention's page. Prints the median and the slowest of
`--requests` tries of each against the goal of 100 ms. The trends pages are then split into their
queries (timed in-process, as the server runs them) and the rest (the page's SVG and template,
the transfer). Then builds the weekly report (the figures, in-process, as `mentionwatch report`
does before rendering) for the newest week and for the oldest one, and runs the whole command
`mentionwatch report --no-send` for each (a new process: imports, figures, HTML and PNG chart),
against the goal of a second whatever the history before the week. The machine's load is printed
with the figures: on a busy host compare the rows of one run with each other.
"""

from __future__ import annotations

import argparse
import os
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
REPORT_GOAL_MS = 1000
# The data ends today, so that trends and the report's week find the newest mentions.
START = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=700)
COMMON = ["coffee", "donut", "service", "staff", "order", "shop", "price", "taste", "fresh", "wait"]
WORDS = (COMMON + ["great", "terrible", "friendly", "rude", "slow", "cold", "warm", "sweet", "line", "morning",
                   "visit", "again", "never", "always", "best", "worst", "town", "street", "parking", "card"])


COLUMNS = ("business_id", "source_id", "source_type", "url", "canonical_url", "title", "text", "first_seen_at",
           "sentiment", "label", "rating_conflict", "urgent", "alert_due", "alert_attempts", "handled_at",
           "handled_by")


def mention_rows(count: int):
    """`count` mentions over 700 days: 20% negative, 1% urgent, most older negatives handled."""
    rng = random.Random(7)
    step = timedelta(days=700) / count
    for i in range(count):
        seen = START + step * i
        roll = rng.random()
        label = "negative" if roll < 0.2 else "positive" if roll < 0.6 else "neutral"
        urgent = rng.random() < 0.01
        words = rng.choices(WORDS, k=30)
        if rng.random() < 0.001:
            words.append("refund")
        handled = (label == "negative" or urgent) and i < count * 0.95 and rng.random() < 0.9
        yield (1, 1, "feed", f"https://news.example/{i}", f"https://news.example/{i}",
               " ".join(words[:6]).capitalize() + " at Joe's Donuts", " ".join(words), seen,
               -0.5 if label == "negative" else 0.5 if label == "positive" else 0.0, label, False, urgent, False, 0,
               seen if handled else None, "dana" if handled else None)


def fill(database_url: str, count: int) -> float:
    """`count` mentions in the store, in bulk (the full-text index kept by its triggers)."""
    open_engine(database_url).dispose()  # the schema, by the migrations
    started = time.perf_counter()
    if database_url.startswith("sqlite"):
        _fill_sqlite(Path(database_url.removeprefix("sqlite:///")), count)
    else:
        _fill_postgresql(database_url, count)
    return time.perf_counter() - started


def filled(database_url: str) -> bool:
    """Whether the store already holds the mentions of an earlier run (kept to save the fill)."""
    if database_url.startswith("sqlite") and not Path(database_url.removeprefix("sqlite:///")).exists():
        return False
    from sqlalchemy import inspect, text

    engine = open_engine(database_url)
    try:
        with engine.connect() as connection:
            return (inspect(connection).has_table("mentions")
                    and connection.execute(text("SELECT count(*) FROM mentions")).scalar() > 0)
    finally:
        engine.dispose()


def _fill_sqlite(path: Path, count: int) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("INSERT INTO businesses (id, name, created_at) VALUES (1, 'Joe''s Donuts', '2020-01-01 00:00:00.000000')")
    db.execute("INSERT INTO sources (id, business_id, type, identity, created_at, consecutive_failures, "
               "http_validators, cursor) VALUES (1, 1, 'feed', 'feed:https://news.example/feed.xml', "
               "'2020-01-01 00:00:00.000000', 0, '{}', '{}')")
    sql = f"INSERT INTO mentions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    batch = []
    for row in mention_rows(count):
        # SQLAlchemy's SQLite dates: naive text; booleans: 0/1.
        batch.append(tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in row))
        if len(batch) == 20_000:
            db.executemany(sql, batch)
            batch.clear()
    db.executemany(sql, batch)
    db.commit()
    db.execute("ANALYZE")
    db.close()


def _fill_postgresql(database_url: str, count: int) -> None:
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as db:
        db.execute("INSERT INTO businesses (id, name, created_at) VALUES (1, 'Joe''s Donuts', '2020-01-01')")
        db.execute("INSERT INTO sources (id, business_id, type, identity, created_at, consecutive_failures, "
                   "http_validators, cursor) VALUES (1, 1, 'feed', 'feed:https://news.example/feed.xml', "
                   "'2020-01-01', 0, '{}', '{}')")
        with db.cursor().copy(f"COPY mentions ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in mention_rows(count):
                copy.write_row(row)
        db.execute("SELECT setval(pg_get_serial_sequence('mentions', 'id'), (SELECT max(id) FROM mentions))")
        db.commit()
        # What autovacuum does to a table that has stopped growing so fast: statistics, and the
        # visibility map that lets index-only scans skip the table.
        db.autocommit = True
        db.execute("VACUUM ANALYZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path, database_url: str, zone: str) -> tuple[subprocess.Popen[bytes], str]:
    (folder / "config.yaml").write_text(
        f"database: '{database_url}'\nbusinesses:\n  - name: Joe's Donuts\n    keywords: [Joe's Donuts]\n"
        f"    timezone: {zone}\n"
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


def trends_split(config: Path, url: str, tries: int) -> None:
    """The trends pages' queries alone (in-process, as the server runs them) against the whole
    request, timed alternately so that the host's load weighs on both alike."""
    from mentionwatch.config import load_settings
    from pipeline.store import session_factory
    from respond.web.details import trends

    settings = load_settings(config)
    engine = open_engine(settings.database_url())
    sessions = session_factory(engine)
    print(f"{'trends: query vs the rest of the page':<36} {'query':>8} {'page':>8} {'rest':>8}")
    for days in (7, 30, 90, 365):
        queries, pages = [], []
        for _ in range(tries + 1):
            with sessions() as session:
                started = time.perf_counter()
                trends(session, settings, days)
                queries.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            urllib.request.urlopen(f"{url}/trends?days={days}", timeout=60).read()
            pages.append((time.perf_counter() - started) * 1000)
        query, page = statistics.median(queries[1:]), statistics.median(pages[1:])
        print(f"{f'trends, {days} days':<36} {query:7.1f}  {page:7.1f}  {page - query:7.1f}")
    engine.dispose()


def report_command(config: Path, folder: Path, tries: int) -> None:
    """Time `mentionwatch report --no-send` (a whole process) for the newest and the oldest week."""
    mentionwatch = Path(sys.executable).with_name("mentionwatch")
    weeks = [("report --no-send, newest week", []),
             ("report --no-send, oldest week", ["--since", f"{START + timedelta(days=7):%Y-%m-%dT%H:%M:%S+00:00}",
                                                "--until", f"{START + timedelta(days=14):%Y-%m-%dT%H:%M:%S+00:00}"])]
    # An installed package has its modules compiled (pip does it); a checkout with
    # PYTHONDONTWRITEBYTECODE set would compile every module of the project at each start instead.
    # So bytecode may be written, and an untimed first run writes it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [str(mentionwatch), "report", "--config", str(config), "--no-send", "--quiet",
               "--out", str(folder / "reports")]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    print(f"{'report command (a new process)':<44} {'median':>8} {'slowest':>8}         goal < {REPORT_GOAL_MS} ms")
    for name, period in weeks:
        times = []
        for _ in range(tries):
            started = time.perf_counter()
            subprocess.run([*command, *period], check=True, stdout=subprocess.DEVNULL, env=env)
            times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        print(f"{name:<44} {median:7.1f}  {max(times):7.1f}          {'ok' if median < REPORT_GOAL_MS else 'SLOW'}")


def report_figures(config: Path, tries: int) -> None:
    """Time building the weekly report's figures for the newest and the oldest week of the data."""
    from alerts.report.data import Period, build_reports
    from mentionwatch.config import load_settings
    from pipeline.store import session_factory

    settings = load_settings(config)
    engine = open_engine(settings.database_url())
    sessions = session_factory(engine)
    now = datetime.now(timezone.utc)
    weeks = [("report, newest week (700 days before it)", Period(now - timedelta(days=7), now)),
             ("report, oldest week (none before it)", Period(START + timedelta(days=7), START + timedelta(days=14)))]
    print(f"{'report figures':<44} {'median':>8} {'slowest':>8} {'found':>6}  goal < {REPORT_GOAL_MS} ms")
    for name, period in weeks:
        times = []
        for _ in range(tries + 1):
            with sessions() as session:
                started = time.perf_counter()
                reports = build_reports(session, settings, period)
                times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times[1:])
        found = reports[0].total.current if reports else 0
        print(f"{name:<44} {median:7.1f}  {max(times[1:]):7.1f}  {found:6}  "
              f"{'ok' if median < REPORT_GOAL_MS else 'SLOW'}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="Keep the database in this folder (and reuse it if filled).")
    parser.add_argument("--database", help="A PostgreSQL database to fill (when empty) and serve from "
                        "(postgresql+psycopg://...), instead of an SQLite file.")
    parser.add_argument("--zone", default="America/Chicago", help="The business's time zone (its days, with "
                        "daylight saving; default America/Chicago).")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="mentionwatch-web-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_url = args.database or f"sqlite:///{folder / 'bench.db'}"
    if not filled(database_url):
        seconds = fill(database_url, args.mentions)
        print(f"filled {args.mentions:,} mentions in {seconds:.0f} s ({database_url.split(':')[0]})")
    process, url = serve(folder, database_url, args.zone)
    try:
        with urllib.request.urlopen(url + "/", timeout=60) as response:
            html = response.read().decode()
        deep = html.split('href="/?before=', 1)[1].split('"', 1)[0] if 'href="/?before=' in html else ""
        day = lambda n: f"{START + timedelta(days=n):%Y-%m-%d}"  # noqa: E731
        cases = [
            ("inbox, first page", "/"),
            ("inbox, next page", f"/?before={urllib.parse.unquote(deep)}"),
            ("mentions, newest page", "/mentions"),
            ("filter: negative, open", "/mentions?label=negative&handled=no"),
            ("filter: a source type found in none", "/mentions?source=reddit"),
            ("filter: two days found", f"/mentions?since={day(152)}&until={day(153)}"),
            ("filter: everything before a date", f"/mentions?until={day(60)}"),
            ("filter: before a recent date", f"/mentions?until={day(670)}"),
            ("filter: before the middle date", f"/mentions?until={day(350)}"),  # the worst case
            ("search a common word (coffee)", "/mentions?q=coffee"),
            ("search a rare word (refund)", "/mentions?q=refund"),
            ("search two words, negative, open", "/mentions?q=rude+staff&label=negative&handled=no"),
            ("search a prefix (refu*)", "/mentions?q=refu*"),
            ("search a common prefix (coff*)", "/mentions?q=coff*"),
            *((f"trends, {days} days", f"/trends?days={days}") for days in (7, 30, 90, 365)),
            ("sources", "/sources"),
            ("reports", "/reports"),
            ("a mention's page", "/mentions/12345"),
        ]
        print(f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())} on {os.cpu_count()} cores")
        print(f"{'request':<36} {'median':>8} {'slowest':>8} {'rows':>5}  goal < {GOAL_MS} ms")
        worst = 0.0
        for name, path in cases:
            median, slowest, rows = timed(url + path, args.requests)
            worst = max(worst, median)
            print(f"{name:<36} {median:7.1f}  {slowest:7.1f}  {rows:5}  {'ok' if median < GOAL_MS else 'SLOW'}")
        print(f"slowest median {worst:.1f} ms: {'within' if worst < GOAL_MS else 'over'} the {GOAL_MS} ms goal")
        trends_split(folder / "config.yaml", url, args.requests)
        report_figures(folder / "config.yaml", max(3, args.requests // 4))
        report_command(folder / "config.yaml", folder, max(3, args.requests // 4))
        print(f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())} at the end")
    finally:
        process.terminate()
        process.wait(timeout=15)


if __name__ == "__main__":
    main()
