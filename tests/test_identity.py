"""A business or source renamed in config.yaml keeps its history when it keeps its `id:`."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import business, feed_fixture

ALERTS = {"threshold": -0.05, "max_age_days": 36500}


def test_renaming_with_id_keeps_history_and_sends_no_new_baseline(web, slack, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    web.add("/moved/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    slack_config = {"token": "${TEST_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url}
    env = {"TEST_SLACK_TOKEN": "xoxb-test-token"}
    workspace.write_config(slack=slack_config, alerts=ALERTS,
                           businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    assert workspace.cli("run", env=env).returncode == 0
    assert len(slack.calls("chat.postMessage")) == 1  # the first crawl's baseline

    # Renamed, and its feed moved: each `id:` is the key it had (its old name, its old identity).
    workspace.write_config(slack=slack_config, alerts=ALERTS, businesses=[business(
        "Joe's Donuts & Coffee", id="Joe's Donuts",
        sources=[{"type": "feed", "url": f"{web.url}/moved/news.xml", "id": f"feed:{web.url}/news.xml"}])])
    again = workspace.cli("run", env=env)
    assert again.returncode == 0, again.stderr
    assert "0 new mentions" in again.stdout
    assert len(slack.calls("chat.postMessage")) == 1  # no second baseline
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select name, config_id from businesses").fetchall() == [
            ("Joe's Donuts & Coffee", "Joe's Donuts")]
        assert db.execute("select identity from sources").fetchall() == [(f"feed:{web.url}/moved/news.xml",)]
        assert db.execute("select count(*) from mentions").fetchone() == (2,)

    # The id stays the key from now on; a third run finds the same rows.
    assert workspace.cli("run", env=env).returncode == 0
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*) from businesses").fetchone() == (1,)
        assert db.execute("select count(*) from sources").fetchone() == (1,)


def test_check_says_how_to_keep_the_history_of_a_renamed_business_or_moved_source(web, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    web.add("/moved.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    feed = {"type": "feed", "url": f"{web.url}/news.xml"}
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[feed])])
    assert workspace.cli("run").returncode == 0

    workspace.write_config(alerts=ALERTS, businesses=[business("Joe's Donuts & Coffee", sources=[feed])])
    checked = workspace.cli("check")
    assert ("note Joe's Donuts & Coffee looks like Joe's Donuts renamed (same sources): add "
            "`id: \"Joe's Donuts\"` to it to keep its history and skip a new baseline") in checked.stdout

    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/moved.xml"}])])
    checked = workspace.cli("check")
    assert (f"note Joe's Donuts / {web.url.removeprefix('http://')}/moved.xml looks like feed:{web.url}/news.xml moved: add "
            f"`id: \"feed:{web.url}/news.xml\"` to the source to keep its history") in checked.stdout


def test_check_recognises_a_renamed_business_by_its_old_name_among_the_keywords(web, workspace):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    web.add("/cafe.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    assert workspace.cli("run").returncode == 0

    # A new name and a new feed, but the old name kept as a keyword.
    workspace.write_config(alerts=ALERTS, businesses=[business(
        "Joe's Café", keywords=["Joe's Café", "Joe's Donuts"], sources=[{"type": "feed", "url": f"{web.url}/cafe.xml"}])])
    checked = workspace.cli("check", "--format", "json")
    assert json.loads(checked.stdout)["notes"] == [
        "Joe's Café looks like Joe's Donuts renamed (its old name is one of the keywords): add "
        "`id: \"Joe's Donuts\"` to it to keep its history and skip a new baseline"]
