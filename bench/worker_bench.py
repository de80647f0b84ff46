"""CPU of a worker's job for an unchanged source, and the time of one cycle with one and two workers.

Usage: python bench/worker_bench.py [--businesses 50] [--sources-per-business 4] [--sites 20]

A throwaway PostgreSQL (tests/postgres.py) and local sites (LocalHTTPServer, in this process)
serve feeds about the businesses. A first cycle (`run --queue`, then `mentionwatch worker
--burst`) stores the baseline; then every source is made due again and the next cycle finds
every feed unchanged (the sites answer 304 Not Modified to the conditional requests).

Figures, each printed against its goal:
- CPU per job for an unchanged source = (CPU of a burst worker that ran the cycle - CPU of a
  burst worker that found the queue empty) / jobs. The workers are the installed CLI, measured
  with getrusage(RUSAGE_CHILDREN); the sites' CPU (this process) is not counted. Goal: at most
  20 ms plus its requests (a conditional GET here; robots.txt is read once an hour per site).
  The same cycle is also run by a worker as it was before (each job's crawl checking its
  callbacks' source, reading robots.txt again, formatting its stats): the ratio holds on a busy machine.
- A worker's start-up CPU, paid once per worker instead of once per cron run.
- The wall time of an unchanged cycle with one and with two workers (on one machine they share
  its cores; two machines would not), and the database's growth per cycle.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mentionwatch.sandbox.web import LocalHTTPServer  # noqa: E402
from tests.postgres import postgres_server  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
GOAL_MS_PER_JOB = 20.0


def feed(name: str, key: str) -> str:
    now = datetime.now(timezone.utc)
    items = "".join(
        f"<item><title>{name} news {n}</title><link>http://news.example/{key}/{n}</link>"
        f"<description>Friendly staff at {name}, visit {n} of {key}.</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=n))}</pubDate></item>" for n in range(5))
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>http://news.example/</link>'
            f"<description>x</description>{items}</channel></rss>")


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
    result = subprocess.run([str(MENTIONWATCH), *args, "--config", str(folder / "config.yaml")], cwd=folder,
                            env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"mentionwatch {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# A worker as it was before issue 20's second round: every job's crawl checked its callbacks'
# source, read the site's robots.txt again and formatted its stats (settings_for_many_crawls undone).
AS_BEFORE = ("import sys; import crawlers.jobs as jobs; jobs.settings_for_many_crawls = lambda settings: None; "
             "from mentionwatch.entry import main; sys.argv[0] = 'mentionwatch'; sys.exit(main())")


def burst(folder: Path, workers: int, profile: str | None = None, concurrency: int = 8,
          as_before: bool = False) -> tuple[float, float]:
    """Run `workers` burst workers side by side until the queue is empty: (CPU seconds, wall seconds)."""
    cpu, wall = children_cpu(), time.perf_counter()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
    command = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "mentionwatch"] if profile else \
        [sys.executable, "-c", AS_BEFORE] if as_before else [str(MENTIONWATCH)]
    processes = [subprocess.Popen([*command, "worker", "--burst", "--concurrency", str(concurrency), "--config",
                                   str(folder / "config.yaml")], cwd=folder, env=environment,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"worker failed:\n{err[-3000:]}")
    return children_cpu() - cpu, time.perf_counter() - wall


def unchanged_cycle(folder: Path, url: str, workers: int, as_before: bool = False) -> tuple[float, float]:
    """Make every source due, queue them, run the cycle: (CPU seconds, wall seconds)."""
    make_due(url)
    cli(folder, "run", "--queue")
    return burst(folder, workers, as_before=as_before)


def bench_folders(prefix: str) -> tuple[Path, Path]:
    """A temporary root with `pg/` for the PostgreSQL server (which runs as the `postgres` user
    when the bench runs as root, so both are world-readable) and `work/`, the CLI's folder."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    (root / "pg").mkdir()
    (root / "pg").chmod(0o755)
    folder = root / "work"
    folder.mkdir()
    return root, folder


def make_due(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        db.execute("UPDATE sources SET next_check_at = now()")


def database_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        row = db.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--businesses", type=int, default=50)
    parser.add_argument("--sources-per-business", type=int, default=4)
    parser.add_argument("--sites", type=int, default=20, help="Local sites the feeds are spread over.")
    parser.add_argument("--profile", metavar="FILE", help="Also profile an unchanged cycle's worker (cProfile) into FILE.")
    options = parser.parse_args()

    root, folder = bench_folders("mentionwatch-worker-bench-")
    servers = [LocalHTTPServer().start() for _ in range(options.sites)]
    try:
        with postgres_server(root / "pg") as url:
            businesses = []
            for b in range(options.businesses):
                name = f"Shop{b:04d}"
                sources = []
                for s in range(options.sources_per_business):
                    server = servers[(b * options.sources_per_business + s) % len(servers)]
                    server.add(f"/{name}/{s}.xml", feed(name, f"{b}-{s}"), content_type="application/rss+xml")
                    sources.append({"type": "feed", "url": f"{server.url}/{name}/{s}.xml"})
                businesses.append({"name": name, "keywords": [name], "sources": sources})
            config = {"database": url, "crawler": {"autothrottle": False}, "businesses": businesses}
            (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            jobs = options.businesses * options.sources_per_business

            cli(folder, "run", "--queue")
            first_cpu, first_wall = burst(folder, 1)
            empty_cpu, _ = burst(folder, 1)  # start-up and shut-down only: nothing queued
            size_before = database_size(url)
            one_cpu, one_wall = unchanged_cycle(folder, url, 1)
            size_after = database_size(url)
            before_cpu, _ = unchanged_cycle(folder, url, 1, as_before=True)
            two_cpu, two_wall = unchanged_cycle(folder, url, 2)
            if options.profile:
                make_due(url)
                cli(folder, "run", "--queue")
                burst(folder, 1, options.profile)

            per_job_ms = (one_cpu - empty_cpu) / jobs * 1000
            before_ms = (before_cpu - empty_cpu) / jobs * 1000
            per_job_two_ms = (two_cpu - 2 * empty_cpu) / jobs * 1000
            print(f"sources: {jobs} ({options.businesses} businesses x {options.sources_per_business}) "
                  f"on {options.sites} local sites")
            print(f"first cycle (baseline, 1 worker): {first_wall:.1f} s wall, {first_cpu:.1f} s CPU")
            print(f"worker start-up and shut-down: {empty_cpu * 1000:.0f} ms CPU, once per worker "
                  "(a cron run pays it every cycle)")
            print(f"CPU per unchanged-source job, 1 worker: {per_job_ms:.1f} ms with a conditional GET "
                  f"(robots.txt read once an hour per site); before (each job checking its callbacks' source, "
                  f"reading robots.txt again, formatting its stats), same run: {before_ms:.1f} ms; goal <= {GOAL_MS_PER_JOB:.0f} ms "
                  f"plus its requests: {'MET' if per_job_ms <= GOAL_MS_PER_JOB else 'NOT MET'} "
                  f"({per_job_ms / before_ms:.2f} x before)")
            print(f"CPU per unchanged-source job, 2 workers: {per_job_two_ms:.1f} ms")
            print(f"unchanged cycle wall time: 1 worker {one_wall:.1f} s, 2 workers {two_wall:.1f} s "
                  f"(one machine, {os.cpu_count()} cores shared)")
            print(f"database growth per unchanged cycle: {(size_after - size_before) / 1024:.0f} KiB "
                  f"({(size_after - size_before) / jobs:.0f} bytes per source)")
            load = os.getloadavg()
            print(f"load average at the end: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
