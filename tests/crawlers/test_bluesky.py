"""Bluesky post search over the AT Protocol (login, then searchPosts), through `mentionwatch run`."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from crawlers.spiders.bluesky import post_url
from mentionwatch.sandbox.web import Response
from tests.conftest import business
from tests.crawlers.helpers import (
    ALERTS,
    by_author,
    failures,
    fixture,
    run,
    stored,
    summary,
    utc,
)

LOGIN = "/xrpc/com.atproto.server.createSession"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREDENTIALS = {"BLUESKY_HANDLE": "joesdonuts.example", "BLUESKY_APP_PASSWORD": "abcd-efgh-ijkl-mnop"}


def test_login_once_search_each_query_then_only_newer_posts(web, workspace):
    web.add(LOGIN, fixture("bluesky", "create_session.json"), content_type="application/json")
    web.add(SEARCH, fixture("bluesky", "search_posts.json"))
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[
        {"type": "bluesky", "query": "Joe's Donuts", "service": web.url},
        {"type": "bluesky", "query": "#joesdonuts", "service": web.url},
    ])])

    without_login = run(workspace)

    assert summary(without_login).startswith("0 sources ok, 2 failed")
    assert all(f.endswith("Bluesky search needs a login: set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD "
                          "(an app password; or credentials.bluesky_* in config.yaml)")
               for f in failures(without_login))
    assert web.requests == []

    first = run(workspace, env=CREDENTIALS)

    # Both queries find the same two posts: four items, two mentions.
    assert summary(first).startswith("2 sources ok, 0 failed; 4 items fetched, 2 new mentions")
    logins = web.requests_for(LOGIN)
    assert [r.method for r in logins] == ["POST"]
    searches = web.requests_for(SEARCH)
    assert sorted(parse_qs(urlsplit(r.path).query)["q"][0] for r in searches) == ["#joesdonuts", "Joe's Donuts"]
    assert all(r.headers.get("Authorization") == "(redacted)" for r in searches)
    assert CREDENTIALS["BLUESKY_APP_PASSWORD"] not in first.stdout + first.stderr
    posts = by_author(stored(workspace, "bluesky"))
    maria = posts["@maria.bsky.social"]
    assert maria["url"] == "https://bsky.app/profile/did:plc:aaaa1111bbbb2222cccc3333/post/3lbqzx7abc22k"
    assert maria["text"] == "Joe's Donuts <3 the new pistachio glaze.\nWorth the walk!"
    assert maria["published_at"] == utc("2026-11-22T18:00:00Z")

    web.add(SEARCH, fixture("bluesky", "search_posts_newer.json"))
    second = run(workspace, env=CREDENTIALS)

    assert summary(second).startswith("2 sources ok, 0 failed; 2 items fetched, 1 new mention")
    later = web.requests_for(SEARCH)[2:]
    assert [parse_qs(urlsplit(r.path).query)["since"] for r in later] == [["2026-11-22T18:00:00Z"]] * 2
    assert "Update: Joe's Donuts sorted my refund." in {p["text"] for p in stored(workspace)}

    web.script(LOGIN, Response(401, '{"error":"AuthenticationRequired","message":"Invalid identifier or password"}',
                               {"Content-Type": "application/json"}))
    refused = run(workspace, env=CREDENTIALS)

    assert [f.split(": ", 1)[1] for f in failures(refused)] == ["bluesky login: HTTP 401 Unauthorized"] * 2


def test_post_addresses_use_the_stable_did():
    assert post_url("at://did:plc:abc/app.bsky.feed.post/3kxyz") == "https://bsky.app/profile/did:plc:abc/post/3kxyz"
    assert post_url("at://did:plc:abc/app.bsky.feed.like/3kxyz") is None
    assert post_url("https://example.com/") is None
