"""The CLI as a user runs it: help, exit codes, errors, check, demo, the run lock."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from mentionwatch.cli import cli
from mentionwatch.sandbox.web import LocalHTTPServer
from tests.conftest import MENTIONWATCH, business, feed_fixture, run_cli

REPO = Path(__file__).resolve().parents[1]
# Every registered command, so a new one cannot go undocumented.
COMMANDS = sorted(cli.commands)


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    # The README is the front door; the manual (docs/*.md) documents every command.
    manual = "\n".join(page.read_text(encoding="utf-8")
                       for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))])
    listed = run_cli("--help").stdout
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\s", listed, re.M), f"{command} missing from --help"
        result = run_cli(command, "--help")
        assert result.returncode == 0
        assert "Example" in result.stdout, f"{command} --help has no example"
        assert f"`mentionwatch {command}`" in manual, f"{command} is not documented in README.md or docs/"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    install_and_run, install_and_test = blocks[0], blocks[1]
    assert install_and_run.endswith("mentionwatch run") and "\n" not in install_and_run
    assert "pytest" in install_and_test and "\n" not in install_and_test
    assert readme.index(install_and_test) < readme.index("## ")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    # CI runs the same install and test, inside its own fresh virtualenv.
    assert "pip install -q -e '.[test]' && python -m pytest" in ci
    assert "pip install -q -e '.[test]' && .venv/bin/python -m pytest" in install_and_test


def test_usage_errors_exit_2_and_invalid_config_exits_1_before_touching_the_database(tmp_path):
    assert run_cli("mentions", "--format", "xml").returncode == 2
    assert run_cli("no-such-command").returncode == 2
    config = tmp_path / "config.yaml"
    config.write_text("database: sqlite:///never.db\nbusinesses: []\n", encoding="utf-8")
    for command in ("run", "check", "mentions"):
        result = run_cli(command, "--config", str(config))
        assert result.returncode == 1
        assert result.stderr.startswith(f"Error: {config}: businesses: List should have at least 1 item")
        assert result.stdout == ""
    assert not (tmp_path / "never.db").exists()


def test_missing_config_file_is_named(tmp_path):
    result = run_cli("run", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: config.yaml: no such file (pass --config PATH or set MENTIONWATCH_CONFIG)"
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text("businesses: 3\n")
    result = run_cli("check", cwd=tmp_path, env={"MENTIONWATCH_CONFIG": str(elsewhere)})
    assert result.returncode == 1 and "elsewhere.yaml: businesses" in result.stderr


def test_check_tests_the_slack_token_without_printing_it(web, slack, workspace):
    workspace.write_config(
        slack={"token": "${TOKEN}", "api_url": slack.api_url},
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])],
    )
    good = workspace.cli("check", env={"TOKEN": "xoxb-very-secret"})
    assert good.returncode == 0, good.stdout + good.stderr
    assert "slack: token works" in good.stdout
    assert "Joe's Donuts" in good.stdout and "never crawled" in good.stdout
    bad = workspace.cli("check", "-vv", env={"TOKEN": "not-a-token-secret"})
    assert bad.returncode == 1
    assert "invalid_auth" in bad.stdout
    for output in (good.stdout, good.stderr, bad.stdout, bad.stderr):
        assert "very-secret" not in output and "not-a-token-secret" not in output
    assert len(slack.calls("auth.test")) == 2


def test_a_slack_refusal_is_said_once_in_a_run(web, slack, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(slack={"token": "not-a-slack-token", "api_url": slack.api_url},
                           businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    result = workspace.cli("run")
    assert result.stderr.count("invalid_auth") == 1, result.stderr
    assert "ERROR" not in result.stderr  # the run's own line, not a log line beside it


def test_check_shows_the_last_error_of_a_failing_source(web, workspace):
    workspace.write_config(crawler={"retries": 0},
                           businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/gone.xml"}])])
    workspace.cli("run")
    result = workspace.cli("check")
    assert "failing for 1 run: HTTP 404 Not Found" in result.stdout
    # Nothing stored: `mentions` says it is the source's failure, not that no run was made.
    assert workspace.cli("mentions").stderr.strip() == (
        "No mentions stored yet: the source has not been crawled successfully (`mentionwatch check` shows why).")


def test_mentions_says_when_the_sources_were_read_but_named_nobody(web, workspace):
    web.add("/news.xml", "<?xml version='1.0'?><rss version='2.0'><channel><title>Town news</title>"
            "<item><title>New bike lane on Main Street</title><link>http://news.example/1</link></item>"
            "</channel></rss>", content_type="application/rss+xml")
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    assert workspace.cli("run").returncode == 0
    assert workspace.cli("mentions").stderr.strip() == (
        "No mentions stored yet: 1 of 1 sources crawled; nothing found there names the business so far.")


def test_mentions_formats_and_filters(web, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(alerts={"max_age_days": 36500},
                           businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    empty = workspace.cli("mentions")
    assert (empty.stdout, empty.stderr.strip()) == ("", "No mentions stored yet. Run `mentionwatch run` first.")
    workspace.cli("run")
    none_match = workspace.cli("mentions", "--urgent")
    assert (none_match.stdout, none_match.stderr.strip()) == ("", "No stored mention matches these options.")
    csv_out = workspace.cli("mentions", "--format", "csv", "--label", "negative").stdout.splitlines()
    assert csv_out[0].startswith("id,business,source_type,url,title,text,author,published_at")
    assert len(csv_out) == 2 and "charged them twice" in csv_out[1]
    table = workspace.cli("mentions").stdout
    assert "opens second shop" in table and "charged them twice" in table
    assert workspace.cli("mentions", "--since", "2026-11-23T09:00:00", "--format", "json").stdout.count("\n") == 1
    assert workspace.cli("mentions", "--business", "Nobody", "--format", "json").stdout == ""
    assert workspace.cli("mentions", "--since", "yesterday").returncode == 2


def test_demo_runs_offline_and_shows_the_alerts(tmp_path):
    result = run_cli("demo", cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("2. The news feed gains two entries")
    # First run: every source is new, one baseline summary names the negative it found.
    assert "Posted to the local Slack (1 message)" in first
    assert "Now watching 2 new sources for Joe's Donuts" in first and "waited 40 minutes" in first
    # Shown as Slack shows it: emoji, not their names, and each line of a block under its message.
    assert "🔴 1 negative, ⚪ 0 neutral, 🟢 2 positive" in first and not re.search(r":[a-z_]+:", result.stdout)
    assert re.search(r"\n {6}• 📰 \S+/news.xml: 1 mention \(0 negative\)\n {6}• 📰 \S+/blog.atom: 2 mentions", first)
    # Second run: the new complaint is alerted on its own, urgently; the new praise is not.
    assert "Posted to the local Slack (1 message)" in second
    assert "URGENT negative mention of Joe's Donuts" in second and "sick after eating" in second
    assert "award" not in second and "recipe" not in result.stdout


def test_demo_keep_leaves_a_config_check_accepts_and_points_at_init(tmp_path):
    kept = tmp_path / "kept"
    result = run_cli("demo", "--keep", str(kept), cwd=tmp_path, timeout=180)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("(then mentionwatch check --fetch and mentionwatch run).")
    assert "Now watch your own business: mentionwatch init writes a config.yaml for it" in result.stdout
    # The command to copy is on one line, however long the folder's path.
    assert f"See the stored mentions: mentionwatch mentions --config {kept / 'config.yaml'}" in result.stdout.splitlines()
    config = (kept / "config.yaml").read_text(encoding="utf-8")
    assert "127.0.0.1:" not in config.split("database:")[1]  # the demo's servers are gone; none is named
    check = run_cli("check", "--config", str(kept / "config.yaml"), cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    # The news search is no new address of the demo's local feeds: no `id:` with a port long gone.
    assert "looks like" not in check.stdout and "127.0.0.1" not in check.stdout
    mentions = run_cli("mentions", "--format", "json", "--config", str(kept / "config.yaml"), cwd=tmp_path)
    assert len(mentions.stdout.splitlines()) >= 4
    # The sample feeds it keeps can be served again over HTTP, as its comment says, and fetched.
    assert {p.name for p in (kept / "sample-feeds").iterdir()} == {"news.xml", "blog.atom"}
    assert f"--directory {kept / 'sample-feeds'}" in config
    with LocalHTTPServer(kept / "sample-feeds") as server:
        data = yaml.safe_load(config)
        data["businesses"][0]["sources"] = [{"type": "feed", "url": f"{server.url}/news.xml"}]
        (kept / "served.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        fetched = run_cli("check", "--fetch", "--config", str(kept / "served.yaml"), cwd=tmp_path)
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        assert re.search(r"ok fetch feed .*: \d+ items, [1-9]\d* name the business", fetched.stdout)


def test_demo_keep_never_overwrites_a_config_or_database_already_there(tmp_path):
    for name in ("config.yaml", "demo.db"):
        kept = tmp_path / name.replace(".", "-")
        kept.mkdir()
        (kept / name).write_text("# mine\n", encoding="utf-8")
        result = run_cli("demo", "--keep", str(kept), cwd=tmp_path, timeout=180)
        assert result.returncode == 1
        assert result.stderr == (f"Error: {kept / name} already exists; give --keep a folder without a "
                                 "config.yaml or demo.db (the demo writes both)\n")
        # Refused before anything is written: the owner's file is as it was, and alone.
        assert (kept / name).read_text(encoding="utf-8") == "# mine\n"
        assert [p.name for p in kept.iterdir()] == [name]


def test_a_run_that_finds_another_in_progress_skips_and_exits_0(workspace):
    from pipeline.lock import run_lock

    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/x.xml"}])])
    with run_lock(f"sqlite:///{workspace.database}"):
        result = workspace.cli("run")
    assert result.returncode == 0
    assert result.stdout.startswith("skipped: another mentionwatch run holds")
    assert not workspace.cli("run").stdout.startswith("skipped")  # the lock was released


def test_two_runs_started_at_once_never_double_post(slack, workspace):
    # A slow site keeps the first run busy while the second one starts.
    with LocalHTTPServer(latency=2.0) as slow_site:
        slow_site.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
        workspace.write_config(
            slack={"token": "xoxb-t", "api_url": slack.api_url}, alerts={"max_age_days": 36500},
            businesses=[business(sources=[{"type": "feed", "url": f"{slow_site.url}/news.xml"}])],
        )
        command = [str(MENTIONWATCH), "run", "--config", str(workspace.config)]
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0] for p in runs]
    assert [p.returncode for p in runs] == [0, 0]
    assert sum(out.startswith("skipped: another mentionwatch run holds") for out in outputs) == 1
    assert len(slack.posted) == 1


def test_check_shows_the_pace_kept_with_each_api_and_what_the_api_allows(workspace):
    workspace.write_config(businesses=[business(sources=[
        {"type": "hackernews", "query": "Joe's Donuts"},
        {"type": "feed", "url": "https://news.example/feed.xml"},
    ])])
    text = workspace.cli("check").stdout
    assert "pace: at most 9,000 requests an hour (one every 0.4 s); Algolia allows about 10,000 an hour" in text
    assert text.count("pace:") == 1  # a feed is paced per site, not by an API's budget
    rows = json.loads(workspace.cli("check", "--format", "json").stdout)["sources"]
    assert [row["pace"] is not None for row in rows] == [True, False]
