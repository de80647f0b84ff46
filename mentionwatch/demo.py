"""`mentionwatch demo`: the whole cycle, offline, against local servers and a temporary database."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from mentionwatch.config import load_settings
from mentionwatch.localserver import LocalHTTPServer
from mentionwatch.localslack import LocalSlackServer

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
    exclude: ["recipe"]
    sources:
      - type: feed
        url: {web}/news.xml
      - type: feed
        url: {web}/blog.atom
"""


def run_demo(console: Console, keep: str | None = None) -> None:
    """Run one crawl of the bundled feeds and show what reached the local Slack."""
    from mentionwatch.runner import run_once

    with tempfile.TemporaryDirectory(prefix="mentionwatch-demo-") as scratch:
        folder = Path(keep) if keep else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        with LocalHTTPServer(DEMO_DATA) as web, LocalSlackServer() as slack:
            config = folder / "config.yaml"
            config.write_text(DEMO_CONFIG.format(web=web.url, slack_api=slack.api_url), encoding="utf-8")
            settings = load_settings(config)
            console.print(f"Crawling sample feeds from {web.url} (a local server) ...")
            summary = run_once(settings, console)
            console.print(f"Run: {summary.line()}")
            console.print(f"\nPosted to the local Slack ({len(slack.posted)} messages):")
            for message in slack.posted:
                console.print(f"[bold]{escape(message['channel'])}[/]: {escape(message.get('text') or '')}")
                for block in message.get("blocks") or []:
                    text = block.get("text", {}).get("text") if isinstance(block.get("text"), dict) else None
                    if text:
                        console.print(f"    {escape(text)}", soft_wrap=True)
        console.print(f"\nStored mentions: [bold]mentionwatch mentions --config {escape(str(config))}[/]"
                      if keep else "\nThe demo's database was temporary; pass --keep DIR to keep it.")
        if keep:
            (folder / "posted.json").write_text(json.dumps(slack.posted, indent=2), encoding="utf-8")
