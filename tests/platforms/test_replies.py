"""`mentionwatch reply`: Google Business Profile replies, exactly once, against a local Google."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from mentionwatch.sandbox.google import NOT_APPROVED
from tests.conftest import business
from tests.crawlers.helpers import run
from tests.platforms.conftest import LOCATION, google_env, write_google_config

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _setup(google, workspace, **extra: object) -> dict[str, str]:
    google.add_review(LOCATION, "abc", stars=1, comment="Rude staff & cold coffee.", reviewer="Ann Lee", created=T0)
    env = google_env(google, google.grant())
    write_google_config(workspace, google, **extra)
    run(workspace, env=env)
    return env


def _mention(workspace, env) -> dict:
    result = workspace.cli("mentions", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    (mention,) = [json.loads(line) for line in result.stdout.splitlines()]
    return mention


def _rows(workspace, sql: str) -> list[tuple]:
    with sqlite3.connect(workspace.database) as db:
        return list(db.execute(sql))


def test_reply_is_sent_recorded_and_marks_the_mention_handled_then_a_second_needs_replace(google, workspace):
    env = _setup(google, workspace)
    mention = _mention(workspace, env)
    assert (mention["source_type"], mention["rating"], mention["reply"]) == ("google_business", 1.0, None)

    sent = workspace.cli("reply", str(mention["id"]), "Sorry, Ann — coffee's on us next time.", "--by", "dana", env=env)

    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith(f"mention {mention['id']}: replied by dana")
    (put,) = google.calls("PUT")
    assert put.path == f"/v4/{LOCATION}/reviews/abc/reply"
    assert json.loads(put.body) == {"comment": "Sorry, Ann — coffee's on us next time."}
    assert google.reply_of(LOCATION, "abc") == "Sorry, Ann — coffee's on us next time."
    reply = _mention(workspace, env)["reply"]
    assert (reply["text"], reply["by"]) == ("Sorry, Ann — coffee's on us next time.", "dana")
    assert reply["at"].endswith("Z")
    assert _rows(workspace, "select handled_by from mentions") == [("dana",)]
    assert _rows(workspace, "select action, via from mention_actions order by id") == [
        ("handled", "reply"), ("replied", "reply")]

    again = workspace.cli("reply", str(mention["id"]), "Sorry, Ann — coffee's on us next time.", env=env)
    other = workspace.cli("reply", str(mention["id"]), "Another answer", env=env)

    assert again.returncode == 1 and other.returncode == 1
    assert "already has" in again.stderr
    assert other.stderr.startswith(f"Error: mention {mention['id']} already has a reply: \"Sorry, Ann — coffee's on "
                                   "us next time.\"; run again with --replace")
    assert len(google.calls("PUT")) == 1

    replaced = workspace.cli("reply", str(mention["id"]), "Another answer", "--replace", "--by", "dana", env=env)

    assert replaced.returncode == 0, replaced.stderr
    assert google.reply_of(LOCATION, "abc") == "Another answer"
    assert _rows(workspace, "select text, status, replaces_id from replies order by id") == [
        ("Sorry, Ann — coffee's on us next time.", "sent", None), ("Another answer", "sent", 1)]


def test_a_reply_accepted_but_whose_answer_was_lost_is_not_sent_twice(google, workspace):
    env = _setup(google, workspace)
    mention_id = str(_mention(workspace, env)["id"])
    google.lose_reply_answers(1)

    first = workspace.cli("reply", mention_id, "Thank you for telling us.", env=env)
    second = workspace.cli("reply", mention_id, "Thank you for telling us.", env=env)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 1
    assert len(google.calls("PUT")) == 1
    assert _rows(workspace, "select text, status from replies") == [("Thank you for telling us.", "sent")]


def test_an_interrupted_reply_is_reconciled_with_the_platform_before_sending(google, workspace):
    env = _setup(google, workspace)
    mention_id = _mention(workspace, env)["id"]
    # The intent was committed and the reply reached Google, then the command was killed.
    with sqlite3.connect(workspace.database) as db:
        db.execute("insert into replies (mention_id, text, author, via, status, created_at) values "
                   "(?, 'We are on it.', 'dana', 'cli', 'pending', '2026-11-28 10:00:00.000000')", (mention_id,))
    google.reviews[LOCATION]["abc"]["reviewReply"] = {"comment": "We are on it.", "updateTime": "2026-11-28T10:00:01Z"}

    result = workspace.cli("reply", str(mention_id), "We are on it.", env=env)

    assert result.returncode == 0, result.stderr
    assert "found on the platform" in result.stdout
    assert google.calls("PUT") == []
    assert _rows(workspace, "select status from replies") == [("sent",)]


def test_a_refused_reply_is_recorded_failed_and_can_be_sent_later(google, workspace):
    env = _setup(google, workspace)
    mention_id = str(_mention(workspace, env)["id"])
    google.fail_next("reply", 403, NOT_APPROVED)

    refused = workspace.cli("reply", mention_id, "Thanks!", env=env)
    later = workspace.cli("reply", mention_id, "Thanks!", env=env)

    assert refused.returncode == 1
    assert refused.stderr.startswith("Error: Google Business Profile API access has not been approved")
    assert later.returncode == 0, later.stderr
    assert _rows(workspace, "select status from replies order by id") == [("failed",), ("sent",)]


def test_draft_from_templates_sends_nothing_and_the_editor_writes_the_reply(google, workspace, tmp_path):
    env = _setup(google, workspace, replies=[
        {"label": "negative", "aspect": "coffee", "text": "Hi {first_name}, sorry about the coffee at {business}."},
        {"text": "Thanks {first_name}!"},
    ])
    mention_id = str(_mention(workspace, env)["id"])

    draft = workspace.cli("reply", mention_id, "--draft", env=env)

    assert draft.returncode == 0, draft.stderr
    assert draft.stdout == "Hi Ann, sorry about the coffee at Joe's Donuts.\n"
    assert google.calls("PUT") == []

    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/sorry/so sorry/' \"$1\"\n")
    editor.chmod(0o755)
    edited = workspace.cli("reply", mention_id, env={**env, "EDITOR": str(editor)})

    assert edited.returncode == 0, edited.stderr
    assert google.reply_of(LOCATION, "abc") == "Hi Ann, so sorry about the coffee at Joe's Donuts."


def test_a_reviewers_name_reaches_no_terminal_draft_or_csv_with_its_escape_sequences(google, workspace, tmp_path):
    hostile = "Eve\x1b]8;;http://evil.example\x07click\x1b]8;;\x07 Adams"  # a terminal hyperlink
    google.add_review(LOCATION, "abc", stars=1, comment="Rude staff & cold coffee.", reviewer=hostile, created=T0)
    env = google_env(google, google.grant())
    write_google_config(workspace, google, replies=[{"text": "Hi {first_name}, {business} is sorry."}])
    run(workspace, env=env)

    # Cleaned where it is stored, as titles and texts are.
    assert _mention(workspace, env)["author"] == "Eve]8;;http://evil.exampleclick]8;; Adams"
    # A name stored raw before that is cleaned where it is shown.
    with sqlite3.connect(workspace.database) as db:
        db.execute("update mentions set author = ?", (hostile,))
    mention_id = str(_mention(workspace, env)["id"])
    editor = tmp_path / "editor.sh"
    editor.write_text(f"#!/bin/sh\ncp \"$1\" {tmp_path / 'seen.txt'}\nsed -i 's/sorry/so sorry/' \"$1\"\n")
    editor.chmod(0o755)

    draft = workspace.cli("reply", mention_id, "--draft", env=env)
    edited = workspace.cli("reply", mention_id, env={**env, "EDITOR": str(editor)})
    listed = workspace.cli("mentions", "--format", "csv", env=env)

    assert draft.returncode == edited.returncode == listed.returncode == 0, draft.stderr + edited.stderr + listed.stderr
    assert draft.stdout == "Hi Eve]8;;http://evil.exampleclick]8;;, Joe's Donuts is sorry.\n"
    assert (tmp_path / "seen.txt").read_text(encoding="utf-8").startswith("Hi Eve]8;;http://evil.exampleclick]8;;,")
    assert ",Eve]8;;http://evil.exampleclick]8;; Adams," in listed.stdout
    for output in (draft.stdout, draft.stderr, (tmp_path / "seen.txt").read_text(encoding="utf-8"),
                   edited.stdout, edited.stderr, listed.stdout, google.reply_of(LOCATION, "abc")):
        assert "\x1b" not in output and "\x07" not in output


def test_sources_without_a_reply_api_print_the_link_to_answer_by_hand(web, workspace):
    web.add("/r", '<div itemscope itemtype="https://schema.org/Review"><span itemprop="reviewBody">'
                  "Joe's Donuts was closed again.</span><span itemprop=\"author\">Bo</span></div>",
            content_type="text/html")
    workspace.write_config(alerts={"max_age_days": 36500}, businesses=[business(sources=[
        {"type": "reviews", "url": f"{web.url}/r"}])])
    run(workspace)
    mention = _mention(workspace, {})

    result = workspace.cli("reply", str(mention["id"]), "Sorry!")

    assert result.returncode == 1
    assert result.stdout == ""  # the link is said once, in the Error line
    assert result.stderr == f"Error: reviews takes no replies through an API; answer by hand at {mention['url']}\n"



def test_a_reply_template_with_an_unknown_placeholder_is_a_config_error(workspace):
    workspace.write_config(businesses=[business(replies=[{"text": "Hi {name}!"}],
                                                sources=[{"type": "feed", "url": "http://127.0.0.1:9/feed"}])])

    result = workspace.cli("check")

    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {workspace.config}: businesses[0].replies[0].text: got 'Hi {{name}}!': "
                                    "unknown placeholder {name}: use {first_name} or {business}")


def test_two_replies_at_once_send_one(google, workspace):
    env = _setup(google, workspace)
    mention_id = _mention(workspace, env)["id"]
    # Another door (a Slack click) recorded its intent a moment ago and is sending it.
    now = datetime.now(UTC)
    with sqlite3.connect(workspace.database) as db:
        db.execute("insert into replies (mention_id, text, author, via, status, created_at) values "
                   "(?, 'Thanks from Slack', 'sam', 'slack', 'pending', ?)",
                   (mention_id, now.strftime("%Y-%m-%d %H:%M:%S.%f")))
    # It may be uploading for two download timeouts (30 s by default) and a margin: then it is settled.
    settled = now + timedelta(seconds=2 * 30 + 30)

    other = workspace.cli("reply", str(mention_id), "Thanks from the CLI", env=env)
    same = workspace.cli("reply", str(mention_id), "Thanks from Slack", env=env)

    for result, which in ((other, "another reply"), (same, "this reply")):
        assert result.returncode == 1
        assert result.stderr.startswith(f"Error: {which} to mention {mention_id} is being sent right now by sam via "
                                        "slack (since ")
        assert result.stderr.endswith(f"): nothing was sent; run again after {settled:%H:%M:%S} UTC\n")
    assert google.calls("PUT") == []


def test_a_reply_to_an_alerted_review_flags_its_alert_and_says_how_fast(google, workspace):
    env = google_env(google, google.grant())
    write_google_config(workspace, google)
    run(workspace, env=env)  # the first crawl: a baseline, nothing alerted
    google.add_review(LOCATION, "late", stars=1, comment="Rude staff and cold, stale donuts.", reviewer="Ann Lee",
                      created=datetime.now(UTC))
    run(workspace, env=env)  # alerted (printed: no Slack here)
    mention_id = _mention(workspace, env)["id"]
    assert _rows(workspace, "select alerted_at is not null, alert_refresh_due from mentions") == [(1, 0)]

    result = workspace.cli("reply", str(mention_id), "Sorry, Ann.", "--by", "dana", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"mention {mention_id}: replied by dana in 1 min\n"
    assert _rows(workspace, "select alert_refresh_due from mentions") == [(1,)]


def test_drafts_say_when_no_template_fits_and_where_a_review_cannot_be_answered_from_here(google, workspace):
    env = _setup(google, workspace, replies=[{"label": "positive", "text": "Thanks {first_name}!"}])
    mention_id = str(_mention(workspace, env)["id"])

    none_fits = workspace.cli("reply", mention_id, "--draft", env=env)

    assert none_fits.returncode == 1
    assert none_fits.stderr.startswith(f"Error: no reply template fits mention {mention_id} (label negative)")
