"""What a cron run costs when nothing changed, and what `--help` costs.

Usage: python bench/run_cost_bench.py [--sites 5] [--repeat 3] [--compare main]

Starts `--sites` local review sites (one loopback address each, two pages of reviews), runs
`mentionwatch run` on them twice as cron would (a subprocess, a fresh SQLite file), and prints the
second run's CPU time (user + system, every process of the run) and the peak memory of its
largest process against the goals of 1 s and 120 MiB; then the CPU time of `mentionwatch --help`
against 0.3 s. CPU time, not wall time: it is what the run costs a shared machine. The unchanged
run is measured `--repeat` times and the least is given (other work on the machine only adds).

`--compare REF` also runs the code of that git commit (exported with `git archive`, run with this
venv) on its own copy of the store, its unchanged runs alternating with this checkout's, and
prints both with their ratio: on a busy machine the ratio is the figure to trust.

Last, the crawl's per-response waste (issue 23, item 3): Scrapy checks every response's callback
for a generator that returns a value by reading the callback's source, and caches the answer per
callback object. It prints the time of that check over 160 responses with the spiders' shared
callback against the same check missing the cache every time (what a fresh callback per request
cost before), in the same run.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO))

from crawl_bench import start_sites  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
RUN_CPU_GOAL, RUN_MEMORY_GOAL_MIB, HELP_CPU_GOAL = 1.0, 120, 0.3
# Runs a command and prints the CPU seconds and peak RSS (KiB) of it and every process it waited for.
MEASURE = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
           "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss, done.returncode); "
           "print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:])")


def measure(*command: str, code: Path | None = None, cwd: Path | None = None) -> tuple[float, float, str]:
    """(CPU seconds, peak MiB, last line of output) of `command`; with `code`, mentionwatch is
    imported from that folder instead of this checkout."""
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True,
                         env=env, cwd=cwd)
    figures, said = out.stdout.splitlines()[0].split(), out.stdout.splitlines()[1]
    if figures[2] != "0":
        sys.exit(f"{' '.join(command)} failed: {said}")
    return float(figures[0]), int(figures[1]) / 1024, said


def callback_check_seconds(responses: int = 160) -> tuple[float, float]:
    """CPU seconds of Scrapy's generator check over `responses` responses of a spider: with the
    shared callback (cached after the first), and with the cache missing every time (a fresh
    callback object per request, as before)."""
    import scrapy.utils.misc
    from scrapy.settings import Settings

    from crawlers.spiders.hackernews import HackerNewsSpider

    spider = HackerNewsSpider(business="Bench Bakery", query="Bench Bakery")
    spider.settings = Settings()
    target = spider.targets[0]
    callbacks = [spider.page_request(target, f"https://hn.algolia.com/api/v1/search_by_date?page={n}", n).callback
                 for n in range(responses)]
    timings = []
    for missing in (False, True):
        scrapy.utils.misc._generator_callbacks_cache.clear()
        started = time.process_time()
        for callback in callbacks:  # what Scrapy's scraper does with each response
            if missing:
                scrapy.utils.misc._generator_callbacks_cache.clear()
            scrapy.utils.misc.warn_on_generator_with_return_value(spider, callback)
        timings.append(time.process_time() - started)
    return timings[0], timings[1]


def write_config(folder: Path, sites: list) -> Path:
    """A config.yaml in `folder` watching every site's review pages (its own SQLite store)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({
        "database": "sqlite:///bench.db", "alerts": {"max_age_days": 0},
        "crawler": {"contact": "mailto:bench@example.com"},
        "businesses": [{"name": "Bench Bakery", "keywords": ["donuts"], "sources": [
            {"type": "reviews", "url": f"{s.url}/reviews", "max_pages": 2} for s in sites]}],
    }, sort_keys=False), encoding="utf-8")
    return config


def export(ref: str, folder: Path) -> Path:
    """The tree of git commit `ref` of this repository, unpacked into `folder`."""
    archive = subprocess.run(["git", "archive", ref], capture_output=True, check=True, cwd=REPO).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run_command(config: Path) -> tuple[str, ...]:
    # `python -m mentionwatch` rather than the console script, so that an exported tree can run it too.
    return (sys.executable, "-m", "mentionwatch", "run", "--config", str(config))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="unchanged runs measured (the least is given)")
    parser.add_argument("--compare", metavar="REF", help="also measure this git commit's code, alternating")
    args = parser.parse_args()
    sites = start_sites(args.sites, 2, 0.0)
    folder = Path(tempfile.mkdtemp(prefix="run-cost-bench-"))
    try:
        config = write_config(folder / "this", sites)
        first = measure(*run_command(config), cwd=config.parent)
        other = None
        if args.compare:
            code = export(args.compare, folder / "code")
            other = write_config(folder / "other", sites)
            measure(*run_command(other), code=code, cwd=other.parent)
        unchanged, theirs = [], []
        for _ in range(args.repeat):
            unchanged.append(measure(*run_command(config), cwd=config.parent))
            if other is not None:
                theirs.append(measure(*run_command(other), code=code, cwd=other.parent))
        helped = min(measure(str(MENTIONWATCH), "--help") for _ in range(args.repeat))
    finally:
        for site in sites:
            site.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"first run ({args.sites} new sources): CPU {first[0]:.2f} s, peak {first[1]:.0f} MiB; {first[2]}")
    cpu, memory = min(u[0] for u in unchanged), max(u[1] for u in unchanged)
    print(f"unchanged run (least of {args.repeat}): CPU {cpu:.2f} s (goal <= {RUN_CPU_GOAL:g} s: "
          f"{'ok' if cpu <= RUN_CPU_GOAL else 'OVER'}), peak {memory:.0f} MiB (goal <= {RUN_MEMORY_GOAL_MIB} MiB: "
          f"{'ok' if memory <= RUN_MEMORY_GOAL_MIB else 'OVER'}); {unchanged[-1][2]}")
    if theirs:
        their_cpu, their_memory = min(t[0] for t in theirs), max(t[1] for t in theirs)
        print(f"  {args.compare}'s unchanged run, alternating with it: CPU {their_cpu:.2f} s, peak {their_memory:.0f} MiB; "
              f"this checkout takes {cpu / their_cpu:.2f}x its CPU and {memory / their_memory:.2f}x its memory")
    print(f"--help: CPU {helped[0]:.2f} s (goal <= {HELP_CPU_GOAL:g} s: {'ok' if helped[0] <= HELP_CPU_GOAL else 'OVER'})")
    shared, fresh = callback_check_seconds()
    print(f"Scrapy's generator check over 160 responses: {shared:.3f} s with the spiders' shared callback, "
          f"{fresh:.3f} s when each response misses Scrapy's cache (a fresh callback per request, as before; "
          f"{fresh / max(shared, 1e-6):.0f}x)")


if __name__ == "__main__":
    main()
