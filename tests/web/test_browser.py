"""The web inbox in a real headless Chromium: sign in, triage, search, and stay safe."""

from __future__ import annotations

import http.cookiejar
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Mention, MentionAction
from tests.web.conftest import PASSWORD


def submit(driver, button) -> None:  # type: ignore[no-untyped-def]
    """Click a form's button and wait for the page it leads to (a click does not wait by itself)."""
    old = driver.find_element(By.TAG_NAME, "html")
    button.click()
    # While the old page goes, chromedriver may answer a look at it with an "inspector error"
    # instead of "stale element": that is the page going too, so look again.
    WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,)).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def sign_in(driver, server, name: str = "dana", password: str = PASSWORD, path: str = "/") -> None:  # type: ignore[no-untyped-def]
    driver.get(server.url + path)
    assert "/login" in driver.current_url
    driver.find_element(By.NAME, "name").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def listed_ids(driver) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(e.get_attribute("data-id")) for e in driver.find_elements(By.CSS_SELECTOR, "article.mention")]


def click_action(driver, mention_id: int, action: str) -> None:  # type: ignore[no-untyped-def]
    submit(driver, driver.find_element(By.CSS_SELECTOR, f"#m{mention_id} button[data-action={action}]"))


def test_sign_in_leads_to_the_inbox_of_open_negative_and_urgent_mentions_urgent_first(page, server):
    sign_in(page, server)
    assert page.current_url == server.url + "/"
    ids = server.ids
    # Urgent first, then the open negatives newest first; positive and neutral are not in the inbox.
    assert listed_ids(page) == [ids["sick"], ids["rude"], ids["hostile"]]
    first = page.find_element(By.CSS_SELECTOR, f"#m{ids['sick']}")
    assert "urgent" in first.text and "-0.80" in first.text and "Joe's Donuts" in first.text
    assert page.find_element(By.CSS_SELECTOR, ".who").text.startswith("dana")


def test_a_wrong_password_is_refused_and_the_next_page_is_kept(page, server):
    sign_in(page, server, password="not the password", path="/trends")
    assert "do not match" in page.find_element(By.CSS_SELECTOR, ".error").text
    page.find_element(By.NAME, "name").send_keys("dana")
    page.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit(page, page.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert page.current_url == server.url + "/trends", page.find_element(By.TAG_NAME, "main").text
    assert page.find_element(By.CSS_SELECTOR, "svg.chart") is not None


def test_a_filter_and_a_search_narrow_the_mentions(page, server):
    sign_in(page, server, path="/mentions")
    assert len(listed_ids(page)) == 5
    Select(page.find_element(By.NAME, "label")).select_by_visible_text("negative")
    submit(page, page.find_element(By.CSS_SELECTOR, ".filters button[type=submit]"))
    assert sorted(listed_ids(page)) == sorted([server.ids["rude"], server.ids["sick"], server.ids["hostile"]])
    # Search within the filter, by the database's full-text index.
    page.find_element(By.NAME, "q").send_keys("refund")
    submit(page, page.find_element(By.CSS_SELECTOR, ".filters button[type=submit]"))
    assert listed_ids(page) == [server.ids["rude"]]
    assert "label=negative" in page.current_url
    page.get(server.url + "/mentions?q=" + urllib.parse.quote('shop "Main'))
    assert listed_ids(page) == [server.ids["shop"]]
    # Whole words, accents aside; a trailing * asks for a prefix.
    page.get(server.url + "/mentions?q=poison")
    assert listed_ids(page) == []
    page.get(server.url + "/mentions?q=POISON*")
    assert listed_ids(page) == [server.ids["sick"]]
    page.get(server.url + "/mentions?since=yesterday")
    assert "not a date" in page.find_element(By.CSS_SELECTOR, ".error").text


def test_handled_and_not_about_us_go_through_the_actions_and_leave_the_inbox(page, server):
    sign_in(page, server)
    rude, hostile = server.ids["rude"], server.ids["hostile"]
    click_action(page, rude, "handle")
    assert f"#{rude}: Handled by dana" in page.find_element(By.CSS_SELECTOR, ".flash").text
    click_action(page, hostile, "dismiss")
    assert "Dismissed as not about us by dana" in page.find_element(By.CSS_SELECTOR, ".flash").text
    assert listed_ids(page) == [server.ids["sick"]]

    engine = server.engine()
    with Session(engine) as session:
        handled, dismissed = session.get(Mention, rude), session.get(Mention, hostile)
        assert handled.handled_by == "dana" and handled.handled_at is not None and handled.dismissed_at is None
        assert dismissed.dismissed_by == "dana" and dismissed.handled_at is None
        history = session.execute(select(MentionAction.mention_id, MentionAction.action, MentionAction.actor,
                                         MentionAction.via).order_by(MentionAction.id)).all()
    engine.dispose()
    assert [tuple(row) for row in history] == [(rude, "handled", "dana", "web"), (hostile, "dismissed", "dana", "web")]

    # The mention's page shows what was done, and can undo it.
    page.get(f"{server.url}/mentions/{rude}")
    assert "handled by dana (via web)" in page.find_element(By.TAG_NAME, "main").text
    click_action(page, rude, "reopen")
    assert listed_ids(page) == [rude]
    page.get(server.url + "/")
    assert listed_ids(page) == [server.ids["sick"], rude]


def test_assign_from_the_inbox(page, server):
    sign_in(page, server)
    sick = server.ids["sick"]
    field = page.find_element(By.CSS_SELECTOR, f"#m{sick} input[name=assignee]")
    field.send_keys("sam")
    click_action(page, sick, "assign")
    assert "Assigned to sam by dana" in page.find_element(By.CSS_SELECTOR, ".flash").text
    assert "assigned to sam" in page.find_element(By.CSS_SELECTOR, f"#m{sick}").text


def test_a_hostile_mention_is_shown_as_inert_text(page, server):
    sign_in(page, server)
    hostile = server.ids["hostile"]
    for path in ("/", f"/mentions/{hostile}", "/mentions?q=channel"):
        page.get(server.url + path)
        with pytest.raises(NoAlertPresentException):
            page.switch_to.alert.text  # noqa: B018 (an alert would mean the script ran)
        assert page.find_elements(By.TAG_NAME, "script") == []
        assert page.find_elements(By.CSS_SELECTOR, "main img") == []
        links = [a.get_attribute("href") or "" for a in page.find_elements(By.TAG_NAME, "a")]
        assert not [link for link in links if not link.startswith(("http://", "https://"))]
        text = page.find_element(By.TAG_NAME, "main").text
        assert "<script>alert('title')</script>" in text and "<!channel>" in text
    # The stored address is not a web link: shown as text, not offered as a link.
    page.get(f"{server.url}/mentions/{hostile}")
    assert "Original address (not a web link): javascript:alert(document.cookie)" in page.find_element(
        By.TAG_NAME, "main").text


def browser_cookies(driver) -> http.cookiejar.CookieJar:  # type: ignore[no-untyped-def]
    jar = http.cookiejar.CookieJar()
    for c in driver.get_cookies():
        jar.set_cookie(http.cookiejar.Cookie(0, c["name"], c["value"], None, False, "127.0.0.1", False, False, "/",
                                             True, False, None, False, None, None, {}))
    return jar


def post(url: str, data: dict[str, str], jar: http.cookiejar.CookieJar,
         headers: dict[str, str] | None = None) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_a_post_without_the_csrf_token_or_from_another_site_is_refused(page, server):
    sign_in(page, server)
    jar = browser_cookies(page)
    token = page.find_element(By.NAME, "csrf_token").get_attribute("value")
    rude = server.ids["rude"]
    url = f"{server.url}/mentions/{rude}/handle"
    assert post(url, {"next": "/"}, jar) == 403
    assert post(url, {"next": "/", "csrf_token": "forged"}, jar) == 403
    assert post(url, {"next": "/", "csrf_token": token}, jar, {"Origin": "https://evil.example"}) == 403
    # The session cookie alone (what a forged cross-site form would send) changed nothing.
    engine = server.engine()
    with Session(engine) as session:
        assert session.get(Mention, rude).handled_at is None
        assert session.scalars(select(MentionAction)).all() == []
    engine.dispose()
    # With the page's token the same request is accepted (it is the token that made the difference).
    assert post(url, {"next": "/", "csrf_token": token}, jar) == 200
    engine = server.engine()
    with Session(engine) as session:
        assert session.get(Mention, rude).handled_by == "dana"
    engine.dispose()


def test_cookies_are_httponly_and_samesite_and_pages_forbid_scripts(page, server):
    sign_in(page, server)
    cookies = {c["name"]: c for c in page.get_cookies()}
    assert cookies["mw_session"]["httpOnly"] and cookies["mw_session"]["sameSite"] == "Lax"
    with urllib.request.urlopen(server.url + "/login", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script" not in policy and "unsafe-inline" not in policy

    # Signing out ends the session in the database: the old cookie opens nothing any more.
    jar = browser_cookies(page)
    submit(page, page.find_element(By.CSS_SELECTOR, ".who button"))
    assert "/login" in page.current_url
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(server.url + "/", timeout=10) as response:
        assert "/login" in response.url


def test_login_attempts_are_rate_limited(server):
    opener_jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(opener_jar))
    with opener.open(server.url + "/login", timeout=10) as response:
        html = response.read().decode()
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    codes = [post(server.url + "/login", {"csrf_token": token, "name": "dana", "password": f"guess {i}"}, opener_jar)
             for i in range(6)]
    assert codes == [401] * 5 + [429]
    # Even the right password waits now.
    assert post(server.url + "/login", {"csrf_token": token, "name": "dana", "password": PASSWORD}, opener_jar) == 429


# Words whose letters sit on more than one line: a word broken inside, as "Bus ines s" was.
BROKEN_WORDS = """
const broken = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const re = /[A-Za-z]{3,}/g;
  let m;
  while ((m = re.exec(node.data)) !== null) {
    const range = document.createRange();
    range.setStart(node, m.index);
    range.setEnd(node, m.index + m[0].length);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (tops.size > 1) broken.push(m[0]);
  }
}
return broken;
"""


def fits_a_phone(page) -> None:  # type: ignore[no-untyped-def]
    assert page.execute_script("return window.innerWidth") == 390
    assert page.execute_script("return document.documentElement.scrollWidth") <= 390
    assert page.execute_script(BROKEN_WORDS) == []


@pytest.mark.parametrize("path", ["/", "/mentions", "/mentions/{sick}", "/trends", "/sources", "/reports"])
def test_pages_fit_a_390_pixel_wide_phone(page, server, path, tmp_path):
    sign_in(page, server)
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                         {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    page.get(server.url + path.format(sick=server.ids["sick"]))
    fits_a_phone(page)
    shot = tmp_path / "phone.png"
    assert page.save_screenshot(str(shot)) and shot.stat().st_size > 1000


def test_the_weekly_report_fits_a_phone(page, server):
    written = server.workspace.cli("report", "--no-send", "--quiet")
    assert written.returncode == 0, written.stderr
    sign_in(page, server, path="/reports")
    page.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                         {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    page.get(server.url + "/reports")
    submit(page, page.find_elements(By.CSS_SELECTOR, "main a")[0])
    assert "Joe's Donuts" in page.find_element(By.TAG_NAME, "body").text
    fits_a_phone(page)


def test_sources_show_health_and_reports_are_listed_and_served_safely(page, server):
    reports = server.workspace.folder / "reports"
    reports.mkdir()
    (reports / "report-2026-11-23.html").write_text("<h1>Week 47</h1><script>alert(1)</script>", encoding="utf-8")
    (server.workspace.folder / "secret.html").write_text("not a report", encoding="utf-8")
    sign_in(page, server, path="/sources")
    row = page.find_element(By.CSS_SELECTOR, "tbody tr")
    assert "failing" in row.text and "connection refused by 127.0.0.1" in row.text and "2" in row.text
    assert "next check" not in row.text  # `run` from cron crawls every source: no schedule to show
    with sqlite3.connect(server.workspace.database) as connection:  # as the workers' schedule sets it
        connection.execute("UPDATE sources SET next_check_at = '2026-12-06 09:30:00.000000'")
    page.get(server.url + "/sources")
    assert "next check 2026-12-06 09:30 UTC" in page.find_element(By.CSS_SELECTOR, "tbody tr").text
    page.get(server.url + "/reports")
    submit(page, page.find_element(By.LINK_TEXT, "report-2026-11-23.html"))
    assert page.find_element(By.TAG_NAME, "h1").text == "Week 47"
    with pytest.raises(NoAlertPresentException):
        page.switch_to.alert.text  # noqa: B018 (the report is sandboxed: no script runs)
    jar = browser_cookies(page)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(server.url + "/reports/report-2026-11-23.html", timeout=10) as response:
        assert "sandbox" in response.headers["Content-Security-Policy"]
    # A real weekly report: listed newest first, its chart served beside it.
    written = server.workspace.cli("report", "--no-send", "--quiet")
    assert written.returncode == 0, written.stderr
    page.get(server.url + "/reports")
    names = [a.text for a in page.find_elements(By.CSS_SELECTOR, "main a")]
    assert len(names) == 2 and names[1] == "report-2026-11-23.html"
    submit(page, page.find_element(By.LINK_TEXT, names[0]))
    assert "Joe's Donuts" in page.find_element(By.TAG_NAME, "body").text
    chart = page.find_element(By.CSS_SELECTOR, "img.chart")
    assert page.execute_script("return arguments[0].complete && arguments[0].naturalWidth", chart) > 100
    for name in ("..%2Fsecret.html", "%2E%2E%2Fsecret.html", ".hidden.html", "config.yaml"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(f"{server.url}/reports/{name}", timeout=10)
        assert refused.value.code == 404
        refused.value.close()


def test_trends_draw_daily_labels_and_ratings_as_svg(page, server):
    sign_in(page, server, path="/trends?days=7")
    main = page.find_element(By.TAG_NAME, "main")
    assert "5 mentions: 3 negative, 1 neutral, 1 positive" in main.text
    titles = [e.get_attribute("aria-label") for e in page.find_elements(By.CSS_SELECTOR, "svg.chart")]
    assert titles[:2] == ["Mentions of Joe's Donuts per day by label", "Overall rating of Joe's Donuts per day"]
    bars = page.find_elements(By.CSS_SELECTOR, "svg.chart rect title")
    assert sum(int(b.get_attribute("textContent").split(": ")[1].split()[0]) for b in bars) == 5
    assert len(page.find_elements(By.CSS_SELECTOR, "svg.chart circle")) == 3


def test_the_mention_page_shows_sightings_revisions_alert_history_and_replies(page, server):
    from datetime import timedelta

    from pipeline.models import (
        AlertMessage,
        AlertMessageMention,
        Reply,
        Revision,
        Sighting,
        utcnow,
    )
    from respond import actions

    rude = server.ids["rude"]
    engine = server.engine()
    with Session(engine) as session:
        mention = session.get(Mention, rude)
        now = utcnow()
        session.add_all([
            Sighting(mention_id=rude, source_id=mention.source_id, url="https://mirror.example/rude",
                     canonical_url="https://mirror.example/rude"),
            Sighting(mention_id=rude, source_id=mention.source_id, url="javascript:alert('sighting')",
                     canonical_url="javascript:alert('sighting')"),
            Revision(mention_id=rude, changed_at=now - timedelta(minutes=30), title="Lovely coffee",
                     text="It was lovely.", rating=5, label="positive"),
            Reply(mention_id=rude, text="Sorry, we will call you.", author="dana", via="cli", status="sent",
                  sent_at=now),
        ])
        message = AlertMessage(kind="alert", channel="#reviews", text="alert", blocks=[], sent_at=now,
                               slack_ts="1.000100")
        session.add(message)
        session.flush()
        session.add(AlertMessageMention(message_id=message.id, mention_id=rude))
        actions.assign(session, rude, "sam", by="lee", via="slack")
        session.commit()
    engine.dispose()

    sign_in(page, server, path=f"/mentions/{rude}")
    main = page.find_element(By.TAG_NAME, "main").text
    assert "The cashier was rude and I want a refund." in main
    assert "https://mirror.example/rude" in main and "javascript:alert('sighting')" in main
    assert "Lovely coffee" in main and "It was lovely." in main
    assert "alert to #reviews: sent" in main
    assert "assigned by lee (via slack) → sam" in main
    assert "Sorry, we will call you." in main and "dana via cli · sent" in main
    links = [a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, "main a")]
    assert "https://mirror.example/rude" in links and not [h for h in links if h.startswith("javascript")]


def test_a_form_on_another_site_cannot_act_for_the_signed_in_user(page, server, web):
    rude = server.ids["rude"]
    sign_in(page, server)
    # Another site (another origin: the local web server's port) with a form aimed at Handled.
    web.add("/prize.html", f"""<!doctype html><title>You won</title>
<form method="post" action="{server.url}/mentions/{rude}/handle">
<input type="hidden" name="next" value="/"><input type="hidden" name="csrf_token" value="guessed">
<button type="submit">Claim your prize</button></form>""", content_type="text/html")
    page.get(f"{web.url}/prize.html")
    submit(page, page.find_element(By.TAG_NAME, "button"))
    assert page.find_element(By.TAG_NAME, "h1").text == "Refused"
    # The same form without any token, submitted from our own page, is refused too.
    page.get(server.url + "/")
    page.execute_script("""
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/mentions/' + arguments[0] + '/dismiss';
        document.body.appendChild(form); form.submit();""", rude)
    WebDriverWait(page, 30).until(lambda d: d.find_element(By.TAG_NAME, "h1").text == "Refused")
    engine = server.engine()
    with Session(engine) as session:
        mention = session.get(Mention, rude)
        assert mention.handled_at is None and mention.dismissed_at is None
        assert session.scalars(select(MentionAction)).all() == []
    engine.dispose()


def test_an_untitled_mention_is_headed_by_its_first_words_cut_at_a_word(page, server):
    words = "The croissants were stale again and the espresso machine was broken for the third week running, " * 4
    engine = server.engine()
    try:
        with Session(engine) as session:
            seeded = session.get(Mention, server.ids["sick"])
            long = Mention(business_id=seeded.business_id, source_id=seeded.source_id, source_type="feed",
                           url="https://news.example/stale", canonical_url="https://news.example/stale", title=None,
                           text=words.strip(), label="negative", sentiment=-0.6, urgent=False,
                           first_seen_at=seeded.first_seen_at)
            session.add(long)
            session.commit()
            long_id = long.id
    finally:
        engine.dispose()
    sign_in(page, server, path="/mentions")
    heading = page.find_element(By.CSS_SELECTOR, f"#m{long_id} h3").text
    excerpt = page.find_element(By.CSS_SELECTOR, f"#m{long_id} .excerpt").text
    for shown, limit in ((heading, 120), (excerpt, 300)):
        assert shown.endswith("…") and len(shown) <= limit
        kept = shown.removesuffix("…").rstrip()
        assert words.startswith(kept) and words[len(kept)] in " ,."  # a whole word, never half of one
