"""Reply from the web inbox: the draft from the business's templates, sent once to a local Google."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from types import SimpleNamespace

from selenium.webdriver.common.by import By
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Mention, Reply
from pipeline.store import open_engine
from tests.conftest import MENTIONWATCH, Workspace
from tests.crawlers.helpers import run
from tests.platforms.conftest import LOCATION, google, google_env, write_google_config  # noqa: F401 (fixture)
from tests.web.conftest import PASSWORD, start_server, stop_server
from tests.web.test_browser import sign_in, submit

TEMPLATE = "Sorry, {first_name}: that is not the {business} we want to be. Please ask for Joe next time."


def test_reply_from_the_mention_page_is_sent_to_google_once_and_recorded(browser, google, tmp_path):
    google.add_review(LOCATION, "abc", stars=1, comment="Rude staff & cold coffee.", reviewer="Ann Lee",
                      created=datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    workspace = Workspace(tmp_path)
    env = google_env(google, google.grant())
    write_google_config(workspace, google, replies=[{"text": TEMPLATE}])
    run(workspace, env=env)
    added = subprocess.run([str(MENTIONWATCH), "user", "add", "dana", "--password-stdin", "--config",
                            str(workspace.config)], input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    engine = open_engine(f"sqlite:///{workspace.database}")
    with Session(engine) as session:
        (mention_id,) = session.scalars(select(Mention.id))
    process, url = start_server(workspace, env=env)
    try:
        browser.execute_cdp_cmd("Network.clearBrowserCookies", {})

        sign_in(browser, SimpleNamespace(url=url), path=f"/mentions/{mention_id}")

        text = browser.find_element(By.CSS_SELECTOR, "#reply textarea[name=text]")
        expected = "Sorry, Ann: that is not the Joe's Donuts we want to be. Please ask for Joe next time."
        assert text.get_property("value") == expected  # the template, filled in
        submit(browser, browser.find_element(By.CSS_SELECTOR, "#reply button[data-action=reply]"))

        assert f"#{mention_id}: Replied by dana" in browser.find_element(By.CSS_SELECTOR, ".flash").text
        assert google.reply_of(LOCATION, "abc") == expected
        assert "dana via web · sent" in browser.find_element(By.ID, "reply").text

        # Sending the same form again (a double click, a reload) does not post twice.
        browser.get(f"{url}/mentions/{mention_id}")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "#reply button[data-action=reply]"))
        assert "already has this reply: nothing was sent" in browser.find_element(By.CSS_SELECTOR, ".flash").text
        assert len(google.calls("PUT")) == 1
    finally:
        stop_server(process)
    with Session(engine) as session:
        mention = session.get(Mention, mention_id)
        replies = session.execute(select(Reply.text, Reply.author, Reply.via, Reply.status)).all()
    engine.dispose()
    assert mention.handled_by == "dana"
    assert [tuple(r) for r in replies] == [(expected, "dana", "web", "sent")]


def test_a_source_without_a_reply_api_links_to_the_review_instead(page, server):
    rude = server.ids["rude"]
    sign_in(page, server, path=f"/mentions/{rude}")
    section = page.find_element(By.ID, "reply")
    assert not section.find_elements(By.TAG_NAME, "textarea")
    assert "feed takes no replies through an API" in section.text
    assert section.find_element(By.LINK_TEXT, "open the review").get_attribute("href") == "https://news.example/rude"
