"""Help that reads well, and every documented example runs as written (issue 13 item 4).

The examples are read from where a user reads them: the "Example(s):" section of every command's
--help, and the `mentionwatch` lines of the sh code blocks of README.md and of every page of the
manual (docs/*.md, the MkDocs site), each distinct line once. Each runs in a fresh copy of
a folder that looks like a fresh install after `init` and a first run: a config.yaml (a feed on
a local web server, a Google Business Profile location on a local Google, Slack a local
Slack-compatible server, tokens in the environment), its database with 45 stored mentions (41
from the feed, then 4 Google reviews: mention 42 is a Google review, as the `reply` examples
assume) and a web inbox user. `init` examples run in an empty folder, as on day one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import click
import pytest
import yaml

from mentionwatch.cli import cli
from mentionwatch.sandbox.google import LocalGoogleServer
from mentionwatch.sandbox.slack import LocalSlackServer
from mentionwatch.sandbox.web import LocalHTTPServer
from tests.conftest import MENTIONWATCH, run_cli

REPO = Path(__file__).resolve().parents[1]
COMMANDS = sorted(cli.commands)
# Commands that wait (serve and listen until stopped, connect for the person's consent in the
# browser): their examples must still be running after a few seconds.
LONG_RUNNING = {"serve", "listen", "web", "connect"}
# Answers for an example of `init` that asks: the business's name, then every default.
INIT_ANSWERS = "Joe's Donuts\n" + "\n" * 10
# A web inbox password, typed twice by `user add`.
PASSWORD = "correct horse battery"
LOCATION = "accounts/111/locations/222"
# (review id, stars, text, reviewer): what the local Google holds before each example.
REVIEWS = [("r1", 1, "Cold coffee and a rude cashier at Joe's Donuts.", "Ann Lee"),
           ("r2", 5, "Best crullers in town.", "Bo Chen"),
           ("r3", 2, "Waited 20 minutes for a donut.", "Cy Diaz"),
           ("r4", 4, "Friendly staff, good coffee.", "Di Evans")]


def help_text(*words: str) -> str:
    """What `mentionwatch WORDS --help` prints (read in-process: this runs at collection)."""
    with click.Context(cli, info_name="mentionwatch") as context:
        command: click.Command = cli
        for word in words:
            command = command.commands[word]  # type: ignore[attr-defined]
            context = click.Context(command, info_name=word, parent=context)
        return command.get_help(context)


def help_examples() -> list[tuple[str, str]]:
    """(command, example line) for every example in every command's --help, subcommands included."""
    found = []
    for command in COMMANDS:
        for words in runnable(command) + ([[command]] if len(runnable(command)[0]) > 1 else []):
            text = help_text(*words)
            section = re.search(r"^\s*Examples?:\n((?:\s{4,}\S.*\n?)+)", text, re.M)
            assert section, f"`mentionwatch {' '.join(words)} --help` has no Example section"
            found += [(command, line.strip()) for line in section.group(1).splitlines() if line.strip()]
    return list(dict.fromkeys(found))


def runnable(command: str) -> list[list[str]]:
    """The command's words, or for a group (connect, user) each of its subcommands'."""
    found = cli.commands[command]
    if isinstance(found, click.Group):
        return [[command, name] for name in sorted(found.commands)]
    return [[command]]


def sh_examples(page: Path) -> list[tuple[str, str]]:
    """(command, line) for every line of the page's sh blocks that runs mentionwatch.

    The install lines (a virtualenv, pip) are CI's to run; this runs what comes after them.
    """
    text = page.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.splitlines():
            match = re.match(r"(?:\.venv/bin/)?mentionwatch (\S+)", line)
            if match:
                found.append((match.group(1), line.strip()))
    return found


def readme_examples() -> list[tuple[str, str]]:
    """The examples of README.md, the front door."""
    return sh_examples(REPO / "README.md")


# The manual's pages: docs/*.md, the MkDocs site (mkdocs.yml).
MANUAL = sorted((REPO / "docs").glob("*.md"))


def documented_examples() -> list[tuple[str, str]]:
    """The examples of README.md and of every page of the manual, each distinct line once (the
    first ten minutes are both on the front door and on the site's home page)."""
    return list(dict.fromkeys(readme_examples() + [e for page in MANUAL for e in sh_examples(page)]))


# Examples whose whole job is to ask a service beyond this machine: tests/platforms runs them
# against the local Google with their address options.
NEEDS_THE_INTERNET = {"mentionwatch connect google --list": "asks Google's Account Management API"}
# Examples for workers on PostgreSQL (this workspace is SQLite): tests/test_worker.py runs them
# against a throwaway PostgreSQL.
NEEDS_POSTGRESQL = {"mentionwatch worker --concurrency 4", "mentionwatch run --queue", "mentionwatch worker --burst"}
EXAMPLES = [(c, e) for c, e in help_examples() + documented_examples()
            if e not in NEEDS_THE_INTERNET and e not in NEEDS_POSTGRESQL]


def feed_with(count: int) -> str:
    """An RSS feed of `count` recent entries naming the business, a few of them complaints."""
    now = datetime.now(timezone.utc)
    items = []
    for n in range(count):
        mood = "The coffee was cold and the staff were rude" if n % 5 == 0 else "Lovely glaze and friendly staff"
        items.append(
            f"<item><title>Visit {n} to Joe's Donuts</title><link>http://news.example/{n}</link>"
            f"<description>{mood} at Joe's Donuts (visit {n}).</description>"
            f"<pubDate>{format_datetime(now - timedelta(hours=count - n))}</pubDate></item>")
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>http://news.example/</link>'
            f"<description>x</description>{''.join(items)}</channel></rss>")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[LocalHTTPServer, LocalSlackServer, LocalGoogleServer]]:
    with LocalHTTPServer() as web, LocalSlackServer() as slack, LocalGoogleServer() as google:
        web.add("/news.xml", feed_with(41), content_type="application/rss+xml")
        google.add_location("111", "222", "Joe's Donuts – Main St")
        yield web, slack, google


def fresh_reviews(google: LocalGoogleServer) -> None:
    """The REVIEWS, without replies: each example finds Google as the first run left it."""
    now = datetime.now(timezone.utc)
    for n, (review_id, stars, text, reviewer) in enumerate(REVIEWS):
        google.add_review(LOCATION, review_id, stars=stars, comment=text, reviewer=reviewer,
                          created=now - timedelta(hours=len(REVIEWS) - n))


@pytest.fixture(scope="module")
def env(servers) -> dict[str, str]:
    """The environment of an owner who set up Slack and Google: tokens and the secret key."""
    from cryptography.fernet import Fernet

    google = servers[2]
    # BROWSER: `connect google` opens no real browser here (none may reach beyond 127.0.0.1).
    return {"SLACK_BOT_TOKEN": "xoxb-example-token", "GOOGLE_CLIENT_ID": google.client_id,
            "GOOGLE_CLIENT_SECRET": google.client_secret, "GOOGLE_REFRESH_TOKEN": google.grant(),
            "MENTIONWATCH_SECRET_KEY": Fernet.generate_key().decode(), "BROWSER": "true",
            "PASSWORD": PASSWORD}  # what the `user add --password-stdin` example pipes


@pytest.fixture(scope="module")
def installed(servers, env, tmp_path_factory) -> Path:
    """A folder as after `init` and a first run, with `.venv/bin/mentionwatch` as README writes it."""
    web, slack, google = servers
    folder = tmp_path_factory.mktemp("installed")
    joes = {"name": "Joe's Donuts", "keywords": ["Joe's Donuts"],
            "sources": [{"type": "feed", "url": f"{web.url}/news.xml"}],
            "replies": [{"text": "Thank you, {first_name}. We would like to put this right: ask for Joe."}]}
    config = {
        "database": "sqlite:///mentionwatch.db",
        "slack": {"token": "${SLACK_BOT_TOKEN:-}", "channel": "#reviews", "api_url": slack.api_url},
        "alerts": {"max_age_days": 36500},
        "crawler": {"autothrottle": False},
        "businesses": [joes],
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (folder / ".venv" / "bin").mkdir(parents=True)
    (folder / ".venv" / "bin" / "mentionwatch").symlink_to(MENTIONWATCH)
    (folder / "answer.txt").write_text("Thank you for telling us. Joe will call you today.\n", encoding="utf-8")
    first = run_cli("run", cwd=folder, env=env)
    assert first.returncode == 0, first.stderr
    # The Google location added later: its reviews are stored after the feed's 41 mentions.
    fresh_reviews(google)
    joes["sources"].append({"type": "google_business", "location": LOCATION, "url": google.api_url,
                            "token_url": google.token_url})
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    second = run_cli("run", cwd=folder, env=env)
    assert second.returncode == 0, second.stderr
    mentions = [json.loads(line) for line in run_cli("mentions", "--format", "json", cwd=folder, env=env).stdout.splitlines()]
    assert len(mentions) == 45
    assert {m["id"]: m["source_type"] for m in mentions}[42] == "google_business"
    added = run_cli("user", "add", "dana", "--password-stdin", cwd=folder, input=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    return folder


def test_every_command_and_readme_has_examples():
    assert {command for command, _ in help_examples()} == set(COMMANDS)
    assert set(NEEDS_THE_INTERNET) <= {example for _, example in help_examples()}
    assert {"init", "check", "run", "cron"} <= {command for command, _ in readme_examples()}
    # The manual's pages are read too: the web inbox's and cron's examples are only there.
    assert {page.name for page in MANUAL} >= {"index.md", "web.md", "operations.md"}
    assert {"user", "serve"} <= {command for page in MANUAL for command, _ in sh_examples(page)}
    assert set(readme_examples()) < set(documented_examples())


@pytest.mark.parametrize(("command", "example"), EXAMPLES, ids=[f"{c}: {e}" for c, e in EXAMPLES])
def test_every_documented_example_runs_as_written(installed, servers, env, tmp_path, command, example):
    folder = tmp_path / "here"
    shutil.copytree(installed, folder, symlinks=True)
    fresh_reviews(servers[2])
    answers = None
    if command == "init":
        (folder / "config.yaml").unlink()  # as on day one
        answers = INIT_ANSWERS if "--no-input" not in example else ""
    elif command == "user":
        answers = f"{PASSWORD}\n{PASSWORD}\n"
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("MENTIONWATCH_", "SLACK_", "REDDIT_", "MASTODON_", "BLUESKY_", "GOOGLE_"))}
    environment.update(env)
    environment["PATH"] = f"{MENTIONWATCH.parent}{os.pathsep}{environment.get('PATH', '')}"
    if command in LONG_RUNNING:
        # Servers listen on free ports, not their documented ones (8787, 8080, ...): an owner's own
        # `serve` on this machine, or another test worker, may hold those.
        example = on_free_ports(example, folder / "config.yaml")

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(["bash", "-c", example], cwd=folder, env=environment, text=True,
                                start_new_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)

    if command in LONG_RUNNING:
        run_until_stopped(start(), example, answers)
        return
    process = start()
    try:
        out, err = process.communicate(answers, timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"`{example}` did not finish")
    assert process.returncode == 0, f"`{example}` exited {process.returncode}:\n{out}\n{err}"
    assert "Traceback" not in err


def on_free_ports(example: str, config: Path) -> str:
    """The example with each port it names (--port N, --http N) replaced by a free one, and the
    config's web.port (what a plain `serve` binds) set to a free one too."""
    if config.exists():
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data.setdefault("web", {})["port"] = free_port()
        config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return re.sub(r"(--port|--http)(\s+|=)\d+", lambda m: f"{m.group(1)}{m.group(2)}{free_port()}", example)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_until_stopped(process: subprocess.Popen[str], example: str, answers: str | None) -> None:
    """A server (or `connect`, waiting for consent) must still be running after 5 s; then stopped."""
    if answers:
        process.stdin.write(answers)  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
    try:
        process.wait(timeout=5)  # stdin stays open: `connect` may be waiting on it
    except subprocess.TimeoutExpired:
        pass
    else:
        out, err = process.communicate()
        pytest.fail(f"`{example}` ended within 5 s (exit {process.returncode}):\n{out}\n{err}")
    os.killpg(process.pid, signal.SIGTERM)
    process.communicate(timeout=30)


def test_the_top_level_help_gives_each_command_a_whole_one_line_description():
    listed = run_cli("--help").stdout
    rows = listed.split("Commands:\n", 1)[1].splitlines()
    assert [row.split()[0] for row in rows] == COMMANDS  # one line each: no wrapped continuation lines
    for row, command in zip(rows, COMMANDS):
        description = row.split(None, 1)[1]
        assert not description.endswith("...") and description.endswith((".", ")"))
        assert description == cli.commands[command].get_short_help_str(limit=1000)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_takes_v_and_vv(command):
    for words in runnable(command):
        for flag in ("-v", "-vv"):
            result = run_cli(*words, flag, "--help")
            assert result.returncode == 0, result.stderr
        assert "-v, --verbose" in run_cli(*words, "--help").stdout


def test_the_eval_sample_is_shipped_with_the_package_and_scored(tmp_path):
    result = run_cli("eval", "--sample", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"count": 30' in result.stdout
