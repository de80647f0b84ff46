"""Yelp Fusion review excerpts through `mentionwatch run`, against a local server answering like Yelp."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import business
from tests.crawlers.helpers import run, source_errors, stored, summary, utc

BIZ = "/v3/businesses/joes-donuts-springfield"
REVIEWS = BIZ + "/reviews?limit=3&sort_by=newest"
LIMITS = {"RateLimit-DailyLimit": "300", "RateLimit-Remaining": "297", "RateLimit-ResetTime": "2026-11-30T00:00:00+00:00"}


def _review(n: int, rating: int, text: str, name: str, created: str) -> dict:
    return {"id": f"xAG4O7l-t1ubbwVAlPnD{n}", "url": f"https://www.yelp.com/biz/joes-donuts-springfield?hrid=r{n}",
            "text": text, "rating": rating, "time_created": created,
            "user": {"id": f"W8UK02IDdRS2GL_66fuq{n}", "profile_url": f"https://www.yelp.com/user_details?userid={n}",
                     "image_url": None, "name": name}}


def _serve(web, reviews: list[dict]) -> None:
    web.add(BIZ, json.dumps({"id": "joes-donuts-springfield", "alias": "joes-donuts-springfield", "name": "Joe's Donuts",
                             "rating": 4.5, "review_count": 212}), content_type="application/json", headers=LIMITS)
    web.add(REVIEWS, json.dumps({"reviews": reviews, "total": 212, "possible_languages": ["en"]}, ensure_ascii=False),
            content_type="application/json", headers=LIMITS)


def _config(web, workspace) -> None:
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1}, businesses=[business(sources=[
        {"type": "yelp", "business_id": "joes-donuts-springfield", "url": f"{web.url}/v3/"}])])


def test_three_newest_excerpts_with_stars_and_the_overall_rating_then_only_the_new_one(web, workspace):
    a = _review(1, 1, "Stale <b>crullers</b> &amp; a 20 minute wait…", "Zoë K.", "2026-11-20 18:05:00")
    b = _review(2, 5, "Best maple bar in town!", "Sam T.", "2026-11-18 09:00:00")
    c = _review(3, 4, "Good coffee.", "Priya N.", "2026-11-10 12:30:00")
    _serve(web, [a, b, c])
    _config(web, workspace)
    env = {"YELP_API_KEY": "yelp-key-123456"}

    first = run(workspace, env=env)

    assert summary(first).startswith("1 source ok, 0 failed; 3 items fetched, 3 new mentions"), first.stderr
    reviews = {r["author"]: r for r in stored(workspace, "yelp")}
    zoe = reviews["Zoë K."]
    assert (zoe["rating"], zoe["text"]) == (1.0, "Stale <b>crullers</b> &amp; a 20 minute wait…")
    assert zoe["published_at"] == utc("2026-11-21T02:05:00Z")  # Yelp's times are US Pacific
    assert zoe["url"] == "https://www.yelp.com/biz/joes-donuts-springfield?hrid=r1"
    with sqlite3.connect(workspace.database) as db:
        assert list(db.execute("select value, count from aggregate_ratings")) == [(4.5, 212)]
    assert web.requests_for(REVIEWS)[0].headers["Authorization"] == "(redacted)"

    d = _review(4, 2, "Rude at the counter.", "Lee", "2026-11-25 08:00:00")
    _serve(web, [d, a, b])
    second = run(workspace, env=env)

    assert summary(second).startswith("1 source ok, 0 failed; 1 item fetched, 1 new mention"), second.stderr

    mention_id = {r["author"]: r for r in map(json.loads, workspace.cli("mentions", "--format", "json", env=env)
                                              .stdout.splitlines())}["Lee"]["id"]
    replied = workspace.cli("reply", str(mention_id), "Sorry!", env=env)
    assert replied.returncode == 1
    assert replied.stdout == "" and replied.stderr.count(d["url"]) == 1  # the link is said once
    assert "Yelp lets only its partners reply through the API" in replied.stderr


def test_a_refused_key_and_a_used_up_daily_limit_say_what_to_do(web, workspace):
    web.add(BIZ, json.dumps({"error": {"code": "TOKEN_INVALID", "description": "Invalid access token or authorization header."}}),
            content_type="application/json", status=401)
    _config(web, workspace)

    run(workspace, env={"YELP_API_KEY": "wrong-key-0000"})
    (error,) = source_errors(workspace).values()
    assert error.startswith("Yelp refused the API key (TOKEN_INVALID): set YELP_API_KEY")

    web.add(BIZ, json.dumps({"error": {"code": "ACCESS_LIMIT_REACHED",
                                       "description": "You've reached the access limit for this client."}}),
            content_type="application/json", status=429,
            headers={**LIMITS, "RateLimit-Remaining": "0", "Retry-After": "3600"})
    run(workspace, env={"YELP_API_KEY": "yelp-key-123456"})
    (error,) = source_errors(workspace).values()
    assert error == ("Yelp's daily API limit is used up (ACCESS_LIMIT_REACHED) (it resets at "
                     "2026-11-30T00:00:00+00:00): the next run after that tries again")


def test_no_key_is_a_readable_error(web, workspace):
    _config(web, workspace)
    run(workspace)
    (error,) = source_errors(workspace).values()
    assert error.startswith("YELP_API_KEY is not set")


def test_check_tests_the_api_key(web, workspace):
    _serve(web, [])
    _config(web, workspace)

    good = workspace.cli("check", env={"YELP_API_KEY": "yelp-key-123456"})
    web.add(BIZ, json.dumps({"error": {"code": "TOKEN_INVALID", "description": "Invalid access token."}}),
            content_type="application/json", status=401)
    bad = workspace.cli("check", env={"YELP_API_KEY": "wrong-key-0000"})

    assert good.returncode == 0, good.stdout
    assert "credentials work (212 reviews, 4.5 stars)" in good.stdout
    assert bad.returncode == 1 and "FAILED yelp" in bad.stdout and "Yelp refused the API key (TOKEN_INVALID)" in bad.stdout
    assert "wrong-key-0000" not in bad.stdout
