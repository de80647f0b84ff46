"""Twenty people send one reply from Slack's reply form at once: one upload, everyone told the truth.

Through the real listener (slack-bolt over Socket Mode against the local Slack) and a local
Trustpilot, whose reply is a POST (a second upload would be a second public answer), on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mentionwatch.sandbox.slack import LocalSlackServer
from mentionwatch.sandbox.trustpilot import LocalTrustpilot
from pipeline.models import Mention, Reply
from respond.slack.app import build_app
from respond.slack.listen import socket_mode
from tests.alerts.helpers import joes, make_store, settings_for
from tests.postgres import fresh_database
from tests.respond import slack_payloads as payloads
from tests.respond.test_slack_buttons import APP_TOKEN, eventually

PEOPLE = 20
TEXT = "Sorry, Ann: the glaze was stale that day. Your next dozen is on us."
TRUSTPILOT_ENV = {"TRUSTPILOT_API_KEY": "tp-key-abcdef", "TRUSTPILOT_API_SECRET": "tp-secret-123456",
                  "TRUSTPILOT_USERNAME": "dana@joesdonuts.com", "TRUSTPILOT_PASSWORD": "correct horse",
                  "TRUSTPILOT_BUSINESS_USER_ID": "507f191e810c19729de860ea"}


@pytest.fixture
def trustpilot() -> Iterator[LocalTrustpilot]:
    with LocalTrustpilot("tp-key-abcdef", "tp-secret-123456", "dana@joesdonuts.com", "correct horse", "BU1") as tp:
        tp.add_review("6571c", 1, "Stale glaze at Joe's Donuts.", "Ann Lee", datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
        yield tp


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_twenty_people_sending_one_reply_from_slack_at_once_upload_it_once(
        backend, request, tmp_path, slack: LocalSlackServer, trustpilot, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="respond.slack")
    for name, value in TRUSTPILOT_ENV.items():
        monkeypatch.setenv(name, value)
    settings = settings_for(slack.api_url, slack={"app_token": APP_TOKEN}, businesses=[joes(sources=[
        {"type": "trustpilot", "domain": "joesdonuts.com", "business_unit_id": "BU1", "api_url": trustpilot.api_url}])])
    database = (fresh_database(request.getfixturevalue("postgres_url"), "mentionwatch_slack_races")
                if backend == "postgresql" else nullcontext(None))
    with database as url:
        store = make_store(tmp_path, settings, url=url)
        mention_id = store.add(title="Stale glaze", text="Stale glaze at Joe's Donuts.", author="Ann Lee")
        with Session(store.engine) as session, session.begin():
            session.get(Mention, mention_id).url = "https://www.trustpilot.com/reviews/6571c"  # as the crawler stores it
        assert store.cycle().sent == 1
        app = build_app(settings, sessionmaker(store.engine, expire_on_commit=False))
        try:
            with socket_mode(app, settings) as handler:
                slack.socket_mode.wait_connected()
                alert = next(p for p in slack.posted if p.get("blocks"))
                # Twenty people each open the reply form...
                for n in range(PEOPLE):
                    slack.add_user(f"U{n:03d}", f"person{n}", f"Person {n}")
                    envelope = slack.socket_mode.send("interactive", payloads.click(alert, "Reply", user_id=f"U{n:03d}"))
                    slack.socket_mode.wait_ack(envelope)
                views = eventually(lambda: len(slack.views) == PEOPLE and list(slack.views.values()), what="20 forms")
                # ...and all send the same text at the same moment.
                envelopes = [slack.socket_mode.send("interactive", payloads.submit(view, TEXT, user_id=f"U{n:03d}"))
                             for n, view in enumerate(views)]
                for envelope in envelopes:
                    slack.socket_mode.wait_ack(envelope)

                def outcomes() -> list[str] | None:
                    shown = [json.dumps(slack.views[v["id"]]["blocks"]) for v in views]
                    return shown if all("Replied by" in s or "Not sent" in s for s in shown) else None
                shown = eventually(outcomes, timeout=60, what="every form to show its outcome")
                handler.client.auto_reconnect_enabled = False
                slack.socket_mode.hang_up()

            assert len(trustpilot.calls("POST", "/reply")) == 1
            assert trustpilot.reply_of("6571c") == TEXT
            with Session(store.engine) as session:
                rows = session.execute(select(Reply.author, Reply.status)).all()
            (winner,) = [author for author, status in rows if status == "sent"]
            assert len(rows) == 1
            # Every submitter is told the truth: the one who sent it, and who did for the others.
            sent = [s for s in shown if "Replied by" in s]
            assert sent == [s for s in shown if f"Replied by {winner}" in s] and len(sent) == 1
            for other in (s for s in shown if "Replied by" not in s):
                assert "Not sent:" in other, other
                assert (f"already has this reply: nothing was sent (sent by {winner} via slack at " in other
                        or f"this reply to mention {mention_id} is being sent right now by {winner} via slack" in other
                        ), other
        finally:
            store.engine.dispose()
