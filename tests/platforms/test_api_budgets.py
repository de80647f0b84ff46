"""`check` shows what is left of each platform API's allowance, as the API's last answers said it
(Reddit's x-ratelimit-*, Yelp's RateLimit-*, App Store Connect's X-Rate-Limit), or the requests
made today beside the documented allowance where the API says nothing (Hacker News)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from mentionwatch.sandbox.hackernews import LocalHackerNews
from mentionwatch.sandbox.reddit import LocalReddit
from tests.conftest import business
from tests.crawlers.helpers import ALERTS, run
from tests.platforms.test_appstore_connect import APP, apple  # noqa: F401 - the App Store Connect fixture

CHICAGO = "America/Chicago"


def budget_lines(text: str) -> list[str]:
    return [line.strip().removeprefix("budget: ") for line in text.splitlines() if line.strip().startswith("budget: ")]


def chicago(moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(CHICAGO))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def test_yelp_s_daily_limit_from_its_headers_until_its_reset(web, workspace):
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    limits = {"RateLimit-DailyLimit": "500", "RateLimit-Remaining": "487", "RateLimit-ResetTime": tomorrow.isoformat()}
    web.add("/v3/businesses/joes", json.dumps({"id": "joes", "name": "Joe's Donuts", "rating": 4.5, "review_count": 2}),
            content_type="application/json", headers=limits)
    web.add("/v3/businesses/joes/reviews?limit=3&sort_by=newest", json.dumps({"reviews": [], "total": 0}),
            content_type="application/json", headers={**limits, "RateLimit-Remaining": "486"})
    workspace.write_config(alerts=ALERTS, businesses=[business(timezone=CHICAGO, sources=[
        {"type": "yelp", "business_id": "joes", "url": f"{web.url}/v3/"}])])
    env = {"YELP_API_KEY": "yelp-key-123456"}

    before = budget_lines(workspace.cli("check", env=env).stdout)
    run(workspace, env=env)
    after = budget_lines(workspace.cli("check", env=env).stdout)

    assert before == ["not known yet: no run has asked this API"]
    (line,) = after
    assert line.startswith(f"486 of 500 left until {chicago(tomorrow)} (at ")  # the last answer's figure
    rows = json.loads(workspace.cli("check", "--format", "json", env=env).stdout)["sources"]
    assert rows[0]["budget"].startswith(f"486 of 500 left until {tomorrow:%Y-%m-%d %H:%M} UTC")


def test_reddit_s_window_from_its_headers(workspace):
    with LocalReddit(allowance=100) as reddit:
        reddit.post("Weekend plans", "Joe's Donuts again")
        workspace.write_config(alerts=ALERTS, businesses=[business(timezone=CHICAGO, sources=[
            {"type": "reddit", "query": "Joe's Donuts"}])],
            streams={"reddit": {"api_url": reddit.base_url, "requests_per_minute": 6000}})
        started = datetime.now(timezone.utc)
        run(workspace)
        asked = len(reddit.requests)
    (line,) = budget_lines(workspace.cli("check").stdout)
    assert asked >= 1 and line.startswith(f"{100 - asked} of 100 left until ")
    resets = datetime.strptime(line.split(" until ")[1][:16], "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(CHICAGO))
    # The local Reddit's window is ten minutes from its first answer.
    assert started - timedelta(minutes=1) <= resets <= started + timedelta(minutes=11)


def test_app_store_connect_s_rolling_hour_from_its_header(apple, workspace):  # noqa: F811
    server, env = apple
    server.add_review(APP, "r1", 5, "Nice", "Works well.", "user1", "2026-10-01T10:00:00-07:00")
    workspace.write_config(alerts=ALERTS, businesses=[business(sources=[
        {"type": "appstore_connect", "app_id": APP, "url": server.api_url}])])
    run(workspace, env=env)
    used = server.used  # (`check` then asks the API too, to test the key)
    (line,) = budget_lines(workspace.cli("check", env=env).stdout)
    assert used >= 1 and line.startswith(f"{3600 - used:,} of 3,600 left in the rolling hour (at ")


def test_hacker_news_counts_the_requests_made_today_against_algolia_s_allowance(workspace):
    with LocalHackerNews() as hn:
        hn.story("Show HN: Joe's Donuts app", "Built for Joe's Donuts")
        workspace.write_config(alerts=ALERTS, businesses=[business(sources=[{"type": "hackernews", "query": "Joe's Donuts"}])],
                               streams={"hackernews": {"api_url": hn.api_url}})
        run(workspace)
        first = len(hn.requests)
        run(workspace)
        total = len(hn.requests)
    (line,) = budget_lines(workspace.cli("check").stdout)
    assert first >= 1 and total > first
    assert line == f"{total} requests made today (UTC); Algolia allows about 10,000 an hour"


def test_mastodon_s_window_from_its_headers(web, workspace):
    reset = (datetime.now(timezone.utc) + timedelta(minutes=5)).replace(second=0, microsecond=0)
    web.add("/api/v1/timelines/tag/JoesDonuts", "[]", content_type="application/json",
            headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                     "X-RateLimit-Reset": reset.isoformat().replace("+00:00", ".000Z")})
    workspace.write_config(alerts=ALERTS, businesses=[business(timezone=CHICAGO, sources=[
        {"type": "mastodon", "instance": web.url, "tag": "#JoesDonuts"}])])
    run(workspace)
    (line,) = budget_lines(workspace.cli("check").stdout)
    assert line.startswith(f"299 of 300 left until {chicago(reset)} (at ")
