"""One clock (issue 25): every time a person reads is in the business's zone with its abbreviation;
JSON stays UTC ISO 8601. A review published at 06:00Z is 00:00 CST for a bakery in Chicago."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from tests.conftest import business
from tests.web.conftest import start_server, stop_server

REPO = Path(__file__).resolve().parents[1]

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>Harbor Lane Bakery burnt my bagel</title><link>https://news.example.com/bagel</link>
<description>Harbor Lane Bakery burnt my bagel and nobody cared. Terrible.</description>
<pubDate>Fri, 04 Dec 2026 06:00:00 +0000</pubDate></item></channel></rss>"""


def bakery(web) -> dict:
    return business("Harbor Lane Bakery", keywords=["Harbor Lane Bakery"], timezone="America/Chicago",
                    sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])


def test_check_mentions_and_the_web_read_the_business_clock(web, workspace):
    web.add("/news.xml", RSS, content_type="application/rss+xml")
    workspace.write_config(businesses=[bakery(web)], alerts={"max_age_days": 36500})

    fetched = workspace.cli("check", "--fetch")
    assert "newest 2026-12-04 00:00 CST" in fetched.stdout, fetched.stdout

    assert workspace.cli("run").returncode == 0
    table = workspace.cli("mentions")
    assert "2026-12-04 00:00 CST" in table.stdout, table.stdout
    record = json.loads(workspace.cli("mentions", "--format", "json").stdout.splitlines()[0])
    assert record["published_at"] == "2026-12-04T06:00:00Z"
    checked = workspace.cli("check")
    assert " CST" in checked.stdout and "last ok" in checked.stdout and " UTC" not in checked.stdout
    assert ": 1 business\n" in checked.stdout  # not "1 businesses"

    process, url = start_server(workspace)
    try:
        page = urllib.request.urlopen(f"{url}/mentions/{record['id']}", timeout=30).read().decode()
    finally:
        stop_server(process)
    assert "published 2026-12-04 00:00 CST" in page


def test_a_slack_channel_without_a_token_fails_check_and_is_said_every_run(web, workspace):
    web.add("/news.xml", RSS, content_type="application/rss+xml")
    workspace.write_config(slack={"token": "${SLACK_BOT_TOKEN:-}", "channel": "#bakery-alerts"},
                           businesses=[bakery(web)])
    checked = workspace.cli("check")
    assert checked.returncode == 1
    assert "no token is set: is SLACK_BOT_TOKEN exported where mentionwatch runs" in checked.stdout
    # The exit 1 is documented where exit codes are listed: check's --help and docs/commands.md.
    helped = " ".join(workspace.cli("check", "--help").stdout.split())
    assert "configured (a channel, a token key) but no token came through" in helped, helped
    commands = " ".join((REPO / "docs" / "commands.md").read_text(encoding="utf-8").split())
    assert "Slack rejects the token or is configured but no token came through" in commands
    for args in (("run",), ("run", "--quiet")):
        ran = workspace.cli(*args)
        assert ran.returncode == 0, ran.stderr
        assert "warning: Slack is configured (slack.channel, slack.token) but no token is set" in ran.stderr


def test_a_console_config_is_not_told_to_set_a_token(web, workspace):
    web.add("/news.xml", RSS, content_type="application/rss+xml")
    workspace.write_config(businesses=[bakery(web)])
    checked = workspace.cli("check")
    assert checked.returncode == 0, checked.stdout
    assert "no token set; alerts print to the console" in checked.stdout
    assert "warning" not in workspace.cli("run").stderr
