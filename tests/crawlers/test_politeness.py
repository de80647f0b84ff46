"""Polite crawling and per-source failures, seen from `mentionwatch run` against a local site."""

from __future__ import annotations

from mentionwatch.sandbox.web import Response
from tests.conftest import business
from tests.crawlers.helpers import ALERTS, failures, run, source_errors, summary

EMPTY_FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>Nothing yet</title></channel></rss>'
FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Joe</title><item><title>Joe\'s Donuts</title>'
        '<link>https://news.example.com/{name}</link><description>Joe\'s Donuts {filler}</description>'
        "</item></channel></rss>")
CHALLENGE = ("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
             '<div id="cf-chl-widget">Checking your browser</div>'
             '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>')


def feed(name: str, size: int = 0) -> str:
    return FEED.format(name=name, filler="x" * size)


def test_robots_retries_rate_limits_walls_and_limits_each_affect_only_their_source(web, workspace):
    web.add("/robots.txt", "User-agent: *\nDisallow: /private/\n")
    web.add("/private/feed.xml", feed("private"))
    web.add("/private/hn.json", '{"hits": [], "nbPages": 0, "page": 0}')
    web.add("/slow-down.xml", feed("slow-down"))
    web.script("/slow-down.xml", Response(429, "Too Many Requests", {"Retry-After": "1"}))
    web.add("/later.xml", feed("later"))
    web.script("/later.xml", Response(429, "Too Many Requests", {"Retry-After": "3600"}))
    web.add("/flaky.xml", feed("flaky"))
    web.script("/flaky.xml", Response(503, "Service Unavailable"))
    web.add("/challenge.xml", CHALLENGE, content_type="text/html", status=503, headers={"Server": "cloudflare"})
    web.add("/empty.xml", EMPTY_FEED, content_type="application/rss+xml")
    web.add("/huge.xml", feed("huge", size=200_000), content_type="application/rss+xml")
    web.add("/stuck.xml", feed("stuck"))
    web.script("/stuck.xml", *[Response(200, feed("stuck"), {"Content-Type": "application/rss+xml"}, delay=5)] * 2)
    names = ["private/feed", "slow-down", "later", "flaky", "challenge", "empty", "huge", "stuck"]
    workspace.write_config(
        alerts=ALERTS,
        crawler={"contact": "mailto:owner@example.com", "retries": 1, "download_timeout": 2, "max_response_mb": 0.05},
        businesses=[business(sources=[
            *({"type": "feed", "url": f"{web.url}/{name}.xml"} for name in names),
            {"type": "hackernews", "query": "Joe's Donuts", "url": f"{web.url}/private/hn.json"},
        ])])

    result = run(workspace)

    assert summary(result).startswith("4 sources ok, 5 failed; 2 items fetched, 2 new mentions")
    host = web.url.removeprefix("http://")
    reasons = {f.split(" / ")[1].split(": ", 1)[0].removeprefix(host): f.split(": ", 1)[1]
               for f in failures(result)}
    assert reasons == {
        "/private/feed.xml": "forbidden by robots.txt",
        "/later.xml": "HTTP 429 Too Many Requests (asked to retry after 3600 seconds)",
        "/challenge.xml": "bot wall (Cloudflare challenge, HTTP 503)",
        "/huge.xml": "response too large (over the 51.2 KB limit, crawler.max_response_mb)",
        "/stuck.xml": "timed out after 2s, 2 attempts",  # crawler.retries: 1
    }
    # The same reasons are kept with each source for `mentionwatch check`.
    assert source_errors(workspace)[f"feed:{web.url}/challenge.xml"] == "bot wall (Cloudflare challenge, HTTP 503)"
    # robots.txt is read once, before the pages; an API endpoint is not subject to it.
    paths = [r.path for r in web.requests]
    assert paths.count("/robots.txt") == 1
    assert all(paths.index("/robots.txt") < i for i, p in enumerate(paths) if p.endswith(".xml"))
    assert web.requests_for("/private/feed.xml") == [] and len(web.requests_for("/private/hn.json")) == 1
    # 429 with Retry-After: 1 waits a second; a 503 without it backs off; a wall is not retried.
    slow = web.requests_for("/slow-down.xml")
    assert [r.status for r in slow] == [429, 200] and slow[1].time - slow[0].time >= 1.0
    flaky = web.requests_for("/flaky.xml")
    assert [r.status for r in flaky] == [503, 200] and flaky[1].time - flaky[0].time >= 1.0
    assert [r.status for r in web.requests_for("/later.xml")] == [429]
    assert [r.status for r in web.requests_for("/challenge.xml")] == [503]
    assert {r.headers["User-Agent"] for r in web.requests} == {"mentionwatch/0.1.0 (+mailto:owner@example.com)"}
