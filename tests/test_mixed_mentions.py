"""A post naming two watched businesses of two agency clients: each business is judged on the part
of the post about it, so one client's incident never pages the other (pipeline/focus.py). Real CLI
`run`, the local Reddit, a local Slack, a real SQLite store."""

from __future__ import annotations

import sqlite3

import pytest

from mentionwatch.sandbox.reddit import LocalReddit
from tests.crawlers.helpers import ALERTS, failures, run

ENV = {"TEST_SLACK_TOKEN": "xoxb-test-token"}


@pytest.fixture
def reddit():
    with LocalReddit() as server:
        yield server


def test_a_post_naming_two_clients_alerts_only_the_one_its_incident_is_about(reddit, slack, workspace):
    reddit.post("Old thread", "Acme Bakery was fine years ago, Bolt Cafe too")
    workspace.write_config(
        slack={"token": "${TEST_SLACK_TOKEN}", "channel": "#agency", "urgent_channel": "#urgent",
               "api_url": slack.api_url, "post_interval": 0},
        alerts=ALERTS,
        streams={"reddit": {"api_url": reddit.base_url, "requests_per_minute": 6000}},
        clients=[{"name": "acme", "slack": {"channel": "#acme"}}, {"name": "bolt", "slack": {"channel": "#bolt"}}],
        businesses=[
            {"name": "Acme Bakery", "client": "acme", "keywords": ["Acme Bakery"],
             "sources": [{"type": "reddit", "query": "Acme Bakery"}]},
            {"name": "Bolt Cafe", "client": "bolt", "keywords": ["Bolt Cafe"],
             "sources": [{"type": "reddit", "query": "Bolt Cafe"}]},
        ],
    )
    assert failures(run(workspace, env=ENV)) == []  # the first crawl: a baseline, summarised
    before = len(slack.posted)

    reddit.post("Acme Bakery vs Bolt Cafe", "Acme Bakery is great but Bolt Cafe gave me food poisoning last night")
    assert failures(run(workspace, env=ENV)) == []

    with sqlite3.connect(workspace.database) as db:
        judged = dict((name, rest) for name, *rest in db.execute(
            "select b.name, m.label, m.urgent, m.urgent_phrases, m.driver, m.alerted_at is not null "
            "from mentions m join businesses b on b.id = m.business_id where m.title = 'Acme Bakery vs Bolt Cafe'"))
    assert judged["Acme Bakery"] == ["positive", 0, None, "Acme Bakery is great", 0]
    assert judged["Bolt Cafe"] == ["negative", 1, "food poisoning", "but Bolt Cafe gave me food poisoning last night", 1]

    posted = [(p["channel"], p["text"]) for p in slack.posted[before:]]
    assert sorted(channel for channel, _ in posted) == ["#bolt", "#urgent"]
    assert all("Bolt Cafe" in text and "Acme Bakery" not in text.split(" on ")[0] for _, text in posted)
