"""`mentionwatch serve` and `mentionwatch user add` as an owner runs them: refusals, modes, schedule, fetch now."""

from __future__ import annotations

import http.cookiejar
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.models import Mention, Run, WebUser
from pipeline.store import open_engine
from tests.conftest import MENTIONWATCH, business, feed_fixture
from tests.web.conftest import seed, start_server, stop_server


def opener() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def get(open_: urllib.request.OpenerDirector, url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with open_.open(urllib.request.Request(url, headers=headers or {}), timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        error.close()
        return error.code, body


def post(open_: urllib.request.OpenerDirector, url: str, data: dict[str, str],
         headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), headers=headers or {})
    try:
        with open_.open(request, timeout=300) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        body = error.read().decode()
        error.close()
        return error.code, body


def token(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def user_add(workspace, name: str, stdin: str, *flags: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([str(MENTIONWATCH), "user", "add", name, *flags, "--config", str(workspace.config)],
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_serving_beyond_this_machine_without_a_user_is_refused_with_the_reason(workspace):
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/a.xml"}])])
    result = workspace.cli("serve", "--host", "0.0.0.0", timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: refusing to serve on 0.0.0.0: no user is configured, so anyone")
    assert "mentionwatch user add NAME" in result.stderr and "Traceback" not in result.stderr
    result = workspace.cli("serve", "--host", "192.0.2.1", "--trusted-header", "X-Forwarded-User", timeout=60)
    assert result.returncode == 1 and "could send X-Forwarded-User and be whoever they name" in result.stderr
    result = workspace.cli("serve", "--schedule", "30s", timeout=60)
    assert result.returncode == 1 and result.stderr.strip() == (
        "Error: --schedule '30s': runs must be at least a minute apart")


def test_user_add_prompts_twice_and_stores_only_an_argon2_hash(workspace):
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/a.xml"}])])
    result = user_add(workspace, "dana", "first try 123\nsecond try 456\nfinal password 789\nfinal password 789\n")
    assert result.returncode == 0, result.stderr
    assert "do not match" in result.stderr + result.stdout
    assert "user dana can sign in" in result.stdout
    short = user_add(workspace, "sam", "short\n", "--password-stdin")
    assert short.returncode == 1 and short.stderr.strip() == "Error: the password is too short: use at least 10 characters"
    engine = open_engine(f"sqlite:///{workspace.database}")
    with Session(engine) as session:
        users = session.scalars(select(WebUser)).all()
    engine.dispose()
    assert [u.name for u in users] == ["dana"]
    assert users[0].password_hash.startswith("$argon2id$") and "final password" not in users[0].password_hash


def test_without_users_127_0_0_1_serves_this_machine_s_user(workspace):
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}])])
    ids = seed(workspace.database)
    process, url = start_server(workspace)
    try:
        browser, _ = opener()
        status, html = get(browser, url + "/")
        assert status == 200 and f'data-id="{ids["sick"]}"' in html
        status, _ = post(browser, f"{url}/mentions/{ids['sick']}/handle", {"csrf_token": token(html), "next": "/"})
        assert status == 200
        # A page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) is not this machine's user.
        status, html = get(opener()[0], url + "/", {"Host": f"evil.example:{url.rsplit(':', 1)[1]}"})
        assert status == 200 and "Sign in" in html and f'data-id="{ids["rude"]}"' not in html
    finally:
        stop_server(process)
    engine = open_engine(f"sqlite:///{workspace.database}")
    with Session(engine) as session:
        assert session.get(Mention, ids["sick"]).handled_by  # this machine's user name
    engine.dispose()


def test_trusted_header_mode_takes_the_proxy_s_user_and_still_wants_the_csrf_token(workspace):
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}])])
    ids = seed(workspace.database)
    process, url = start_server(workspace, "--trusted-header", "X-Forwarded-User")
    try:
        browser, _ = opener()
        assert get(browser, url + "/")[0] == 401
        as_kim = {"X-Forwarded-User": "kim"}
        status, html = get(browser, url + "/", as_kim)
        assert status == 200 and "kim" in html and "Sign out" not in html
        target = f"{url}/mentions/{ids['rude']}/dismiss"
        assert post(browser, target, {"next": "/"}, as_kim)[0] == 403
        # The proxy rewrote Host and named the public one: the browser's Origin is that site's.
        proxied = as_kim | {"Origin": "https://inbox.example.com", "X-Forwarded-Host": "inbox.example.com"}
        assert post(browser, target, {"next": "/", "csrf_token": token(html)}, as_kim | {
            "Origin": "https://evil.example", "X-Forwarded-Host": "inbox.example.com"})[0] == 403
        assert post(browser, target, {"next": "/", "csrf_token": token(html)}, proxied)[0] == 200
    finally:
        stop_server(process)
    engine = open_engine(f"sqlite:///{workspace.database}")
    with Session(engine) as session:
        assert session.get(Mention, ids["rude"]).dismissed_by == "kim"
    engine.dispose()


def test_schedule_crawls_in_the_server_and_fetch_now_checks_one_source(workspace, web):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(alerts={"max_age_days": 36500},
                           businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    process, url = start_server(workspace, "--schedule", "60m")
    try:
        engine = open_engine(f"sqlite:///{workspace.database}")
        deadline = time.monotonic() + 120
        finished = 0
        while time.monotonic() < deadline and not finished:
            time.sleep(1)
            with Session(engine) as session:
                finished = session.scalar(select(func.count()).select_from(Run).where(Run.finished_at.is_not(None)))
        with Session(engine) as session:
            labels = sorted(session.scalars(select(Mention.label)))
        engine.dispose()
        assert finished == 1 and labels == ["negative", "positive"]

        browser, _ = opener()
        status, html = get(browser, url + "/sources")
        assert status == 200 and "ok" in html
        source_id = html.split('action="/sources/', 1)[1].split("/", 1)[0]
        status, html = post(browser, f"{url}/sources/{source_id}/fetch", {"csrf_token": token(html)})
        assert status == 200
        fetched = html.split("<pre", 1)[1].split("</pre>", 1)[0]
        assert "fetch feed" in fetched and "4 items, 2 name the business" in fetched, fetched
    finally:
        stop_server(process)
    assert "scheduled run: 1 source ok, 0 failed" in (workspace.folder / "serve.log").read_text(encoding="utf-8")


def test_a_scheduled_run_skips_while_a_run_from_cron_holds_the_lock(workspace):
    from pipeline.lock import run_lock

    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/news.xml"}])])
    open_engine(f"sqlite:///{workspace.database}").dispose()
    with run_lock(f"sqlite:///{workspace.database}"):
        process, _ = start_server(workspace, "--schedule", "60m")
        try:
            log = workspace.folder / "serve.log"
            deadline = time.monotonic() + 120
            while "scheduled run:" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
                time.sleep(0.5)
            assert "scheduled run: skipped: another mentionwatch run holds" in log.read_text(encoding="utf-8")
        finally:
            stop_server(process)
    engine = open_engine(f"sqlite:///{workspace.database}")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 0
    engine.dispose()


def test_handled_on_the_web_updates_the_slack_alert_at_once(workspace, web, slack):
    web.add("/news.xml", feed_fixture("joes_news.xml"), content_type="application/rss+xml")
    workspace.write_config(slack={"token": "xoxb-test", "api_url": slack.api_url}, alerts={"max_age_days": 36500},
                           businesses=[business(sources=[{"type": "feed", "url": f"{web.url}/news.xml"}])])
    assert workspace.cli("run").returncode == 0  # the first crawl: a baseline summary
    complaint = """<item><title>Cold coffee and a rude cashier at Joe's Donuts</title>
      <link>https://daily.example.com/news/joes-cold-coffee</link><guid isPermaLink="false">g-9</guid>
      <pubDate>Mon, 23 Nov 2026 11:00:00 GMT</pubDate>
      <description>The coffee at Joe's Donuts was cold and the cashier was rude. Terrible.</description></item>"""
    web.add("/news.xml", feed_fixture("joes_news.xml").replace("</channel>", complaint + "</channel>"),
            content_type="application/rss+xml")
    assert workspace.cli("run").returncode == 0  # the new complaint: an alert of its own
    [alert] = [p for p in slack.posted if "cold and the cashier was rude" in json.dumps(p["blocks"])]
    engine = open_engine(f"sqlite:///{workspace.database}")
    with Session(engine) as session:
        alerted = session.scalar(select(Mention.id).where(Mention.alerted_at.is_not(None)))
    engine.dispose()
    process, url = start_server(workspace)
    try:
        browser, _ = opener()
        status, html = get(browser, url + f"/mentions/{alerted}")
        assert status == 200 and "alert to #reviews: sent" in html
        status, html = post(browser, f"{url}/mentions/{alerted}/handle",
                            {"csrf_token": token(html), "next": f"/mentions/{alerted}"})
        assert status == 200
    finally:
        stop_server(process)
    assert alert.get("edited") and "Handled by" in json.dumps(alert["blocks"])


def test_users_are_listed_and_removed(workspace):
    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/a.xml"}])])
    assert user_add(workspace, "dana", "correct horse battery\n", "--password-stdin").returncode == 0
    listed = workspace.cli("user", "list")
    assert listed.returncode == 0 and listed.stdout.startswith("dana\tadded ") and "last signed in never" in listed.stdout
    unknown = workspace.cli("user", "remove", "mallory")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "Error: no user named 'mallory' (users: dana)"
    removed = workspace.cli("user", "remove", "dana")
    assert removed.returncode == 0, removed.stderr
    assert workspace.cli("user", "list").stdout == ""


def test_a_busy_port_is_one_error_before_anything_says_serving(workspace):
    import socket

    workspace.write_config(businesses=[business(sources=[{"type": "feed", "url": "http://127.0.0.1:9/a.xml"}])])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = workspace.cli("serve", "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "Serving" not in result.stderr and "Traceback" not in result.stderr
