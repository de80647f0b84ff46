"""Google Play reviews and replies through the Play Developer API with a service account, against a local Google."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import business
from tests.crawlers.helpers import run, source_errors, stored, summary

PACKAGE = "com.joesdonuts.app"
ACCOUNT = "mentionwatch@joes-donuts.iam.gserviceaccount.com"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def play(google, tmp_path) -> dict[str, str]:
    """A service account key file; returns the environment that names it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    (tmp_path / "service-account.json").write_text(json.dumps({
        "type": "service_account", "project_id": "joes-donuts", "private_key_id": "abc123", "private_key": pem,
        "client_email": ACCOUNT, "client_id": "1234567890", "token_uri": google.token_url}))
    google.add_service_account(ACCOUNT, public)
    return {"GOOGLE_PLAY_SERVICE_ACCOUNT_FILE": str(tmp_path / "service-account.json")}


def _config(google, workspace) -> None:
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1}, businesses=[business(sources=[
        {"type": "google_play", "package": PACKAGE, "url": google.play_url}])])


def test_reviews_edits_and_replies_within_350_characters_sent_once(google, play, workspace):
    for n in range(101):
        google.add_play_review(PACKAGE, f"gp:{n:03d}", 5, f"Handy app, order {n} was quick.", f"User {n}",
                               NOW - timedelta(days=5, minutes=n))
    google.add_play_review(PACKAGE, "gp:crash", 1, "Crashes at <checkout> & loses my order 😤", "Łucja W.",
                           NOW - timedelta(days=1))
    google.add_play_review(PACKAGE, "gp:thanks", 4, "Nice.", "Bo", NOW - timedelta(days=2), reply="Thanks, Bo!")
    _config(google, workspace)

    first = run(workspace, env=play)

    assert summary(first).startswith("1 source ok, 0 failed; 103 items fetched, 103 new mentions"), first.stderr
    crash = {r["author"]: r for r in stored(workspace, "google_play")}["Łucja W."]
    assert (crash["rating"], crash["text"]) == (1.0, "Crashes at <checkout> & loses my order 😤")
    assert len(google.calls("GET", "/androidpublisher/v3/applications/com.joesdonuts.app/reviews")) == 2
    with sqlite3.connect(workspace.database) as db:
        assert list(db.execute("select text from replies")) == [("Thanks, Bo!",)]

    google.add_play_review(PACKAGE, "gp:crash", 3, "Fixed after the update, still slow.", "Łucja W.", NOW)
    second = run(workspace, env=play)
    assert summary(second).startswith("1 source ok, 0 failed; 1 item fetched, 0 new mentions"), second.stderr
    with sqlite3.connect(workspace.database) as db:
        assert list(db.execute("select rating, text from revisions")) == [
            (1.0, "Crashes at <checkout> & loses my order 😤")]

    mention_id = str({m["author"]: m for m in map(json.loads, workspace.cli("mentions", "--format", "json", env=play)
                                                  .stdout.splitlines())}["Łucja W."]["id"])
    too_long = workspace.cli("reply", mention_id, "x" * 351, env=play)
    assert too_long.returncode == 1
    assert too_long.stderr == "Error: the reply is 351 characters; google_play accepts at most 350: nothing was sent\n"

    google.lose_reply_answers(1)
    sent = workspace.cli("reply", mention_id, "Glad the update helped, Łucja!", env=play)
    assert sent.returncode == 0, sent.stderr
    (post,) = google.calls("POST", ":reply")
    assert json.loads(post.body) == {"replyText": "Glad the update helped, Łucja!"}
    assert google.play_reply_of(PACKAGE, "gp:crash") == "Glad the update helped, Łucja!"
    assert workspace.cli("reply", mention_id, "Glad the update helped, Łucja!", env=play).returncode == 1
    assert len(google.calls("POST", ":reply")) == 1


def test_a_service_account_not_invited_in_play_console_says_so(google, play, workspace):
    google.play_invited.clear()
    google.add_play_review(PACKAGE, "gp:1", 5, "Great.", "Ann", NOW)
    _config(google, workspace)

    run(workspace, env=play)

    (error,) = source_errors(workspace).values()
    assert error.startswith("Google Play refused access (PERMISSION_DENIED): invite the service account")


def test_public_reviews_through_google_play_scraper_against_a_local_play_store(workspace):
    from mentionwatch.sandbox.play import LocalPlayStore

    with LocalPlayStore() as store:
        for n in range(120):  # more than one page of the library's 100
            store.add_review(PACKAGE, f"gp:{n:03d}", 5, f"Handy, order {n} was quick.", f"User {n}",
                             NOW - timedelta(days=3, minutes=n))
        store.add_review(PACKAGE, "gp:crash", 1, "App <crashes> at checkout 😡", "Ruby B.", NOW - timedelta(hours=2),
                         reply="Fixed in 4.1.3!", replied=NOW - timedelta(hours=1))
        workspace.write_config(alerts={"max_age_days": 36500}, businesses=[business(sources=[
            {"type": "google_play", "package": PACKAGE, "url": store.base_url, "max_reviews": 500}])])

        first = run(workspace)

        assert summary(first).startswith("1 source ok, 0 failed; 121 items fetched, 121 new mentions"), first.stderr
        crash = {r["author"]: r for r in stored(workspace, "google_play")}["Ruby B."]
        assert (crash["rating"], crash["text"]) == (1.0, "App <crashes> at checkout 😡")
        assert crash["published_at"] == NOW - timedelta(hours=2)
        with sqlite3.connect(workspace.database) as db:
            assert list(db.execute("select text from replies")) == [("Fixed in 4.1.3!",)]
        assert [(r.count, r.token) for r in store.requests] == [(100, None), (100, "page-100")]
        assert all(r.path == "/_/PlayStoreUi/data/batchexecute?hl=en&gl=us" for r in store.requests)

        # The next run stops at the first page: it holds a review seen before.
        store.add_review(PACKAGE, "gp:new", 3, "Better now.", "Cy", NOW)
        second = run(workspace)
        assert summary(second).startswith("1 source ok, 0 failed; 1 item fetched, 1 new mention"), second.stderr
        assert len(store.requests) == 3

        # Play refuses: the library only stops, so an empty listing fails the source, named.
        store.fail_next(429)
        store.fail_next(429)
        store.fail_next(429)
        refused = run(workspace)
        (error,) = source_errors(workspace).values()
        assert error.startswith("google-play-scraper found no public reviews of com.joesdonuts.app"), refused.stderr
