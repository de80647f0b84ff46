"""Alert latency of Bluesky's Jetstream: from a post appearing on the stream to its Slack alert.

Usage: python bench/alert_latency_bench.py [--posts 10] [--businesses 100] [--gap 1.0]

Starts a local Jetstream (mentionwatch/sandbox/jetstream.py) and a local Slack
(mentionwatch/sandbox/slack.py), writes a config whose `--businesses` businesses each watch
Bluesky with `streams: bluesky:` set, and runs `mentionwatch listen --http 0` as a user would (a
subprocess). Then publishes `--posts` negative posts, each naming one business, `--gap` seconds
apart, and times each from its publication to the moment its alert reached the local Slack.
Prints the median and 95th percentile against the goal (at most 60 s).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from mentionwatch.sandbox.jetstream import LocalJetstream  # noqa: E402
from mentionwatch.sandbox.slack import LocalSlackServer  # noqa: E402

MENTIONWATCH = Path(sys.executable).with_name("mentionwatch")
GOAL_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--businesses", type=int, default=100)
    parser.add_argument("--gap", type=float, default=1.0)
    args = parser.parse_args()
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
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
        env["SLACK_SIGNING_SECRET"] = "bench-secret"
        listener = subprocess.Popen([str(MENTIONWATCH), "listen", "--http", "0", "--config", str(folder / "config.yaml")],
                                    cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not jetstream.connections and time.monotonic() < deadline:
                time.sleep(0.05)
            if not jetstream.connections:
                raise SystemExit("the listener never connected to the local Jetstream")
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
            deadline = time.monotonic() + GOAL_SECONDS * 2
            while len(arrived) < len(published) and time.monotonic() < deadline:
                _collect(slack, published, arrived)
                time.sleep(0.01)
        finally:
            listener.send_signal(signal.SIGTERM)
            listener.wait(timeout=30)
    latencies = sorted(arrived[m] - published[m] for m in arrived)
    if not latencies:
        raise SystemExit("no alert arrived")
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    print(f"jetstream alert latency over {len(latencies)} of {args.posts} posts, {args.businesses} businesses: "
          f"median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s; goal <= {GOAL_SECONDS:.0f} s: "
          f"{'met' if p95 <= GOAL_SECONDS and len(latencies) == args.posts else 'NOT met'}")


def _collect(slack: LocalSlackServer, published: dict[str, float], arrived: dict[str, float]) -> None:
    text = [json.dumps(p) for p in list(slack.posted)]
    now = time.monotonic()
    for marker in published:
        if marker not in arrived and any(marker in t for t in text):
            arrived[marker] = now


if __name__ == "__main__":
    main()
