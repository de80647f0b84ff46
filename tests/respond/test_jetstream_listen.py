"""`mentionwatch listen` with `streams: bluesky:` holds Jetstream: a post naming a business is
alerted in Slack while the listener runs, and SIGTERM closes the WebSocket and keeps the cursor."""

from __future__ import annotations

import json
import sqlite3

import pytest

from mentionwatch.sandbox.jetstream import LocalJetstream
from mentionwatch.sandbox.slack import LocalSlackServer
from tests.conftest import Workspace
from tests.respond.test_slack_buttons import eventually
from tests.respond.test_slack_listen import SECRET, Listener


@pytest.fixture
def jetstream():
    with LocalJetstream() as server:
        yield server


def test_a_bluesky_post_is_alerted_as_it_happens_and_sigterm_closes_the_stream(workspace: Workspace, slack: LocalSlackServer,
                                                                              jetstream: LocalJetstream):
    workspace.write_config(
        slack={"token": "xoxb-test-token", "api_url": slack.api_url, "channel": "#reviews"},
        businesses=[{"name": "Joe's Donuts", "keywords": ["Joe's Donuts"],
                     "sources": [{"type": "bluesky", "query": "Joe's Donuts"}]},
                    {"name": "Acme Bakery", "keywords": ["Acme Bakery"],
                     "sources": [{"type": "bluesky", "query": "Acme Bakery"}]}],
        streams={"bluesky": {"jetstream": jetstream.url}},
    )
    listener = Listener(workspace, "--http", "0", env={"SLACK_SIGNING_SECRET": SECRET})
    try:
        listener.wait_line("reading Bluesky's Jetstream as it happens")
        eventually(lambda: jetstream.connections, 30, "the Jetstream connection")
        jetstream.post("Nothing about any shop today")
        last = jetstream.post("Joe's Donuts charged me twice and the manager was rude. Never again.")

        alert = eventually(lambda: next((p for p in slack.posted if "charged me twice" in json.dumps(p)), None),
                           60, "the alert in Slack")
    finally:
        code = listener.stop()

    assert code == 0
    assert "Acme Bakery" not in json.dumps(alert)
    assert eventually(lambda: jetstream.connections[0].close_code, 10, "the close") == 1000
    with sqlite3.connect(workspace.database) as db:
        (cursor,) = db.execute("select cursor from stream_cursors where network = 'bluesky'").fetchone()
        names = db.execute("select b.name from mentions m join businesses b on b.id = m.business_id").fetchall()
    assert json.loads(cursor) == {"time_us": last}
    assert names == [("Joe's Donuts",)]


def test_check_names_a_jetstream_that_keeps_failing(workspace: Workspace, slack: LocalSlackServer):
    """Nothing answers at the Jetstream address: `listen` backs off (1 s, 2 s, ...) and `check`
    names the stream once it has failed three times in a row."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    workspace.write_config(
        slack={"token": "xoxb-test-token", "api_url": slack.api_url, "channel": "#reviews"},
        businesses=[{"name": "Joe's Donuts", "keywords": ["Joe's Donuts"],
                     "sources": [{"type": "bluesky", "query": "Joe's Donuts"}]}],
        streams={"bluesky": {"jetstream": f"ws://127.0.0.1:{port}/subscribe"}},
    )
    listener = Listener(workspace, "--http", "0", env={"SLACK_SIGNING_SECRET": SECRET})
    try:
        listener.wait_line("reading Bluesky's Jetstream as it happens")
        said = eventually(lambda: next((line for line in workspace.cli("check").stdout.splitlines()
                                        if "keeps failing" in line), None), 30, "the failing stream in check")
    finally:
        listener.stop()

    import re

    assert re.search(r"Bluesky Jetstream keeps failing: [3-9] connections in a row since \d{4}-\d\d-\d\d \d\d:\d\d UTC, "
                     r"the last at \d{4}-\d\d-\d\d \d\d:\d\d UTC "
                     r"\(.*(refused|connect).*\); nothing is read from it until it recovers", said, re.IGNORECASE), said
