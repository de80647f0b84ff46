"""SIGINT and SIGTERM sent to a real `mentionwatch serve --schedule` while its scheduled run waits
on a slow feed.

Ctrl-C at a terminal signals the whole process group (the server and its run's child); `kill PID`
or a supervisor signals the server alone. Either way the run is stopped as `mentionwatch run`
stops, the server exits 130 / 143 within seconds with one line saying what was kept, nothing is
alerted after that line, and the next run stores and alerts what was pending exactly once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time

import pytest

from tests.conftest import MENTIONWATCH
from tests.test_signals import sigint_as_from_a_terminal, slow_setup, wait_until  # noqa: F401 (fixtures)
from tests.web.conftest import free_port


def start_serve(workspace, env) -> subprocess.Popen[str]:
    # A session of its own: its process group is what a terminal's Ctrl-C signals.
    return subprocess.Popen([str(MENTIONWATCH), "serve", "--config", str(workspace.config), "--port",
                             str(free_port()), "--schedule", "60m"], cwd=workspace.folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.mark.parametrize(("signum", "to_group", "code"), [
    (signal.SIGINT, True, 130),    # Ctrl-C at a terminal
    (signal.SIGTERM, True, 143),   # systemd's KillMode=control-group
    (signal.SIGTERM, False, 143),  # kill PID, a supervisor that signals the main process
    (signal.SIGINT, False, 130),
], ids=["SIGINT-group", "SIGTERM-group", "SIGTERM-pid", "SIGINT-pid"])
def test_a_signal_stops_the_scheduled_run_within_seconds_in_one_line_and_the_next_run_alerts_once(
        web, slack, workspace, slow_setup, signum, to_group, code):  # noqa: F811
    env = slow_setup
    serve = start_serve(workspace, env)
    try:
        # The scheduled run has read the fast feed and waits on the slow one (ten minutes).
        wait_until(lambda: web.requests_for("/news.xml") and web.arrived("/slow.xml"), timeout=60)
        time.sleep(1)  # time for the fast feed's items to reach the pipeline
        signalled = time.monotonic()
        if to_group:
            os.killpg(serve.pid, signum)
        else:
            serve.send_signal(signum)
        out, err = serve.communicate(timeout=60)
        took = time.monotonic() - signalled
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.communicate()

    assert serve.returncode == code, err
    assert took < 8, f"took {took:.1f} s to stop\n{err}"
    assert "Traceback" not in err and "ERROR" not in err and "BrokenProcessPool" not in err, err
    lines = err.strip().splitlines()
    assert [line for line in lines if line.startswith("stopped")] == [lines[-1]], err
    assert lines[-1] == (
        f"stopped by {signum.name}: the scheduled run kept 2 new mentions (4 items fetched); 1 source finished, "
        "1 did not and will be crawled again; 1 alert waits for the next run"
    ), err
    assert "scheduled run:" not in err  # the stopped run is said in the stop line alone
    assert out == ""
    assert slack.calls("chat.postMessage") == []  # nothing sent after (or before) it said it stopped
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select status from runs").fetchall() == [("interrupted",)]
        assert db.execute("select count(*) from mentions").fetchone() == (2,)

    # The next run crawls the interrupted source again and sends what the stopped one planned,
    # then the new source's baseline; the one after sends nothing again.
    again = workspace.cli("run", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        "2 sources ok, 0 failed; 1 item fetched, 1 new mention (1 negative); 0 alerts sent, "
        "2 baseline summaries sent, 0 pending"
    )
    texts = [call.args["text"] for call in slack.calls("chat.postMessage")]
    assert texts[0] == "Now watching 1 new source for Joe's Donuts: 2 mentions, 1 negative"
    assert texts[1].startswith("Now watching 1 new source for Joe's Donuts: 1 mention")
    assert len(texts) == 2
    assert workspace.cli("run", env=env).returncode == 0
    assert len(slack.calls("chat.postMessage")) == 2  # nothing alerted twice


def test_a_second_signal_ends_serve_and_its_run_at_once_and_the_next_run_alerts_once(
        web, slack, workspace, slow_setup):  # noqa: F811
    env = slow_setup
    serve = start_serve(workspace, env)
    try:
        wait_until(lambda: web.requests_for("/news.xml") and web.arrived("/slow.xml"), timeout=60)
        time.sleep(1)
        signalled = time.monotonic()
        serve.send_signal(signal.SIGTERM)
        time.sleep(0.1)  # the first stop is under way: the run stores what it judged
        serve.send_signal(signal.SIGTERM)
        _, err = serve.communicate(timeout=60)
        took = time.monotonic() - signalled
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.communicate()

    assert serve.returncode == 143, err
    assert took < 8, f"took {took:.1f} s to stop\n{err}"
    assert "Traceback" not in err and "ERROR" not in err, err
    lines = err.strip().splitlines()
    # At once, or (on a fast machine) the first stop had ended: either way one line.
    assert [line for line in lines if line.startswith("stopped")] == [lines[-1]], err
    assert lines[-1].startswith(("stopped at once by a second SIGTERM", "stopped by SIGTERM: the scheduled run kept"))
    assert slack.calls("chat.postMessage") == []
    # Nothing half-written: whatever the run's process had stored, the next run sends it once.
    def next_run_not_skipped():  # the killed run's pipeline process lets go of the lock within seconds
        result = workspace.cli("run", env=env)
        assert result.returncode == 0, result.stderr
        return not result.stdout.startswith("skipped")

    wait_until(next_run_not_skipped, timeout=15)
    sent = len(slack.calls("chat.postMessage"))
    assert sent >= 1
    assert workspace.cli("run", env=env).returncode == 0
    assert len(slack.calls("chat.postMessage")) == sent  # nothing alerted twice
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*), count(distinct canonical_url) from mentions").fetchone() == (3, 3)
