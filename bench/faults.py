"""A randomized fault campaign: does every negative mention reach Slack exactly once?

Usage: python bench/faults.py [--faults 200] [--seed 1] [--max-minutes 10]
       python bench/faults.py --workers [--kills 50] [--restarts 5]   (workers on PostgreSQL)
       python bench/faults.py --campaign hostile [--max-pages 20]   (bench/hostile_platforms.py)

A local feed (LocalHTTPServer) gains new negative entries before each round, and
`mentionwatch run` (the installed CLI, as cron runs it) is run against it and against the local
Slack server (LocalSlackServer, which records every message it accepted). Each round injects
faults at random:

* the run is killed with SIGKILL at a random moment (while crawling, storing or posting);
* the run is interrupted with SIGINT at a random moment;
* a second run is started while the first is still going (overlapping runs: the lock);
* Slack takes a post and then answers 500, hangs up, or answers too late (the client times out).

Then the faults stop, clean runs deliver what is still owed, and every negative entry is counted
in what Slack accepted: delivered 0 / 1 / 2+ times, and mentions lost (not in the database).
The goal is 0 lost, 0 duplicates. The run's kill moments are random within the time a clean
run takes, measured first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mentionwatch.sandbox.slack import LocalSlackServer  # noqa: E402
from mentionwatch.sandbox.web import LocalHTTPServer  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
NEGATIVE = ("Joe's Donuts was awful: stale, disgusting donuts and terrible, rude service. "
            "Never again, a horrible experience. Report {token}.")


class Feed:
    """An RSS feed that grows by a few negative entries per round; each carries a unique token."""

    def __init__(self, web: LocalHTTPServer):
        self.web = web
        self.tokens: list[str] = []
        self._items: list[str] = []

    def grow(self, count: int) -> None:
        now = format_datetime(datetime.now(timezone.utc), usegmt=True)
        for _ in range(count):
            token = f"zq{len(self.tokens):05d}"
            self.tokens.append(token)
            self._items.append(
                f"<item><title>Bad visit to Joe's Donuts ({token})</title>"
                f"<link>{self.web.url}/posts/{token}</link><guid>{self.web.url}/posts/{token}</guid>"
                f"<pubDate>{now}</pubDate><description>{NEGATIVE.format(token=token)}</description></item>"
            )
        body = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Local news</title>'
                f"<link>{self.web.url}/</link><description>news</description>{''.join(reversed(self._items))}"
                "</channel></rss>")
        self.web.add("/news.xml", body, content_type="application/rss+xml")


def start_run(folder: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
    return subprocess.Popen([str(MENTIONWATCH), "run", "--config", str(folder / "config.yaml")], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def finish(process: subprocess.Popen[bytes], timeout: float = 120) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def clean_run(folder: Path) -> tuple[int, float]:
    started = time.monotonic()
    code = finish(start_run(folder))
    return code, time.monotonic() - started


def count_deliveries(slack: LocalSlackServer, tokens: list[str]) -> Counter[str]:
    """How many accepted Slack messages name each token (alerts and digests both list it)."""
    seen: Counter[str] = Counter()
    for message in slack.posted:
        body = json.dumps([message.get("text"), message.get("blocks")])
        if "Now watching" in body:
            continue  # a baseline summary, not an alert
        for token in {t for t in tokens if t in body}:
            seen[token] += 1
    return seen


def stored_tokens(folder: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(folder / "mentionwatch.db") as db:
        titles = [row[0] or "" for row in db.execute("SELECT title FROM mentions")]
    return {title.rsplit("(", 1)[-1].rstrip(")") for title in titles}


def main() -> int:
    if "--workers" in sys.argv[1:]:  # the campaign for workers on PostgreSQL (bench/worker_faults.py)
        sys.argv.remove("--workers")
        from bench.worker_faults import main as workers_campaign

        return workers_campaign()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faults", type=int, default=200, help="faults to inject in all (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="random seed, to replay a campaign")
    parser.add_argument("--max-minutes", type=float, default=10, help="stop injecting after this long")
    parser.add_argument("--campaign", choices=("delivery", "hostile"), default="delivery",
                        help="delivery: faults against exactly-once alerts (default); hostile: platforms whose "
                        "answers never end or send credentials elsewhere")
    parser.add_argument("--max-pages", type=int, default=20, help="hostile: the page cap of the endless platform")
    args = parser.parse_args()
    if not MENTIONWATCH.exists():
        print(f"{MENTIONWATCH} is missing: pip install -e . first", file=sys.stderr)
        return 2
    if args.campaign == "hostile":
        from bench.hostile_platforms import campaign

        return campaign(args.max_pages)
    rng = random.Random(args.seed)
    faults: Counter[str] = Counter()
    kill_phase: Counter[str] = Counter()
    exit_codes: Counter[str] = Counter()
    started = time.monotonic()

    with tempfile.TemporaryDirectory() as tmp, LocalHTTPServer() as web, \
            LocalSlackServer(channels=["reviews"]) as slack:
        folder = Path(tmp)
        (folder / "config.yaml").write_text(yaml.safe_dump({
            "database": "sqlite:///mentionwatch.db",
            "slack": {"token": "xoxb-faults", "api_url": slack.api_url, "channel": "#reviews", "post_interval": 0,
                      "request_timeout": 2},
            "alerts": {"max_per_run": 50, "urgent_reraise_hours": 0},
            "crawler": {"retries": 0, "download_timeout": 5, "autothrottle": False},
            "businesses": [{"name": "Joe's Donuts", "keywords": ["Joe's Donuts"],
                            "sources": [{"type": "feed", "url": f"{web.url}/news.xml"}]}],
        }), encoding="utf-8")
        feed = Feed(web)
        feed.grow(1)
        code, _ = clean_run(folder)  # the first crawl: a baseline summary, not alerts
        feed.grow(2)
        code, typical = clean_run(folder)
        print(f"a clean run takes {typical:.1f} s (exit {code}); injecting {args.faults} faults, seed {args.seed}")
        baseline_tokens = set(feed.tokens[:1])

        injected = 0
        while injected < args.faults and time.monotonic() - started < args.max_minutes * 60:
            feed.grow(rng.randint(1, 3))
            for _ in range(rng.choice((0, 0, 1, 2))):
                how = rng.choice(("500", "drop", "timeout"))
                slack.lose_answer("chat.postMessage", how, delay=3)  # past slack.request_timeout
                faults[f"slack: accepted then {how}"] += 1
                injected += 1
            action = rng.choice(("sigkill", "sigkill", "sigint", "overlap", "none"))
            run = start_run(folder)
            if action in ("sigkill", "sigint"):
                moment = rng.uniform(0, typical * 1.2)
                time.sleep(moment)
                share = moment / typical
                kill_phase["early (crawl)" if share < 0.4 else "middle (store)" if share < 0.8 else "late (post)"] += 1
                if run.poll() is None:
                    run.send_signal(signal.SIGKILL if action == "sigkill" else signal.SIGINT)
                    faults[f"run {action}"] += 1
                    injected += 1
                else:
                    faults[f"run {action} too late (run had ended)"] += 1
            elif action == "overlap":
                time.sleep(rng.uniform(0, typical * 0.5))
                second = start_run(folder)
                exit_codes[f"overlapping run: {finish(second)}"] += 1
                faults["overlapping run started"] += 1
                injected += 1
            exit_codes[f"{action}: {finish(run)}"] += 1

        # Faults stop: whatever is still owed goes out now.
        unused = sum(lost.remaining for queue in slack._lost.values() for lost in queue)
        slack._lost.clear()
        for _ in range(2):
            clean_run(folder)

        alerted = [t for t in feed.tokens if t not in baseline_tokens]
        delivered = count_deliveries(slack, alerted)
        stored = stored_tokens(folder)
        histogram = Counter(min(delivered[t], 2) for t in alerted)
        lost = [t for t in alerted if t not in stored]
        elapsed = time.monotonic() - started

    print(f"\nfaults injected: {injected} in {elapsed / 60:.1f} min ({unused} Slack faults queued but never reached)")
    for name, count in sorted(faults.items()):
        print(f"  {name:<40} {count}")
    print("kill moments (share of a clean run's time):")
    for name, count in sorted(kill_phase.items()):
        print(f"  {name:<40} {count}")
    print("exit codes:", ", ".join(f"{k} x{v}" for k, v in sorted(exit_codes.items())))
    print(f"\nnegative mentions: {len(alerted)}")
    print(f"  delivered 0 times   {histogram[0]}")
    print(f"  delivered 1 time    {histogram[1]}")
    print(f"  delivered 2+ times  {histogram[2]}")
    print(f"  lost (not stored)   {len(lost)}")
    ok = histogram[0] == 0 and histogram[2] == 0 and not lost
    print("goal (0 lost, 0 missing, 0 duplicates):", "met" if ok else "NOT met")
    if not ok:
        print("  missing or doubled:", [t for t in alerted if delivered[t] != 1][:20])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
