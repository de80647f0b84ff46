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


# google-play-scraper talks only to play.google.com (its address is fixed when it is imported), so
# its path is tested on the library's documented result shape, not against a local server.
def _scraped(review_id: str, score: int, content: str, at: datetime, reply: str | None = None) -> dict:
    naive_local = at.astimezone().replace(tzinfo=None)  # as the library builds them: fromtimestamp()
    return {"reviewId": review_id, "userName": "Ruby B.", "userImage": "https://play-lh.googleusercontent.com/a",
            "content": content, "score": score, "thumbsUpCount": 0, "reviewCreatedVersion": "4.1.2",
            "at": naive_local, "replyContent": reply, "repliedAt": naive_local if reply else None,
            "appVersion": "4.1.2"}


def test_public_reviews_from_google_play_scraper_results_are_adapted_and_incremental():
    from crawlers.platforms.google_play_public import public_review_items
    from crawlers.spiders.google_play import GooglePlaySpider
    from crawlers.target import CrawlTarget
    from mentionwatch.config import GooglePlaySource

    target = CrawlTarget(business="Joe's Donuts", source=GooglePlaySource(type="google_play", package=PACKAGE),
                         source_id=1)
    spider = GooglePlaySpider(targets=[target])
    at = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    found = [_scraped("gp:AOqpTOE2", 1, "App <crashes> at checkout 😡", at, reply="Fixed in 4.1.3!"),
             _scraped("gp:AOqpTOE1", 5, "Handy.", at - timedelta(days=1))]

    items = list(public_review_items(target, found, spider.item))

    assert [(i.rating, i.published_at, i.author) for i in items] == [(1.0, at, "Ruby B."),
                                                                    (5.0, at - timedelta(days=1), "Ruby B.")]
    assert items[0].text == "<p>App &lt;crashes&gt; at checkout 😡</p>"
    assert items[0].url.endswith("mw_item=gp%3AAOqpTOE2")
    assert target.platform_replies[items[0].url] == ("Fixed in 4.1.3!", at.isoformat())

    later = CrawlTarget(business="Joe's Donuts", source=target.source, source_id=1, cursor=target.new_cursor)
    newer = _scraped("gp:AOqpTOE3", 3, "Better now.", at + timedelta(days=1))
    assert [i.text for i in public_review_items(later, [newer, *found], spider.item)] == ["<p>Better now.</p>"]
    with pytest.raises(ValueError, match="found no public reviews"):
        list(public_review_items(later, [], spider.item))
