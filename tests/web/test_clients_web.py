"""An agency's clients in the web inbox: a client's user sees only its client's businesses on
every page, in the CSV export and the JSON API, and another client's mention is "not found".

`mentionwatch serve` in a subprocess over a real SQLite file; users added with the CLI as an
agency adds them (`user add NAME --client C`); pages read over HTTP and in headless Chromium.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy.orm import Session

from pipeline.models import Business, Mention, Source, utcnow
from pipeline.store import open_engine
from tests.conftest import Workspace
from tests.web.conftest import PASSWORD, Server, start_server, stop_server
from tests.web.test_serve import get, opener, post, token, user_add

CLIENT_OF = {"Acme Diner": "acme", "Bolt Cafe": "bolt"}


def business_entry(name: str) -> dict[str, object]:
    slug = name.lower().replace(" ", "-")
    return {"name": name, "client": CLIENT_OF[name], "keywords": [name],
            "sources": [{"type": "feed", "url": f"http://127.0.0.1:9/{slug}.xml"}]}


def seed_two_clients(database: Path) -> dict[str, int]:
    """Each business: an open negative mention (in the inbox) and a positive one; ids by 'acme-neg' etc."""
    engine = open_engine(f"sqlite:///{database}")
    ids = {}
    now = utcnow()
    with Session(engine) as session:
        for name, client in CLIENT_OF.items():
            slug = name.lower().replace(" ", "-")
            row = Business(name=name)
            session.add(row)
            session.flush()
            source = Source(business_id=row.id, type="feed", identity=f"feed:http://127.0.0.1:9/{slug}.xml")
            session.add(source)
            session.flush()
            for kind, label, score, text in (("neg", "negative", -0.7, f"Rude staff at {name}, a refund please."),
                                              ("pos", "positive", 0.8, f"Loved {name}, friendly people.")):
                mention = Mention(business_id=row.id, source_id=source.id, source_type="feed",
                                  url=f"https://news.example/{slug}-{kind}", canonical_url=f"https://news.example/{slug}-{kind}",
                                  title=f"{name} {kind}", text=text, label=label, sentiment=score,
                                  first_seen_at=now - timedelta(hours=2))
                session.add(mention)
                session.flush()
                ids[f"{client}-{kind}"] = mention.id
        session.commit()
    engine.dispose()
    return ids


@pytest.fixture
def agency(tmp_path: Path) -> Iterator[Server]:
    """`serve` for an agency with clients acme and bolt; users ann (acme), bob (bolt), dana (the agency)."""
    workspace = Workspace(tmp_path)
    workspace.write_config(clients=[{"name": "acme"}, {"name": "bolt"}],
                           businesses=[business_entry(name) for name in CLIENT_OF], report={"out_dir": "reports"})
    ids = seed_two_clients(workspace.database)
    for name, flags in (("ann", ("--client", "acme")), ("bob", ("--client", "bolt")), ("dana", ())):
        added = user_add(workspace, name, PASSWORD + "\n", "--password-stdin", *flags)
        assert added.returncode == 0, added.stderr
    reports = workspace.folder / "reports"
    reports.mkdir()
    for name in ("report-2026-11-30-client-acme.html", "report-2026-11-30-client-bolt.html",
                 "report-2026-11-30-acme-diner.png", "report-2026-11-30-bolt-cafe.png"):
        (reports / name).write_text(f"<html><body>{name}</body></html>", encoding="utf-8")
    process, url = start_server(workspace)
    try:
        yield Server(url, workspace, ids, process)
    finally:
        stop_server(process)


def signed_in(server: Server, name: str):  # type: ignore[no-untyped-def]
    browser, _ = opener()
    status, html = get(browser, server.url + "/login")
    assert status == 200
    status, _ = post(browser, server.url + "/login", {"name": name, "password": PASSWORD, "next": "/",
                                                       "csrf_token": token(html)})
    assert status == 200
    return browser


def test_a_client_s_user_sees_only_that_client_s_mentions_everywhere(agency):
    ids, url = agency.ids, agency.url
    ann = signed_in(agency, "ann")
    status, inbox = get(ann, url + "/")
    assert status == 200 and f'data-id="{ids["acme-neg"]}"' in inbox and f'data-id="{ids["bolt-neg"]}"' not in inbox
    status, listed = get(ann, url + "/mentions")
    assert status == 200 and "Acme Diner" in listed and "Bolt Cafe" not in listed  # rows and the filter menu
    # Asking for the other client's business by name finds nothing rather than its mentions.
    status, filtered = get(ann, url + "/mentions?business=Bolt+Cafe")
    assert status == 200 and f'data-id="{ids["bolt-neg"]}"' not in filtered
    status, exported = get(ann, url + "/mentions.csv")
    assert status == 200
    assert {row["business"] for row in csv.DictReader(io.StringIO(exported))} == {"Acme Diner"}
    status, trends = get(ann, url + "/trends")
    assert status == 200 and "Acme Diner" in trends and "Bolt Cafe" not in trends
    status, sources = get(ann, url + "/sources")
    assert status == 200 and "acme-diner.xml" in sources and "bolt-cafe.xml" not in sources
    status, reports = get(ann, url + "/reports")
    assert status == 200 and "client-acme" in reports and "client-bolt" not in reports
    assert get(ann, url + "/reports/report-2026-11-30-client-acme.html")[0] == 200
    assert get(ann, url + "/reports/report-2026-11-30-acme-diner.png")[0] == 200
    assert get(ann, url + "/reports/report-2026-11-30-client-bolt.html")[0] == 404
    assert get(ann, url + "/reports/report-2026-11-30-bolt-cafe.png")[0] == 404

    # The agency's own user sees both clients.
    dana = signed_in(agency, "dana")
    status, inbox = get(dana, url + "/")
    assert f'data-id="{ids["acme-neg"]}"' in inbox and f'data-id="{ids["bolt-neg"]}"' in inbox


def test_another_client_s_mention_is_not_found_and_cannot_be_acted_on(agency):
    ids, url = agency.ids, agency.url
    ann = signed_in(agency, "ann")
    assert get(ann, f"{url}/mentions/{ids['acme-neg']}")[0] == 200
    status, page = get(ann, f"{url}/mentions/{ids['bolt-neg']}")
    assert status == 404 and "Rude staff at Bolt Cafe" not in page
    _, inbox = get(ann, url + "/")
    status, _ = post(ann, f"{url}/mentions/{ids['bolt-neg']}/handle", {"csrf_token": token(inbox), "next": "/"})
    assert status == 404
    engine = agency.engine()
    with Session(engine) as session:
        assert session.get(Mention, ids["bolt-neg"]).handled_at is None
        bolt_source = session.get(Mention, ids["bolt-neg"]).source_id
    engine.dispose()
    # Nor can a client's user fetch another client's source.
    _, sources = get(ann, url + "/sources")
    status, _ = post(ann, f"{url}/sources/{bolt_source}/fetch", {"csrf_token": token(sources)})
    assert status == 404


def test_a_client_s_api_token_reads_only_that_client_s_mentions(agency):
    created = agency.workspace.cli("user", "token", "bob")
    assert created.returncode == 0, created.stderr
    api_token = created.stdout.strip().split()[-1]
    browser, _ = opener()
    status, body = get(browser, agency.url + "/api/mentions", {"Authorization": f"Bearer {api_token}"})
    assert status == 200
    assert {m["business"] for m in json.loads(body)["mentions"]} == {"Bolt Cafe"}


def test_in_a_browser_a_client_s_user_sees_its_inbox_only(browser, agency):
    from tests.web.test_browser import listed_ids, sign_in

    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    sign_in(browser, agency, name="bob")
    assert listed_ids(browser) == [agency.ids["bolt-neg"]]
    browser.get(f"{agency.url}/mentions/{agency.ids['acme-neg']}")
    assert "No such mention" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(f"{agency.url}/mentions")
    assert sorted(listed_ids(browser)) == sorted([agency.ids["bolt-neg"], agency.ids["bolt-pos"]])
