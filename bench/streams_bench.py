"""Shared streams: matching throughput, and requests and CPU seconds per cycle with streams on/off.

Usage: python bench/streams_bench.py [--items 20000] [--businesses 1000] [--sizes 10,100,1000]
                                     [--skip-cycles]

1. Matching: `--businesses` businesses with five keywords each (two-word shop names built from a
   vocabulary, so anchors collide as real names do), some with excludes and required context,
   compiled into one `KeywordIndex`; `--items` Reddit-like texts (1 in 50 names a business) are
   matched on one core. Goal: at least 20,000 items a second at 1,000 businesses.
2. Cycles: for each size in `--sizes`, a fresh workspace whose businesses each watch Reddit, run
   by `mentionwatch run` (a subprocess, as cron runs it) against a local Reddit
   (mentionwatch/sandbox/reddit.py) twice: a first run, then one after 300 new posts and
   comments. Streams off: one search per business; on: `/r/all/new` and `/r/all/comments` once.
   Printed: requests of the second run and the CPU seconds of both runs (the child's user+sys).
   At Reddit's unauthenticated pace (9 a minute) the requests also give the cycle's minimum
   wall time, printed alongside.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from mentionwatch.sandbox.reddit import LocalReddit  # noqa: E402
from pipeline.keyword_index import KeywordIndex  # noqa: E402
from pipeline.match import BusinessMatcher  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
GOAL_ITEMS_PER_SECOND = 20_000
WORDS = ("bakery donuts cafe bistro garage salon dental plumbing florist market pizza tacos books "
         "coffee yoga fitness pets hardware tailor barber grill kitchen brewery winery deli").split()
NAMES = ("acme joe maria northside sunrise harbor lakeside golden oak maple riverside union "
         "pioneer summit cedar liberty granite willow copper elm").split()
FILLER = ("the a just went to and it was really good bad service today my we our they will never "
          "again love hate price line wait staff friendly slow fast cold hot place town").split()


def business_keywords(n: int, rng: random.Random) -> list[str]:
    base = f"{rng.choice(NAMES)}{n} {rng.choice(WORDS)}"
    return [base, base.replace(" ", "-"), f"{base} {rng.choice(WORDS)}", f"{rng.choice(NAMES)} {n} {rng.choice(WORDS)}",
            f"{base}'s"]


def matching(items: int, businesses: int) -> float:
    rng = random.Random(19)
    keywords = {f"business {n}": business_keywords(n, rng) for n in range(businesses)}
    started = time.perf_counter()
    index = KeywordIndex({
        name: BusinessMatcher(terms, exclude=["recipe"] if n % 7 == 0 else (),
                              require_any=["coffee", "donut"] if n % 11 == 0 else ())
        for n, (name, terms) in enumerate(keywords.items())
    })
    compiled = time.perf_counter() - started
    texts = []
    names = list(keywords)
    for i in range(items):
        words = [rng.choice(FILLER) for _ in range(rng.randint(8, 60))]
        if i % 50 == 0:
            words.insert(rng.randrange(len(words)), keywords[rng.choice(names)][0])
        texts.append(" ".join(words).capitalize() + ".")
    started = time.process_time()
    named = sum(len(index.named_in_mention(None, text)) for text in texts)
    seconds = time.process_time() - started
    rate = items / seconds
    print(f"matching: {businesses} businesses x 5 keywords compiled in {compiled:.2f} s; "
          f"{items} items in {seconds:.2f} CPU s = {rate:,.0f} items/s on one core "
          f"({named} business matches); goal >= {GOAL_ITEMS_PER_SECOND:,}: "
          f"{'met' if rate >= GOAL_ITEMS_PER_SECOND else 'NOT met'} ({rate / GOAL_ITEMS_PER_SECOND:.2f}x)")
    return rate


def cycle(size: int, streams: bool, reddit: LocalReddit, folder: Path) -> tuple[int, float]:
    folder.mkdir(parents=True)
    config = {
        "database": "sqlite:///mentionwatch.db",
        "alerts": {"max_age_days": 36500},
        "businesses": [{"name": f"Shop {n}", "keywords": [f"Shop Number {n}"],
                        "sources": [{"type": "reddit", "query": f"Shop Number {n}", "url": None if streams else
                                     f"{reddit.base_url}/search.json?q=Shop+Number+{n}&sort=new&limit=100",
                                     "requests_per_minute": 60000}]} for n in range(size)],
    }
    for b in config["businesses"]:
        if b["sources"][0]["url"] is None:
            del b["sources"][0]["url"]
    if streams:
        config["streams"] = {"reddit": {"api_url": reddit.base_url, "requests_per_minute": 60000}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    cpu = 0.0
    requests = 0
    for round_ in range(2):
        if round_:
            for i in range(150):
                reddit.post(f"new post {i}", f"Shop Number {i % size} was fine")
                reddit.comment(f"Shop Number {i % size} again")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seen = len(reddit.requests)
        result = subprocess.run([str(MENTIONWATCH), "run", "--config", str(folder / "config.yaml"), "-q"],
                                cwd=folder, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"run failed: {result.stderr[-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        requests = len(reddit.requests) - seen
    return requests, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--businesses", type=int, default=1000)
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--skip-cycles", action="store_true")
    args = parser.parse_args()
    matching(args.items, args.businesses)
    if args.skip_cycles:
        return
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            for streams in (False, True):
                with LocalReddit(allowance=10**9) as reddit:
                    for i in range(50):
                        reddit.post(f"post {i}", "text")
                        reddit.comment(f"comment {i}")
                    requests, cpu = cycle(size, streams, reddit, Path(tmp) / f"{size}-{streams}")
                minutes = requests / 9
                print(f"cycle: {size:>5} businesses, streams {'on ' if streams else 'off'}: {requests:>5} requests "
                      f"a cycle (>= {minutes:.1f} min at Reddit's 9/min without OAuth), "
                      f"{cpu:.1f} CPU s for two runs")


if __name__ == "__main__":
    main()
