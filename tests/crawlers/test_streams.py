"""Shared streams (`streams:`): Reddit and Hacker News read once a cycle for every business."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from mentionwatch.sandbox.hackernews import LocalHackerNews
from mentionwatch.sandbox.reddit import LocalReddit
from tests.conftest import Workspace
from tests.crawlers.helpers import ALERTS, failures, run, summary

JOES = {"name": "Joe's Donuts", "keywords": ["Joe's Donuts", "Joes Donuts"], "exclude": ["recipe"]}
ACME = {"name": "Acme Bakery", "keywords": ["Acme Bakery"]}


@pytest.fixture
def reddit():
    with LocalReddit() as server:
        yield server


@pytest.fixture
def hn():
    with LocalHackerNews() as server:
        yield server


def businesses(source: dict, extra: int = 0) -> list[dict]:
    """Joe's Donuts, Acme Bakery and `extra` more businesses, each with `source`."""
    named = [JOES, ACME] + [{"name": f"Shop {n}", "keywords": [f"Shop Number {n}"]} for n in range(extra)]
    return [{**b, "sources": [{**source, "query": b["keywords"][0]}]} for b in named]


def reddit_config(workspace, reddit, extra: int = 0, **stream: object) -> None:
    workspace.write_config(alerts=ALERTS, businesses=businesses({"type": "reddit"}, extra),
                           streams={"reddit": {"api_url": reddit.base_url, "requests_per_minute": 6000, **stream}})


def stored_for(workspace) -> dict[str, set[str]]:
    """Business name -> the texts stored for it."""
    with sqlite3.connect(workspace.database) as db:
        rows = db.execute("select b.name, m.text from mentions m join businesses b on b.id = m.business_id")
        found: dict[str, set[str]] = {}
        for name, text in rows:
            found.setdefault(name, set()).add(text)
    return found


def test_reddit_stream_finds_comments_and_stores_an_item_for_each_business_it_names(reddit, workspace):
    reddit.post("Weekend plans", "Nothing about any shop here")
    reddit.comment("Joe's Donuts charged me twice, avoid", link_title="Where to eat downtown?")
    reddit.post("Two favourites", "Joes Donuts and the Acme-Bakery are my go-tos")
    reddit.comment("a joes donuts recipe thread")  # excluded by Joe's `exclude`
    reddit_config(workspace, reddit, extra=3)

    first = run(workspace)

    assert failures(first) == []
    assert stored_for(workspace) == {
        "Joe's Donuts": {"Joe's Donuts charged me twice, avoid", "Joes Donuts and the Acme-Bakery are my go-tos"},
        "Acme Bakery": {"Joes Donuts and the Acme-Bakery are my go-tos"},
    }
    # Two listings read once for five businesses; no per-business search at all.
    assert sorted(r.path for r in reddit.requests) == ["/r/all/comments", "/r/all/new"]

    reddit.comment("Acme Bakery's sourdough is back")
    reddit.post("Unrelated", "just a cat picture")

    run(workspace)

    assert stored_for(workspace)["Acme Bakery"] == {"Joes Donuts and the Acme-Bakery are my go-tos",
                                                    "Acme Bakery's sourdough is back"}


def cycle_requests(workspace, reddit, extra: int) -> int:
    reddit_config(workspace, reddit, extra=extra)
    before = len(reddit.requests)
    run(workspace)
    return len(reddit.requests) - before


def test_requests_per_cycle_do_not_grow_with_the_number_of_businesses(reddit, tmp_path):
    for n in range(30):
        reddit.post(f"post {n}", "text")
        reddit.comment(f"comment {n}")
    small, large = Workspace(tmp_path / "five"), Workspace(tmp_path / "sixty")
    small.folder.mkdir()
    large.folder.mkdir()
    first_small, first_large = cycle_requests(small, reddit, 3), cycle_requests(large, reddit, 58)
    for n in range(150):  # more than a page of each listing since the last read
        reddit.post(f"later post {n}", "text")
        reddit.comment(f"later comment {n}")

    assert first_small == first_large == 2
    assert cycle_requests(small, reddit, 3) == cycle_requests(large, reddit, 58) == 4


def test_a_stream_faster_than_the_page_budget_is_read_late_from_the_cursor_not_lost(reddit, workspace):
    reddit.post("first", "nothing yet")
    reddit_config(workspace, reddit, max_pages=2)
    run(workspace)
    cursor = reddit.posts[-1]["data"]["name"]
    for n in range(250):
        reddit.post(f"post {n}", "Acme Bakery opens" if n == 0 else "Acme Bakery closes" if n == 249 else "filler")

    second = run(workspace)
    third = run(workspace)

    # Oldest pages first with `before=`: two pages this cycle, the other 50 the next; no gap.
    posts = [r.query for r in reddit.listing_requests() if r.path == "/r/all/new"]
    assert [q.get("before") for q in posts[1:3]] == [cursor, reddit.posts[100]["data"]["name"]]
    assert posts[3]["before"] == reddit.posts[200]["data"]["name"] and "after" not in posts[3]
    assert not [line for line in second.stderr.splitlines() + third.stderr.splitlines() if line.startswith("gap: ")]
    assert stored_for(workspace)["Acme Bakery"] == {"Acme Bakery opens", "Acme Bakery closes"}


def test_a_removed_cursor_item_falls_back_to_the_walk_from_the_top(reddit, workspace):
    reddit.post("older", "nothing yet")
    reddit.post("start", "nothing yet")
    reddit_config(workspace, reddit)
    run(workspace)
    reddit.remove(reddit.posts[-1]["data"]["name"])  # the cursor item is gone: `before` answers nothing
    reddit.post("later", "Joe's Donuts opened a second shop")

    second = run(workspace)

    posts = [r.query for r in reddit.listing_requests() if r.path == "/r/all/new"][1:]
    assert [("before" in q, "after" in q) for q in posts] == [(True, False), (False, False)]
    assert failures(second) == [] and not [line for line in second.stderr.splitlines() if line.startswith("gap: ")]
    assert stored_for(workspace)["Joe's Donuts"] == {"Joe's Donuts opened a second shop"}


def test_a_stream_faster_than_the_reads_is_a_gap_shown_by_run_and_check(reddit, workspace):
    reddit.post("first", "Acme Bakery opens")
    reddit_config(workspace, reddit, max_pages=2)
    run(workspace)
    reddit.keep = 200  # the listing holds the newest 200: the cursor item falls out of it
    for n in range(250):
        reddit.post(f"post {n}", "Acme Bakery again" if n == 0 else "filler")

    second = run(workspace)

    # `before` finds no cursor; two pages of 100 read back from the top; the 50 posts before them
    # were never read: said, not hidden.
    gaps = [line for line in second.stderr.splitlines() if line.startswith("gap: ")]
    assert len(gaps) == 1 and gaps[0].startswith("gap: Reddit posts: ") and "unread at" in gaps[0]
    assert "Acme Bakery again" not in stored_for(workspace)["Acme Bakery"]
    check = workspace.cli("check")
    assert "stream gap: Reddit posts: " in check.stdout and "unread at" in check.stdout
    day_ago = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()  # the report's default week ended at midnight
    report = workspace.cli("report", "--no-send", "--out", "weekly", "--since", day_ago)
    assert report.returncode == 0, report.stderr
    html = "".join(p.read_text(encoding="utf-8") for p in (workspace.folder / "weekly").glob("*.html"))
    assert "Stream gaps" in html and "Reddit posts: " in html


def test_a_restart_after_a_failed_read_resumes_from_the_cursor_with_nothing_lost_or_doubled(reddit, workspace):
    reddit.post("start", "nothing yet")
    reddit_config(workspace, reddit)
    run(workspace)
    reddit.comment("Joe's Donuts: best glazed in town")
    reddit.allowance, reddit.window = 0, 1.0  # every answer is a 429 now: the read fails, the cursor stays

    failed = run(workspace)

    assert "Joe's Donuts" not in stored_for(workspace)
    assert any("429" in line for line in failures(failed))
    reddit.allowance = 10_000
    reddit.comment("Joe's Donuts again, still great")

    run(workspace)
    run(workspace)

    assert stored_for(workspace)["Joe's Donuts"] == {"Joe's Donuts: best glazed in town", "Joe's Donuts again, still great"}
    with sqlite3.connect(workspace.database) as db:
        assert db.execute("select count(*) from mentions").fetchone() == (2,)


def test_history_search_is_made_once_at_the_stream_api_url(reddit, workspace):
    reddit.post("Acme Bakery review", "an older post found only by search")
    workspace.write_config(alerts=ALERTS, businesses=[{**ACME, "sources": [
        {"type": "reddit", "query": "Acme Bakery", "history": "search", "requests_per_minute": 6000}]}],
        streams={"reddit": {"api_url": reddit.base_url, "requests_per_minute": 6000}})

    run(workspace)
    run(workspace)

    assert [r.path for r in reddit.requests].count("/search") == 1
    assert stored_for(workspace)["Acme Bakery"] == {"an older post found only by search"}


def test_hacker_news_stream_reads_stories_and_comments_since_the_cursor(hn, workspace):
    hn.story("Show HN: a bakery app", "Built for Acme Bakery and friends")
    workspace.write_config(alerts=ALERTS, businesses=businesses({"type": "hackernews"}, extra=2),
                           streams={"hackernews": {"api_url": hn.api_url}})
    run(workspace)
    first, same_second = hn.clock, hn.clock + 5
    hn.comment("Joe's Donuts is overrated", created=same_second)
    hn.comment("Acme Bakery and Joes Donuts share a wall", created=same_second)
    hn.story("Unrelated", "Compilers are fun", created=same_second)

    second = run(workspace)
    hn.comment("Acme Bakery again", created=same_second)  # late in the very second of the cursor
    run(workspace)

    assert summary(second).startswith("4 sources ok, 0 failed")
    assert stored_for(workspace) == {
        "Acme Bakery": {"Built for Acme Bakery and friends", "Acme Bakery and Joes Donuts share a wall",
                        "Acme Bakery again"},
        "Joe's Donuts": {"Joe's Donuts is overrated", "Acme Bakery and Joes Donuts share a wall"},
    }
    asked = [r.query for r in hn.requests]
    assert all(q["tags"] == "(story,comment)" for q in asked) and "numericFilters" not in asked[0]
    assert [q["numericFilters"] for q in asked[1:]] == [f"created_at_i>={first}", f"created_at_i>={same_second}"]


def test_hacker_news_gap_when_more_is_new_than_can_be_paged(hn, workspace):
    hn.story("start", "nothing")
    workspace.write_config(alerts=ALERTS, businesses=businesses({"type": "hackernews"}),
                           streams={"hackernews": {"api_url": hn.api_url, "max_pages": 1}})
    run(workspace)
    for n in range(250):
        hn.comment(f"comment {n}")

    second = run(workspace)

    assert [line for line in second.stderr.splitlines() if line.startswith("gap: Hacker News items: ")]


def test_with_oauth_credentials_the_stream_logs_in_once_and_reads_with_the_token(reddit, workspace):
    reddit.comment("Joe's Donuts: the line was worth it")
    reddit_config(workspace, reddit, extra=1)

    result = run(workspace, env={"REDDIT_CLIENT_ID": "client-id-123", "REDDIT_CLIENT_SECRET": "client-secret-456"})

    assert failures(result) == []
    logins = [r for r in reddit.requests if r.path == "/api/v1/access_token"]
    assert [(r.method, r.headers.get("Authorization")) for r in logins] == [("POST", "(redacted)")]
    assert {r.headers.get("Authorization") for r in reddit.listing_requests()} == {"(redacted)"}
    assert stored_for(workspace) == {"Joe's Donuts": {"Joe's Donuts: the line was worth it"}}
    assert "client-secret-456" not in result.stdout + result.stderr


def test_bytes_that_are_not_utf8_in_one_stream_item_become_replacement_characters(workspace):
    class BadBytes(LocalReddit):
        def answer(self, method, target, headers, body):
            status, answer_headers, answer_body = super().answer(method, target, headers, body)
            return status, answer_headers, answer_body.replace(b"BADBYTES", b"\xff\xfe")

    with BadBytes() as reddit:
        reddit.post("seed", "nothing yet")
        reddit_config(workspace, reddit)
        run(workspace)
        reddit.post("bad", "Acme Bakery BADBYTES was awful")
        reddit.post("good", "Joe's Donuts was awful")

        second = run(workspace)
        reddit.post("later", "Joe's Donuts again")
        third = run(workspace)

    # One post's bad bytes fail neither the listing nor the stream: the cursor moves on.
    assert failures(second) == failures(third) == []
    assert stored_for(workspace) == {"Acme Bakery": {"Acme Bakery \ufffd\ufffd was awful"},
                                     "Joe's Donuts": {"Joe's Donuts was awful", "Joe's Donuts again"}}


def test_a_failing_stream_is_one_line_and_each_business_is_told_why(workspace, slack):
    class Down(LocalReddit):
        down = False

        def answer(self, method, target, headers, body):
            if self.down:
                return 503, {"Content-Type": "text/html"}, b"<html>down</html>"
            return super().answer(method, target, headers, body)

    with Down() as reddit:
        reddit.post("seed", "nothing yet")
        workspace.write_config(
            alerts={**ALERTS, "source_failure_runs": 1}, crawler={"retries": 0}, businesses=businesses({"type": "reddit"}, 1),
            slack={"token": "xoxb-test", "channel": "#mentions", "api_url": slack.api_url, "post_interval": 0},
            streams={"reddit": {"api_url": reddit.base_url, "requests_per_minute": 6000}})
        run(workspace)
        reddit.down = True
        posted = len(slack.posted)

        failed = run(workspace)

    # One line for the stream, not one per business; the count still says how many sources failed.
    assert failures(failed) == ["Reddit stream (/r/all/new): HTTP 503 Service Unavailable (read for 3 sources)"]
    assert summary(failed).startswith("0 sources ok, 3 failed")
    # Each business's source records the failure (check, /sources) and its owner hears why.
    check = workspace.cli("check", "--format", "json")
    errors = {s["business"]: s["last_error"] for s in json.loads(check.stdout)["sources"]}
    assert set(errors) == {"Joe's Donuts", "Acme Bakery", "Shop 0"}
    assert set(errors.values()) == {"Reddit stream (/r/all/new): HTTP 503 Service Unavailable"}
    notices = [m["text"] for m in slack.posted[posted:]]
    assert len(notices) == 3
    assert all(text.endswith("has failed 1 runs in a row: Reddit stream (/r/all/new): HTTP 503 Service Unavailable")
               for text in notices), notices
