"""Throughput and memory of `mentionwatch run` on a large local feed set, against its floor.

Usage: python bench/pipeline_bench.py [--entries 25000 100000] [--per-feed 1000] [--keep DIR]
       python bench/pipeline_bench.py --short            # 20,000 review snippets
       python bench/pipeline_bench.py --short --repeat 3 --compare main   # against main, alternating
       python bench/pipeline_bench.py --texts long short --entries 20000
       python bench/pipeline_bench.py --short --hogs 2 --timeout 2   # a backfill under CPU load

For each entry count it writes a feed set (feeds of ``--per-feed`` entries each), serves it with
``mentionwatch.sandbox.web.LocalHTTPServer`` and runs ``mentionwatch run`` on it as a user would:
a subprocess, a fresh temporary SQLite database. Then, in this one process, it measures the
floor: feedparser parsing the same files plus bare VADER ``polarity_scores`` on every entry's
title and text. (The feed spider calls feedparser without HTML sanitizing, which the pipeline
does not need; the ratio against that leaner floor is printed too.) It prints the run's wall time, the floor, their ratio, and per process of the run
(it has a worker) the CPU time and the peak memory (RSS high-water mark, VmHWM), read from /proc
while it runs. The run uses two cores (its worker scores while the crawl parses), the floor one:
on a machine where other work takes a core, the wall times compare one core with one, and the
CPU times say what each side really cost.

The entries are a backfill: dated 10 to 400 days back, so with the default ``max_age_days: 7``
they are stored, not alerted; without a Slack token the one message of the run (the sources'
first-crawl summary) is printed, so alert delivery is not what is measured. All feeds are on one
local host, so the crawler's per-site politeness is set aside (``autothrottle: false``, 8
requests at a time) as it would be for that many distinct real sites.

Texts are built from review and news sentences (one to eight of them, half as HTML paragraphs;
with ``--short`` one or two, as review snippets are, where the per-entry cost of the run weighs
most against the floor):
about four in five name the business (a few of those also an excluded word), the others are near
misses ("Joe's Donutshop") or about something else; about a fifth of the kept ones read negative,
and some carry an urgent phrase. Every entry is distinct (names, numbers), so dedup does not
shrink the work.

``--repeat N`` measures N runs, each followed by its floor, and gives the least ratio (other work
on a shared machine only adds). ``--compare REF`` also runs the code of that git commit (exported
with ``git archive``, run with this venv) alternating with this checkout's runs, and prints both and
their ratios: on a busy machine those ratios are the figures to trust.

``--hogs N`` runs N busy-looping processes beside the run (not beside the floor), and
``--timeout S`` sets ``crawler.download_timeout``: the run must lose no feed to a timeout caused
by its own busy process (the count of failed feeds is printed; goal 0).
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(REPO))

import feedparser  # noqa: E402
import yaml  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from mentionwatch.sandbox.web import LocalHTTPServer  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
GOAL_RATIO = 1.3  # the run may take at most 1.3 times its floor
BUSINESS = {"name": "Joe's Donuts", "keywords": ["Joe's Donuts", "Joes Donuts"], "exclude": ["recipe"]}

NAMES = ["Maria", "Tom", "Aisha", "Ken", "Priya", "Luis", "Sofia", "Dan", "Mei", "Omar", "Greta", "Sam"]
PLACES = ["Springfield", "Maple Street", "the mall", "downtown", "Elm Avenue", "the station", "Riverside"]
ITEMS = ["maple glaze", "boston cream", "cold brew", "apple fritter", "jelly donut", "breakfast sandwich"]
POSITIVE = [
    "{name} says the {item} at {biz} is the best in {place}.",
    "We stopped by {biz} on {place} and the staff were wonderful and friendly.",
    "Fresh, warm and delicious, the {item} was worth the {n} minute drive.",
    "Great coffee, fair prices and a lovely little seating area by the window.",
    "{name} has been a regular for {n} years and still loves the {item}.",
    "Honestly one of the nicest small bakeries I have visited this year!",
    "The new owners kept everything we liked and added a fantastic {item}.",
    "Service was quick even with a line out the door at {n} am.",
]
NEUTRAL = [
    "{biz} opened its {n}th location near {place} on Saturday.",
    "The shop is open from {n} am until noon on weekdays.",
    "According to the owner, {name}, the menu changes every season.",
    "A city permit for the patio on {place} was filed last month.",
    "Parking is available behind the building on {place}.",
    "The company employs {n} people across its stores.",
    "Orders can be placed online or by phone for pickup.",
    "Prices for a dozen start at {n} dollars.",
]
NEGATIVE = [
    "The {item} was stale and the coffee was cold when it reached the table.",
    "{name} waited {n} minutes and the staff were rude and unhelpful.",
    "I was overcharged twice and I am still waiting for my refund.",
    "Terrible service, dirty tables and nobody seemed to care.",
    "My order never arrived and support stopped answering after {n} days.",
    "Worst {item} I have had in years, burnt on the outside and raw inside.",
    "Avoid this place, the manager yelled at us in front of the kids.",
]
URGENT = [
    "Two of us got sick after eating the {item} and ended up in the hospital.",
    "I think this is a scam, my card was charged {n} times.",
]
OTHER_TITLES = [
    "Traffic on {place} delayed for {n} hours", "Council debates new budget for {place}",
    "{name} wins local chess tournament", "Weather: rain expected through the weekend",
]
NEAR_MISSES = [
    "Joe's Donutshop on {place} closes early", "Big Joe's Donuts-and-more franchise expands",
    "A recipe for Joe's Donuts style glaze at home",  # names the business, but is excluded
]
SITES = ["Springfield Gazette", "Daily Bugle", "Local News 7", "Food Blog", "Riverside Times"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        name=rng.choice(NAMES), place=rng.choice(PLACES), item=rng.choice(ITEMS),
        n=rng.randint(2, 95), biz=rng.choice(("Joe's Donuts", "Joe’s Donuts", "JOES DONUTS")),
    )


def _entry(rng: random.Random, index: int, short: bool = False) -> tuple[str, str]:
    """A title and a body (plain or HTML) for one feed entry; `short`: one or two sentences."""
    roll = rng.random()
    mood = rng.random()
    pool = NEGATIVE if mood < 0.25 else NEUTRAL if mood < 0.5 else POSITIVE
    lengths = (1, 2) if short else (1, 2, 3, 3, 4, 4, 5, 6, 8)
    sentences = [_fill(rng.choice(pool if rng.random() < 0.7 else POSITIVE + NEUTRAL), rng)
                 for _ in range(rng.choice(lengths))]
    if mood < 0.03:
        sentences.insert(rng.randrange(len(sentences) + 1), _fill(rng.choice(URGENT), rng))
    if roll < 0.70:  # about the business, by name in the title or the text
        title = f"{_fill(rng.choice(pool), rng).rstrip('.!')} - {rng.choice(SITES)}"
        if "Joe" not in title and "JOE" not in title:
            sentences.insert(0, f"A note on Joe's Donuts from {rng.choice(NAMES)}.")
        if rng.random() < 0.05:
            sentences.append("The recipe is at the end of the post.")
    elif roll < 0.80:
        title = _fill(rng.choice(NEAR_MISSES), rng)
    else:
        title = _fill(rng.choice(OTHER_TITLES), rng)
    sentences.append(f"(Ref {index}.)")  # every entry distinct, as real ones are
    if rng.random() < 0.5:
        body = "".join(f"<p>{escape(s)}</p>" for s in sentences).replace("best", "<b>best</b>")
    else:
        body = " ".join(sentences)
    return title, body


def write_feeds(folder: Path, feeds: int, per_feed: int, seed: int = 2024, short: bool = False) -> list[str]:
    """Write `feeds` RSS files of `per_feed` entries into `folder`; return their names."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    names = []
    for f in range(feeds):
        items = []
        for i in range(per_feed):
            index = f * per_feed + i
            title, body = _entry(rng, index, short)
            published = now - timedelta(days=rng.uniform(10, 400))
            items.append(
                f"<item><title>{escape(title)}</title>"
                f"<link>https://site{f % 37}.example.com/{index}/story?utm_source=rss&amp;utm_medium=feed</link>"
                f"<guid isPermaLink=\"false\">e-{index}</guid><pubDate>{format_datetime(published)}</pubDate>"
                f"<description>{escape(body)}</description></item>"
            )
        name = f"feed{f:03d}.xml"
        (folder / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Feed {f}</title><link>https://example.com/</link><description>bench</description>"
            + "".join(items) + "</channel></rss>",
            encoding="utf-8",
        )
        names.append(name)
    return names


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc (Linux)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(child) for child in task.read_text().split())
            except OSError:
                pass
    return found


_TICK = os.sysconf("SC_CLK_TCK")


def _sample(pid: int) -> tuple[int, float] | None:
    """(RSS high-water mark in KiB, CPU seconds) of a process so far, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    high_water = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    cpu = (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
    return (int(high_water.group(1)) if high_water else 0), cpu


def _hog() -> None:
    """Busy-loop until killed: CPU load beside the run."""
    while True:
        pass


def run_mentionwatch(folder: Path, base_url: str, names: list[str], timeout: float | None = None,
                     code: Path | None = None) -> tuple[float, dict[int, tuple[int, float]], str]:
    """Run `mentionwatch run` on the served feeds: seconds, {pid: (peak RSS KiB, CPU s)}, summary.

    Every process of the run (it starts a worker) is sampled from /proc every 20 ms while it
    runs: its RSS high-water mark (VmHWM) and CPU time, as last seen. With `code`, mentionwatch
    is imported from that folder (another commit's tree) instead of this checkout.
    """
    for suffix in ("", "-wal", "-shm"):  # every run is a first crawl
        (folder / f"bench.db{suffix}").unlink(missing_ok=True)
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({
        "database": "sqlite:///bench.db",
        "crawler": {"autothrottle": False, "concurrency_per_domain": 8, "retries": 0,
                    **({"download_timeout": timeout} if timeout else {})},
        "businesses": [{**BUSINESS, "sources": [{"type": "feed", "url": f"{base_url}/{n}"} for n in names]}],
    }), encoding="utf-8")
    seen: dict[int, tuple[int, float]] = {}
    began = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    process = subprocess.Popen([str(MENTIONWATCH), "run", "--config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder, env=env)
    with ThreadPoolExecutor(1) as pool:  # read output while polling, so a full pipe never blocks it
        output = pool.submit(process.communicate)
        while not output.done():
            for pid in _process_tree(process.pid):
                if (sample := _sample(pid)) is not None:
                    # An exiting process loses its memory figures before its CPU time.
                    seen[pid] = (max(sample[0], seen.get(pid, (0, 0.0))[0]), sample[1])
            time.sleep(0.02)
        stdout, stderr = output.result()
    seconds = time.perf_counter() - began
    if process.returncode != 0:
        raise SystemExit(f"mentionwatch run failed ({process.returncode}):\n{stderr[-3000:]}")
    for line in stderr.splitlines()[:5]:  # what failed, if anything did: the figures are moot then
        print(f"  stderr: {line[:200]}", file=sys.stderr)
    return seconds, seen, stdout.strip().splitlines()[-1]


def measure_floor(folder: Path, names: list[str]) -> dict[str, float]:
    """Seconds for feedparser on every file and for bare VADER on every entry's title and text,
    the CPU seconds of both, and (apart) seconds for feedparser called as the feed spider calls it."""
    analyzer = SentimentIntensityAnalyzer()
    took = {"parse": 0.0, "vader": 0.0, "parse as the spider": 0.0}
    cpu_before = time.process_time()
    for name in names:
        data = (folder / name).read_bytes()
        began = time.perf_counter()
        parsed = feedparser.parse(data)
        took["parse"] += time.perf_counter() - began
        texts = [f"{e.get('title', '')}\n{e.get('summary', '')}" for e in parsed.entries]
        began = time.perf_counter()
        for text in texts:
            analyzer.polarity_scores(text)
        took["vader"] += time.perf_counter() - began
    took["cpu"] = time.process_time() - cpu_before
    for name in names:
        data = (folder / name).read_bytes()
        began = time.perf_counter()
        feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
        took["parse as the spider"] += time.perf_counter() - began
    return took


@dataclass
class Measured:
    """One run of `mentionwatch run` and the floor measured right after it."""

    run_s: float
    processes: dict[int, tuple[int, float]]
    summary: str
    floor: dict[str, float]

    @property
    def floor_s(self) -> float:
        return self.floor["parse"] + self.floor["vader"]

    @property
    def ratio(self) -> float:
        return self.run_s / self.floor_s

    @property
    def cpus(self) -> list[float]:
        return [c for _, c in self.processes.values()]


def measure(folder: Path, feeds_dir: Path, url: str, names: list[str], hogs: int, timeout: float | None,
            code: Path | None = None) -> Measured:
    """Run mentionwatch on the served feeds (with `hogs` busy processes beside it), then the floor."""
    hog_processes = [multiprocessing.Process(target=_hog, daemon=True) for _ in range(hogs)]
    for hog in hog_processes:
        hog.start()
    try:
        run_s, processes, summary = run_mentionwatch(folder, url, names, timeout, code)
    finally:
        for hog in hog_processes:
            hog.kill()
            hog.join()
    processes = {pid: seen for pid, seen in processes.items() if seen[1] >= 0.1}  # not a passing helper
    return Measured(run_s, processes, summary, measure_floor(feeds_dir, names))


def bench(entries: int, per_feed: int, keep: Path | None, short: bool = False,
          hogs: int = 0, timeout: float | None = None, repeat: int = 1,
          compare: tuple[str, Path] | None = None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="mentionwatch-bench-"))
    try:
        feeds_dir = folder / "feeds"
        feeds_dir.mkdir()
        names = write_feeds(feeds_dir, max(1, entries // per_feed), per_feed, short=short)
        size_mb = sum((feeds_dir / n).stat().st_size for n in names) / 1e6
        load = os.getloadavg()[0]
        ours: list[Measured] = []
        theirs: list[Measured] = []
        with LocalHTTPServer(feeds_dir) as server:
            for _ in range(repeat):  # alternating, so that both see the same machine
                ours.append(measure(folder, feeds_dir, server.url, names, hogs, timeout))
                if compare:
                    theirs.append(measure(folder, feeds_dir, server.url, names, hogs, timeout, compare[1]))
        best = min(ours, key=lambda m: m.ratio)  # other work on the machine only adds
        floor = best.floor
        lean_s = floor["parse as the spider"] + floor["vader"]
        cpu = " + ".join(f"{c:.1f}" for c in best.cpus)
        memory = " + ".join(f"{kib / 1024:.0f}" for kib, _ in best.processes.values())
        kind = "short (1-2 sentence)" if short else "long (1-8 sentence)"
        print(f"{entries} {kind} entries in {len(names)} feeds ({size_mb:.0f} MB); load average before: {load:.1f}, "
              f"after: {os.getloadavg()[0]:.1f}")
        if repeat > 1:
            print(f"  ratios run / floor of the {repeat} runs: {', '.join(f'{m.ratio:.2f}' for m in ours)}; "
                  "the least is given")
        print(f"  run:    {best.run_s:7.1f} s   CPU {cpu} s (per process)   {best.summary}")
        print(f"  floor:  {best.floor_s:7.1f} s   CPU {floor['cpu']:.1f} s   "
              f"(feedparser {floor['parse']:.1f} s + bare VADER {floor['vader']:.1f} s)")
        ratio = best.ratio
        print(f"  ratio run / floor: {ratio:.2f}, goal {GOAL_RATIO}: {'met' if ratio <= GOAL_RATIO else 'NOT met'}   "
              f"(against a floor with feedparser called as the feed spider calls it, {lean_s:.1f} s: "
              f"{best.run_s / lean_s:.2f})")
        busiest, total = max(best.cpus, default=0.0), sum(best.cpus)
        print(f"  CPU: the run's busier process {busiest:.1f} s, all of it {total:.1f} s, against the floor's "
              f"{floor['cpu']:.1f} s: {busiest / floor['cpu']:.2f} and {total / floor['cpu']:.2f} "
              "(the first is the wall-time ratio two free cores would give, were the processes never waiting on each other)")
        print(f"  peak memory of the run: {memory} MiB (per process)")
        if theirs:
            them = min(theirs, key=lambda m: m.ratio)
            print(f"  {compare[0]}, alternating with it: ratios {', '.join(f'{m.ratio:.2f}' for m in theirs)}; "
                  f"least {them.ratio:.2f} ({them.run_s:.1f} s, CPU "
                  f"{' + '.join(f'{c:.1f}' for c in them.cpus)} s, busier process {max(them.cpus):.1f} s = "
                  f"{max(them.cpus) / them.floor['cpu']:.2f} of its floor's CPU, all {sum(them.cpus):.1f} s)")
            print(f"  this checkout against {compare[0]}: wall ratio {ratio / them.ratio:.2f}x, busier process's CPU "
                  f"{busiest / max(them.cpus):.2f}x, all CPU {total / sum(them.cpus):.2f}x")
        failed = re.search(r"(\d+) failed", best.summary)
        if hogs or timeout:
            print(f"  under load ({hogs} busy process{'es' if hogs != 1 else ''} beside the run, download_timeout "
                  f"{timeout or 'default'} s): failed feeds {failed.group(1) if failed else '?'} of {len(names)}, goal 0")
        sys.stdout.flush()
    finally:
        if keep:
            shutil.copytree(folder, keep / f"{entries}", dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, nargs="+",
                        help="entry counts (default 25000 100000; 20000 with --short)")
    parser.add_argument("--per-feed", type=int, default=1000)
    parser.add_argument("--texts", nargs="+", choices=("long", "short"), default=["long"],
                        help="long: 1-8 sentences per entry; short: 1-2, review snippets")
    parser.add_argument("--short", action="store_true", help="the same as --texts short")
    parser.add_argument("--hogs", type=int, default=0, help="busy processes beside the run")
    parser.add_argument("--timeout", type=float, help="crawler.download_timeout of the run")
    parser.add_argument("--keep", type=Path, help="copy the feeds and the database here")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs (each with its floor) measured; the least ratio is given")
    parser.add_argument("--compare", metavar="REF",
                        help="also run this git commit's code (git archive), alternating with this checkout")
    args = parser.parse_args()
    texts = ["short"] if args.short else args.texts
    with tempfile.TemporaryDirectory(prefix="pipeline-bench-code-") as code:
        compare = (args.compare, export(args.compare, Path(code))) if args.compare else None
        for kind in texts:
            counts = args.entries or ([20_000] if kind == "short" else [25_000, 100_000])
            for entries in counts:
                bench(entries, args.per_feed, args.keep, short=kind == "short", hogs=args.hogs,
                      timeout=args.timeout, repeat=args.repeat, compare=compare)


def export(ref: str, folder: Path) -> Path:
    """The tree of git commit `ref` of this repository, unpacked into `folder`."""
    archive = subprocess.run(["git", "archive", ref], capture_output=True, check=True, cwd=REPO).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


if __name__ == "__main__":
    main()
