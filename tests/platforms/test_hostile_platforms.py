"""Hostile platform answers: a listing that never ends, and next pages or redirects to another
origin, which must never receive the source's credentials."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mentionwatch.sandbox.web import LocalHTTPServer
from tests.conftest import business
from tests.crawlers.helpers import run, source_errors, stored, summary
from tests.platforms.conftest import LOCATION, google_env, google_source

CREDENTIAL_HEADERS = {"authorization", "apikey", "cookie", "proxy-authorization"}
UNIT = "4bdc3b0e00006400050a2c5e"
APP = "1234567890"


@pytest.fixture
def foreign() -> Iterator[LocalHTTPServer]:
    """Another origin that records what it receives (a second port: another origin)."""
    with LocalHTTPServer() as server:
        server.add("/", json.dumps({"reviews": [], "data": [], "links": []}), content_type="application/json")
        yield server


def _credentials_received(server: LocalHTTPServer) -> list[str]:
    return [name for r in server.requests for name in r.headers if name.lower() in CREDENTIAL_HEADERS]


def _warnings(result) -> list[str]:
    return [line.removeprefix("warning: ") for line in result.stderr.splitlines() if line.startswith("warning: ")]


def test_a_next_page_token_that_never_changes_ends_the_run_with_a_plain_reason(google, workspace):
    for n in range(3):
        google.add_review(LOCATION, f"r{n}", 4, f"Nice {n}", f"Ann {n}", datetime(2026, 11, 20 + n, tzinfo=UTC))
    google.misbehave("same_token")
    refresh = google.grant()
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1},
                           businesses=[business(sources=[google_source(google)])])

    result = run(workspace, env=google_env(google, refresh))

    # The first page twice (its token handed back), then no more: the same three reviews, stored once.
    assert summary(result).startswith("0 sources ok, 1 failed; 6 items fetched, 3 new mentions"), result.stderr
    (error,) = source_errors(workspace).values()
    assert error.startswith("reviews: the platform sent a next page already read (c2FtZS1wYWdl) after page 2")
    assert len(google.calls("GET", f"/v4/{LOCATION}/reviews")) == 2


def test_a_platform_inventing_pages_forever_is_read_up_to_the_page_cap(google, workspace):
    google.misbehave("endless")
    refresh = google.grant()
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1},
                           businesses=[business(sources=[{**google_source(google), "max_pages": 3}])])

    result = run(workspace, env=google_env(google, refresh))

    assert summary(result).startswith("1 source ok, 0 failed; 150 items fetched"), result.stderr
    (warning,) = _warnings(result)
    assert warning.startswith("Joe's Donuts / ") and warning.endswith(
        ": reviews: stopped at the page cap (3 pages) with more pages offered: older items were not read this run")
    assert len(google.calls("GET", f"/v4/{LOCATION}/reviews")) == 3
    assert len(stored(workspace, "google_business")) == 150


def _trustpilot(web: LocalHTTPServer, workspace, next_href: str) -> dict[str, str]:
    base = f"/v1/business-units/{UNIT}"
    web.add(base, json.dumps({"id": UNIT, "score": {"stars": 4.0}, "numberOfReviews": {"total": 2}}),
            content_type="application/json")
    web.add(f"{base}/reviews", json.dumps({
        "reviews": [{"id": "5f1a0001", "stars": 2, "title": "Meh", "text": "Stale.", "createdAt": "2026-11-22T10:00:00Z",
                     "consumer": {"displayName": "Bo"}}],
        "links": [{"href": next_href, "method": "GET", "rel": "next-page"}]}), content_type="application/json")
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1}, businesses=[business(sources=[
        {"type": "trustpilot", "domain": "joesdonuts.com", "business_unit_id": UNIT, "api_url": f"{web.url}/v1/"}])])
    return {"TRUSTPILOT_API_KEY": "tp-key-abcdef"}


def test_a_trustpilot_next_page_on_another_origin_is_refused_and_receives_no_api_key(web, foreign, workspace):
    env = _trustpilot(web, workspace, f"{foreign.url}/v1/business-units/{UNIT}/reviews?page=2")

    result = run(workspace, env=env)

    assert summary(result).startswith("1 source ok, 0 failed; 1 item fetched"), result.stderr
    (warning,) = _warnings(result)
    assert warning.endswith(f"reviews: next page on another origin refused ({foreign.url}; the listing and its "
                            f"credentials are {web.url}): stopped after page 1")
    assert foreign.requests == [] and _credentials_received(foreign) == []
    assert "tp-key-abcdef" not in result.stdout + result.stderr


def test_a_redirect_to_another_origin_carries_no_api_key(web, foreign, workspace):
    env = _trustpilot(web, workspace, "")
    web.add(f"/v1/business-units/{UNIT}", "", status=302, headers={"Location": f"{foreign.url}/"})

    run(workspace, env=env)

    assert len(foreign.requests) == 1  # followed (the source is on a private address) ...
    assert _credentials_received(foreign) == []  # ... without the key
    asked = {k.lower(): v for k, v in web.requests_for(f"/v1/business-units/{UNIT}")[0].headers.items()}
    assert asked["apikey"] == "(redacted)"  # the key went to its own origin only


def test_an_app_store_connect_next_link_to_another_origin_receives_no_token(web, foreign, workspace, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "AuthKey.p8").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    env = {"APPSTORE_CONNECT_KEY_ID": "2X9R4HXF34", "APPSTORE_CONNECT_ISSUER_ID": "57246542-96fe-1a63-e053-0824d011072a",
           "APPSTORE_CONNECT_PRIVATE_KEY_FILE": str(tmp_path / "AuthKey.p8")}
    web.add(f"/v1/apps/{APP}/customerReviews", json.dumps({
        "data": [{"type": "customerReviews", "id": "r1", "attributes": {
            "rating": 1, "title": "Crash", "body": "Crashes.", "reviewerNickname": "Ann",
            "createdDate": "2026-11-22T14:45:31-08:00"}}],
        "links": {"self": f"{web.url}/v1/apps/{APP}/customerReviews",
                  "next": f"{foreign.url}/v1/apps/{APP}/customerReviews?cursor=1"}}), content_type="application/json")
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1}, businesses=[business(sources=[
        {"type": "appstore_connect", "app_id": APP, "url": f"{web.url}/"}])])

    result = run(workspace, env=env)

    assert summary(result).startswith("1 source ok, 0 failed; 1 item fetched"), result.stderr
    (warning,) = _warnings(result)
    assert "customerReviews: next page on another origin refused" in warning
    assert foreign.requests == [] and _credentials_received(foreign) == []
    asked = {k.lower(): v for k, v in web.requests_for(f"/v1/apps/{APP}")[0].headers.items()}
    assert asked["authorization"] == "(redacted)"


def _gbp_answer(web: LocalHTTPServer, answer: dict) -> None:
    web.add(f"/v4/{LOCATION}/reviews", json.dumps(answer), content_type="application/json")


def _gbp_config(workspace, google, web: LocalHTTPServer) -> None:
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1}, businesses=[business(sources=[
        {**google_source(google), "url": f"{web.url}/v4/"}])])


def test_a_wrong_shaped_google_review_is_skipped_with_a_warning_and_the_rest_is_stored(google, web, workspace):
    good = {"reviewId": "good", "starRating": "ONE", "comment": "Stale donuts.", "reviewer": {"displayName": "Ann"},
            "createTime": "2026-11-22T10:00:00Z", "updateTime": "2026-11-22T10:00:00Z"}
    _gbp_answer(web, {"reviews": [
        {**good, "reviewId": "listy", "starRating": ["FIVE"], "reviewer": {"displayName": "Listy"}},
        "not a review",
        {**good, "reviewId": ["x"]},
        {**good, "reviewId": "baddate", "createTime": "2026-02-30T25:61:00Z", "reviewer": {"displayName": "Bad"}},
        good], "totalReviewCount": 5})
    _gbp_config(workspace, google, web)

    result = run(workspace, env=google_env(google, google.grant()))

    assert summary(result).startswith("1 source ok, 0 failed; 2 items fetched"), result.stderr
    assert {r["author"] for r in stored(workspace, "google_business")} == {"Ann", "Listy"}
    dropped = [line for line in result.stderr.splitlines() if "dropped a malformed item" in line]
    assert len(dropped) == 3, result.stderr
    assert "Traceback" not in result.stderr and "unhashable" not in result.stderr


def test_reviews_that_are_no_list_are_a_problem_not_an_empty_listing(google, web, workspace):
    _gbp_answer(web, {"reviews": {}, "totalReviewCount": 12})
    _gbp_config(workspace, google, web)

    result = run(workspace, env=google_env(google, google.grant()))

    assert summary(result).startswith("0 sources ok, 1 failed"), result.stderr
    (error,) = source_errors(workspace).values()
    assert error.endswith("not a reviews.list answer (reviews is dict, not a list)"), error
