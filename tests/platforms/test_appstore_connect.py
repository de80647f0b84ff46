"""App Store Connect customer reviews and responses, against a local server that checks ES256 tokens."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mentionwatch.sandbox.appstore import LocalAppStoreConnect
from tests.conftest import business
from tests.crawlers.helpers import run, source_errors, stored, summary, utc

APP = "1234567890"
KEY_ID, ISSUER = "2X9R4HXF34", "57246542-96fe-1a63-e053-0824d011072a"


def _p8(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture
def apple(tmp_path) -> Iterator[tuple[LocalAppStoreConnect, dict[str, str]]]:
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "AuthKey.p8").write_bytes(_p8(key))
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    env = {"APPSTORE_CONNECT_KEY_ID": KEY_ID, "APPSTORE_CONNECT_ISSUER_ID": ISSUER,
           "APPSTORE_CONNECT_PRIVATE_KEY_FILE": str(tmp_path / "AuthKey.p8")}
    with LocalAppStoreConnect(public.decode(), KEY_ID, ISSUER) as server:
        yield server, env


def _config(server, workspace) -> None:
    workspace.write_config(alerts={"max_age_days": 36500}, crawler={"retries": 1}, businesses=[business(sources=[
        {"type": "appstore_connect", "app_id": APP, "url": server.api_url}])])


def test_reviews_across_pages_with_responses_then_only_new_ones_and_a_reply_whose_answer_was_lost(apple, workspace):
    server, env = apple
    for n in range(203):
        server.add_review(APP, f"r{n:03d}", 4, f"Nice {n}", f"Works well, day {n}.", f"user{n}",
                          f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00-07:00")
    server.add_review(APP, "crash", 1, "Crashes <at> checkout", "Ça plante 😡 when I pay & <b>nothing</b> works",
                      "Łucja", "2026-11-22T14:45:31-08:00")
    server.respond("r000", "Thanks for the kind words!")
    _config(server, workspace)

    first = run(workspace, env=env)

    assert summary(first).startswith("1 source ok, 0 failed; 204 items fetched, 204 new mentions"), first.stderr
    crash = {r["author"]: r for r in stored(workspace, "appstore_connect")}["Łucja"]
    assert (crash["rating"], crash["title"]) == (1.0, "Crashes <at> checkout")
    assert crash["text"] == "Ça plante 😡 when I pay & <b>nothing</b> works"
    assert crash["published_at"] == utc("2026-11-22T22:45:31Z")
    listings = server.calls("GET", f"/v1/apps/{APP}/customerReviews")
    assert len(listings) == 2 and "sort=-createdDate" in listings[0].path and "cursor=200" in listings[1].path
    with sqlite3.connect(workspace.database) as db:
        assert list(db.execute("select text, via from replies")) == [("Thanks for the kind words!", "platform")]

    server.add_review(APP, "new", 2, "Slow", "Slow to load.", "Sam", "2026-11-25T10:00:00-08:00")
    second = run(workspace, env=env)
    assert summary(second).startswith("1 source ok, 0 failed; 1 item fetched, 1 new mention"), second.stderr
    assert len(server.calls("GET", f"/v1/apps/{APP}/customerReviews")) == 3

    mentions = {m["author"]: m for m in map(json.loads, workspace.cli("mentions", "--format", "json", env=env)
                                            .stdout.splitlines())}
    server.lose_response_answers(1)
    sent = workspace.cli("reply", str(mentions["Łucja"]["id"]), "Fixed in 2.3.1 — sorry, Łucja!", env=env)
    again = workspace.cli("reply", str(mentions["Łucja"]["id"]), "Fixed in 2.3.1 — sorry, Łucja!", env=env)

    assert sent.returncode == 0, sent.stderr
    assert again.returncode == 1
    (post,) = server.calls("POST", "/v1/customerReviewResponses")
    assert json.loads(post.body)["data"]["relationships"]["review"]["data"] == {"type": "customerReviews",
                                                                                "id": "crash"}
    assert server.responses["crash"]["attributes"]["responseBody"] == "Fixed in 2.3.1 — sorry, Łucja!"


def test_a_token_signed_with_another_key_and_the_hourly_limit_are_readable_errors(apple, workspace, tmp_path):
    server, env = apple
    _config(server, workspace)
    other = tmp_path / "Other.p8"
    other.write_bytes(_p8(ec.generate_private_key(ec.SECP256R1())))

    run(workspace, env={**env, "APPSTORE_CONNECT_PRIVATE_KEY_FILE": str(other)})
    (error,) = source_errors(workspace).values()
    assert error.startswith("App Store Connect refused the API token (NOT_AUTHORIZED): check APPSTORE_CONNECT_KEY_ID")

    server.fail_next(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.",
                     {"X-Rate-Limit": "user-hour-lim:3600;user-hour-rem:0;", "Retry-After": "3600"})
    run(workspace, env=env)
    (error,) = source_errors(workspace).values()
    assert error == ("App Store Connect's hourly request limit is used up (RATE_LIMIT_EXCEEDED; "
                     "user-hour-lim:3600;user-hour-rem:0;): the next run tries again")

    missing = run(workspace, env={k: v for k, v in env.items() if k != "APPSTORE_CONNECT_ISSUER_ID"})
    assert "APPSTORE_CONNECT_ISSUER_ID not set" in missing.stderr


def test_check_tests_the_api_key(apple, workspace, tmp_path):
    server, env = apple
    server.add_review(APP, "a", 5, "Great", "Works.", "ann", "2026-11-20T10:00:00-08:00")
    _config(server, workspace)
    other = tmp_path / "Other.p8"
    other.write_bytes(_p8(ec.generate_private_key(ec.SECP256R1())))

    good = workspace.cli("check", env=env)
    bad = workspace.cli("check", env={**env, "APPSTORE_CONNECT_PRIVATE_KEY_FILE": str(other)})

    assert good.returncode == 0, good.stdout
    assert "ok appstore_connect App Store Connect reviews of app 1234567890:" in good.stdout and "credentials work (1 reviews)" in good.stdout
    assert bad.returncode == 1
    assert "FAILED appstore_connect" in bad.stdout and "refused the API token (NOT_AUTHORIZED)" in bad.stdout
