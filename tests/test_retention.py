"""`run` prunes sent Slack messages and old revisions after `retention_days`; owed messages stay."""

from __future__ import annotations

import sqlite3

from tests.conftest import business, feed_fixture

ALERTS = {"threshold": -0.05, "max_age_days": 36500}


def age(db: sqlite3.Connection, days: int) -> str:
    return db.execute(f"select datetime('now', '-{days} days')").fetchone()[0]


def test_run_prunes_what_is_older_than_retention_days_and_keeps_what_is_owed(web, slack, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    config = dict(slack={"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url},
                  alerts=ALERTS, businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    workspace.write_config(**config)
    env = {"TEST_SLACK_TOKEN": "xoxb-test-token"}
    assert workspace.cli("run", env=env).returncode == 0

    with sqlite3.connect(workspace.database) as db:
        (sent_id,) = db.execute("select id from alert_messages where sent_at is not null").fetchone()
        mention = db.execute("select id from mentions limit 1").fetchone()[0]
        db.execute("update alert_messages set sent_at = ?, created_at = ? where id = ?",
                   (age(db, 400), age(db, 400), sent_id))
        # An old message not sent yet (held until tomorrow) is still owed: kept.
        db.execute("insert into alert_messages (kind, channel, text, blocks, urgent, marks_alerted, created_at, "
                   "not_before, attempts) values ('notice', '#reviews', 'owed', '[]', 0, 0, ?, "
                   "datetime('now', '+1 day'), 0)", (age(db, 400),))
        for days in (400, 10):
            db.execute("insert into revisions (mention_id, changed_at, text) values (?, ?, 'before')",
                       (mention, age(db, days)))

    # retention_days: 0 keeps everything.
    workspace.write_config(retention_days=0, **config)
    assert workspace.cli("run", env=env).returncode == 0
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*) from revisions").fetchone() == (2,)
        assert db.execute("select count(*) from alert_messages where id = ?", (sent_id,)).fetchone() == (1,)

    # The default, 365 days.
    workspace.write_config(**config)
    result = workspace.cli("run", env=env)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*) from alert_messages where id = ?", (sent_id,)).fetchone() == (0,)
        assert db.execute("select text from alert_messages where sent_at is null").fetchall() == [("owed",)]
        assert db.execute("select count(*) from revisions").fetchone() == (1,)
        assert db.execute("select count(*) from mentions").fetchone() == (2,)  # mentions are never pruned
