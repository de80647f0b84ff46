"""Without -v, each failing source is one plain line on stderr and nothing else reaches it."""

from __future__ import annotations

import socket

from tests.conftest import business
from tests.crawlers.helpers import ALERTS, failures, run, summary

NEWS = """<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>Joe's Donuts opens a second shop</title><link>https://news.example/1</link>
<description>Joe's Donuts opens on Main Street.</description>
<pubDate>Sat, 21 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_six_failing_sources_make_six_lines_and_the_summary_reads_as_english(web, workspace):
    web.add("/news.xml", NEWS, content_type="application/rss+xml")
    web.add("/home.xml", "<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>", content_type="text/html")
    web.add("/empty.xml", "", content_type="application/rss+xml")
    web.add("/api/v1/search_by_date", "{\"hits\": ", content_type="application/json")
    web.add("/reviews", "<html><body><p>No reviews here</p></body></html>", content_type="text/html")
    workspace.write_config(alerts=ALERTS, crawler={"retries": 0}, businesses=[business(sources=[
        {"type": "feed", "url": f"{web.url}/news.xml"},
        {"type": "feed", "url": f"{web.url}/gone.xml"},
        {"type": "feed", "url": f"{web.url}/home.xml"},
        {"type": "feed", "url": f"{web.url}/empty.xml"},
        {"type": "feed", "url": f"http://127.0.0.1:{closed_port()}/feed.xml"},
        {"type": "hackernews", "query": "Joe's Donuts", "url": f"{web.url}/api/v1/search_by_date?query=x"},
        {"type": "html", "url": f"{web.url}/reviews", "item": "div.review", "text": "p::text"},
    ])])

    result = run(workspace)

    assert summary(result).startswith("1 source ok, 6 failed; 1 item fetched, 1 new mention (0 negative); ")
    lines = result.stderr.splitlines()
    assert len(lines) == 6 and lines == [f"failed: {f}" for f in failures(result)], result.stderr
    reasons = "\n".join(lines)
    assert "gone.xml: HTTP 404 Not Found" in reasons
    assert "not a feed: the server sent an HTML page" in reasons
    assert "empty response: the server sent nothing" in reasons
    assert "connection refused" in reasons
    assert "not valid JSON (truncated or malformed)" in reasons
    assert "matched nothing on the page" in reasons
    for line in lines:
        assert line.startswith("failed: Joe's Donuts / ")
        assert "Traceback" not in line and "Error(" not in line and "twisted" not in line


def test_with_v_the_crawl_says_more(web, workspace):
    workspace.write_config(alerts=ALERTS, crawler={"retries": 0},
                           businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/gone.xml"}])])
    result = workspace.cli("run", "-v")
    assert result.returncode == 0
    assert len(result.stderr.splitlines()) > 1
    assert "HTTP 404 Not Found" in result.stderr
