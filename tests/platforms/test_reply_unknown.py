"""Unknown is not failed: a reply the platform accepted, whose answer was lost and which it shows
only later, is uploaded once however often `reply` is run (a local Trustpilot: its reply is a POST)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from mentionwatch.sandbox.trustpilot import LocalTrustpilot
from tests.conftest import business
from tests.crawlers.helpers import run

ENV = {"TRUSTPILOT_API_KEY": "tp-key-abcdef", "TRUSTPILOT_API_SECRET": "tp-secret-123456",
       "TRUSTPILOT_USERNAME": "dana@joesdonuts.com", "TRUSTPILOT_PASSWORD": "correct horse",
       "TRUSTPILOT_BUSINESS_USER_ID": "507f191e810c19729de860ea"}
TEXT = "Sorry, Ann — fresh glaze is on us."


def test_accepted_then_dropped_and_shown_late_is_uploaded_once_over_three_tries(workspace):
    with LocalTrustpilot("tp-key-abcdef", "tp-secret-123456", "dana@joesdonuts.com", "correct horse", "BU1") as tp:
        tp.add_review("6571c", 2, "Slow service, stale glaze.", "Ann", datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
        workspace.write_config(alerts={"max_age_days": 36500}, businesses=[business(sources=[
            {"type": "trustpilot", "domain": "joesdonuts.com", "business_unit_id": "BU1", "api_url": tp.api_url}])])
        run(workspace, env=ENV)
        (mention,) = [json.loads(line) for line in workspace.cli("mentions", "--format", "json", env=ENV).stdout.splitlines()]
        mention_id = str(mention["id"])
        # Trustpilot stores the reply, the connection drops before its answer, and its read API
        # shows the reply only later (an hour here, until the test lets it catch up).
        tp.lose_reply_answers(1)
        tp.show_replies_after(3600)

        first = workspace.cli("reply", mention_id, TEXT, "--by", "dana", env=ENV)
        second = workspace.cli("reply", mention_id, TEXT, "--by", "sam", env=ENV)
        other = workspace.cli("reply", mention_id, "Another text", "--replace", "--by", "kim", env=ENV)
        assert not tp.shows_reply("6571c")
        tp.catch_up()
        third = workspace.cli("reply", mention_id, TEXT, "--by", "sam", env=ENV)

        assert len(tp.calls("POST", "/reply")) == 1
        assert first.returncode == 1
        assert "whether the reply arrived is not known: Trustpilot does not show it yet" in first.stderr
        for later in (second, other):  # read back before any new upload: not shown yet, so nothing sent
            assert later.returncode == 1
            assert later.stderr.startswith("Error: the reply dana sent at ")
            assert f"(\"{TEXT}\") may still arrive: Trustpilot does not show it yet" in later.stderr
            assert "Nothing was sent" in later.stderr
        assert third.returncode == 0, third.stderr
        assert third.stdout == f"mention {mention_id}: reply found on the platform (sent before); recorded\n"
        with sqlite3.connect(workspace.database) as db:
            assert list(db.execute("select text, author, status from replies")) == [(TEXT, "dana", "sent")]
            assert list(db.execute("select handled_by from mentions")) == [("dana",)]
