"""Other channels for the same alerts through Apprise: a real SMTP server (aiosmtpd, STARTTLS,
login) and a JSON webhook on 127.0.0.1; one delivery row per destination."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import AlertDelivery
from tests.alerts.helpers import T0, joes, settings_for
from tests.alerts.smtp import LocalSMTPServer

LATER = T0 + timedelta(minutes=15)


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with LocalSMTPServer(tmp_path) as server:
        # The test CA is trusted the way a user trusts a private CA: certificates stay verified.
        monkeypatch.setenv("SSL_CERT_FILE", str(server.certificate))
        yield server


def mail_url(smtp: LocalSMTPServer) -> str:
    return (f"mailtos://{smtp.user}:{smtp.password}@127.0.0.1:{smtp.port}?mode=starttls"
            "&from=alerts@joes.example&to=owner@joes.example")


def deliveries(s) -> list[AlertDelivery]:
    with Session(s.engine) as session:
        return list(session.scalars(select(AlertDelivery).order_by(AlertDelivery.id)))


def test_an_alert_goes_to_slack_to_an_e_mail_and_to_a_webhook_once_each(slack, store, smtp, webhook):
    settings = settings_for(slack.api_url, [joes()], alerts={"notify": [mail_url(smtp), webhook.url]})
    s = store(settings)
    mention = s.add(title="Stale <b>donuts</b> & rude staff", text="The donuts were stale & the staff <i>rude</i>.")
    result = s.cycle()
    assert (result.sent, result.notified, result.problems) == (1, 2, [])
    assert len(slack.posted) == 1 and len(smtp.received) == 1 and len(webhook.received) == 1

    mail = smtp.received[0]
    assert mail.tls and mail.login == smtp.user and mail.recipients == ["owner@joes.example"]
    assert mail.message["Subject"].startswith("negative mention of Joe's Donuts on news.example.com")
    html = mail.message.get_body(("html",)).get_content()
    text = mail.message.get_body(("plain",)).get_content()
    # The same content as the Slack message, escaped; the command instead of the reaction.
    assert "Stale &lt;b&gt;donuts&lt;/b&gt; &amp; rude staff" in html and "<b>donuts" not in html
    assert 'href="https://news.example.com/story-' in html
    assert f"mentionwatch handle {mention}" in html and "React with" not in html
    assert "Stale" in text and "<p>" not in text

    hook = webhook.received[0]
    assert hook["title"].startswith("negative mention of Joe's Donuts") and "Stale" in hook["message"]

    assert s.cycle(LATER).notified == 0  # nothing sent twice
    assert len(smtp.received) == 1 and len(webhook.received) == 1


def test_a_failing_destination_is_retried_without_re_sending_to_the_one_that_succeeded(slack, store, smtp, webhook):
    settings = settings_for(slack.api_url, [joes()], alerts={"notify": [mail_url(smtp), webhook.url]})
    s = store(settings)
    s.add()
    webhook.failing = True
    first = s.cycle()
    assert (first.notified, first.notify_failed) == (1, 1)
    assert first.pending == 1  # Slack took its message; the webhook's delivery is still owed
    assert len(smtp.received) == 1 and webhook.received == [] and webhook.refused == 1
    problem = next(p for p in first.problems if "not sent" in p)
    assert "json://127.0.0.1" in problem and "kept for the next run" in problem
    assert "WARNING" not in problem and not re.search(r"\d\d:\d\d:\d\d", problem)  # Apprise's words, not its log line

    webhook.failing = False
    second = s.cycle(LATER)
    assert (second.notified, second.notify_failed) == (1, 0)
    assert second.pending == 0
    assert len(smtp.received) == 1 and len(webhook.received) == 1  # the e-mail was not sent again
    assert len(slack.posted) == 1
    assert all(d.sent_at is not None for d in deliveries(s))


def test_secrets_in_apprise_urls_are_never_stored_or_shown(slack, store, smtp, webhook):
    secret_hook = f"json://hookuser:hook-secret-token@127.0.0.1:{webhook.port}/hook"
    settings = settings_for(slack.api_url, [joes()], alerts={"notify": [mail_url(smtp), secret_hook]})
    s = store(settings)
    s.add()
    webhook.failing = True
    result = s.cycle()
    shown = " ".join(result.problems) + " ".join(f"{d.label} {d.destination} {d.last_error}" for d in deliveries(s))
    assert smtp.password not in shown and "hook-secret-token" not in shown
    assert "json://hookuser:****@127.0.0.1" in shown


def test_a_business_s_own_notify_list_replaces_the_global_one(slack, store, webhook):
    settings = settings_for(slack.api_url, [joes(notify=[webhook.url]),
                                            {"name": "Acme", "keywords": ["Acme"], "notify": [],
                                             "sources": [{"type": "feed", "url": "https://news.example.com/a.xml"}]}],
                            alerts={"notify": ["json://127.0.0.1:9/unused"]})
    s = store(settings)
    s.add()
    s.add("Acme")
    result = s.cycle()
    assert result.notified == 1 and len(webhook.received) == 1
    assert [d.label for d in deliveries(s)] == [webhook.url]


def test_a_run_killed_while_sending_does_not_send_again(slack, store, webhook):
    settings = settings_for(slack.api_url, [joes()], alerts={"notify": [webhook.url]})
    s = store(settings)
    s.add()

    class Killed(BaseException):
        pass

    from alerts.notify import deliver_notifications, send_with_apprise

    def dies_after_sending(url, title, body):
        send_with_apprise(url, title, body)
        raise Killed

    with Session(s.engine, expire_on_commit=False) as session:
        from alerts.planner import Planner
        from alerts.views import Routes

        Planner(settings, Routes.from_settings(settings, True), T0).plan_all(session)
        session.commit()
        with pytest.raises(Killed):
            deliver_notifications(session, settings, lambda: T0, send=dies_after_sending)
    assert len(webhook.received) == 1
    result = s.cycle(LATER)
    assert len(webhook.received) == 1  # at most once: not sent again
    assert result.notified == 0 and "not sent again (at most once)" in " ".join(result.problems)


def test_the_daily_digest_gathers_the_day_s_alerts_for_the_notify_destinations(slack, store, webhook):
    settings = settings_for(slack.api_url, [joes(timezone="Europe/Paris")],
                            alerts={"notify": [webhook.url], "digest": "daily", "digest_time": "08:00",
                                    "urgent_reraise_hours": 0})
    s = store(settings)
    urgent = s.add(urgent=True, title="Food poisoning at Joe's")
    s.add(title="Slow service at Joe's")
    s.add(title="Cold coffee at Joe's")
    s.cycle(T0)  # 13:00 in Paris: Slack gets each; the webhook only the urgent one
    assert len(slack.posted) == 3
    assert [h["title"] for h in webhook.received] == [
        "URGENT negative mention of Joe's Donuts on news.example.com: Food poisoning at Joe's (published just now)"]
    night = s.cycle(T0 + timedelta(hours=12))  # 01:00 the next day: not yet
    assert len(webhook.received) == 1 and night.pending == 0  # the digest is not owed before its hour
    s.cycle(T0 + timedelta(hours=19, minutes=5))  # 08:05 the next day: the digest
    assert len(webhook.received) == 2
    digest = webhook.received[1]
    assert digest["title"] == "Joe's Donuts: 2 negative mentions today"
    assert "Slow service" in digest["message"] and "Cold coffee" in digest["message"]
    assert "Food poisoning" not in digest["message"] and f"id {urgent}" not in digest["message"]
    s.cycle(T0 + timedelta(hours=20))
    assert len(webhook.received) == 2 and len(slack.posted) == 3  # once a day; never to Slack


def test_check_shows_destinations_masked_and_a_bad_url_is_one_error_line(workspace, webhook):
    workspace.write_config(alerts={"notify": [f"json://u:hook-secret-token@127.0.0.1:{webhook.port}/hook"],
                                   "digest": "daily"}, businesses=[joes()])
    result = workspace.cli("check")
    out = " ".join(result.stdout.split())
    assert f"alerts also go to json://u:****@127.0.0.1:{webhook.port}/hook" in out
    assert "one digest a day at 08:00" in out and "at most once" in out
    assert "hook-secret-token" not in result.stdout + result.stderr

    workspace.write_config(alerts={"notify": ["nosuchservice://user:pw-secret-9@example.com"]}, businesses=[joes()])
    bad = workspace.cli("check")
    assert bad.returncode == 1 and bad.stderr.startswith("Error:") and len(bad.stderr.strip().splitlines()) == 1
    assert "alerts.notify" in bad.stderr and "nosuchservice://" in bad.stderr
    assert "pw-secret-9" not in bad.stdout + bad.stderr


def test_a_destination_removed_from_the_config_is_not_owed_any_more(slack, store, webhook):
    s = store(settings_for(slack.api_url, [joes()], alerts={"notify": [webhook.url]}))
    s.add()
    webhook.failing = True
    assert s.cycle().notify_failed == 1
    s.settings = settings_for(slack.api_url, [joes()])  # the owner removed it
    again = s.cycle(LATER)
    assert again.notified == 0 and webhook.refused == 1
    assert [d.last_error for d in deliveries(s)] == ["not sent: the destination left config.yaml"]
