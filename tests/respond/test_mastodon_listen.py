"""`mentionwatch listen` with `streams: mastodon:` holds each instance's stream: a status naming a
business is alerted while the listener runs; what is posted while it is down is read after the
restart, once; an instance that refuses streaming is said once and its sources stay polled."""

from __future__ import annotations

import json
import sqlite3

from mentionwatch.sandbox.mastodon import LocalMastodon
from mentionwatch.sandbox.slack import LocalSlackServer
from tests.conftest import Workspace
from tests.respond.test_slack_buttons import eventually
from tests.respond.test_slack_listen import SECRET, Listener

TOKEN = "local-mastodon-token"


def configure(workspace: Workspace, slack: LocalSlackServer, mastodon: LocalMastodon) -> None:
    workspace.write_config(
        slack={"token": "xoxb-test-token", "api_url": slack.api_url, "channel": "#reviews"},
        businesses=[{"name": "Joe's Donuts", "keywords": ["Joe's Donuts"],
                     "sources": [{"type": "mastodon", "instance": mastodon.url, "tag": "JoesDonuts"}]},
                    {"name": "Acme Bakery", "keywords": ["Acme Bakery"],
                     "sources": [{"type": "mastodon", "instance": mastodon.url, "tag": "AcmeBakery"}]}],
        streams={"mastodon": {"instances": [mastodon.url]}},
    )


def alerts_naming(slack: LocalSlackServer, words: str) -> list[dict]:
    return [p for p in list(slack.posted) if words in json.dumps(p)]


def test_a_status_is_alerted_as_it_happens_and_a_restart_reads_what_was_missed_once(
        workspace: Workspace, slack: LocalSlackServer):
    env = {"SLACK_SIGNING_SECRET": SECRET, "MASTODON_TOKEN": TOKEN}
    with LocalMastodon(token=TOKEN) as mastodon:
        configure(workspace, slack, mastodon)
        listener = Listener(workspace, "--http", "0", env=env)
        try:
            listener.wait_line(r"reading Mastodon's streaming API \(1 instance\) as it happens")
            eventually(lambda: mastodon.connections, 30, "the stream connection")
            mastodon.post("Nothing about any shop today")
            mastodon.post("Joe's Donuts charged me twice and the manager was rude. Never again.")
            eventually(lambda: alerts_naming(slack, "charged me twice"), 60, "the alert in Slack")
        finally:
            assert listener.stop() == 0
        # SIGTERM ended the stream from the listener's side (not a connection left to time out).
        eventually(lambda: mastodon.connections[0].closed_by_client, 10, "the stream's close")
        # Posted while no listener runs: read from the timeline when it starts again.
        mastodon.post("Acme Bakery sold me stale bread and refused a refund, awful.")
        listener = Listener(workspace, "--http", "0", env=env)
        try:
            eventually(lambda: alerts_naming(slack, "stale bread"), 60, "the missed status's alert")
            mastodon.post("Acme Bakery's owner was rude to my kids, terrible.")
            eventually(lambda: alerts_naming(slack, "rude to my kids"), 60, "a live status after the restart")
        finally:
            assert listener.stop() == 0
        catch_up = [r for r in mastodon.requests if r.startswith("/api/v1/timelines/public?min_id=")]

    assert len(alerts_naming(slack, "charged me twice")) == 1
    assert len(alerts_naming(slack, "stale bread")) == 1  # read by the timeline, not again by the stream
    assert catch_up
    assert all("Acme Bakery" not in json.dumps(p) for p in alerts_naming(slack, "charged me twice"))
    with sqlite3.connect(workspace.database) as db:
        names = sorted(db.execute("select b.name from mentions m join businesses b on b.id = m.business_id"))
        (cursor,) = db.execute("select cursor from stream_cursors where network = 'mastodon'").fetchone()
    assert names == [("Acme Bakery",), ("Acme Bakery",), ("Joe's Donuts",)]
    assert json.loads(cursor)[mastodon.url.removeprefix("http://")]["id"] == mastodon.statuses[-1]["id"]


def test_an_instance_that_refuses_streaming_is_said_once_and_polled(workspace: Workspace, slack: LocalSlackServer):
    with LocalMastodon(closed=True) as mastodon:
        configure(workspace, slack, mastodon)
        listener = Listener(workspace, "--http", "0", env={"SLACK_SIGNING_SECRET": SECRET})
        try:
            listener.wait_line("refuses streaming")
        finally:
            assert listener.stop() == 0
        mastodon.post("Joe's Donuts: the queue is out the door #JoesDonuts", tags=("JoesDonuts",))
        checked = workspace.cli("check")
        ran = workspace.cli("run")
        streams = [r for r in mastodon.requests if r.startswith("/api/v1/streaming/public")]
        # The instance opens its stream: the next listener streams it and `check` stops saying it refuses.
        mastodon.closed = False
        reopened = Listener(workspace, "--http", "0", env={"SLACK_SIGNING_SECRET": SECRET})
        try:
            eventually(lambda: mastodon.connections, 30, "the stream connection")
            eventually(lambda: "refuses streaming" not in workspace.cli("check").stdout, 30, "check without the refusal")
        finally:
            assert reopened.stop() == 0

    host = mastodon.url.removeprefix("http://")
    refusals = [line for line in listener.lines if "refuses streaming" in line]
    assert len(refusals) == 1 and "401 Missing access token" in refusals[0]
    assert len(streams) == 1  # asked once, not in a loop
    assert f"Mastodon {host} refuses streaming (streaming: 401 Missing access token); its sources are polled" \
        in checked.stdout
    assert ran.returncode == 0, ran.stderr
    assert "/api/v1/timelines/tag/JoesDonuts?limit=40" in mastodon.requests  # polled as without streams:
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*) from mentions").fetchone() == (1,)
