"""The alert's buttons end to end: the real slack-bolt App over the real Socket Mode client, against
the local Slack (Web API and Socket Mode server), with a real SQLite store."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crawlers.spiders.google_business import review_url
from mentionwatch.sandbox.google import NOT_APPROVED
from mentionwatch.sandbox.slack import LocalSlackServer
from pipeline.models import Mention, MentionAction, Reply, utcnow
from respond import actions
from respond.slack.app import build_app
from respond.slack.listen import socket_mode
from tests.alerts.helpers import Store, joes, settings_for
from tests.platforms.conftest import LOCATION, google, google_env, google_source  # noqa: F401 (fixture)
from tests.respond import slack_payloads as payloads

APP_TOKEN = "xapp-1-A0APP-1-local"


def eventually(check: Callable[[], Any], timeout: float = 10, what: str = "the listener to act") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Listening:
    slack: LocalSlackServer
    store: Store
    mention_id: int
    caplog: Any

    def message(self) -> dict[str, Any]:
        """The alert as Slack now shows it."""
        return next(p for p in self.slack.posted if p["text"] and "Joe" in p["text"] and p.get("blocks"))

    def act(self, payload: dict[str, Any], envelope_id: str | None = None) -> str:
        envelope = self.slack.socket_mode.send("interactive", payload, envelope_id=envelope_id)
        ack = self.slack.socket_mode.wait_ack(envelope)
        assert ack["envelope_id"] == envelope
        return envelope

    def log_lines(self) -> list[str]:
        return [r.getMessage() for r in self.caplog.records if r.name == "respond.slack"]

    def wait_log(self, count: int) -> list[str]:
        return eventually(lambda: len(self.log_lines()) >= count and self.log_lines(), what=f"{count} log lines")

    def history(self) -> list[tuple[str, str, str]]:
        with Session(self.store.engine) as session:
            return [(r.action, r.actor, r.via) for r in actions.history(session, self.mention_id)]

    def updates(self) -> list[Any]:
        return [r for r in self.slack.calls("chat.update") if r.error is None]


@pytest.fixture
def listening(tmp_path, slack: LocalSlackServer, store, caplog) -> Iterator[Listening]:
    """An alert delivered to the local Slack, and the listener connected over Socket Mode."""
    caplog.set_level(logging.INFO, logger="respond.slack")
    settings = settings_for(slack.api_url, slack={"app_token": APP_TOKEN})
    s = store(settings)
    mention_id = s.add(title="Cold coffee at Joe's Donuts", text="Joe's Donuts served cold coffee. Never again.")
    assert s.cycle().sent == 1
    sessions = sessionmaker(s.engine, expire_on_commit=False)
    app = build_app(settings, sessions)
    with socket_mode(app, settings) as handler:
        slack.socket_mode.wait_connected()
        yield Listening(slack, s, mention_id, caplog)
        # Hang up first: the client's reader then lets go at once rather than at its read timeout.
        handler.client.auto_reconnect_enabled = False
        slack.socket_mode.hang_up()


def test_the_alert_carries_the_buttons_each_naming_its_mention(listening):
    message = listening.message()
    assert payloads.labels(message) == ["Open the mention", "Handled", "Not about us", "Assign", "Snooze", "Reply"]
    for label in ("Handled", "Not about us", "Snooze", "Reply"):
        assert payloads.element(message, label)[0]["value"] == str(listening.mention_id)
    picker, block_id = payloads.element(message, "Assign")
    assert picker["type"] == "users_select" and block_id.endswith(f"_{listening.mention_id}")


def test_handled_marks_the_mention_and_updates_the_alert_once_even_when_redelivered(listening):
    click = payloads.click(listening.message(), "Handled")
    envelope = listening.act(click)
    eventually(lambda: listening.updates(), what="chat.update")
    # The listener commits once Slack's answer is back, a moment after the server recorded the call.
    eventually(lambda: listening.store.mention(listening.mention_id).alert_refresh_due is False,
               what="the refresh recorded")
    mention = listening.store.mention(listening.mention_id)
    assert mention.handled_by == "Olive Owner" and mention.handled_at is not None
    assert listening.history() == [("handled", "Olive Owner", "slack")]
    update = listening.updates()[0]
    assert update.args["ts"] == listening.message()["ts"]
    shown = json.dumps(listening.message()["blocks"])
    assert "Handled by Olive Owner" in shown and "after the alert" in shown
    # Handled gives way to Reopen.
    assert payloads.labels(listening.message())[1] == "Reopen"
    # One line per action: who did what.
    assert listening.wait_log(1)[0].startswith(f"slack: mention {listening.mention_id}: Handled by Olive Owner ")

    # Slack delivers the same envelope again: acked, and nothing changes.
    listening.act(click, envelope_id=envelope)
    lines = listening.wait_log(2)
    assert lines[1].endswith("(nothing changed)")
    assert len(listening.updates()) == 1
    assert listening.history() == [("handled", "Olive Owner", "slack")]


def test_reopen_after_handled(listening):
    listening.act(payloads.click(listening.message(), "Handled"))
    eventually(lambda: payloads.labels(listening.message())[1] == "Reopen")
    listening.act(payloads.click(listening.message(), "Reopen"))
    eventually(lambda: payloads.labels(listening.message())[1] == "Handled", what="the Handled button back")
    assert listening.store.mention(listening.mention_id).handled_at is None
    assert [a for a, _, _ in listening.history()] == ["handled", "reopened"]


def test_not_about_us_dismisses_and_says_so_on_the_alert(listening):
    listening.act(payloads.click(listening.message(), "Not about us"))
    eventually(lambda: listening.store.mention(listening.mention_id).dismissed_at)
    eventually(lambda: "Not about us, said Olive Owner" in json.dumps(listening.message()["blocks"]))
    assert "Not about us" not in payloads.labels(listening.message())
    assert listening.history() == [("dismissed", "Olive Owner", "slack")]


def test_assign_names_the_assignee_in_the_store_and_on_the_message(listening):
    listening.slack.add_user("U0SAM", "sam", "Sam Baker")
    listening.act(payloads.click(listening.message(), "Assign", selected_user="U0SAM"))
    eventually(lambda: listening.store.mention(listening.mention_id).assignee == "U0SAM")
    eventually(lambda: "Assigned to <@U0SAM>" in json.dumps(listening.message()["blocks"]))
    picker, _ = payloads.element(listening.message(), "Assign")
    assert picker["initial_user"] == "U0SAM"
    assert listening.history() == [("assigned", "Olive Owner", "slack")]
    # Who clicked was looked up once.
    assert [r.args["user"] for r in listening.slack.calls("users.info")] == ["U0OWNER"]


def test_snooze_puts_it_aside_for_a_day(listening):
    listening.act(payloads.click(listening.message(), "Snooze"))
    clicked = utcnow()
    mention = eventually(lambda: (m := listening.store.mention(listening.mention_id)).snoozed_until and m)
    assert timedelta(hours=23, minutes=59) < mention.snoozed_until - clicked < timedelta(hours=24, minutes=1)
    eventually(lambda: ":zzz: Snoozed until" in json.dumps(listening.message()["blocks"]))
    assert listening.history() == [("snoozed", "Olive Owner", "slack")]


def test_reply_without_a_reply_api_shows_the_link_to_answer_by_hand(listening):
    payload = payloads.click(listening.message(), "Reply")
    listening.act(payload)
    opened = eventually(lambda: listening.slack.calls("views.open"), what="views.open")
    assert opened[0].args["trigger_id"] == payload["trigger_id"] and opened[0].error is None
    view = next(iter(listening.slack.views.values()))
    assert view["title"]["text"] == "Reply" and "submit" not in view
    shown = json.dumps(view["blocks"])
    assert "answer on the site itself" in shown and "https://news.example.com/story-" in shown
    # Opening the form is no action on the mention.
    assert listening.history() == []


def test_a_reaction_event_marks_the_alert_handled_at_once(listening):
    event = payloads.reaction_added(listening.message())
    envelope = listening.slack.socket_mode.send("events_api", event)
    listening.slack.socket_mode.wait_ack(envelope)
    eventually(lambda: listening.store.mention(listening.mention_id).handled_at)
    assert listening.history() == [("handled", "Olive Owner", "reaction")]
    eventually(lambda: listening.updates(), what="chat.update")
    # Redelivered (retry_attempt 1): nothing more.
    again = listening.slack.socket_mode.send("events_api", event, retry_attempt=1, retry_reason="timeout")
    listening.slack.socket_mode.wait_ack(again)
    listening.wait_log(2)
    assert listening.history() == [("handled", "Olive Owner", "reaction")] and len(listening.updates()) == 1


def test_another_reaction_is_ignored(listening):
    event = payloads.reaction_added(listening.message(), reaction="eyes")
    listening.slack.socket_mode.wait_ack(listening.slack.socket_mode.send("events_api", event))
    # Then a real action, to be sure the reaction was processed before it.
    listening.act(payloads.click(listening.message(), "Snooze"))
    listening.wait_log(1)
    assert [a for a, _, _ in listening.history()] == ["snoozed"]


def test_the_link_button_is_acknowledged_and_does_nothing(listening):
    listening.act(payloads.click(listening.message(), "Open the mention"))
    # A real action after it, to be sure the link's click was processed by then.
    listening.act(payloads.click(listening.message(), "Snooze"))
    assert len(listening.wait_log(1)) == 1
    assert [a for a, _, _ in listening.history()] == ["snoozed"]
    assert not [r for r in listening.caplog.records if "Unhandled request" in r.getMessage()]


def test_a_failed_update_is_kept_for_the_next_run(listening):
    listening.slack.fail_next("chat.update", status=500, count=3)
    listening.act(payloads.click(listening.message(), "Handled"))
    eventually(lambda: any("retried by the next run" in line for line in listening.log_lines()))
    assert listening.store.mention(listening.mention_id).alert_refresh_due is True
    # The next run brings the alert up to date.
    listening.store.cycle()
    assert listening.store.mention(listening.mention_id).alert_refresh_due is False
    assert "Handled by Olive Owner" in json.dumps(listening.message()["blocks"])


def test_snoozed_mentions_are_raised_again_once_when_the_snooze_is_over(listening):
    listening.act(payloads.click(listening.message(), "Snooze"))
    mention = eventually(lambda: (m := listening.store.mention(listening.mention_id)).snoozed_until and m)
    posted = len(listening.slack.posted)
    listening.store.cycle(now=mention.snoozed_until - timedelta(minutes=1))
    assert len(listening.slack.posted) == posted  # not yet
    listening.store.cycle(now=mention.snoozed_until)
    raised = listening.slack.posted[posted:]
    assert len(raised) == 1 and "Snooze over" in json.dumps(raised[0]["blocks"])
    assert payloads.labels(raised[0])[1:] == ["Handled", "Not about us", "Assign", "Snooze", "Reply"]
    listening.store.cycle(now=mention.snoozed_until + timedelta(days=1))
    assert len(listening.slack.posted) == posted + 1  # once
    assert listening.store.mention(listening.mention_id).snoozed_until is None


def test_unknown_mentions_are_said_in_the_log_and_change_nothing(listening):
    payload = payloads.click(listening.message(), "Handled")
    payload["actions"][0]["value"] = "999999"
    listening.act(payload)
    assert "no mention with id 999999" in listening.wait_log(1)[0]
    with Session(listening.store.engine) as session:
        assert session.query(MentionAction).count() == 0
        assert session.get(Mention, listening.mention_id).handled_at is None


@pytest.fixture
def replying(tmp_path, slack: LocalSlackServer, store, caplog, google, monkeypatch) -> Iterator[Listening]:
    """An alert of a Google review (read from the local Google) and the listener, with a reply template."""
    caplog.set_level(logging.INFO, logger="respond.slack")
    for name, value in google_env(google, google.grant()).items():
        monkeypatch.setenv(name, value)
    google.add_review(LOCATION, "abc", stars=1, comment="Cold coffee at Joe's Donuts.", reviewer="Ann Lee",
                      created=utcnow())
    settings = settings_for(slack.api_url, slack={"app_token": APP_TOKEN}, businesses=[joes(
        sources=[google_source(google)], replies=[{"text": "Hello {first_name}, {business} is sorry."}])])
    s = store(settings)
    mention_id = s.add(title="Cold coffee at Joe's Donuts", text="Cold coffee at Joe's Donuts.", author="Ann Lee")
    with Session(s.engine) as session, session.begin():
        session.get(Mention, mention_id).url = review_url(LOCATION, "abc")  # as the crawler stores it
    assert s.cycle().sent == 1
    app = build_app(settings, sessionmaker(s.engine, expire_on_commit=False))
    with socket_mode(app, settings) as handler:
        slack.socket_mode.wait_connected()
        yield Listening(slack, s, mention_id, caplog)
        handler.client.auto_reconnect_enabled = False
        slack.socket_mode.hang_up()


def test_reply_form_is_prefilled_and_its_submission_is_sent_to_google_once(replying, google):
    listening = replying
    listening.act(payloads.click(listening.message(), "Reply"))
    view = eventually(lambda: next(iter(listening.slack.views.values()), None), what="views.open")
    assert view["submit"]["text"] == "Send reply" and view["private_metadata"] == str(listening.mention_id)
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["element"]["initial_value"] == "Hello Ann, Joe's Donuts is sorry."

    # Sent empty: the form says so and stays open; nothing is sent.
    empty = listening.slack.socket_mode.send("interactive", payloads.submit(view, "  "))
    assert listening.slack.socket_mode.wait_ack(empty)["payload"] == {
        "response_action": "errors", "errors": {"reply": "Write the reply first."}}
    # Sent with a text: acknowledged (the form closes), the reply goes to Google through actions.reply.
    submission = payloads.submit(view, "Sorry! Your next coffee is on us.")
    envelope = listening.slack.socket_mode.send("interactive", submission)
    ack = listening.slack.socket_mode.wait_ack(envelope)["payload"]
    assert ack["response_action"] == "update" and "Sending your reply" in json.dumps(ack["view"])
    listening.wait_log(2)
    assert google.reply_of(LOCATION, "abc") == "Sorry! Your next coffee is on us."
    assert listening.log_lines()[-1].startswith(f"slack: mention {listening.mention_id}: Replied by Olive Owner")
    # The form shows the outcome.
    eventually(lambda: listening.slack.calls("views.update"), what="views.update")
    assert "Replied by Olive Owner" in json.dumps(listening.slack.views[view["id"]]["blocks"])
    # Delivered again: nothing is sent twice.
    listening.act(submission, envelope_id=envelope)
    assert listening.wait_log(3)[-1].endswith("the same reply form again, nothing sent")
    assert len(google.calls("PUT")) == 1
    with Session(listening.store.engine) as session:
        assert session.query(Reply).filter_by(mention_id=listening.mention_id, status="sent").count() == 1
    assert listening.store.mention(listening.mention_id).handled_by == "Olive Owner"


def test_a_reply_the_platform_refuses_is_said_in_the_form(replying, google):
    listening = replying
    google.fail_next("reply", 403, NOT_APPROVED)
    listening.act(payloads.click(listening.message(), "Reply"))
    view = eventually(lambda: next(iter(listening.slack.views.values()), None), what="views.open")
    listening.act(payloads.submit(view, "Thanks!"))
    eventually(lambda: listening.slack.calls("views.update"), what="views.update")
    shown = json.dumps(listening.slack.views[view["id"]]["blocks"])
    assert "Not sent: Google Business Profile API access has not been approved" in shown
    assert "not sent: Google Business Profile API access" in listening.wait_log(2)[-1]
    assert google.reply_of(LOCATION, "abc") is None
    assert listening.history() == [] and listening.updates() == []
