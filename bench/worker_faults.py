"""The fault campaign for workers on PostgreSQL: killed workers, a restarted database; every
negative mention must still reach Slack exactly once.

Usage: python bench/worker_faults.py [--kills 50] [--restarts 5] [--seed 1] [--max-minutes 20]
(also: python bench/faults.py --workers ...)

A throwaway PostgreSQL (tests/postgres.py's binaries), local feeds on two sites and the local
Slack. Each round, the feeds gain negative entries, every source is made due and queued
(`run --queue`), and a worker (`mentionwatch worker`, the installed CLI) is started; at a random
moment within the time a clean cycle takes, the worker is killed with SIGKILL, or PostgreSQL is
restarted under it (`pg_ctl restart -m fast`). A burst worker then finishes the cycle (it hands
the dead worker's jobs back once its heartbeat is `stalled_after_seconds` old). At the end every
negative entry is counted in what Slack accepted: delivered 0 / 1 / 2+ times, and lost (not
stored). Goal: 0 lost, 0 duplicated.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.faults import Feed, count_deliveries  # noqa: E402
from mentionwatch.sandbox.slack import LocalSlackServer  # noqa: E402
from mentionwatch.sandbox.web import LocalHTTPServer  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402
from tests.requirements import need_postgresql  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")


class SiteFeed(Feed):
    """bench/faults.py's growing feed of negative entries, with tokens of its own (`prefix`)."""

    def __init__(self, web: LocalHTTPServer, prefix: str):
        super().__init__(web)
        self.prefix = prefix

    def grow(self, count: int) -> None:
        before = len(self.tokens)
        super().grow(count)
        for index in range(before, len(self.tokens)):
            old, new = self.tokens[index], self.prefix + self.tokens[index][2:]
            self.tokens[index] = new
            self._items[index] = self._items[index].replace(old, new)
        if count:
            super().grow(0)  # re-serve the feed with the renamed tokens


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}


def mentionwatch(folder: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(MENTIONWATCH), *args, "--config", str(folder / "config.yaml")], cwd=folder,
                            env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait(process: subprocess.Popen[bytes], timeout: float = 300) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def sql(url: str, statement: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        cursor = db.execute(statement)
        return cursor.fetchall() if cursor.description else []


def restart_postgres(folder: Path) -> None:
    """Restart the server with the options it was started with (pg_ctl keeps them)."""
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*as_user, need_postgresql() / "pg_ctl", "-D", folder / "data", "-m", "fast", "-w", "restart",
                    "-l", folder / "log"], check=True, capture_output=True)


def cycle(folder: Path, url: str) -> None:
    sql(url, "UPDATE sources SET next_check_at = now()")
    wait(mentionwatch(folder, "run", "--queue"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=50, help="workers killed with SIGKILL (default 50)")
    parser.add_argument("--restarts", type=int, default=5, help="PostgreSQL restarts mid-cycle (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=20, help="stop injecting after this long")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    faults: Counter[str] = Counter()
    root = Path(tempfile.mkdtemp(prefix="mentionwatch-worker-faults-"))
    root.chmod(0o755)
    pg = root / "pg"
    pg.mkdir()
    pg.chmod(0o755)
    work = root / "work"
    work.mkdir()
    try:
        with postgres_server(pg) as url, LocalHTTPServer() as site_a, LocalHTTPServer() as site_b, \
                LocalSlackServer(channels=["reviews"]) as slack:
            feeds = [SiteFeed(site_a, "za"), SiteFeed(site_b, "zb")]
            (work / "config.yaml").write_text(yaml.safe_dump({
                "database": url,
                "slack": {"token": "xoxb-faults", "api_url": slack.api_url, "channel": "#reviews",
                          "post_interval": 0, "request_timeout": 2},
                "alerts": {"max_per_run": 50, "urgent_reraise_hours": 0},
                "crawler": {"retries": 0, "download_timeout": 5, "autothrottle": False},
                "worker": {"heartbeat_seconds": 0.5, "stalled_after_seconds": 3, "fanout_seconds": 3600},
                "businesses": [{"name": "Joe's Donuts", "keywords": ["Joe's Donuts"],
                                "sources": [{"type": "feed", "url": f"{site_a.url}/news.xml"},
                                            {"type": "feed", "url": f"{site_b.url}/news.xml"}]}],
            }), encoding="utf-8")
            for feed in feeds:
                feed.grow(1)
            wait(mentionwatch(work, "run", "--queue"))
            wait(mentionwatch(work, "worker", "--burst"))  # the first crawl: a baseline summary
            baseline = {t for feed in feeds for t in feed.tokens}
            feeds[0].grow(1)
            cycle(work, url)
            clean = time.monotonic()
            wait(mentionwatch(work, "worker", "--burst"))
            typical = time.monotonic() - clean
            print(f"a clean cycle takes {typical:.1f} s with a burst worker; seed {args.seed}")

            plan = ["restart"] * args.restarts + ["sigkill"] * args.kills
            rng.shuffle(plan)
            for action in plan:
                if time.monotonic() - started > args.max_minutes * 60:
                    break
                for feed in feeds:
                    feed.grow(rng.randint(0, 2))
                cycle(work, url)
                worker = mentionwatch(work, "worker", "--concurrency", "2")
                time.sleep(rng.uniform(0, typical * 1.2))
                if action == "sigkill":
                    if worker.poll() is None:
                        worker.send_signal(signal.SIGKILL)
                        faults["worker SIGKILL"] += 1
                    wait(worker)
                else:
                    restart_postgres(pg)
                    faults["PostgreSQL restarted"] += 1
                    worker.send_signal(signal.SIGTERM)  # a worker whose database left may have stopped
                    wait(worker)
                wait(mentionwatch(work, "worker", "--burst"))

            unused = sum(lost.remaining for queue in slack._lost.values() for lost in queue)
            wait(mentionwatch(work, "worker", "--burst"))
            tokens = [t for feed in feeds for t in feed.tokens if t not in baseline]
            delivered = count_deliveries(slack, tokens)
            titles = " ".join(row[0] or "" for row in sql(url, "SELECT title FROM mentions"))
            lost = [t for t in tokens if t not in titles]
            histogram = Counter(min(delivered[t], 2) for t in tokens)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"faults injected in {(time.monotonic() - started) / 60:.1f} min ({unused} unused Slack faults):")
    for name, count in sorted(faults.items()):
        print(f"  {name:<30} {count}")
    print(f"negative mentions: {len(tokens)}")
    print(f"  delivered 0 times   {histogram[0]}")
    print(f"  delivered 1 time    {histogram[1]}")
    print(f"  delivered 2+ times  {histogram[2]}")
    print(f"  lost (not stored)   {len(lost)}")
    ok = histogram[0] == 0 and histogram[2] == 0 and not lost
    big_enough = faults["worker SIGKILL"] >= 50 and faults["PostgreSQL restarted"] >= 5
    print(f"0 lost, 0 missing, 0 duplicates: {'yes' if ok else 'NO'}; campaign of the goal's size "
          f"(>= 50 kills, >= 5 restarts): {'yes' if big_enough else 'no'} "
          f"({faults['worker SIGKILL']} kills, {faults['PostgreSQL restarted']} restarts)")
    print("goal:", "met" if ok and big_enough else "NOT met" if not ok else "not shown (campaign too small)")
    if not ok:
        print("  missing or doubled:", [t for t in tokens if delivered[t] != 1][:20])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
