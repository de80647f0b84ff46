"""Did anyone respond? Reactions on alerts, and `mentionwatch handle`, mark mentions handled."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.alerts.helpers import T0, settings_for


def test_a_check_mark_on_an_alert_marks_its_mention_handled_on_the_next_run(slack, store):
    s = store(settings_for(slack.api_url, slack={"urgent_channel": "#urgent"}))
    reacted = s.add()
    on_copy = s.add(urgent=True)
    ignored = s.add()
    s.cycle()
    by_mention = {mid: m for m in slack.posted for mid in (reacted, on_copy, ignored)
                  if f"handle {mid}`" in json.dumps(m["blocks"])}
    slack.add_reaction("#reviews", by_mention[reacted]["ts"], "white_check_mark", user="U0DANA")
    slack.add_reaction("#reviews", by_mention[ignored]["ts"], "eyes", user="U0DANA")
    urgent_copy = next(m for m in slack.posted if m["channel"] == "#urgent")
    slack.add_reaction("#urgent", urgent_copy["ts"], "white_check_mark::skin-tone-3", user="U0SAM")

    result = s.cycle(T0 + timedelta(minutes=15))
    assert result.handled == 2 and result.problems == []
    assert (s.mention(reacted).handled_at, s.mention(reacted).handled_by) == (T0 + timedelta(minutes=15), "U0DANA")
    assert s.mention(on_copy).handled_by == "U0SAM"
    assert s.mention(ignored).handled_at is None  # another emoji is not "handled"
    # Handled mentions are not asked about again; the unhandled one is.
    before = len(slack.calls("reactions.get"))
    s.cycle(T0 + timedelta(minutes=30))
    assert [r.args["timestamp"] for r in slack.calls("reactions.get")[before:]] == [by_mention[ignored]["ts"]]


def test_the_reaction_is_configurable_and_a_digest_reaction_covers_all_its_mentions(slack, store):
    s = store(settings_for(slack.api_url, slack={"handled_reaction": ":eyes:"}, alerts={"max_per_run": 1}))
    ids = [s.add(sentiment=-0.9), s.add(), s.add()]
    s.cycle()
    digest = slack.posted[1]
    assert ":eyes:" in json.dumps(digest["blocks"])
    slack.add_reaction("#reviews", digest["ts"], "eyes")
    assert s.cycle(T0 + timedelta(minutes=15)).handled == 2
    assert [s.mention(i).handled_at is not None for i in ids] == [False, True, True]


def test_reactions_are_read_only_for_the_last_14_days(slack, store):
    s = store(settings_for(slack.api_url))
    s.add()
    s.cycle(T0)
    slack.add_reaction("#reviews", slack.posted[0]["ts"], "white_check_mark")
    assert s.cycle(T0 + timedelta(days=14, minutes=1)).handled == 0
    assert slack.calls("reactions.get") == []


def test_a_missing_scope_is_reported_and_alerts_still_go_out(slack, store):
    s = store(settings_for(slack.api_url))
    s.add()
    s.cycle()
    s.add()
    slack.fail_next("reactions.get", status=200, error="missing_scope")
    result = s.cycle(T0 + timedelta(minutes=15))
    assert result.problems == ["cannot read reactions: missing_scope (add the reactions:read scope to the "
                               "Slack app and reinstall it)"]
    assert result.sent == 1
