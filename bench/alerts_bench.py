"""Alert delivery pace and weekly report cost, against a local Slack with the real slack-sdk.

Usage: python bench/alerts_bench.py [--alerts 30] [--channels 1 3] [--interval 1.0]
                                    [--report-mentions 5000]

* Delivery: `--alerts` owed alerts, spread over `--channels` businesses (one channel each), are
  planned and delivered as a run does (`alerts.cycle.after_crawl`) with `slack.post_interval`
  = `--interval`. Prints alerts per second: Slack's ~1 message a second is per channel, so more
  channels go faster.
* Report: `--report-mentions` mentions over two weeks with ratings and handled alerts; times
  building the numbers, drawing the chart, rendering the HTML (`make_report --no-send`).
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from alerts.cycle import after_crawl  # noqa: E402
from alerts.report.data import Period  # noqa: E402
from alerts.report.publish import make_report  # noqa: E402
from crawlers.state import sync_config  # noqa: E402
from mentionwatch.config import Settings  # noqa: E402
from mentionwatch.sandbox.slack import LocalSlackServer  # noqa: E402
from pipeline.models import Business, Mention, Source  # noqa: E402
from pipeline.store import open_engine  # noqa: E402

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def settings(businesses: int, slack_api: str, interval: float, max_per_run: int) -> Settings:
    return Settings.model_validate({
        "database": "sqlite:///unused.db",
        "slack": {"token": "xoxb-bench", "api_url": slack_api, "post_interval": interval},
        "alerts": {"max_per_run": max_per_run},
        "businesses": [{"name": f"Business {i}", "keywords": [f"Business {i}"], "channel": f"#b{i}",
                        "sources": [{"type": "feed", "url": f"https://news.example.com/{i}.xml"}]}
                       for i in range(businesses)],
    })


def store(folder: Path, config: Settings):  # type: ignore[no-untyped-def]
    engine = open_engine(f"sqlite:///{folder / 'bench.db'}")
    with Session(engine) as session, session.begin():
        sync_config(session, config)
        for source in session.scalars(select(Source)):
            source.first_crawled_at = NOW - timedelta(days=30)
    return engine


def add_mentions(engine, count: int, spread: timedelta, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session, session.begin():
        sources = session.execute(select(Source.id, Source.business_id)).all()
        for n in range(count):
            source_id, business_id = sources[n % len(sources)]
            label = rng.choice(["negative", "neutral", "positive", "positive"])
            published = NOW - spread * rng.random()
            alerted = published + timedelta(minutes=5) if label == "negative" else None
            session.add(Mention(
                business_id=business_id, source_id=source_id, source_type="feed",
                url=f"https://news.example.com/{n}", canonical_url=f"https://news.example.com/{n}",
                fingerprint=f"f{n}", content_hash=f"h{n}", title=f"Story {n}",
                text="Something about Business 0. " * 8, published_at=published, first_seen_at=published,
                sentiment={"negative": -0.6, "neutral": 0.0, "positive": 0.7}[label], label=label,
                rating=float(rng.randint(1, 5)), rating_conflict=False, urgent=False,
                alert_due=(label == "negative" and spread == timedelta(0)), alert_attempts=0,
                alerted_at=alerted if spread else None,
                handled_at=alerted + timedelta(hours=rng.random() * 10) if alerted and rng.random() < 0.6 and spread
                else None,
            ))


def delivery(alerts: int, channels: int, interval: float) -> None:
    with tempfile.TemporaryDirectory() as folder, LocalSlackServer() as slack:
        config = settings(channels, slack.api_url, interval, max_per_run=alerts)
        engine = store(Path(folder), config)
        with Session(engine) as session, session.begin():
            for n in range(alerts):
                business_id = session.scalar(select(Business.id).where(Business.name == f"Business {n % channels}"))
                source_id = session.scalar(select(Source.id).where(Source.business_id == business_id))
                session.add(Mention(
                    business_id=business_id, source_id=source_id, source_type="feed",
                    url=f"https://news.example.com/a{n}", canonical_url=f"https://news.example.com/a{n}",
                    fingerprint=f"a{n}", content_hash=f"a{n}", title=f"Complaint {n}", text="Bad. " * 20,
                    published_at=NOW, first_seen_at=NOW, sentiment=-0.7, label="negative", rating_conflict=False,
                    urgent=False, alert_due=True, alert_attempts=0,
                ))
        started = time.perf_counter()
        result = after_crawl(config, engine, Console(file=io.StringIO()), clock=lambda: NOW)
        elapsed = time.perf_counter() - started
        engine.dispose()
        assert result.sent == alerts and len(slack.posted) == alerts, result
        print(f"delivery: {alerts} alerts to {channels} channel(s), post_interval {interval:g} s: "
              f"{elapsed:.2f} s, {alerts / elapsed:.2f} alerts/s")


def report(mentions: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = settings(1, "http://127.0.0.1:9/api/", 0, 10)
        engine = store(Path(folder), config)
        add_mentions(engine, mentions, timedelta(days=14), random.Random(1))
        started = time.perf_counter()
        outcome = make_report(config, engine, Period(NOW - timedelta(days=7), NOW), Path(folder) / "out", send=False,
                              clock=lambda: NOW)
        elapsed = time.perf_counter() - started
        engine.dispose()
        size = outcome.html.stat().st_size + sum(c.stat().st_size for c in outcome.charts)
        print(f"report: {mentions} mentions over 14 days (about half in the week): {elapsed:.2f} s "
              f"for numbers, chart and HTML ({size / 1024:.0f} KiB written)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=30)
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--report-mentions", type=int, default=5000)
    args = parser.parse_args()
    for channels in args.channels:
        delivery(args.alerts, channels, args.interval)
    report(args.report_mentions)


if __name__ == "__main__":
    main()
