"""Trustpilot: the public page's JSON-LD without a key, the API with one; against a local server."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import business
from tests.crawlers.helpers import run, source_errors, stored, summary, utc

PAGE = """<!doctype html><html><head><title>Joe's Donuts Reviews</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
 {"@type": "LocalBusiness", "@id": "https://www.trustpilot.com/#/schema/Organization/joesdonuts.com",
  "name": "Joe's Donuts", "aggregateRating": {"@type": "AggregateRating", "ratingValue": "3.9", "reviewCount": "87",
  "bestRating": "5", "worstRating": "1"}},
 {"@type": "Review", "@id": "https://www.trustpilot.com/#/schema/Review/joesdonuts.com/6571a",
  "author": {"@type": "Person", "name": "Zoë Martin"}, "datePublished": "2026-11-21T09:12:44.000Z",
  "headline": "Cold &amp; stale", "reviewBody": "Ordered a dozen, half were stale. <b>Never</b> again 😞",
  "reviewRating": {"@type": "Rating", "ratingValue": "1", "bestRating": "5", "worstRating": "1"},
  "itemReviewed": {"@id": "https://www.trustpilot.com/#/schema/Organization/joesdonuts.com"}},
 {"@type": "Review", "@id": "https://www.trustpilot.com/#/schema/Review/joesdonuts.com/6571b",
  "author": {"@type": "Person", "name": "Sam"}, "datePublished": "2026-11-20T18:00:00.000Z",
  "headline": "Great crullers", "reviewBody": "Best in town.",
  "reviewRating": {"@type": "Rating", "ratingValue": "5", "bestRating": "5", "worstRating": "1"},
  "itemReviewed": {"@id": "https://www.trustpilot.com/#/schema/Organization/joesdonuts.com"}}
]}</script></head><body><h1>Joe's Donuts</h1></body></html>"""


def _review(n: int, stars: int, text: str, name: str, created: str, reply: str | None = None) -> dict:
    review = {"id": f"5f1a{n:04d}", "stars": stars, "title": f"Review {n}", "text": text, "language": "en",
              "createdAt": created, "updatedAt": None, "consumer": {"id": f"c{n}", "displayName": name},
              "links": [{"href": f"https://api.trustpilot.com/v1/reviews/5f1a{n:04d}", "method": "GET", "rel": "reviews"}]}
    if reply:
        review["companyReply"] = {"text": reply, "createdAt": created, "updatedAt": None}
    return review


def test_public_page_json_ld_without_a_key(web, workspace):
    web.add("/review/joesdonuts.com", PAGE, content_type="text/html; charset=utf-8")
    workspace.write_config(alerts={"max_age_days": 36500}, businesses=[business(sources=[
        {"type": "trustpilot", "domain": "joesdonuts.com", "url": f"{web.url}/review/joesdonuts.com"}])])

    result = run(workspace)

    assert summary(result).startswith("1 source ok, 0 failed; 2 items fetched, 2 new mentions"), result.stderr
    zoe = {r["author"]: r for r in stored(workspace, "trustpilot")}["Zoë Martin"]
    assert (zoe["rating"], zoe["title"]) == (1.0, "Cold & stale")
    assert zoe["published_at"] == utc("2026-11-21T09:12:44Z")
    with sqlite3.connect(workspace.database) as db:
        assert list(db.execute("select value, count from aggregate_ratings")) == [(3.9, 87)]
    assert web.requests_for("/robots.txt")  # a public page: robots.txt is asked first
    mention = next(json.loads(line) for line in workspace.cli("mentions", "--format", "json").stdout.splitlines()
                   if json.loads(line)["author"] == "Zoë Martin")
    replied = workspace.cli("reply", str(mention["id"]), "Sorry!")
    # The link is said once, in the one Error line.
    assert replied.returncode == 1 and replied.stdout == "" and replied.stderr.count(mention["url"]) == 1
    assert "Trustpilot replies go through its API only for reviews read through it" in replied.stderr


def test_api_with_a_key_reads_newest_first_pages_replies_and_the_score(web, workspace):
    base = "/v1/business-units/4bdc3b0e00006400050a2c5e"
    web.add(base, json.dumps({"id": "4bdc3b0e00006400050a2c5e", "displayName": "Joe's Donuts",
                              "score": {"trustScore": 4.1, "stars": 4.0}, "numberOfReviews": {"total": 132}}),
            content_type="application/json")
    page2 = f"{web.url}{base}/reviews?perPage=100&orderBy=createdat.desc&page=2"
    web.add(f"{base}/reviews?perPage=100&orderBy=createdat.desc", json.dumps({
        "reviews": [_review(1, 1, "Rude staff & <b>cold</b> coffee ☕", "Łucja", "2026-11-22T10:00:00Z"),
                    _review(2, 5, "Lovely.", "Bo", "2026-11-21T10:00:00Z", reply="Thanks, Bo!")],
        "links": [{"href": page2, "method": "GET", "rel": "next-page"}]}, ensure_ascii=False),
        content_type="application/json")
    web.add(f"{base}/reviews?perPage=100&orderBy=createdat.desc&page=2", json.dumps({
        "reviews": [_review(3, 3, "Okay.", "Cy", "2026-11-01T10:00:00Z")], "links": []}),
        content_type="application/json")
    workspace.write_config(alerts={"max_age_days": 36500}, businesses=[business(sources=[
        {"type": "trustpilot", "domain": "joesdonuts.com", "business_unit_id": "4bdc3b0e00006400050a2c5e",
         "api_url": f"{web.url}/v1/"}])])
    env = {"TRUSTPILOT_API_KEY": "tp-key-abcdef"}

    result = run(workspace, env=env)

    assert summary(result).startswith("1 source ok, 0 failed; 3 items fetched, 3 new mentions"), result.stderr
    lucja = {r["author"]: r for r in stored(workspace, "trustpilot")}["Łucja"]
    assert (lucja["rating"], lucja["text"]) == (1.0, "Rude staff & <b>cold</b> coffee ☕")
    assert lucja["url"] == "https://www.trustpilot.com/reviews/5f1a0001"
    with sqlite3.connect(workspace.database) as db:
        assert list(db.execute("select value, count from aggregate_ratings")) == [(4.0, 132)]
        assert list(db.execute("select text from replies")) == [("Thanks, Bo!",)]
    assert {k.lower(): v for k, v in web.requests_for(base)[0].headers.items()}["apikey"] == "(redacted)"
    assert not web.requests_for("/robots.txt")  # an API: its rate limits, not robots.txt

    mention = next(json.loads(line) for line in workspace.cli("mentions", "--format", "json", env=env).stdout.splitlines()
                   if json.loads(line)["author"] == "Łucja")
    replied = workspace.cli("reply", str(mention["id"]), "Sorry!", env=env)
    assert replied.returncode == 1 and replied.stdout == ""
    assert replied.stderr.startswith("Error: TRUSTPILOT_API_SECRET, TRUSTPILOT_USERNAME, TRUSTPILOT_PASSWORD, "
                                     "TRUSTPILOT_BUSINESS_USER_ID not set: replying on Trustpilot needs")

    web.add(base, json.dumps({"fault": {"faultstring": "Invalid ApiKey", "detail": {"errorcode": "oauth.v2.InvalidApiKey"}}}),
            content_type="application/json", status=401)
    run(workspace, env=env)
    (error,) = source_errors(workspace).values()
    assert error.startswith("Trustpilot refused the API key (Invalid ApiKey)")


def test_reply_as_a_business_user_through_oauth_exactly_once(workspace):
    from datetime import UTC, datetime

    from mentionwatch.sandbox.trustpilot import LocalTrustpilot

    env = {"TRUSTPILOT_API_KEY": "tp-key-abcdef", "TRUSTPILOT_API_SECRET": "tp-secret-123456",
           "TRUSTPILOT_USERNAME": "dana@joesdonuts.com", "TRUSTPILOT_PASSWORD": "correct horse",
           "TRUSTPILOT_BUSINESS_USER_ID": "507f191e810c19729de860ea"}
    with LocalTrustpilot("tp-key-abcdef", "tp-secret-123456", "dana@joesdonuts.com", "correct horse", "BU1") as tp:
        tp.add_review("6571c", 2, "Slow service, stale glaze.", "Ann", datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
        workspace.write_config(alerts={"max_age_days": 36500}, businesses=[business(sources=[
            {"type": "trustpilot", "domain": "joesdonuts.com", "business_unit_id": "BU1", "api_url": tp.api_url}])])
        run(workspace, env=env)
        (mention,) = [json.loads(line) for line in workspace.cli("mentions", "--format", "json", env=env).stdout.splitlines()]
        tp.lose_reply_answers(1)

        sent = workspace.cli("reply", str(mention["id"]), "Sorry, Ann — fresh glaze is on us.", env=env)
        again = workspace.cli("reply", str(mention["id"]), "Sorry, Ann — fresh glaze is on us.", env=env)
        wrong = workspace.cli("reply", str(mention["id"]), "Another", "--replace",
                              env={**env, "TRUSTPILOT_PASSWORD": "wrong password"})

        assert sent.returncode == 0, sent.stderr
        assert again.returncode == 1
        (post,) = tp.calls("POST", "/reply")
        assert json.loads(post.body) == {"authorBusinessUserId": "507f191e810c19729de860ea",
                                         "message": "Sorry, Ann — fresh glaze is on us."}
        assert tp.reply_of("6571c") == "Sorry, Ann — fresh glaze is on us."
        assert wrong.returncode == 1
        assert wrong.stderr.startswith("Error: Trustpilot refused the business user's login (invalid_grant)")
        assert "wrong password" not in wrong.stderr


def test_a_gateway_s_html_error_page_is_named_by_its_status_on_every_platform():
    # What a reply's upload is told when a proxy in front of the API answers (walkthrough: "HTTP 502:;").
    from crawlers.platforms import appstore_connect, google, google_play, yelp
    from crawlers.spiders import trustpilot

    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    said = [trustpilot.describe_error(502, page), yelp.describe_error(502, page),
            google_play.describe_error(502, page), google.describe_api_error(502, page),
            appstore_connect.describe_error(502, page)]
    assert said == ["Trustpilot answered HTTP 502 Bad Gateway", "Yelp answered HTTP 502 Bad Gateway",
                    "Google Play answered HTTP 502 Bad Gateway", "Google answered HTTP 502 Bad Gateway",
                    "App Store Connect answered HTTP 502 Bad Gateway"]
    assert yelp.describe_error(500, b'{"error": {"code": "INTERNAL_ERROR", "description": "Try later"}}') == (
        "Yelp answered HTTP 500 INTERNAL_ERROR: Try later")
