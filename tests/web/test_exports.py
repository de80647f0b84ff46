"""Taking mentions elsewhere, as an agency does: /mentions.csv, the JSON API with per-user tokens
(`mentionwatch user token NAME`), and `mentions --format csv`; formulas in web text stay text."""

from __future__ import annotations

import csv
import io
import json
import subprocess

from sqlalchemy.orm import Session

from pipeline.models import Mention, utcnow
from tests.conftest import MENTIONWATCH
from tests.web.conftest import PASSWORD
from tests.web.test_serve import get, opener, post, token


def user_token(server, name: str = "dana") -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([str(MENTIONWATCH), "user", "token", name, "--config", str(server.workspace.config)],
                          capture_output=True, text=True, timeout=60)


def api(server, path: str, api_token: str | None) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {api_token}"} if api_token is not None else {}
    return get(opener()[0], server.url + path, headers)


def signed_in(server):  # type: ignore[no-untyped-def]
    browser, _ = opener()
    _, html = get(browser, server.url + "/login")
    status, _ = post(browser, server.url + "/login", {"name": "dana", "password": PASSWORD,
                                                       "csrf_token": token(html), "next": "/"})
    assert status == 200
    return browser


def add_formula(server) -> int:  # type: ignore[no-untyped-def]
    """A mention whose title and text a spreadsheet would run: =1+1, @SUM(...)."""
    engine = server.engine()
    with Session(engine) as session:
        first = session.get(Mention, server.ids["rude"])
        mention = Mention(business_id=first.business_id, source_id=first.source_id, source_type="feed",
                          url="https://news.example/formula", canonical_url="https://news.example/formula",
                          title="@SUM(A1:A9)", text="=1+1", label="negative", sentiment=-0.4,
                          first_seen_at=utcnow())
        session.add(mention)
        session.commit()
        mention_id = mention.id
    engine.dispose()
    return mention_id


def test_the_api_answers_only_a_users_current_token_and_pages_by_id(server):
    made = user_token(server)
    assert made.returncode == 0, made.stderr
    first = made.stdout.strip()

    # Refused: no token, a wrong one; one clear reason, nothing listed.
    for sent in (None, "mwt_not-a-token", "Bearer"):
        status, body = api(server, "/api/mentions", sent)
        assert status == 401 and "mentions" not in json.loads(body)
        assert "token" in json.loads(body)["error"]

    status, body = api(server, "/api/mentions?label=negative", first)
    assert status == 200
    found = json.loads(body)
    assert {m["id"] for m in found["mentions"]} == {server.ids[k] for k in ("rude", "sick", "hostile")}
    assert {m["label"] for m in found["mentions"]} == {"negative"} and found["next"] is None
    assert all(m["business"] == "Joe's Donuts" for m in found["mentions"])

    # Paged by id, newest first: following `next` lists each mention once.
    seen, path = [], "/api/mentions?limit=2"
    while path:
        status, body = api(server, path, first)
        assert status == 200
        page = json.loads(body)
        assert len(page["mentions"]) <= 2
        seen += [m["id"] for m in page["mentions"]]
        path = page["next"]
    assert seen == sorted(server.ids.values(), reverse=True)

    # A new token replaces the old one at once.
    second = user_token(server).stdout.strip()
    assert second != first
    assert api(server, "/api/mentions", first)[0] == 401
    assert api(server, "/api/mentions", second)[0] == 200
    # A bad filter is one clear line, not a crash.
    status, body = api(server, "/api/mentions?since=yesterday", second)
    assert status == 400 and json.loads(body) == {"error": "since: 'yesterday' is not a date (use YYYY-MM-DD)"}


def test_a_token_for_nobody_is_refused_in_one_line(server):
    made = user_token(server, "nobody")
    assert made.returncode == 1
    assert made.stderr.strip().splitlines() == ["Error: no user named 'nobody': add one with "
                                                "`mentionwatch user add nobody`"]


def test_the_csv_export_lists_what_the_filters_select_with_formulas_as_text(server):
    formula = add_formula(server)
    browser = signed_in(server)
    status, body = get(browser, server.url + "/mentions.csv?label=negative")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {int(r["id"]) for r in rows} == {server.ids[k] for k in ("rude", "sick", "hostile")} | {formula}
    exported = next(r for r in rows if int(r["id"]) == formula)
    assert (exported["text"], exported["title"]) == ("'=1+1", "'@SUM(A1:A9)")
    assert next(r for r in rows if int(r["id"]) == server.ids["rude"])["sentiment"] == "-0.7"  # numbers stay numbers

    # A script may use its API token instead of a browser's session; without either, no CSV.
    api_token = user_token(server).stdout.strip()
    status, body = api(server, "/mentions.csv?label=positive", api_token)
    assert status == 200 and [int(r["id"]) for r in csv.DictReader(io.StringIO(body))] == [server.ids["love"]]
    assert api(server, "/mentions.csv", "mwt_wrong")[0] == 401
    status, body = get(opener()[0], server.url + "/mentions.csv")
    assert "csrf_token" in body and "=1+1" not in body  # the sign-in page


def test_the_cli_csv_neutralises_formulas_too(server):
    formula = add_formula(server)
    listed = subprocess.run([str(MENTIONWATCH), "mentions", "--format", "csv", "--label", "negative", "--config",
                             str(server.workspace.config)], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO(listed.stdout))}
    assert rows[formula]["text"] == "'=1+1" and rows[formula]["title"] == "'@SUM(A1:A9)"
    assert set(rows) == {server.ids[k] for k in ("rude", "sick", "hostile")} | {formula}
