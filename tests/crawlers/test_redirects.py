"""Redirects go only to http(s), never from a public address inward; pagination keeps its origin.

`public.test` stands for a site on the internet: MENTIONWATCH_PUBLIC_TEST_HOSTS (a test-only
setting) resolves it to the local server and counts it as public, so a redirect from it to
127.0.0.1 is the case of a feed pointing the crawler at the owner's own services.
"""

from __future__ import annotations

import socket

from tests.conftest import business
from tests.crawlers.helpers import ALERTS, run, source_errors, stored

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>Joe's Donuts in the news {n}</title><link>https://news.example/{n}</link>
<description>Joe's Donuts opens shop {n}.</description></item></channel></rss>"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redirects_from_a_public_site_into_private_addresses_or_other_schemes_are_refused(web, workspace):
    port = web.url.rsplit(":", 1)[1]
    public = f"http://public.test:{port}"
    web.add("/inward.xml", "", status=302, headers={"Location": f"{web.url}/secret.xml"})
    web.add("/metadata.xml", "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    web.add("/ftp.xml", "", status=301, headers={"Location": "ftp://files.example/feed.xml"})
    web.add("/moved.xml", "", status=301, headers={"Location": f"{public}/news.xml"})
    web.add("/local.xml", "", status=302, headers={"Location": f"{web.url}/intranet.xml"})
    web.add("/secret.xml", FEED.format(n=0), content_type="application/rss+xml")
    web.add("/news.xml", FEED.format(n=1), content_type="application/rss+xml")
    web.add("/intranet.xml", FEED.format(n=2), content_type="application/rss+xml")
    workspace.write_config(alerts=ALERTS, crawler={"retries": 0}, businesses=[business(sources=[
        {"type": "feed", "url": f"{public}/inward.xml"},
        {"type": "feed", "url": f"{public}/metadata.xml"},
        {"type": "feed", "url": f"{public}/ftp.xml"},
        {"type": "feed", "url": f"{public}/moved.xml"},  # public to public: followed
        {"type": "feed", "url": f"{web.url}/local.xml"},  # the owner chose a loopback source
    ])])

    result = run(workspace, env={"MENTIONWATCH_PUBLIC_TEST_HOSTS": "public.test=127.0.0.1"})

    errors = source_errors(workspace)

    def error_of(path: str) -> str | None:
        (identity,) = [i for i in errors if i.endswith(path)]
        return errors[identity]

    assert error_of("/inward.xml") == ("redirect from public.test to a private address refused: "
                                       "127.0.0.1 is loopback, private or link-local")
    assert error_of("/metadata.xml") == ("redirect from public.test to a private address refused: "
                                         "169.254.169.254 is loopback, private or link-local")
    assert error_of("/ftp.xml") == ("redirect to a ftp address refused (only http and https are followed): "
                                    "ftp://files.example/feed.xml")
    assert error_of("/moved.xml") is None and error_of("/local.xml") is None
    assert not web.requests_for("/secret.xml")  # nothing was asked of the private address
    assert {r["url"] for r in stored(workspace)} == {"https://news.example/1", "https://news.example/2"}
    assert sum(line.startswith("failed: ") for line in result.stderr.splitlines()) == 3


PAGE = """<html><body><div class="review"><p>Joe's Donuts review {n}</p></div>{next}</body></html>"""


def test_pagination_stays_on_the_pages_own_scheme_host_and_port(web, workspace):
    other_port = closed_port()  # were a "next" link there followed, the source would fail
    web.add("/reviews", PAGE.format(n=1, next=f'<a rel="next" href="/reviews?page=2">next</a>'),
            content_type="text/html")
    web.add("/reviews?page=2", PAGE.format(
        n=2, next=f'<a rel="next" href="http://127.0.0.1:{other_port}/reviews?page=3">next</a>'),
        content_type="text/html")
    web.add("/https", PAGE.format(n=3, next=f'<a rel="next" href="{web.url.replace("http:", "https:")}/x">n</a>'),
            content_type="text/html")
    workspace.write_config(alerts=ALERTS, crawler={"retries": 0}, businesses=[business(sources=[
        {"type": "html", "url": f"{web.url}/reviews", "item": "div.review", "text": "p::text", "max_pages": 5},
        {"type": "html", "url": f"{web.url}/https", "item": "div.review", "text": "p::text", "max_pages": 5},
    ])])

    run(workspace)

    assert set(source_errors(workspace).values()) == {None}
    assert sorted(r["text"] for r in stored(workspace)) == [
        "Joe's Donuts review 1", "Joe's Donuts review 2", "Joe's Donuts review 3"]
