"""The fault campaign for workers on PostgreSQL: workers killed, the database restarted, while
mentions keep appearing; every negative mention must be stored and reach Slack exactly once.

Usage: python bench/worker_faults.py [--kills 50] [--restarts 5] [--workers 2] [--seed 1]
                                     [--max-minutes 10] [--keep]
(also: python bench/faults.py --workers ...)

A throwaway PostgreSQL (tests/postgres.py's binaries), a few local sites with one growing feed
each, and the local Slack. After a clean first cycle (the baseline summary), `--workers`
long-running workers (`mentionwatch worker`, the installed CLI, with a fast schedule) run for the
whole campaign while:

- the sites' feeds gain negative entries, each with a token of its own, every second or so;
- time passes fast: every source is made due again every couple of seconds, so each worker's
  periodic fan-out keeps queueing crawls (and deliveries follow them);
- a random worker is killed with SIGKILL at a random moment of its life (a few seconds after it
  started: during its start-up, a crawl, the planning of alerts, a post to Slack) and replaced;
- every so often PostgreSQL is restarted under the workers (`pg_ctl restart -m fast`); a worker
  that exits because of it is counted and replaced.

Then the faults stop, the workers are stopped with SIGTERM, and burst workers finish what is owed.
Every token is counted in the messages Slack accepted: delivered 0 / 1 / 2+ times, and lost (not
stored). Goal: 0 lost, 0 duplicated, 0 missing, with at least 50 kills and 5 restarts. The
campaign is bounded: faults stop after --max-minutes whatever the counts.
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
SITES = 4


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


class Workers:
    """The long-running workers of the campaign, each logging to a file of its own."""

    def __init__(self, folder: Path, logs: Path):
        self.folder, self.logs = folder, logs
        self.running: list[tuple[subprocess.Popen[bytes], Path]] = []  # (process, its log)
        self.ready_at: dict[int, float] = {}
        """pid -> when it began taking jobs (its log says so), for the workers that have."""
        self.started = 0
        self.exits: Counter[str] = Counter()
        self.killed_with: Counter[str] = Counter()
        """How many jobs (crawls, deliveries, periodic tasks) each killed worker was running."""

    def start(self) -> None:
        self.started += 1
        path = self.logs / f"worker-{self.started:03d}.log"
        with path.open("wb") as log:
            process = subprocess.Popen([str(MENTIONWATCH), "worker", "-v", "--concurrency", "4", "--config",
                                        str(self.folder / "config.yaml")], cwd=self.folder, env=environment(),
                                       stdout=log, stderr=subprocess.STDOUT)
        self.running.append((process, path))

    def working(self) -> list[subprocess.Popen[bytes]]:
        """The workers that have begun taking jobs (start-up takes seconds on a busy machine: a
        kill then would test little), noting when each began."""
        for process, path in self.running:
            if process.pid not in self.ready_at and b"procrastinate.worker" in path.read_bytes():
                self.ready_at[process.pid] = time.monotonic()
        return [process for process, _ in self.running if process.pid in self.ready_at]

    def replace_the_dead(self) -> None:
        """A worker that ended by itself (its database went away, a bug) is counted and replaced."""
        for entry in list(self.running):
            code = entry[0].poll()
            if code is not None:
                self.running.remove(entry)
                self.exits[f"exited by itself with {code}"] += 1
                self.start()

    def kill(self, process: subprocess.Popen[bytes]) -> bool:
        """SIGKILL `process` (if it is still running) and start another; whether one died."""
        if all(entry[0] is not process for entry in self.running):
            return False  # it ended by itself meanwhile, and was replaced
        log = next(path for running, path in self.running if running is process).read_bytes()
        in_flight = log.count(b"Starting job") - log.count(b"ended with status")
        self.killed_with[f"{in_flight} job{'' if in_flight == 1 else 's'} running"] += 1
        self.running = [entry for entry in self.running if entry[0] is not process]
        alive = process.poll() is None
        if alive:
            process.send_signal(signal.SIGKILL)
        process.wait()
        if not alive:
            self.exits[f"exited by itself with {process.returncode}"] += 1
        self.start()
        return alive

    def stop(self) -> None:
        """SIGTERM every worker, and wait for them (SIGKILL after a minute)."""
        for process, _ in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in self.running:
            wait(process, 60)
            self.exits[f"stopped by SIGTERM: {process.returncode}"] += 1
        self.running.clear()


def wait(process: subprocess.Popen[bytes], timeout: float = 300) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def burst(folder: Path, logs: Path, name: str) -> int:
    with (logs / f"{name}.log").open("wb") as log:
        return wait(subprocess.Popen([str(MENTIONWATCH), "worker", "--burst", "-v", "--config",
                                      str(folder / "config.yaml")], cwd=folder, env=environment(),
                                     stdout=log, stderr=subprocess.STDOUT))


def sql(url: str, statement: str, tries: int = 60) -> list[tuple]:
    """Run `statement`; while the server restarts, try again for a while."""
    import psycopg

    for attempt in range(tries):
        try:
            with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=5) as db:
                cursor = db.execute(statement)
                return cursor.fetchall() if cursor.description else []
        except psycopg.OperationalError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)
    return []


def restart_postgres(folder: Path) -> None:
    """Restart the server with the options it was started with (pg_ctl keeps them)."""
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*as_user, need_postgresql() / "pg_ctl", "-D", folder / "data", "-m", "fast", "-w", "restart",
                    "-l", folder / "log"], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=50, help="workers killed with SIGKILL (default 50)")
    parser.add_argument("--restarts", type=int, default=5, help="PostgreSQL restarts mid-cycle (default 5)")
    parser.add_argument("--workers", type=int, default=2, help="workers running at once (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-minutes", type=float, default=10, help="stop injecting after this long")
    parser.add_argument("--keep", action="store_true", help="keep the workers' logs (printed path)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    faults: Counter[str] = Counter()
    root = Path(tempfile.mkdtemp(prefix="mentionwatch-worker-faults-"))
    root.chmod(0o755)
    pg, work, logs = root / "pg", root / "work", root / "logs"
    for folder in (pg, work, logs):
        folder.mkdir()
    pg.chmod(0o755)
    sites = [LocalHTTPServer().start() for _ in range(SITES)]
    try:
        with postgres_server(pg) as url, LocalSlackServer(channels=["reviews"]) as slack:
            feeds = [SiteFeed(site, f"z{chr(ord('a') + n)}") for n, site in enumerate(sites)]
            (work / "config.yaml").write_text(yaml.safe_dump({
                "database": url,
                "slack": {"token": "xoxb-faults", "api_url": slack.api_url, "channel": "#reviews",
                          "post_interval": 0, "request_timeout": 2},
                # Every negative gets a message of its own, so that each is counted in Slack's
                # messages by its token (beyond the cap, a digest names only the first few).
                "alerts": {"max_per_run": 100000, "urgent_reraise_hours": 0},
                "crawler": {"retries": 0, "download_timeout": 5, "autothrottle": False},
                "worker": {"heartbeat_seconds": 0.5, "stalled_after_seconds": 3, "fanout_seconds": 2},
                "businesses": [{"name": "Joe's Donuts", "keywords": ["Joe's Donuts"],
                                "sources": [{"type": "feed", "url": f"{site.url}/news.xml"} for site in sites]}],
            }), encoding="utf-8")
            for feed in feeds:
                feed.grow(1)
            with (logs / "queue.log").open("wb") as log:
                wait(subprocess.Popen([str(MENTIONWATCH), "run", "--queue", "--config", str(work / "config.yaml")],
                                      cwd=work, env=environment(), stdout=log, stderr=subprocess.STDOUT))
            burst(work, logs, "baseline")  # the first crawl: a baseline summary, not alerts
            baseline = {t for feed in feeds for t in feed.tokens}

            # Kills spread over the campaign's time so that the restarts fall among them.
            budget = args.max_minutes * 60 * 0.8
            kill_every = min(4.0, budget / max(args.kills + args.restarts, 1))
            restart_at = sorted(rng.uniform(0.05, 0.9) * kill_every * args.kills for _ in range(args.restarts))
            print(f"seed {args.seed}: {args.workers} workers, {SITES} sites; a kill every ~{kill_every:.1f} s, "
                  f"restarts at {', '.join(f'{t:.0f}' for t in restart_at)} s", flush=True)
            workers = Workers(work, logs)
            for _ in range(args.workers):
                workers.start()
            campaign = time.monotonic()
            doomed: tuple[subprocess.Popen[bytes], float] | None = None  # (worker, when it dies)
            next_kill = campaign + rng.uniform(0.5, 2) * kill_every
            next_growth = next_due = campaign
            try:
                while (faults["worker SIGKILL"] < args.kills or faults["PostgreSQL restarted"] < args.restarts) \
                        and time.monotonic() - started < args.max_minutes * 60:
                    now = time.monotonic()
                    workers.replace_the_dead()
                    if now >= next_growth:
                        rng.choice(feeds).grow(rng.randint(1, 2))
                        next_growth = now + rng.uniform(0.5, 2)
                    if now >= next_due:  # the sources' intervals pass in seconds here
                        sql(url, "UPDATE sources SET next_check_at = now()")
                        next_due = now + 2
                    if restart_at and now - campaign >= restart_at[0]:
                        restart_at.pop(0)
                        restart_postgres(pg)
                        faults["PostgreSQL restarted"] += 1
                    if doomed is None and now >= next_kill and faults["worker SIGKILL"] < args.kills:
                        working = workers.working()
                        if working:  # a random worker, at a random moment of its work
                            victim = rng.choice(working)
                            doomed = victim, max(now, workers.ready_at[victim.pid]) + rng.uniform(0, kill_every)
                    if doomed is not None and now >= doomed[1]:
                        if workers.kill(doomed[0]):
                            faults["worker SIGKILL"] += 1
                        doomed = None
                        next_kill = now + rng.uniform(0.2, 0.8) * kill_every
                    time.sleep(0.1)
                injecting = time.monotonic() - campaign
            finally:
                workers.stop()
            # The entries published since each feed's last crawl: one more cycle reads them.
            sql(url, "UPDATE sources SET next_check_at = now()")
            with (logs / "queue-final.log").open("wb") as log:
                wait(subprocess.Popen([str(MENTIONWATCH), "run", "--queue", "--config", str(work / "config.yaml")],
                                      cwd=work, env=environment(), stdout=log, stderr=subprocess.STDOUT))
            for round_ in range(2):  # what the dead left: handed back and finished, then delivered
                burst(work, logs, f"final-{round_}")

            tokens = [t for feed in feeds for t in feed.tokens if t not in baseline]
            delivered = count_deliveries(slack, tokens)
            titles = " ".join(row[0] or "" for row in sql(url, "SELECT title FROM mentions"))
            lost = [t for t in tokens if t not in titles]
            histogram = Counter(min(delivered[t], 2) for t in tokens)
            crawls = sql(url, "SELECT count(*) FROM source_runs")[0][0]
    finally:
        for site in sites:
            site.stop()
        if args.keep:
            print(f"logs kept in {logs}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"faults injected over {injecting / 60:.1f} min ({(time.monotonic() - started) / 60:.1f} min in all), "
          f"{workers.started} workers started, {crawls} crawls recorded:")
    for name, count in sorted(faults.items()):
        print(f"  {name:<30} {count}")
    print("  killed while running:", ", ".join(f"{k} x{v}" for k, v in sorted(workers.killed_with.items())))
    for name, count in sorted(workers.exits.items()):
        print(f"  workers {name:<22} {count}")
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
        print("  missing or doubled:", [(t, delivered[t]) for t in tokens if delivered[t] != 1][:20])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
