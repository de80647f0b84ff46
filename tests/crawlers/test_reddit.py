"""Reddit's JSON listings, through `mentionwatch run`."""

from __future__ import annotations

from crawlers.config import RedditSource
from crawlers.spiders.reddit import listing_urls, token_url
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

SEARCH = "/search.json?q=%22Joe%27s+Donuts%22&sort=new&limit=100&raw_json=1"
COMMENTS = "/r/springfield/comments.json?limit=100&raw_json=1"


def test_posts_and_comments_at_a_polite_pace_then_only_what_is_newer(web, workspace):
    web.add(SEARCH.split("?")[0], fixture("reddit", "search.json"))
    web.add(COMMENTS.split("?")[0], fixture("reddit", "comments.json"))
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[
        {"type": "reddit", "query": "Joe's Donuts", "url": web.url + SEARCH, "requests_per_minute": 120},
        {"type": "reddit", "query": "Joe's Donuts", "subreddit": "springfield", "url": web.url + COMMENTS,
         "requests_per_minute": 120},
    ])])

    first = run(workspace)

    # Three posts and two comments read; the comment that does not name the business is dropped.
    assert summary(first).startswith("2 sources ok, 0 failed; 5 items fetched, 4 new mentions")
    posts = by_author(stored(workspace, "reddit"))
    charged = posts["u/springfield_mom"]
    assert charged["url"] == "https://www.reddit.com/r/springfield/comments/1gx2abc/joes_donuts_charged_me_twice/"
    assert charged["title"] == "Joe's Donuts charged me twice and won't refund"
    assert charged["text"] == 'Bought a dozen on Friday, my card was charged twice.\n\nThe manager said "not our problem".'
    assert charged["published_at"] == utc("2026-11-21T18:20:00Z")
    assert posts["u/donutfan"]["text"] == "https://www.joesdonuts.example/menu"  # a link post
    assert posts[None]["text"] == "Très bon café, personnel sympa. 👍"  # a deleted author is no author
    comment = posts["u/sick_in_sfld"]
    assert comment["title"] == "Re: Where to eat downtown?"
    assert comment["url"] == "https://www.reddit.com/r/springfield/comments/1gt0aaa/slug/lq9aaa/"
    # An API client, not a crawler of pages: no robots.txt, but the pace Reddit asks for.
    requests = web.requests
    assert sorted(r.path for r in requests) == sorted([SEARCH, COMMENTS])
    assert requests[1].time - requests[0].time >= 0.45
    assert requests[0].headers["User-Agent"].startswith("mentionwatch/")

    web.add(SEARCH.split("?")[0], fixture("reddit", "search_newer.json"))
    web.add(SEARCH + "&after=t3_1gy5new", fixture("reddit", "search_newer_page2.json"))

    second = run(workspace)

    # Two new posts on the first page, one more on the next, where the known ones begin: stop.
    assert summary(second).startswith("2 sources ok, 0 failed; 3 items fetched, 3 new mentions")
    assert {r.path for r in web.requests[2:]} == {SEARCH, SEARCH + "&after=t3_1gy5new", COMMENTS}
    assert len(stored(workspace, "reddit")) == 7


def test_oauth_client_credentials_log_in_once_and_a_refused_login_fails_every_reddit_source(web, workspace):
    web.add("/api/v1/access_token", fixture("reddit", "access_token.json"))
    web.add("/r/springfield/search", fixture("reddit", "search.json"))
    search = f"{web.url}/r/springfield/search?q=Joe%27s+Donuts&restrict_sr=on&sort=new"
    workspace.write_config(alerts=ALERTS, businesses=[
        business(sources=[{"type": "reddit", "query": "Joe's Donuts", "url": search, "requests_per_minute": 600}]),
        business("Joe's Bagels", keywords=["Joe's Bagels"],
                 sources=[{"type": "reddit", "query": "Joe's Bagels", "url": search, "requests_per_minute": 600}]),
    ])
    env = {"REDDIT_CLIENT_ID": "client-id-123", "REDDIT_CLIENT_SECRET": "client-secret-456"}

    first = run(workspace, env=env)

    assert summary(first).startswith("2 sources ok, 0 failed; 6 items fetched, 3 new mentions")
    token_requests = web.requests_for("/api/v1/access_token")
    assert [(r.method, r.headers.get("Authorization")) for r in token_requests] == [("POST", "(redacted)")]
    searches = web.requests_for("/r/springfield/search")
    assert len(searches) == 2 and all(r.headers.get("Authorization") == "(redacted)" for r in searches)
    assert "client-secret-456" not in first.stdout + first.stderr

    web.script("/api/v1/access_token", Response(401, '{"message": "Unauthorized", "error": 401}',
                                                {"Content-Type": "application/json"}))
    second = run(workspace, env=env)

    assert summary(second).startswith("0 sources ok, 2 failed")
    assert failures(second) == [
        "Joe's Donuts / Reddit search for Joe's Donuts: reddit login: HTTP 401 Unauthorized",
        "Joe's Bagels / Reddit search for Joe's Bagels: reddit login: HTTP 401 Unauthorized",
    ]


def test_default_endpoints():
    plain = RedditSource(type="reddit", query="Joe's Donuts")
    assert listing_urls(plain, "https://www.reddit.com") == {
        "search": "https://www.reddit.com/search.json?q=Joe%27s%20Donuts&sort=new&limit=100&raw_json=1"}
    sub = RedditSource(type="reddit", query="Joe's Donuts", subreddit="r/springfield")
    assert listing_urls(sub, "https://oauth.reddit.com") == {
        "search": "https://oauth.reddit.com/r/springfield/search?q=Joe%27s%20Donuts&restrict_sr=on&sort=new"
                  "&limit=100&raw_json=1",
        "comments": "https://oauth.reddit.com/r/springfield/comments?limit=100&raw_json=1",
    }
    assert token_url("https://oauth.reddit.com") == "https://www.reddit.com/api/v1/access_token"
    assert token_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080/api/v1/access_token"
