"""The web inbox under bursts and made-up addresses, as `mentionwatch serve` answers them: many people
at once get one outcome (and no 500), impossible ids and dates get 404/400, "Fetch now" is capped.
On SQLite and on PostgreSQL where the store is involved."""

from __future__ import annotations

import html as html_lib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mentionwatch.sandbox.trustpilot import LocalTrustpilot
from mentionwatch.sandbox.web import Response
from pipeline.models import Mention, MentionAction, Reply
from pipeline.store import open_engine
from tests.conftest import Workspace, business, feed_fixture
from tests.crawlers.helpers import run
from tests.postgres import fresh_database
from tests.web.conftest import FEED, seed_engine, start_server, stop_server
from tests.web.test_serve import get, opener, post, token

USER_HEADER = "X-Forwarded-User"
TRUSTPILOT_ENV = {"TRUSTPILOT_API_KEY": "tp-key-abcdef", "TRUSTPILOT_API_SECRET": "tp-secret-123456",
                  "TRUSTPILOT_USERNAME": "dana@joesdonuts.com", "TRUSTPILOT_PASSWORD": "correct horse",
                  "TRUSTPILOT_BUSINESS_USER_ID": "507f191e810c19729de860ea"}
TEXT = "Sorry, Ann: the glaze was stale that day. Your next dozen is on us."


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[str]:
    """The store's URL: an SQLite file, or a database of this test's own on the session's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mentionwatch.db'}"
        return
    with fresh_database(request.getfixturevalue("postgres_url"), "mentionwatch_web_races") as url:
        yield url


@contextmanager
def serving(workspace: Workspace, env: dict[str, str] | None = None) -> Iterator[str]:
    """`mentionwatch serve --trusted-header`: each request names its person, as a proxy would."""
    process, url = start_server(workspace, "--trusted-header", USER_HEADER, env=env)
    try:
        yield url
    finally:
        stop_server(process)


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(n)` for n in range(count), in threads that start it together (a barrier)."""
    barrier = threading.Barrier(count)

    def started(n: int) -> Any:
        prepared = work(n)  # work(n) prepares (its page and token), then returns the request to send
        barrier.wait(timeout=120)
        return prepared()
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(started, range(count)))


def person(url: str, name: str, page: str) -> tuple[Any, dict[str, str], str]:
    """A browser of `name`'s: its opener, its headers and the CSRF token of `page`."""
    browser, _ = opener()
    headers = {USER_HEADER: name}
    status, html = get(browser, url + page, headers)
    assert status == 200, html
    return browser, headers, token(html)


def flash(html: str) -> str:
    return html_lib.unescape(html.split('<p class="flash" role="status">', 1)[1].split("</p>", 1)[0])


def test_twenty_people_sending_one_reply_from_the_web_at_once_upload_it_once(database, tmp_path):
    with LocalTrustpilot("tp-key-abcdef", "tp-secret-123456", "dana@joesdonuts.com", "correct horse", "BU1") as tp:
        tp.add_review("6571c", 1, "Stale glaze at Joe's Donuts.", "Ann Lee", datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
        workspace = Workspace(tmp_path)
        workspace.write_config(database=database, alerts={"max_age_days": 36500}, businesses=[business(sources=[
            {"type": "trustpilot", "domain": "joesdonuts.com", "business_unit_id": "BU1", "api_url": tp.api_url}])])
        run(workspace, env=TRUSTPILOT_ENV)
        engine = open_engine(database)
        with Session(engine) as session:
            (mention_id,) = session.scalars(select(Mention.id))
        with serving(workspace, TRUSTPILOT_ENV) as url:
            def send(n: int) -> Callable[[], tuple[int, str]]:
                browser, headers, csrf = person(url, f"person{n}", f"/mentions/{mention_id}")
                form = {"csrf_token": csrf, "text": TEXT, "next": f"/mentions/{mention_id}"}
                return lambda: post(browser, f"{url}/mentions/{mention_id}/reply", form, headers)
            answers = at_once(20, send)

        assert [status for status, _ in answers] == [200] * 20
        assert len(tp.calls("POST", "/reply")) == 1
        with Session(engine) as session:
            rows = session.execute(select(Reply.author, Reply.status)).all()
            replied = session.scalars(select(MentionAction.actor).where(MentionAction.action == "replied")).all()
        engine.dispose()
        (winner,) = [author for author, status in rows if status == "sent"]
        assert len(rows) == 1 and replied == [winner]
        # Every submitter is told the truth: the one who sent it, and who did for the others.
        said = [flash(html) for _, html in answers]
        assert [s for s in said if "Replied by" in s] == [f"#{mention_id}: Replied by {winner}"]
        for other in (s for s in said if "Replied by" not in s):
            assert (other.startswith(f"#{mention_id}: Not done: mention {mention_id} already has this reply: nothing "
                                     f"was sent (sent by {winner} via web at ")
                    or other.startswith(f"#{mention_id}: Not done: this reply to mention {mention_id} is being sent "
                                        f"right now by {winner} via web")), other


def test_forty_actions_at_once_answer_no_500_and_each_change_is_made_once(database, tmp_path):
    workspace = Workspace(tmp_path)
    workspace.write_config(database=database, businesses=[business(sources=[{"type": "feed", "url": FEED.removeprefix("feed:")}])])
    engine, ids = seed_engine(database)
    rude, sick = ids["rude"], ids["sick"]
    # Forty people at once: ten handle one mention, ten dismiss another, and the rest assign and snooze them.
    plan = ([(rude, "handle", {})] * 10 + [(sick, "dismiss", {})] * 10 + [(rude, "assign", {"assignee": "kim"})] * 10
            + [(sick, "snooze", {"days": "2"})] * 10)
    with serving(workspace) as url:
        def act(n: int) -> Callable[[], tuple[int, str]]:
            mention_id, action, fields = plan[n]
            browser, headers, csrf = person(url, f"person{n}", f"/mentions/{mention_id}")
            form = {"csrf_token": csrf, "next": f"/mentions/{mention_id}", **fields}
            return lambda: post(browser, f"{url}/mentions/{mention_id}/{action}", form, headers)
        answers = at_once(len(plan), act)

    assert [status for status, _ in answers] == [200] * len(plan)
    with Session(engine) as session:
        done = [(a.mention_id, a.action) for a in session.scalars(select(MentionAction))]
        handled_by = session.get(Mention, rude).handled_by
    engine.dispose()
    # The second sees the first's result: one handling, one dismissal, one assignment; snoozes each count.
    assert done.count((rude, "handled")) == 1 and done.count((sick, "dismissed")) == 1
    assert done.count((rude, "assigned")) == 1
    said = [flash(html) for _, html in answers]
    assert sum(s == f"#{rude}: Handled by {handled_by}" for s in said) == 1
    assert sum(s.startswith(f"#{rude}: Nothing changed: Already handled by {handled_by}") for s in said) == 9


def test_impossible_ids_and_dates_in_addresses_answer_404_or_400(server):
    browser, _ = opener()
    # No users here but dana: sign in as she would.
    status, html = get(browser, f"{server.url}/login")
    status, _ = post(browser, f"{server.url}/login", {"csrf_token": token(html), "name": "dana",
                                                       "password": "correct horse battery", "next": "/"})
    assert status == 200
    for path, expected in [
        ("/mentions/99999999999999999999", 404), ("/mentions/2147483648", 404), ("/mentions/-1", 404),
        ("/mentions/abc", 404), ("/mentions?until=9999-12-31", 400), ("/mentions?since=0001-01-01", 400),
        ("/mentions?until=2026-13-45", 400), ("/mentions?before=99999999999999999999999", 400),
        ("/mentions?before=-5", 400), ("/mentions?before=abc", 400), ("/?before=1.99999999999999999999", 400),
        ("/?before=-1.-1", 400), ("/sources/99999999999999999999/fetch", 405),
    ]:
        status, body = get(browser, server.url + path)
        assert status == expected, (path, status, body[:300])
    status, html = get(browser, f"{server.url}/mentions/{server.ids['rude']}")
    for path in ("/mentions/99999999999999999999/handle", "/mentions/99999999999999999999/snooze"):
        status, body = post(browser, server.url + path, {"csrf_token": token(html), "days": "2"})
        assert status == 404, (path, status, body[:300])
    status, body = post(browser, f"{server.url}/sources/99999999999999999999/fetch", {"csrf_token": token(html)})
    assert status == 404 and "There is no source with id 99999999999999999999." in body


def test_twelve_fetch_now_clicks_at_once_fetch_each_source_once(web, tmp_path):
    for name in ("a", "b", "c"):
        web.add(f"/{name}.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace = Workspace(tmp_path)
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/{n}.xml"}
                                                         for n in ("a", "b", "c")])])
    run(workspace)
    # From now on the feeds answer slowly, so every click arrives while the first fetches are running.
    for name in ("a", "b", "c"):
        web.script(f"/{name}.xml", *[Response(200, feed_fixture("joes_news.xml"),
                                              {"Content-Type": "application/rss+xml"}, delay=4)] * 12)
    with serving(workspace) as url:
        _, headers, _ = person(url, "dana", "/sources")
        status, page = get(opener()[0], url + "/sources", headers)
        source_ids = [part.split("/", 1)[0] for part in page.split('action="/sources/')[1:]]
        assert len(source_ids) == 3
        fetched_before = {n: web.arrived(f"/{n}.xml") for n in ("a", "b", "c")}

        def click(n: int) -> Callable[[], tuple[int, str]]:
            browser, headers, csrf = person(url, f"person{n}", "/sources")
            return lambda: post(browser, f"{url}/sources/{source_ids[n % 3]}/fetch", {"csrf_token": csrf}, headers)
        answers = at_once(12, click)

    assert [status for status, _ in answers] == [200] * 12
    fetches = {n: web.arrived(f"/{n}.xml") - fetched_before[n] for n in ("a", "b", "c")}
    # One fetch per source at most, two at once in all: the other clicks were told why not.
    assert max(fetches.values()) == 1 and sum(fetches.values()) == 2, fetches
    said = [html_lib.unescape(html.split("<pre", 1)[1].split(">", 1)[1].split("</pre>", 1)[0]) for _, html in answers]
    assert sum("items" in s for s in said) == 2
    assert sum(s.startswith("Not started: this source is being fetched already") for s in said) >= 6
    assert all("items" in s or s.startswith("Not started: ") for s in said), said
