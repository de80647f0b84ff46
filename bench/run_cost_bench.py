"""What a cron run costs when nothing changed, and what `--help` costs.

Usage: python bench/run_cost_bench.py [--sites 5]

Starts `--sites` local review sites (one loopback address each, two pages of reviews), runs
`mentionwatch run` on them twice as cron would (a subprocess, a fresh SQLite file), and prints the
second run's CPU time (user + system, every process of the run) and the peak memory of its
largest process against the goals of 1 s and 120 MiB; then the CPU time of `mentionwatch --help`
against 0.3 s. CPU time, not wall time: it is what the run costs a shared machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawl_bench import start_sites  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
RUN_CPU_GOAL, RUN_MEMORY_GOAL_MIB, HELP_CPU_GOAL = 1.0, 120, 0.3
# Runs a command and prints the CPU seconds and peak RSS (KiB) of it and every process it waited for.
MEASURE = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
           "usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss, done.returncode); "
           "print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:])")


def measure(*command: str) -> tuple[float, float, str]:
    """(CPU seconds, peak MiB, last line of output) of `command`."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True)
    figures, said = out.stdout.splitlines()[0].split(), out.stdout.splitlines()[1]
    if figures[2] != "0":
        sys.exit(f"{' '.join(command)} failed: {said}")
    return float(figures[0]), int(figures[1]) / 1024, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=5)
    args = parser.parse_args()
    sites = start_sites(args.sites, 2, 0.0)
    folder = Path(tempfile.mkdtemp(prefix="run-cost-bench-"))
    try:
        config = folder / "config.yaml"
        config.write_text(yaml.safe_dump({
            "database": "sqlite:///bench.db", "alerts": {"max_age_days": 0},
            "crawler": {"contact": "mailto:bench@example.com"},
            "businesses": [{"name": "Bench Bakery", "keywords": ["donuts"], "sources": [
                {"type": "reviews", "url": f"{s.url}/reviews", "max_pages": 2} for s in sites]}],
        }, sort_keys=False), encoding="utf-8")
        first = measure(str(MENTIONWATCH), "run", "--config", str(config))
        second = measure(str(MENTIONWATCH), "run", "--config", str(config))
        helped = measure(str(MENTIONWATCH), "--help")
    finally:
        for site in sites:
            site.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"first run ({args.sites} new sources): CPU {first[0]:.2f} s, peak {first[1]:.0f} MiB; {first[2]}")
    cpu, memory, said = second
    print(f"unchanged run: CPU {cpu:.2f} s (goal <= {RUN_CPU_GOAL:g} s: {'ok' if cpu <= RUN_CPU_GOAL else 'OVER'}), "
          f"peak {memory:.0f} MiB (goal <= {RUN_MEMORY_GOAL_MIB} MiB: "
          f"{'ok' if memory <= RUN_MEMORY_GOAL_MIB else 'OVER'}); {said}")
    print(f"--help: CPU {helped[0]:.2f} s (goal <= {HELP_CPU_GOAL:g} s: {'ok' if helped[0] <= HELP_CPU_GOAL else 'OVER'})")


if __name__ == "__main__":
    main()
