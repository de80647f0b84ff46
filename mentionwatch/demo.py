"""`mentionwatch demo`: the whole cycle, offline, against local servers and a temporary database."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from mentionwatch.sandbox.slack import LocalSlackServer
from mentionwatch.sandbox.web import LocalHTTPServer
from pipeline.errors import MentionwatchError

DEMO_DATA = Path(__file__).with_name("demo_data")

DEMO_CONFIG = """\
# Written by `mentionwatch demo`: local servers only, nothing leaves this machine.
database: sqlite:///demo.db
slack:
  token: xoxb-demo-token
  channel: "#reviews"
  api_url: {slack_api}
alerts:
  threshold: -0.05
  max_age_days: 36500   # the sample feeds are dated; alert on them however old they get
crawler:
  autothrottle: false
businesses:
  - name: "Joe's Donuts"
    keywords: ["Joe's Donuts", "Joes Donuts"]
    exclude: ["recipe", "recipes"]
    sources:
      - type: feed
        url: {web}/news.xml
      - type: feed
        url: {web}/blog.atom
"""

# What `--keep DIR` leaves: the demo's database and a config that `check` accepts once the demo's
# local servers are gone. Sources must be http(s) URLs (file: is refused), so the sample feeds are
# copied beside it, to be served again over HTTP, and the config watches the real news search.
KEPT_CONFIG = """\
# Kept by `mentionwatch demo --keep`: demo.db holds what the demo's two runs stored.
# The demo's sample feeds and its Slack were served on 127.0.0.1 only while it ran, so this
# config does not name them; it watches the Google News search a real config would use, and
# prints alerts on the console. Try:
#   mentionwatch mentions --config {config}
#   mentionwatch report --no-send --config {config}
# The sample feeds are in {samples}. To crawl them again, serve them over HTTP:
#   python3 -m http.server 8000 --bind 127.0.0.1 --directory {samples}
# and add this source below (then `mentionwatch run --config {config}`):
#   - type: feed
#     url: http://127.0.0.1:8000/news.xml
database: sqlite:///demo.db
alerts:
  max_age_days: 36500   # the sample feeds are dated; alert on them however old they get
businesses:
  - name: "Joe's Donuts"
    keywords: ["Joe's Donuts", "Joes Donuts"]
    exclude: ["recipe", "recipes"]
    sources:
      - type: feed
        query: "Joe's Donuts"
"""


def keep_demo(folder: Path, config: Path) -> None:
    """Leave `folder` with the demo's database, its sample feeds, and a config `check` accepts."""
    samples = folder / "sample-feeds"
    samples.mkdir(exist_ok=True)
    shutil.copyfile(DEMO_DATA / "news-later.xml", samples / "news.xml")  # the feed as the second run saw it
    shutil.copyfile(DEMO_DATA / "blog.atom", samples / "blog.atom")
    config.write_text(KEPT_CONFIG.format(config=config, samples=samples), encoding="utf-8")


def run_demo(console: Console, keep: str | None = None) -> None:
    """Two runs of the real `mentionwatch run` against local servers, showing what reached Slack.

    The first run meets every source for the first time, so it stores what it finds and posts a
    baseline summary; then the news feed gains entries, and the second run alerts about the
    new negative one.
    """
    if keep:
        taken = [Path(keep) / name for name in ("config.yaml", "demo.db") if (Path(keep) / name).exists()]
        if taken:  # refused before anything is written, as `init` refuses without --force
            raise MentionwatchError(f"{taken[0]} already exists; give --keep a folder without a "
                                    "config.yaml or demo.db (the demo writes both)")
    with tempfile.TemporaryDirectory(prefix="mentionwatch-demo-") as scratch:
        folder = Path(keep) if keep else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        with LocalHTTPServer(DEMO_DATA) as web, LocalSlackServer() as slack:
            config = folder / "config.yaml"
            config.write_text(DEMO_CONFIG.format(web=web.url, slack_api=slack.api_url), encoding="utf-8")
            console.print(f"Sample feeds are served from {web.url}, a Slack-compatible API from {slack.api_url}.")

            console.print("\n[bold]1. First run[/]: every source is new, so one baseline summary, not an alert each.")
            _run(console, config)
            _show_posts(console, slack.posted)

            console.print("\n[bold]2. The news feed gains two entries[/], one of them a complaint. Second run:")
            web.add("/news.xml", (DEMO_DATA / "news-later.xml").read_bytes(), content_type="application/rss+xml")
            already = len(slack.posted)
            _run(console, config)
            _show_posts(console, slack.posted[already:])
            if keep:
                (folder / "posted.json").write_text(json.dumps(slack.posted, indent=2), encoding="utf-8")
        if keep:
            keep_demo(folder, config)
            console.print(f"\nSee the stored mentions: [bold]mentionwatch mentions --config {escape(str(config))}[/]", soft_wrap=True)
            console.print(f"(The sample feeds are kept in {escape(str(folder / 'sample-feeds'))}; {escape(str(config))} "
                          "says how to crawl them again.)", soft_wrap=True)
        else:
            console.print("\nThe demo's database was temporary; pass --keep DIR to keep it.")
        console.print("\nNow watch your own business: [bold]mentionwatch init[/] writes a config.yaml for it "
                      "(then [bold]mentionwatch check --fetch[/] and [bold]mentionwatch run[/]).", soft_wrap=True)


def _run(console: Console, config: Path) -> None:
    """`mentionwatch run` as cron would start it (a Scrapy crawl runs once per process)."""
    command = [sys.executable, "-m", "mentionwatch", "run", "--config", str(config)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    for line in (result.stdout + result.stderr).splitlines():
        console.print(f"  [dim]$ mentionwatch run[/] -> {escape(line)}" if line else "", soft_wrap=True)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


# Slack's names for two emoji that Rich, which shows the others as Slack does, knows by other names.
_SLACK_EMOJI_NAMES = {":large_green_circle:": ":green_circle:", ":large_orange_square:": ":orange_square:"}


def _as_slack_shows(text: str) -> str:
    for slack_name, rich_name in _SLACK_EMOJI_NAMES.items():
        text = text.replace(slack_name, rich_name)
    return escape(text)


def _show_posts(console: Console, messages: list[dict[str, Any]]) -> None:
    console.print(f"Posted to the local Slack ({len(messages)} {'message' if len(messages) == 1 else 'messages'}):")
    for message in messages:
        console.print(f"  [bold]{escape(message['channel'])}[/]: {_as_slack_shows(message.get('text') or '')}",
                      soft_wrap=True)
        for block in message.get("blocks") or []:
            text = block.get("text", {}).get("text") if isinstance(block.get("text"), dict) else None
            if text:
                console.print(textwrap.indent(_as_slack_shows(text), "      "), soft_wrap=True)
