"""Google Business Profile reviews through `mentionwatch run`, against a local Google."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from mentionwatch.sandbox.google import NOT_APPROVED, QUOTA_EXCEEDED, UNAUTHENTICATED
from tests.crawlers.helpers import failures, run, source_errors, stored, summary
from tests.platforms.conftest import LOCATION, google_env, write_google_config

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _rows(workspace, sql: str) -> list[tuple]:
    with sqlite3.connect(workspace.database) as db:
        return list(db.execute(sql))


def test_reviews_pages_stars_replies_and_aggregate_then_edits_deletions_and_new_reviews(google, workspace):
    for n in range(54):  # more than one page of 50
        google.add_review(LOCATION, f"r{n:02d}", stars=5, comment=f"Lovely glazed donut number {n}.",
                          reviewer=f"Fan {n}", created=T0 + timedelta(minutes=n))
    google.add_review(LOCATION, "unicode", stars=2, comment="Żółć & <b>stale</b> crullers 😞\n\nNever again.",
                      reviewer="Zoë Łukasz", created=T0 + timedelta(hours=5), reply="Sorry, Zoë – we'll fix it.")
    google.add_review(LOCATION, "quiet", stars=4, comment=None, reviewer="", created=T0 + timedelta(hours=6),
                      anonymous=True)
    token = google.grant()
    write_google_config(workspace, google)

    first = run(workspace, env=google_env(google, token))

    assert summary(first).startswith("1 source ok, 0 failed; 56 items fetched, 56 new mentions"), first.stdout
    reviews = {r["author"]: r for r in stored(workspace, "google_business")}
    zoe = reviews["Zoë Łukasz"]
    assert zoe["rating"] == 2.0
    # HTML in a review is text the customer typed, not markup: kept as written.
    assert zoe["text"] == "Żółć & <b>stale</b> crullers 😞\n\nNever again."
    assert zoe["published_at"] == T0 + timedelta(hours=5)
    assert zoe["url"] == ("https://business.google.com/reviews?location=accounts%2F111%2Flocations%2F222"
                          "&mw_item=unicode")
    assert reviews["A Google user"]["rating"] == 4.0
    assert _rows(workspace, "select text, author, via, status from replies") == [
        ("Sorry, Zoë – we'll fix it.", "(on the platform)", "platform", "sent")]
    assert _rows(workspace, "select value, count from aggregate_ratings") == [(4.9, 56)]
    listings = google.calls("GET", "/reviews")
    assert len(listings) == 2 and "pageSize=50&orderBy=updateTime%20desc" in listings[0].path
    assert "pageToken=" in listings[1].path
    assert listings[0].headers["Authorization"] == "(redacted)"

    # Then: one review edited from 5 stars to 1, one deleted, one new.
    google.edit_review(LOCATION, "r10", at=T0 + timedelta(days=2), stars=1,
                       comment="Changed my mind: found a hair in my donut.")
    google.delete_review(LOCATION, "r03")
    google.add_review(LOCATION, "new", stars=3, comment="Okay coffee, slow line.", reviewer="Sam",
                      created=T0 + timedelta(days=3))
    before = len(google.calls("GET", "/reviews"))

    second = run(workspace, env=google_env(google, token))

    assert summary(second).startswith("1 source ok, 0 failed; 2 items fetched, 1 new mention"), second.stdout
    edited = {r["author"]: r for r in stored(workspace, "google_business")}["Fan 10"]
    assert (edited["rating"], edited["text"]) == (1.0, "Changed my mind: found a hair in my donut.")
    assert _rows(workspace, "select r.rating, r.text from revisions r join mentions m on m.id = r.mention_id "
                            "where m.author = 'Fan 10'") == [(5.0, "Lovely glazed donut number 10.")]
    # Google counts one review fewer than known: the listing is read in full, r03 is marked deleted.
    deleted = _rows(workspace, "select author from mentions where deleted_at is not null")
    assert deleted == [("Fan 3",)]
    assert len(google.calls("GET", "/reviews")) - before == 2
    assert [r[1] for r in _rows(workspace, "select value, count from aggregate_ratings")] == [56, 56]

    # A quiet third run reads one page and stops at the first known review.
    before = len(google.calls("GET", "/reviews"))
    third = run(workspace, env=google_env(google, token))
    assert summary(third).startswith("1 source ok, 0 failed; 0 items fetched"), third.stdout
    assert len(google.calls("GET", "/reviews")) - before == 1


def test_an_expired_access_token_is_refreshed_once(google, workspace):
    google.add_review(LOCATION, "a", stars=1, comment="Cold and stale.", reviewer="Ann", created=T0)
    token = google.grant()
    write_google_config(workspace, google)
    google.fail_next("list", 401, UNAUTHENTICATED)

    result = run(workspace, env=google_env(google, token))

    assert summary(result).startswith("1 source ok, 0 failed; 1 item fetched"), result.stderr
    assert len(google.calls("POST", "/token")) == 2  # the first token, and one refresh
    assert [r.status for r in google.calls("GET", "/reviews")] == [401, 200]


def test_a_token_refused_after_its_refresh_is_one_readable_error(google, workspace):
    token = google.grant()
    write_google_config(workspace, google)
    google.fail_next("list", 401, UNAUTHENTICATED)
    google.fail_next("list", 401, UNAUTHENTICATED)

    result = run(workspace, env=google_env(google, token))

    assert len(google.calls("POST", "/token")) == 2  # refreshed once, not in a loop
    assert "run `mentionwatch connect google` again" in failures(result)[0]


def test_a_revoked_refresh_token_says_to_connect_again(google, workspace):
    token = google.grant()
    google.revoke(token)
    write_google_config(workspace, google)

    result = run(workspace, env=google_env(google, token))

    (error,) = source_errors(workspace).values()
    assert error == ("Google refused the refresh token (invalid_grant: expired or revoked): run "
                     "`mentionwatch connect google` again (or renew GOOGLE_REFRESH_TOKEN)")
    assert token not in result.stdout + result.stderr
    assert google.calls("GET", "/reviews") == []


def test_api_access_not_approved(google, workspace):
    write_google_config(workspace, google)
    google.fail_next("list", 403, NOT_APPROVED)

    run(workspace, env=google_env(google, google.grant()))

    (error,) = source_errors(workspace).values()
    assert error.startswith("Google Business Profile API access has not been approved for this project: apply at "
                            "https://developers.google.com/my-business/content/prereqs#request-access")


def test_quota_exceeded_with_a_long_retry_after_waits_for_the_next_run(google, workspace):
    google.add_review(LOCATION, "a", stars=5, comment="Great.", reviewer="Ann", created=T0)
    write_google_config(workspace, google)
    google.fail_next("list", 429, QUOTA_EXCEEDED, {"Retry-After": "3600"})
    token = google.grant()

    run(workspace, env=google_env(google, token))

    (error,) = source_errors(workspace).values()
    assert error == ("Google Business Profile API quota exceeded (429 RESOURCE_EXHAUSTED; asked to retry after "
                     "3600s): the next run tries again; if it persists, request a higher quota in the Google Cloud "
                     "console")
    assert len(google.calls("GET", "/reviews")) == 1  # not hammered within the run
    # The next run reads everything: the failed run moved no cursor.
    again = run(workspace, env=google_env(google, token))
    assert summary(again).startswith("1 source ok, 0 failed; 1 item fetched, 1 new mention")


def test_missing_client_credentials_say_what_to_set(google, workspace):
    write_google_config(workspace, google)

    result = run(workspace)

    assert "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET not set" in failures(result)[0]


def test_check_tests_the_google_credentials_and_says_what_is_wrong(google, workspace):
    google.add_review(LOCATION, "a", stars=4, comment="Good.", reviewer="Ann", created=T0)
    write_google_config(workspace, google)
    token = google.grant()

    good = workspace.cli("check", env=google_env(google, token))
    google.fail_next("list", 403, NOT_APPROVED)
    refused = workspace.cli("check", env=google_env(google, token))
    google.revoke(token)
    revoked = workspace.cli("check", env=google_env(google, token))

    assert good.returncode == 0, good.stdout + good.stderr
    assert (f"ok google_business Google reviews of {LOCATION}: credentials work (1 reviews, 4.0 stars "
            "on average)") in good.stdout
    assert refused.returncode == 1
    assert (f"FAILED google_business Google reviews of {LOCATION}: Google Business Profile API access "
            "has not been approved for this project: apply at") in refused.stdout
    assert revoked.returncode == 1 and "invalid_grant" in revoked.stdout
    assert token not in good.stdout + refused.stdout + revoked.stdout
