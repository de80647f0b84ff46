"""`cron`, `check`'s Slack notes, the report lock, and quiet hours, run as a user runs them."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.lock import run_lock
from tests.alerts.helpers import joes
from tests.conftest import MENTIONWATCH, business, feed_fixture


def test_cron_prints_lines_with_absolute_paths(workspace, tmp_path):
    workspace.write_config(slack={"token": "${SLACK_BOT_TOKEN:-}"}, businesses=[joes()])
    result = subprocess.run([str(MENTIONWATCH), "cron", "--config", "config.yaml", "--every", "30",
                             "--report-day", "fri", "--report-time", "17:30"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    config = tmp_path / "config.yaml"
    assert lines[-2] == f"*/30 * * * * {MENTIONWATCH} run --quiet --config {config}"
    assert lines[-1] == f"30 17 * * 5 {MENTIONWATCH} report --quiet --config {config}"
    assert all(line.startswith("#") for line in lines[:-2])
    assert "SLACK_BOT_TOKEN" in "\n".join(lines[:-2])
    hourly = workspace.cli("cron", "--every", "120").stdout.splitlines()
    assert hourly[-2].startswith("0 */2 * * * ") and hourly[-1].startswith("0 8 * * 1 ")
    bad = workspace.cli("cron", "--every", "7")
    assert bad.returncode == 2 and "divide an hour" in bad.stderr


def test_cron_needs_no_secret_set_but_still_validates_the_config(workspace):
    workspace.write_config(slack={"token": "${SLACK_BOT_TOKEN}", "channel": "#reviews"},
                           alerts={"max_age_days": "${MAX_AGE:-7}"}, businesses=[joes()])
    lines = workspace.cli("cron")  # SLACK_BOT_TOKEN is not set here: cron's environment will hold it
    assert lines.returncode == 0, lines.stderr
    assert "# The config reads SLACK_BOT_TOKEN, MAX_AGE from the environment" in lines.stdout
    assert lines.stdout.splitlines()[-2].endswith(f"run --quiet --config {workspace.config}")
    assert "run" in workspace.cli("cron", env={"SLACK_BOT_TOKEN": "xoxb-1"}).stdout  # set is fine too
    # Every other mistake is still one: cron's runs would fail on it.
    workspace.write_config(slack={"token": "${SLACK_BOT_TOKEN}", "chanel": "#reviews"}, businesses=[joes()])
    typo = workspace.cli("cron")
    assert typo.returncode == 1 and "chanel" in typo.stderr and "SLACK_BOT_TOKEN" not in typo.stderr, typo.stderr
    # The other commands still need it.
    workspace.write_config(slack={"token": "${SLACK_BOT_TOKEN}", "channel": "#reviews"}, businesses=[joes()])
    assert "environment variable SLACK_BOT_TOKEN is not set" in workspace.cli("check").stderr


def test_a_report_skips_while_another_report_runs_but_not_while_a_run_does(workspace):
    workspace.write_config(businesses=[joes()])
    url = f"sqlite:///{workspace.database}"
    with run_lock(url):
        during_run = workspace.cli("report", "--no-send")
    with run_lock(url, "report"):
        during_report = workspace.cli("report", "--no-send")
    assert during_run.returncode == 0 and during_run.stdout.startswith("report written to")
    assert during_report.returncode == 0
    assert during_report.stdout.startswith("skipped: another mentionwatch report holds")


def test_check_says_what_a_webhook_cannot_do(slack, workspace):
    workspace.write_config(slack={"webhook_url": slack.webhook_url}, businesses=[joes()])
    result = workspace.cli("check")
    assert result.returncode == 0
    out = " ".join(result.stdout.split())
    assert "incoming webhook set (posting only)" in out
    assert "reactions are not read" in out and "`mentionwatch handle ID`" in out
    assert "chart is not uploaded" in out and "urgent_channel are ignored" in out
    assert "cannot be looked up, so it is not posted again (at most once" in out
    assert "/services/" not in result.stdout  # the webhook URL is a secret


def test_check_names_missing_scopes(web, workspace):
    # A Slack API answering auth.test with the token's scopes in X-OAuth-Scopes, as Slack does.
    web.add("/api/auth.test", json.dumps({"ok": True, "team": "T", "user": "bot"}),
            content_type="application/json", headers={"X-OAuth-Scopes": "chat:write,chat:write.public"})
    workspace.write_config(slack={"token": "xoxb-x", "api_url": f"{web.url}/api/"}, businesses=[joes()])
    out = " ".join(workspace.cli("check").stdout.split())
    assert "lacks the reactions:read scope" in out and "lacks the files:write scope" in out
    assert "lacks the channels:history scope: a post whose answer is lost" in out and "at most once" in out
    assert "lacks the chat:write scope" not in out
    # The alert's buttons (slack.interactive, on by default) name who clicked through users.info.
    assert "lacks the users:read scope" in out


def test_quiet_hours_hold_a_run_s_alerts_and_the_next_run_after_them_sends_them(web, slack, workspace):
    feed = feed_fixture("joes_news.xml")
    web.add("/news.xml", feed, content_type="application/rss+xml")
    zone = "Asia/Kathmandu"  # an odd offset, so the hours are surely the business's own
    now = datetime.now(ZoneInfo(zone))
    around_now = {"start": f"{(now - timedelta(hours=1)):%H:%M}", "end": f"{(now + timedelta(hours=1)):%H:%M}"}
    later = {"start": f"{(now + timedelta(hours=2)):%H:%M}", "end": f"{(now + timedelta(hours=3)):%H:%M}"}

    def configure(quiet: dict | None) -> None:
        workspace.write_config(
            slack={"token": "xoxb-t", "api_url": slack.api_url, "post_interval": 0},
            alerts={"max_age_days": 36500},
            businesses=[business(timezone=zone, quiet_hours=quiet,
                                 sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
        )

    configure(None)
    assert workspace.cli("run").returncode == 0  # the baseline
    new_item = """<item><title>Joes Donuts: rude staff, cold coffee</title>
      <link>https://daily.example.com/news/joes-rude</link><pubDate>Mon, 23 Nov 2026 12:00:00 GMT</pubDate>
      <description>Rude staff and cold coffee. Terrible.</description></item>"""
    web.add("/news.xml", feed.replace("</channel>", new_item + "</channel>"), content_type="application/rss+xml")
    configure(around_now)
    held = workspace.cli("run")
    assert held.stdout.strip().endswith("0 alerts sent, 1 pending (1 held for quiet hours)")
    configure(later)
    sent = workspace.cli("run")
    assert sent.stdout.strip().endswith("1 alert sent, 0 pending")
    assert [m["text"].split(":")[0] for m in slack.posted] == [
        "Now watching 1 new source for Joe's Donuts", "negative mention of Joe's Donuts on daily.example.com"]


def test_cron_writes_the_report_time_of_the_business_zone_for_the_machine_clock(workspace):
    workspace.write_config(businesses=[joes(timezone="America/Chicago")])
    result = workspace.cli("cron", "--report-day", "mon", "--report-time", "08:00", env={"TZ": "UTC"})
    assert result.returncode == 0, result.stderr
    # 08:00 in Chicago on the coming Monday, on a machine that keeps UTC.
    today = datetime.now(ZoneInfo("America/Chicago")).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7)
    utc = datetime(monday.year, monday.month, monday.day, 8, 0, tzinfo=ZoneInfo("America/Chicago")).astimezone(
        ZoneInfo("UTC"))
    lines = result.stdout.splitlines()
    assert lines[-1].startswith(f"0 {utc.hour} * * {utc.isoweekday() % 7} ")
    assert f"Mondays at 08:00 America/Chicago: Monday {utc.hour:02d}:00 on this machine's clock (UTC)" in lines[0]


def test_without_slack_or_email_the_report_is_printed_for_cron_to_mail(workspace):
    workspace.write_config(businesses=[joes()])
    for args in (("report",), ("report", "--quiet")):
        result = workspace.cli(*args)
        assert result.returncode == 0, result.stderr
        assert "== Joe's Donuts ==" in result.stdout and "Mentions:" in result.stdout
        assert "The full report with its charts: " in result.stdout and ".html" in result.stdout


def test_a_report_is_written_the_same_with_or_without_a_template_cache_of_our_own(workspace, tmp_path):
    # The compiled templates are kept in the temp folder's _jinja2-cache-UID; when that name is
    # taken by something not ours, the report compiles them as before and is written all the same.
    import os

    workspace.write_config(businesses=[joes()])
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / f"_jinja2-cache-{os.getuid()}").write_text("not a folder of ours")
    pages = []
    for env in ({"TMPDIR": str(taken)}, {}, {}):
        out = workspace.folder / f"out{len(pages)}"
        result = workspace.cli("report", "--no-send", "--out", str(out), "--until", "2026-11-30", env=env)
        assert result.returncode == 0, result.stderr
        (page,) = out.glob("report-*.html")
        # Without the line that says when it was made (the minute may turn between runs).
        pages.append(re.sub(r"Made by mentionwatch on [^<]*", "", page.read_text(encoding="utf-8")))
    assert "Joe&#39;s Donuts" in pages[0] and pages[0] == pages[1] == pages[2]


def test_check_says_why_slack_cannot_be_reached_without_library_log_lines(workspace):
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    workspace.write_config(slack={"token": "${SLACK_BOT_TOKEN}", "api_url": f"http://127.0.0.1:{port}/api/"},
                           businesses=[joes()])
    result = workspace.cli("check", env={"SLACK_BOT_TOKEN": "xoxb-test-token"})
    assert result.returncode == 1
    assert f"slack: cannot reach http://127.0.0.1:{port}/api/: Connection refused" in result.stdout
    assert "slack_sdk" not in result.stdout + result.stderr and "ERROR" not in result.stderr
