"""The web inbox as people use it: `mentionwatch serve` in a subprocess, a real SQLite file, real Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from pipeline.models import AggregateRating, Business, Mention, Source, utcnow
from pipeline.store import open_engine
from tests.conftest import MENTIONWATCH, Workspace, business
from tests.requirements import need_chromium

PASSWORD = "correct horse battery"
FEED = "feed:http://127.0.0.1:9/news.xml"

# (title, text, label, score, urgent, url, hours ago)
MENTIONS = [
    ("Cold coffee and rude staff at Joe's Donuts", "The cashier was rude and I want a refund.", "negative", -0.7,
     False, "https://news.example/rude", 1),
    ("Food poisoning after Joe's Donuts", "I got food poisoning, calling a lawyer.", "negative", -0.8, True,
     "https://news.example/sick", 30),
    ("Loved Joe's Donuts", "Best donuts in town, friendly staff, great café.", "positive", 0.8, False,
     "https://news.example/love", 2),
    ("<script>alert('title')</script> Joe's Donuts <img src=x onerror=alert(1)>",
     "<!channel> read <a href=\"javascript:alert(2)\">this</a> javascript:alert(3) <script>alert(4)</script>",
     "negative", -0.5, False, "javascript:alert(document.cookie)", 3),
    ("Joe's Donuts opens a second shop", "A neutral note about a new shop on Main Street.", "neutral", 0.0, False,
     "https://news.example/shop", 4),
]



def seed(database: Path) -> dict[str, int]:
    """Store the business, its failing source and MENTIONS in a real SQLite file; their ids by short name."""
    engine, ids = seed_engine(f"sqlite:///{database}")
    engine.dispose()
    return ids


def seed_engine(url: str):  # type: ignore[no-untyped-def]
    """Seed the store at `url` as `seed` does; the engine and the ids."""
    engine = open_engine(url)
    ids = {}
    with Session(engine) as session:
        joes = Business(name="Joe's Donuts")
        session.add(joes)
        session.flush()
        source = Source(business_id=joes.id, type="feed", identity=FEED, consecutive_failures=2,
                        last_error="connection refused by 127.0.0.1", last_error_at=utcnow())
        session.add(source)
        session.flush()
        now = utcnow()
        # Oldest first, as a crawl finds them: ids grow with the time found.
        for title, text, label, score, urgent, url, hours in sorted(MENTIONS, key=lambda m: -m[6]):
            mention = Mention(business_id=joes.id, source_id=source.id, source_type="feed", url=url,
                              canonical_url=f"{url}#{hours}", title=title, text=text, label=label, sentiment=score,
                              urgent=urgent, first_seen_at=now - timedelta(hours=hours))
            session.add(mention)
            session.flush()
            ids[url.rsplit("/", 1)[-1] if url.startswith("https") else "hostile"] = mention.id
        for days, value in ((3, 4.4), (2, 4.3), (1, 4.1)):
            session.add(AggregateRating(source_id=source.id, recorded_at=now - timedelta(days=days), value=value,
                                        count=120 + days))
        session.commit()
    return engine, ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    workspace: Workspace
    ids: dict[str, int]
    process: subprocess.Popen[str]

    def engine(self):  # type: ignore[no-untyped-def]
        return open_engine(f"sqlite:///{self.workspace.database}")


def start_server(workspace: Workspace, *args: str,
                 env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """`mentionwatch serve ARGS` on a free port, once it answers; its stderr goes to serve.log in the
    workspace. `env` adds variables (a platform's credentials) to the environment."""
    port = free_port()
    with open(workspace.folder / "serve.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen([str(MENTIONWATCH), "serve", "--config", str(workspace.config), "--port",
                                    str(port), *args], stdout=subprocess.DEVNULL, stderr=log, text=True,
                                   cwd=workspace.folder, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {(workspace.folder / 'serve.log').read_text(encoding='utf-8')}")
        try:
            urllib.request.urlopen(f"{url}/login", timeout=2).close()
            return process, url
        except urllib.error.HTTPError as answered:  # an answer all the same (401 in trusted-header mode)
            answered.close()
            return process, url
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    process.kill()
    raise AssertionError("serve did not answer within 30 s")


def stop_server(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`mentionwatch serve` on a free port, over a seeded database with one user, dana."""
    workspace = Workspace(tmp_path)
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}])],
                           report={"out_dir": "reports"})
    ids = seed(workspace.database)
    added = subprocess.run([str(MENTIONWATCH), "user", "add", "dana", "--password-stdin", "--config",
                            str(workspace.config)], input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    process, url = start_server(workspace)
    try:
        yield Server(url, workspace, ids, process)
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's headless Chromium, driven by Selenium through Debian's chromedriver (skipped when
    they are missing, failed in CI: tests/requirements.py)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = need_chromium()
    profile = tempfile.mkdtemp(prefix="mentionwatch-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # The network is closed, and no test may reach past 127.0.0.1: Chromium's own services
    # (autofill's field types, the password leak check, ...) would still look their hosts up in
    # the DNS. Every name fails here without a lookup, and those features are off.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-features=AutofillServerCommunication,PasswordLeakDetection",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--no-first-run", f"--user-data-dir={profile}",
                 "--window-size=1200,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(chromedriver, log_output=os.devnull), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    """The browser, signed out and at the server's door (cookies of earlier tests dropped)."""
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return browser
