"""Hostile requests to `mentionwatch serve`: a burst of wrong passwords, forwarded headers made up
by the client, someone else's failures, a foreign Host in trusted-header mode, bidi controls in
a mention, and the store's file permissions."""

from __future__ import annotations

import http.client
import re
import stat
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlalchemy.orm import Session

from pipeline.models import Mention
from pipeline.store import open_engine
from tests.conftest import business
from tests.web.conftest import PASSWORD, seed, start_server, stop_server
from tests.web.test_serve import get, opener


class Client:
    """One browser at one address (127.0.0.x): its own cookies and CSRF token."""

    def __init__(self, url: str, address: str = "127.0.0.1"):
        parts = urlsplit(url)
        self.host, self.port, self.address = parts.hostname, parts.port, address
        status, headers, html = self.request("GET", "/login")
        assert status == 200, html
        self.cookie = "; ".join(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")
        self.token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, list[tuple[str, str]], str]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120, source_address=(self.address, 0))
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read().decode()
        finally:
            connection.close()

    def sign_in(self, name: str, password: str, headers: dict[str, str] | None = None) -> int:
        body = urllib.parse.urlencode({"name": name, "password": password, "csrf_token": self.token, "next": "/"})
        return self.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                     "Cookie": self.cookie, **(headers or {})})[0]


def _workspace_with_dana(workspace):  # type: ignore[no-untyped-def]
    from tests.web.test_serve import user_add

    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}])])
    ids = seed(workspace.database)
    assert user_add(workspace, "dana", PASSWORD + "\n", "--password-stdin").returncode == 0
    return ids


def test_sign_in_limits_hold_under_a_burst_and_spare_the_owner_elsewhere(workspace):
    _workspace_with_dana(workspace)
    process, url = start_server(workspace)
    try:
        attacker = Client(url, "127.0.0.2")
        with ThreadPoolExecutor(40) as pool:
            statuses = list(pool.map(lambda n: attacker.sign_in("dana", f"guess {n}"), range(40)))
        assert statuses.count(401) == 5 and statuses.count(429) == 35, statuses
        # A made-up X-Forwarded-For is not a new address.
        assert attacker.sign_in("dana", "guess again", {"X-Forwarded-For": "203.0.113.9"}) == 429
        assert attacker.sign_in("dana", PASSWORD, {"X-Forwarded-For": "203.0.113.10"}) == 429

        # Dana at her own address is not locked out by someone else's failures.
        assert Client(url, "127.0.0.1").sign_in("dana", PASSWORD) == 303
    finally:
        stop_server(process)


def test_trusted_header_mode_answers_only_its_public_host(workspace):
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}])],
                           web={"url": "https://inbox.example.com"})
    seed(workspace.database)
    process, url = start_server(workspace, "--trusted-header", "X-Forwarded-User")
    try:
        browser, _ = opener()
        as_mallory = {"X-Forwarded-User": "mallory"}
        # DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own Host.
        status, html = get(browser, url + "/mentions", as_mallory | {"Host": "evil.example"})
        assert status == 400 and "Joe" not in html
        status, _ = get(browser, url + "/mentions", as_mallory | {"Host": f"evil.example:{urlsplit(url).port}"})
        assert status == 400
        # The proxy's public host, and this machine's own name, are answered.
        assert get(browser, url + "/mentions", as_mallory | {"Host": "inbox.example.com"})[0] == 200
        assert get(browser, url + "/mentions", as_mallory)[0] == 200
    finally:
        stop_server(process)


def test_bidi_and_invisible_characters_never_reach_the_page(workspace):
    ids = _workspace_with_dana(workspace)
    engine = open_engine(f"sqlite:///{workspace.database}")
    with Session(engine) as session:
        session.execute(update(Mention).where(Mention.id == ids["rude"]).values(
            title="Refund \u202egnirts\u202c now", text="Call\u200b me \u2066back\u2069 at Joe's \u200f\U000e0041 👩‍🍳"))
        session.commit()
    engine.dispose()
    process, url = start_server(workspace)
    try:
        client = Client(url)
        assert client.sign_in("dana", PASSWORD) == 303
        pages = []
        for path in ("/", "/mentions", f"/mentions/{ids['rude']}"):
            status, headers, html = client.request("GET", path, headers={"Cookie": _session_cookie(client)})
            assert status == 200
            pages.append(html)
        for html in pages:
            assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\U000e0000-\U000e007f]", html)
        assert "Refund gnirts now" in pages[2] and "Call me back at Joe" in pages[2] and "👩‍🍳" in pages[2]
    finally:
        stop_server(process)


def _session_cookie(client: Client) -> str:
    body = urllib.parse.urlencode({"name": "dana", "password": PASSWORD, "csrf_token": client.token, "next": "/"})
    _, headers, _ = client.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                          "Cookie": client.cookie})
    return "; ".join(v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie")


def test_the_sqlite_store_and_its_journal_are_readable_by_their_owner_only(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'mentionwatch.db'}")
    with engine.connect() as connection:
        files = sorted(p.name for p in tmp_path.iterdir())
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        connection.close()
    engine.dispose()
    assert "mentionwatch.db" in files
    assert modes == {name: 0o600 for name in files}, modes
