"""respond.actions: the one place a mention's state and history change, in a real SQLite store,
and the CLI commands on top of it as a user runs them."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from pipeline.models import Mention, utcnow
from respond import actions
from tests.alerts.helpers import T0, joes, settings_for


def test_handle_records_who_and_how_fast_once_and_flags_the_alert_for_an_update(store):
    s = store(settings_for())
    alerted = s.add(alerted_at=T0)
    with Session(s.engine) as session:
        first = actions.handle(session, alerted, "dana", via="slack", key="action-1", at=T0 + timedelta(minutes=23))
        again = actions.handle(session, alerted, "sam", via="web")
        session.commit()
        assert (first.changed, first.summary) == (True, "Handled by dana 23 min after the alert")
        assert (again.changed, again.summary) == (False, "Already handled by dana")
        rows = actions.history(session, alerted)
    assert [(r.action, r.actor, r.via, r.detail) for r in rows] == [("handled", "dana", "slack", {"minutes": 23})]
    mention = s.mention(alerted)
    assert (mention.handled_by, mention.alert_refresh_due) == ("dana", True)


def test_a_redelivered_click_changes_nothing_even_after_the_state_moved_on(store):
    s = store(settings_for())
    mention_id = s.add(alerted_at=T0)
    with Session(s.engine) as session:
        actions.handle(session, mention_id, "dana", via="slack", key="a1")
        actions.reopen(session, mention_id, "dana", via="slack", key="a2")
        # Slack delivers the first click again: the mention stays reopened.
        replay = actions.handle(session, mention_id, "dana", via="slack", key="a1")
        session.commit()
        assert replay.changed is False
        assert [r.action for r in actions.history(session, mention_id)] == ["handled", "reopened"]
    assert s.mention(mention_id).handled_at is None


def test_dismiss_restore_assign_and_snooze_each_leave_their_state_and_history(store):
    s = store(settings_for())
    mention_id = s.add()
    with Session(s.engine) as session:
        assert actions.dismiss(session, mention_id, "dana", via="web").summary == "Dismissed as not about us by dana"
        assert actions.dismiss(session, mention_id, "sam", via="web").changed is False
        assert actions.assign(session, mention_id, "U0SAM", "dana", via="slack").summary == "Assigned to U0SAM by dana"
        assert actions.assign(session, mention_id, "U0SAM", "dana", via="slack").changed is False
        before = utcnow()
        actions.snooze(session, mention_id, "sam", via="cli", days=1)
        session.commit()
        mention = session.get(Mention, mention_id)
        assert mention.dismissed_by == "dana" and mention.assignee == "U0SAM"
        assert timedelta(hours=23, minutes=59) < mention.snoozed_until - before <= timedelta(days=1, seconds=5)
        actions.restore(session, mention_id, "dana", via="web")
        actions.assign(session, mention_id, None, "dana", via="web")
        session.commit()
        assert [r.action for r in actions.history(session, mention_id)] == [
            "dismissed", "assigned", "snoozed", "restored", "unassigned"]
        assert mention.dismissed_at is None and mention.assignee is None
        # Never alerted: there is no Slack message to update.
        assert mention.alert_refresh_due is False


def test_unknown_mentions_and_impossible_values_are_errors_that_change_nothing(store):
    s = store(settings_for())
    mention_id = s.add()
    with Session(s.engine) as session:
        with pytest.raises(actions.NoSuchMention, match="no mention with id 99999"):
            actions.handle(session, 99999, "dana", via="cli")
        with pytest.raises(actions.ActionError, match="from 1 to 365"):
            actions.snooze(session, mention_id, "dana", via="cli", days=0)
        with pytest.raises(actions.ActionError, match="unknown origin"):
            actions.handle(session, mention_id, "dana", via="fax")
        session.rollback()
        assert actions.history(session, mention_id) == []


def test_the_commands_act_through_the_same_module(store, slack, workspace):
    workspace.write_config(database="sqlite:///store.db", businesses=[joes()])
    s = store(settings_for(slack.api_url))
    first, second = s.add(), s.add()

    result = workspace.cli("handle", str(first), "--by", "dana")
    assert (result.returncode, result.stdout) == (0, f"mention {first}: handled by dana\n")
    again = workspace.cli("handle", str(first), str(second), "99999")
    assert again.returncode == 1
    assert again.stdout == f"mention {first}: already handled by dana\nmention {second}: handled by cli\n"
    assert again.stderr == "Error: no mention with id 99999 (the others were done)\n"
    alone = workspace.cli("handle", "99999")  # no others: none were done
    assert (alone.returncode, alone.stdout, alone.stderr) == (1, "", "Error: no mention with id 99999\n")
    both = workspace.cli("handle", "99998", "99999")
    assert both.stderr == "Error: no mention with ids 99998, 99999\n"

    assert workspace.cli("dismiss", str(second), "--by", "sam").stdout == (
        f"mention {second}: dismissed as not about us by sam\n")
    assert workspace.cli("assign", str(first), "--to", "sam").returncode == 0
    assert workspace.cli("snooze", str(first), "--days", "2").returncode == 0
    assert workspace.cli("reopen", str(first)).stdout == f"mention {first}: reopened by cli\n"
    assert workspace.cli("restore", str(second)).returncode == 0
    with Session(s.engine) as session:
        assert [r.action for r in actions.history(session, first)] == ["handled", "assigned", "snoozed", "reopened"]
        assert [(r.action, r.actor) for r in actions.history(session, second)] == [
            ("handled", "cli"), ("dismissed", "sam"), ("restored", "cli")]
    assert s.mention(first).assignee == "sam" and s.mention(first).handled_at is None
    listed = {r["id"]: r for r in map(json.loads, workspace.cli("mentions", "--format", "json").stdout.splitlines())}
    assert listed[first]["assignee"] == "sam" and listed[first]["snoozed_until"].endswith("Z")
    assert listed[second]["dismissed_at"] is None and listed[second]["handled_by"] == "cli"
