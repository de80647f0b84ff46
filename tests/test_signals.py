"""SIGINT, SIGTERM and kill -9 sent to a real `mentionwatch run` while one source is slow.

One signal stops the run within seconds, keeps what was judged, records the slow source as
interrupted (its validators not advanced) and exits 130 / 143; the next run finishes the job
and alerts nothing twice. kill -9 at any moment is recovered by the next run the same way.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from mentionwatch.sandbox.web import Response
from tests.conftest import MENTIONWATCH, business, feed_fixture

ALERTS = {"threshold": -0.05, "max_age_days": 36500}
SLOW_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Slow Gazette</title><link>https://slow.example.com/</link>
<item><title>Joe's Donuts served me a stale, awful donut</title>
<link>https://slow.example.com/stale</link><guid>s-1</guid>
<pubDate>Tue, 24 Nov 2026 08:00:00 GMT</pubDate>
<description>Rude staff and a terrible, stale donut at Joe's Donuts.</description></item>
</channel></rss>"""


@pytest.fixture(autouse=True)
def sigint_as_from_a_terminal():
    """Ctrl-C in a terminal: the processes these tests start get SIGINT's default disposition.

    A shell without job control starts its background jobs with SIGINT ignored, and every child
    inherits that (the tool then rightly ignores a SIGINT, as Python does). So that the suite
    tests a terminal's Ctrl-C however it was started, the handler here is Python's own, which
    exec resets to the default in the children.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def start_run(workspace, env):
    command = [str(MENTIONWATCH), "run", "--config", str(workspace.config)]
    return subprocess.Popen(command, cwd=workspace.folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def clean_env(slack_token: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MENTIONWATCH_", "SLACK_"))}
    env["TEST_SLACK_TOKEN"] = slack_token
    return env


def wait_until(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def slow_setup(web, slack, workspace):
    """Two feeds: news.xml answers at once, slow.xml only after ten minutes (the first time)."""
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    web.add("/slow.xml", SLOW_FEED, content_type="application/rss+xml")
    web.script("/slow.xml", Response(body=SLOW_FEED, headers={"Content-Type": "application/rss+xml"}, delay=600))
    workspace.write_config(
        slack={"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url},
        alerts=ALERTS,
        businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"},
                                      {"type": "feed", "url": f"{web.url}/slow.xml"}])],
    )
    return clean_env("xoxb-test-token")


def sources_state(workspace) -> dict[str, tuple]:
    with sqlite3.connect(workspace.database) as db:
        return {url.rsplit("/", 1)[1]: (last_success, json.loads(validators or "{}"))
                for url, last_success, validators in db.execute(
                    "select identity, last_success_at, http_validators from sources")}


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_one_signal_stops_a_slow_run_keeps_what_was_judged_and_the_next_run_finishes(
        web, slack, workspace, slow_setup, signum, code):
    env = slow_setup
    run = start_run(workspace, env)
    # The fast feed is answered and the slow one is being waited for.
    wait_until(lambda: web.requests_for("/news.xml") and web.arrived("/slow.xml"))
    time.sleep(1)  # time for the fast feed's items to reach the pipeline
    run.send_signal(signum)
    # It ends without the ten minutes the slow feed would take (no time is asserted: the machine
    # may be busy; a run that waited would run into this timeout instead).
    out, err = run.communicate(timeout=180)

    assert run.returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        f"interrupted by {signum.name}: kept 2 new mentions (4 items fetched); 1 source finished, "
        "1 did not and will be crawled again; 1 alert waits for the next run"
    )
    assert out == ""
    assert slack.calls("chat.postMessage") == []  # nothing sent by an interrupted run

    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select status, finished_at is not null from runs").fetchall() == [("interrupted", 1)]
        by_url = dict(db.execute(
            "select s.identity, r.ok || ':' || coalesce(r.error, '') "
            "from source_runs r join sources s on s.id = r.source_id"))
        assert by_url == {f"feed:{web.url}/news.xml": "1:", f"feed:{web.url}/slow.xml": "0:interrupted before it finished"}
        assert db.execute("select count(*) from mentions").fetchone() == (2,)
        assert db.execute("select consecutive_failures from sources").fetchall() == [(0,), (0,)]
    state = sources_state(workspace)
    assert state["news.xml"][0] is not None and state["news.xml"][1]  # read to its end: validators kept
    assert state["slow.xml"] == (None, {})  # interrupted: nothing advanced

    # The next run (the slow feed answers at once now) crawls the interrupted source again,
    # sends the finished source's baseline planned by the interrupted run, then the new one's.
    again = workspace.cli("run", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        "2 sources ok, 0 failed; 1 item fetched, 1 new mention (1 negative); 0 alerts sent, "
        "2 baseline summaries sent, 0 pending"
    )
    texts = [call.args["text"] for call in slack.calls("chat.postMessage")]
    assert len(texts) == 2
    assert texts[0] == "Now watching 1 new source for Joe's Donuts: 2 mentions, 1 negative"
    assert texts[1].startswith("Now watching 1 new source for Joe's Donuts: 1 mention")
    third = workspace.cli("run", env=env)
    assert third.returncode == 0, third.stderr
    assert len(slack.calls("chat.postMessage")) == 2  # nothing alerted twice


def test_kill_9_during_a_crawl_loses_nothing_and_alerts_nothing_twice(web, slack, workspace, slow_setup):
    env = slow_setup
    run = start_run(workspace, env)
    wait_until(lambda: web.requests_for("/news.xml") and web.arrived("/slow.xml"))
    time.sleep(1)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    with sqlite3.connect(workspace.database) as db:
        # The killed run says so: never finished, never ok.
        assert db.execute("select status, finished_at from runs").fetchall() == [("running", None)]
    assert sources_state(workspace) == {"news.xml": (None, {}), "slow.xml": (None, {})}

    # Its pipeline worker notices its parent is gone and lets go of the run lock within seconds.
    def next_run_not_skipped():
        result = workspace.cli("run", env=env)
        assert result.returncode == 0, result.stderr
        return not result.stdout.startswith("skipped")

    wait_until(next_run_not_skipped, timeout=15)
    texts = [call.args["text"] for call in slack.calls("chat.postMessage")]
    assert texts == ["Now watching 2 new sources for Joe's Donuts: 3 mentions, 2 negative"]
    assert workspace.cli("run", env=env).returncode == 0
    assert len(slack.calls("chat.postMessage")) == 1
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*), count(distinct canonical_url) from mentions").fetchone() == (3, 3)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("after", [0.2, 0.4, 0.7])
def test_a_signal_while_the_tool_is_still_starting_is_one_line_and_the_shell_s_code(
        slow_setup, workspace, signum, code, after):
    process = start_run(workspace, slow_setup)
    time.sleep(after)  # loading Python, the config, the database: before the run takes signals over
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)

    assert process.returncode == code, err
    assert "Traceback" not in err and "Aborted" not in err
    (line,) = err.strip().splitlines()
    name = signal.Signals(signum).name
    # Stopped in its start-up, or (on a fast machine) in its crawl: either way, said in one line.
    assert line.startswith((f"stopped by {name}: nothing half-written", f"interrupted by {name}: kept")), line
    if workspace.database.exists():  # nothing half-written: no run left "running"
        with sqlite3.connect(workspace.database) as db:
            tables = {name for (name,) in db.execute("select name from sqlite_master where type = 'table'")}
            if "runs" in tables:
                assert db.execute("select count(*) from runs where status = 'running'").fetchone() == (0,)


def run_entry_after(setup: str, command: list[str], workspace, env) -> subprocess.Popen:
    """The console script's main() with `command`, after `setup` (Python run once the stop
    signals are taken, as the console script takes them first)."""
    script = (
        "import os, signal, sys\n"
        "from mentionwatch.stop import take_stop_signals\n"
        "take_stop_signals()\n"
        f"{setup}\n"
        "from mentionwatch.entry import main\n"
        f"sys.argv = ['mentionwatch', *{command!r}, '--config', {str(workspace.config)!r}]\n"
        "main()\n"
    )
    return subprocess.Popen([sys.executable, "-c", script], cwd=workspace.folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# `run` would wait on slow.xml; `cron` would crawl every few minutes for ever.
@pytest.mark.parametrize("command", [["run"], ["cron"]])
def test_a_signal_python_dropped_while_loading_still_stops_the_command_in_one_line(
        slow_setup, workspace, web, command):
    # Python drops an exception raised inside the import system's clean-up callbacks (and prints
    # "Exception ignored in ..." with a traceback); a stop that lands there must not be lost nor
    # be told as a traceback. Here the signal comes inside a weakref callback, where Python drops
    # the exception the same way.
    setup = (
        "import weakref\n"
        "class Loaded: pass\n"
        "thing = Loaded()\n"
        "ref = weakref.ref(thing, lambda _: os.kill(os.getpid(), signal.SIGTERM))\n"
        "del thing"
    )
    process = run_entry_after(setup, command, workspace, slow_setup)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 143, err
    (line,) = err.strip().splitlines()
    assert line.startswith("stopped by SIGTERM: nothing half-written"), err
    assert not web.requests_for("/news.xml")  # it never started


def test_a_signal_a_library_turned_into_its_own_error_still_stops_the_run_in_one_line(
        slow_setup, workspace, web):
    # A library that calls back into Python turns the stop raised there into an error of its own
    # (CI saw pydantic-core's "SchemaError: ... Stopped: 2" from a SIGINT while it built the
    # settings' validator). Here the stop lands in a Python function SQLite runs while the
    # settings load, and sqlite3 reports "user-defined function raised exception".
    setup = (
        "import sqlite3\n"
        "import mentionwatch.config\n"
        "load_settings = mentionwatch.config.load_settings\n"
        "db = sqlite3.connect(':memory:')\n"
        "db.create_function('stop_here', 0, lambda: os.kill(os.getpid(), signal.SIGINT))\n"
        "def loading_settings(path, **options):\n"
        "    db.execute('select stop_here()')\n"
        "    return load_settings(path, **options)\n"
        "mentionwatch.config.load_settings = loading_settings"
    )
    process = run_entry_after(setup, ["run"], workspace, slow_setup)
    _, err = process.communicate(timeout=60)

    assert process.returncode == 130, err
    (line,) = err.strip().splitlines()
    assert line.startswith("stopped by SIGINT: nothing half-written"), err
    assert not web.requests_for("/news.xml")
