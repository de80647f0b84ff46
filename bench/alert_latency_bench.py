"""Alert latency: from an item appearing at a local source to its Slack alert, against the goals.

Usage: python bench/alert_latency_bench.py [--mode all|jetstream|scheduled] [--posts 10]
       [--businesses 100] [--gap 1.0] [--duration 240] [--every 15]

`jetstream`: starts a local Jetstream (mentionwatch/sandbox/jetstream.py) and a local Slack
(mentionwatch/sandbox/slack.py), writes a config whose `--businesses` businesses each watch
Bluesky with `streams: bluesky:` set, and runs `mentionwatch listen --http 0` as a user would (a
subprocess). Then publishes `--posts` negative posts, each naming one business, `--gap` seconds
apart, and times each from its publication to the moment its alert reached the local Slack.
Goal: at most 60 s.

`scheduled`: the long-running scheduler, `mentionwatch serve --schedule 1m`, with Reddit and
Hacker News read through `streams:` (polled once a run, local Reddit and Algolia HN) and Mastodon
through its streaming API (a local instance), every business watching all three (`interval: 1m`).
After the first run (the baseline), one negative item naming a business is published on each
network every `--every` seconds for `--duration` seconds. Goals: polled networks at most one
interval plus 30 s (90 s); Mastodon's stream at most 60 s.

Prints each network's median and 95th percentile against its goal. The figures depend on the
machine's load: `uptime` is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from mentionwatch.sandbox.hackernews import LocalHackerNews  # noqa: E402
from mentionwatch.sandbox.jetstream import LocalJetstream  # noqa: E402
from mentionwatch.sandbox.mastodon import LocalMastodon  # noqa: E402
from mentionwatch.sandbox.reddit import LocalReddit  # noqa: E402
from mentionwatch.sandbox.slack import LocalSlackServer  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
STREAM_GOAL_SECONDS = 60.0
INTERVAL_SECONDS = 60
POLLED_GOAL_SECONDS = INTERVAL_SECONDS + 30.0
MASTODON_TOKEN = "bench-mastodon-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=("all", "jetstream", "scheduled"), default="all")
    parser.add_argument("--posts", type=int, default=10, help="jetstream: posts published")
    parser.add_argument("--businesses", type=int, default=100)
    parser.add_argument("--gap", type=float, default=1.0, help="jetstream: seconds between posts")
    parser.add_argument("--duration", type=float, default=240.0, help="scheduled: seconds of publishing")
    parser.add_argument("--every", type=float, default=15.0, help="scheduled: seconds between items")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} "
          f"on {os.cpu_count()} cores", flush=True)
    if args.mode in ("all", "jetstream"):
        jetstream_latency(args)
    if args.mode in ("all", "scheduled"):
        scheduled_latency(args)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_", "MASTODON_", "REDDIT_"))}
    return {**env, **extra}


def jetstream_latency(args: argparse.Namespace) -> None:
    """Bluesky's Jetstream held by `listen`: post -> Slack."""
    with tempfile.TemporaryDirectory() as tmp, LocalSlackServer() as slack, LocalJetstream() as jetstream:
        folder = Path(tmp)
        config = {
            "database": "sqlite:///mentionwatch.db",
            "slack": {"token": "xoxb-bench", "api_url": slack.api_url, "channel": "#reviews"},
            "businesses": [{"name": f"Shop {n}", "keywords": [f"Shop Number {n}"],
                            "sources": [{"type": "bluesky", "query": f"Shop Number {n}"}]}
                           for n in range(args.businesses)],
            "streams": {"bluesky": {"jetstream": jetstream.url}},
        }
        (folder / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        listener = subprocess.Popen([str(MENTIONWATCH), "listen", "--http", "0", "--config", str(folder / "config.yaml")],
                                    cwd=folder, env=clean_env(SLACK_SIGNING_SECRET="bench-secret"),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: bool(jetstream.connections), 60, "the listener never connected to the local Jetstream")
            published: dict[str, float] = {}
            arrived: dict[str, float] = {}
            for i in range(args.posts):
                marker = f"order-{i}-{time.time_ns()}"
                published[marker] = time.monotonic()
                jetstream.post(f"Shop Number {i % args.businesses} charged me twice, terrible rude service {marker}")
                end = time.monotonic() + args.gap
                while time.monotonic() < end:
                    _collect(slack, published, arrived)
                    time.sleep(0.01)
            _wait_all(slack, published, arrived, STREAM_GOAL_SECONDS * 2)
        finally:
            listener.send_signal(signal.SIGTERM)
            listener.wait(timeout=30)
    report("jetstream (listen)", [arrived[m] - published[m] for m in arrived], len(published),
           f"{args.businesses} businesses", STREAM_GOAL_SECONDS)


def scheduled_latency(args: argparse.Namespace) -> None:
    """Reddit and Hacker News polled through `streams:`, Mastodon streamed, in `serve --schedule 1m`."""
    with tempfile.TemporaryDirectory() as tmp, LocalSlackServer() as slack, LocalReddit() as reddit, \
            LocalHackerNews() as hn, LocalMastodon(token=MASTODON_TOKEN, heartbeat=15.0) as mastodon:
        folder = Path(tmp)
        count = min(args.businesses, 100)
        config = {
            "database": "sqlite:///mentionwatch.db",
            "slack": {"token": "xoxb-bench", "api_url": slack.api_url, "channel": "#reviews"},
            "businesses": [{"name": f"Shop {n}", "keywords": [f"Shop Number {n}"], "sources": [
                {"type": "reddit", "query": f"Shop Number {n}", "interval": "1m"},
                {"type": "hackernews", "query": f"Shop Number {n}", "interval": "1m"},
                {"type": "mastodon", "instance": mastodon.url, "tag": f"shop{n}", "interval": "1m"},
            ]} for n in range(count)],
            "streams": {"reddit": {"api_url": reddit.base_url, "requests_per_minute": 600},
                        "hackernews": {"api_url": hn.api_url},
                        "mastodon": {"instances": [mastodon.url]}},
        }
        (folder / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
        serve = subprocess.Popen([str(MENTIONWATCH), "serve", "--port", str(free_port()), "--schedule", f"{INTERVAL_SECONDS}s",
                                  "--config", str(folder / "config.yaml")],
                                 cwd=folder, env=clean_env(MASTODON_TOKEN=MASTODON_TOKEN),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        runs: list[str] = []
        threading.Thread(target=lambda: [runs.append(line) for line in serve.stderr if "scheduled run" in line],  # type: ignore[union-attr]
                         daemon=True).start()
        published: dict[str, dict[str, float]] = {"reddit": {}, "hackernews": {}, "mastodon": {}}
        arrived: dict[str, dict[str, float]] = {"reddit": {}, "hackernews": {}, "mastodon": {}}
        try:
            # The first run is the baseline (a new source's finds are summarised, not alerted).
            wait_for(lambda: bool(runs), 300, "the first scheduled run never finished")
            wait_for(lambda: bool(mastodon.connections), 60, "serve never connected to the local Mastodon stream")
            publish = {
                # Posts and comments in turn: the stream reads both listings.
                "reddit": lambda text, i: reddit.comment(text, created=time.time()) if i % 2
                else reddit.post("A question", text, created=time.time()),
                "hackernews": lambda text, i: hn.comment(text, created=int(time.time())),
                "mastodon": lambda text, i: mastodon.post(text),
            }
            started, i = time.monotonic(), 0
            while time.monotonic() - started < args.duration:
                for network, post in publish.items():
                    marker = f"{network}-{i}-{time.time_ns()}"
                    published[network][marker] = time.monotonic()
                    post(f"Shop Number {i % count} charged me twice, terrible rude service {marker}", i)
                i += 1
                end = time.monotonic() + args.every
                while time.monotonic() < end:
                    for network in published:
                        _collect(slack, published[network], arrived[network])
                    time.sleep(0.05)
            deadline = time.monotonic() + POLLED_GOAL_SECONDS * 2
            while time.monotonic() < deadline and any(len(arrived[n]) < len(published[n]) for n in published):
                for network in published:
                    _collect(slack, published[network], arrived[network])
                time.sleep(0.05)
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=60)
    for network, goal in (("reddit", POLLED_GOAL_SECONDS), ("hackernews", POLLED_GOAL_SECONDS),
                          ("mastodon", STREAM_GOAL_SECONDS)):
        how = "stream" if network == "mastodon" else f"polled every {INTERVAL_SECONDS} s"
        report(f"{network} ({how}, serve --schedule)", [arrived[network][m] - published[network][m] for m in arrived[network]],
               len(published[network]), f"{count} businesses, {len(runs)} runs", goal)


def report(what: str, latencies: list[float], published: int, detail: str, goal: float) -> None:
    if not latencies:
        print(f"{what}: no alert arrived of {published}; goal <= {goal:.0f} s: NOT met")
        return
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    met = p95 <= goal and len(latencies) == published
    print(f"{what} alert latency over {len(latencies)} of {published} items, {detail}: "
          f"median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s; goal <= {goal:.0f} s: "
          f"{'met' if met else 'NOT met'}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], bool], seconds: float, failure: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(failure)
        time.sleep(0.05)


def _wait_all(slack: LocalSlackServer, published: dict[str, float], arrived: dict[str, float], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while len(arrived) < len(published) and time.monotonic() < deadline:
        _collect(slack, published, arrived)
        time.sleep(0.01)


def _collect(slack: LocalSlackServer, published: dict[str, float], arrived: dict[str, float]) -> None:
    text = [json.dumps(p) for p in list(slack.posted)]
    now = time.monotonic()
    for marker in published:
        if marker not in arrived and any(marker in t for t in text):
            arrived[marker] = now


if __name__ == "__main__":
    main()
