"""A source is failing, with a reason in plain words, when its answer holds nothing usable; a
feed read despite errors is ok, with a warning kept beside it."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import business
from tests.crawlers.helpers import ALERTS, failures, run, source_errors, summary

ITEM = ("<item><title>Joe's Donuts opens a second shop</title><link>https://news.example/{n}</link>"
        "<description>Joe's Donuts opens on Main Street.</description>"
        "<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item>")
HEAD = '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
FEEDS = {
    "/empty.xml": ("", "application/rss+xml"),
    "/html.xml": ("<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>Our shop</p></body></html>",
                  "text/html"),
    "/cut-early.xml": (HEAD + "<item><title>Joe's Don", "application/rss+xml"),
    "/cut-late.xml": (HEAD + ITEM.format(n=1) + "<item><title>Joe's Don", "application/rss+xml"),
    "/no-items.xml": (HEAD + "</channel></rss>", "application/rss+xml"),
}
HN = "/api/v1/search_by_date"


def test_answers_with_nothing_usable_fail_their_source_with_a_plain_reason(web, workspace):
    for path, (body, kind) in FEEDS.items():
        web.add(path, body, content_type=kind)
    web.add(HN, '{"message": "ok", "results": []}', content_type="application/json")
    web.add("/login", "<html><body><form>Sign in</form></body></html>", content_type="text/html")
    sources = [{"type": "feed", "url": f"{web.url}{path}"} for path in FEEDS]
    sources += [{"type": "hackernews", "query": "Joe's Donuts", "url": f"{web.url}{HN}?query=x"},
                {"type": "hackernews", "query": "Joe", "url": f"{web.url}/login?query=x"}]
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=sources)])

    result = run(workspace)

    assert summary(result).startswith("2 sources ok, 5 failed; 1 item fetched"), result.stdout
    errors = source_errors(workspace)

    def error_of(fragment: str) -> str | None:
        (identity,) = [i for i in errors if fragment in i]
        return errors[identity]

    assert error_of("/empty.xml").startswith("empty response: the server sent nothing")
    assert error_of("/html.xml").endswith("not a feed: the server sent an HTML page")
    assert "feed cut off or broken before its first complete entry (XML error at line 1" in error_of("/cut-early.xml")
    assert error_of("/cut-late.xml") is None
    assert error_of("/no-items.xml") is None  # a feed with nothing in it yet is a feed
    assert error_of(HN).endswith("not an Algolia search answer (no hits)")
    assert error_of("/login").endswith("not JSON: the server sent an HTML page")
    # One line per failing source on stderr, and nothing else but the summary on stdout.
    assert len(failures(result)) == 5, result.stderr
    # The feed read despite its errors is ok, its warning kept with its run and shown by check.
    with sqlite3.connect(workspace.database) as db:
        (warning,) = db.execute("select r.error from source_runs r join sources s on s.id = r.source_id "
                                "where r.ok and s.identity like '%cut-late%'").fetchone()
    assert warning.startswith("feed has errors, 1 entry read (XML error at line 1")
    check = workspace.cli("check")
    assert "warning: feed has errors, 1 entry read" in check.stdout, check.stdout
    fetched = workspace.cli("check", "--fetch")
    assert fetched.returncode == 1
    (cut_late,) = [line for line in fetched.stdout.splitlines() if "cut-late.xml" in line and "fetch" in line]
    assert cut_late.startswith("ok fetch feed") and "warning: feed has errors, 1 entry read" in cut_late


def test_check_reports_each_sources_health_as_json_and_exits_1_while_one_is_failing(web, workspace):
    web.add("/news.xml", HEAD + ITEM.format(n=1) + "</channel></rss>", content_type="application/rss+xml")
    web.add("/page.xml", "<html><body>Moved</body></html>", content_type="text/html")
    good = {"type": "feed", "url": f"{web.url}/news.xml"}
    bad = {"type": "feed", "url": f"{web.url}/page.xml", "name": "Local paper"}
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[good, bad])])
    run(workspace)
    later = {"type": "feed", "url": f"{web.url}/later.xml"}
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[good, bad, later])])

    result = workspace.cli("check", "--format", "json")

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)  # one object, nothing else on stdout
    assert report["database"]["status"] == "ok" and report["slack"]["status"] == "ok"
    by_url = {s["url"]: s for s in report["sources"]}
    ok, failing, new = by_url[good["url"]], by_url[bad["url"]], by_url[later["url"]]
    assert set(ok) >= {"business", "name", "type", "url", "status", "last_error", "last_success_at",
                       "failures_in_a_row"}
    assert (ok["business"], ok["type"], ok["status"], ok["last_error"], ok["failures_in_a_row"]) == \
        ("Joe's Donuts", "feed", "ok", None, 0)
    assert ok["last_success_at"].endswith("Z")
    assert (failing["name"], failing["status"], failing["failures_in_a_row"], failing["last_success_at"]) == \
        ("Local paper", "failing", 1, None)
    assert failing["last_error"].endswith("not a feed: the server sent an HTML page")
    assert (new["status"], new["last_error"], new["last_success_at"]) == ("new", None, None)
    # The text form says the same, and exits 1 too.
    text = workspace.cli("check")
    assert text.returncode == 1
    assert "failing for 1 run: " in text.stdout and "never crawled" in text.stdout

    web.add("/page.xml", HEAD + ITEM.format(n=2) + "</channel></rss>", content_type="application/rss+xml")
    web.add("/later.xml", HEAD + "</channel></rss>", content_type="application/rss+xml")
    run(workspace)
    healed = workspace.cli("check", "--format", "json")
    assert healed.returncode == 0, healed.stdout
    assert {s["status"] for s in json.loads(healed.stdout)["sources"]} == {"ok"}
