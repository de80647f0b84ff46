"""Agencies: `clients:` groups businesses, and each client's alerts, reports and notices go to its
own Slack workspace (and recipients), never to another client's.

Two local Slack servers are two workspaces (the agency's and client acme's); the feeds are on a
local web server, the report's e-mail goes to a local SMTP server; the database is a real SQLite
file and the CLI runs as a user runs it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from email.utils import format_datetime

import pytest

from mentionwatch.sandbox.slack import LocalSlackServer
from pipeline.models import utcnow
from tests.alerts.smtp import LocalSMTPServer
from tests.conftest import run_cli

ALERTS = {"threshold": -0.05, "max_age_days": 36500, "urgent_reraise_hours": 0}
BUSINESSES = {"Acme Diner": "acme", "Bolt Cafe": "bolt", "Own Shop": None}


def feed(name: str, *items: tuple[str, str]) -> str:
    """An RSS feed of (slug, text) items, each naming `name`, dated now."""
    entries = "".join(
        f"<item><title>{text}</title><link>https://news.example/{slug}</link>"
        f"<pubDate>{format_datetime(utcnow())}</pubDate><description>{text}</description></item>"
        for slug, text in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name} news</title>{entries}</channel></rss>'


def slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def first_items(name: str) -> list[tuple[str, str]]:
    return [(f"{slug(name)}-1", f"{name} was fine, nice place.")]


def publish(web, name: str, *items: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    web.add(f"/{slug(name)}.xml", feed(name, *items), content_type="application/rss+xml")


def agency_config(workspace, web, slack, acme_slack, **extra) -> None:  # type: ignore[no-untyped-def]
    """The agency's Slack (`slack`), client acme's own workspace, client bolt on the agency's Slack."""
    clients = [
        {"name": "acme", "slack": {"token": "${ACME_SLACK_TOKEN}", "channel": "#acme", "api_url": acme_slack.api_url},
         "report_to": ["boss@acme.example"]},
        {"name": "bolt", "slack": {"channel": "#bolt"}},
    ]
    businesses = [{"name": name, "keywords": [name], **({"client": client} if client else {}),
                   "sources": [{"type": "feed", "url": f"{web.url}/{slug(name)}.xml"}]}
                  for name, client in BUSINESSES.items()]
    workspace.write_config(
        slack={"token": "${AGENCY_SLACK_TOKEN}", "channel": "#reviews", "api_url": slack.api_url, "post_interval": 0},
        alerts=ALERTS, clients=clients, businesses=businesses, **extra)


ENV = {"AGENCY_SLACK_TOKEN": "xoxb-agency", "ACME_SLACK_TOKEN": "xoxb-acme"}


@pytest.fixture
def acme_slack():  # type: ignore[no-untyped-def]
    """Client acme's own Slack workspace."""
    with LocalSlackServer() as server:
        yield server


def texts(server: LocalSlackServer) -> list[str]:
    return [c.args["text"] for c in server.calls("chat.postMessage")]


def test_each_client_s_workspace_gets_only_its_alerts_and_weekly_report(web, slack, acme_slack, workspace, tmp_path):
    for name in BUSINESSES:
        publish(web, name, *first_items(name))
    with LocalSMTPServer(tmp_path) as smtp:
        agency_config(workspace, web, slack, acme_slack, report={"email": {
            "to": ["desk@agency.example"], "sender": "mentionwatch@agency.example", "host": "127.0.0.1",
            "port": smtp.port, "username": "mw", "password": "${SMTP_PASSWORD}", "ca_file": str(smtp.certificate)}})
        env = {**ENV, "SMTP_PASSWORD": smtp.password}

        first = workspace.cli("run", env=env)
        assert first.returncode == 0, first.stderr
        # Each new source's summary went to its client's workspace and channel.
        assert [(c.args["channel"], c.args["text"].split(" for ")[-1].split(":")[0])
                for c in acme_slack.calls("chat.postMessage")] == [("#acme", "Acme Diner")]
        assert sorted((c.args["channel"], c.args["text"].split(" for ")[-1].split(":")[0])
                      for c in slack.calls("chat.postMessage")) == [("#bolt", "Bolt Cafe"), ("#reviews", "Own Shop")]

        for name in BUSINESSES:
            publish(web, name, *first_items(name),
                    (f"{slug(name)}-2", f"{name} charged us twice and the staff were rude. Awful, never again."))
        second = workspace.cli("run", env=env)
        assert second.returncode == 0, second.stderr
        assert "3 alerts sent" in second.stdout
        acme_texts, agency_texts = texts(acme_slack), texts(slack)
        assert len(acme_texts) == 2 and "Acme Diner" in acme_texts[1] and "charged us twice" in acme_texts[1]
        assert not any("Acme Diner" in t for t in agency_texts)
        assert sum("charged us twice" in t for t in agency_texts) == 2
        # The outbox records the workspace each message went to: a retry goes to the same one.
        with sqlite3.connect(workspace.database) as db:
            rows = db.execute("select b.name, m.workspace from alert_messages m join businesses b "
                              "on b.id = m.business_id").fetchall()
        assert {name: workspace_ for name, workspace_ in rows} == {"Acme Diner": "acme", "Bolt Cafe": None,
                                                                   "Own Shop": None}

        report = workspace.cli("report", env=env)
    assert report.returncode == 0, report.stderr
    # The weekly report: Acme's in Acme's workspace (with its chart), the others in the agency's.
    acme_report = [c.args for c in acme_slack.calls("chat.postMessage")][2:]
    agency_report = [c.args for c in slack.calls("chat.postMessage")][4:]
    assert [a["channel"] for a in acme_report] == ["#acme"] and "Acme Diner" in acme_report[0]["text"]
    assert sorted(a["channel"] for a in agency_report) == ["#bolt", "#reviews"]
    assert not any("Acme Diner" in json.dumps(a) for a in agency_report)
    assert len(acme_slack.uploads) == 1 and len(slack.uploads) == 2
    # One file per client, one for the businesses of no client; each e-mailed to its recipients.
    folder = workspace.folder / "reports"
    written = sorted(re.sub(r"^report-\d{4}-\d{2}-\d{2}", "", p.name) for p in folder.glob("*.html"))
    assert written == ["-client-acme.html", "-client-bolt.html", ".html"]
    to_acme = [s for r, s in ((m.recipients, m.message["Subject"]) for m in smtp.received) if r == ["boss@acme.example"]]
    assert len(to_acme) == 1 and "Acme Diner" in to_acme[0] and "Bolt Cafe" not in to_acme[0]
    to_agency = [m.message["Subject"] for m in smtp.received if m.recipients == ["desk@agency.example"]]
    assert len(to_agency) == 2 and not any("Acme Diner" in s for s in to_agency)


def test_a_client_s_slack_failing_holds_only_its_messages_and_they_go_to_its_workspace_later(
        web, slack, acme_slack, workspace):
    for name in BUSINESSES:
        publish(web, name, *first_items(name))
    agency_config(workspace, web, slack, acme_slack)
    # Acme's workspace rate-limits past what a run waits for: a definite "not taken".
    acme_slack.fail_next("chat.postMessage", status=429, retry_after=120)

    first = workspace.cli("run", env=ENV)
    assert first.returncode == 0, first.stderr
    assert "1 pending" in first.stdout
    assert acme_slack.posted == []
    assert len(slack.posted) == 2  # the other workspace was not held up

    second = workspace.cli("run", env=ENV)
    assert second.returncode == 0, second.stderr
    assert len(acme_slack.posted) == 1 and "Acme Diner" in acme_slack.posted[0]["text"]
    assert len(slack.posted) == 2 and not any("Acme Diner" in p["text"] for p in slack.posted)


def test_check_reports_each_client(web, slack, acme_slack, workspace):
    for name in BUSINESSES:
        publish(web, name, *first_items(name))
    agency_config(workspace, web, slack, acme_slack)
    added = run_cli("user", "add", "ann", "--client", "acme", "--password-stdin", "--config", str(workspace.config),
                    input="a long password\n", cwd=workspace.folder, env=ENV)
    assert added.returncode == 0, added.stderr
    assert "sees the businesses of client acme" in added.stdout

    result = workspace.cli("check", env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "client acme: 1 business (Acme Diner)" in lines
    assert "ok client acme: slack: token works for team Local Slack as mentionwatch; alerts go to #acme" in lines
    assert "note client acme: weekly report no e-mail (report.email is not configured)" in lines
    assert "ok client acme: web users ann" in lines
    assert "client bolt: 1 business (Bolt Cafe)" in lines
    assert "note client bolt: slack: no workspace of its own: the agency's (slack:), alerts to #bolt" in lines
    assert ("note client bolt: web users none (add one: mentionwatch user add NAME --client bolt)") in lines
    assert "Acme Diner: keywords Acme Diner; alerts to #acme (client acme)" in lines

    # Acme's workspace down: check fails and says which client's Slack.
    acme_slack.stop()
    down = workspace.cli("check", env=ENV)
    assert down.returncode == 1
    assert f"FAILED client acme: slack: cannot reach {acme_slack.api_url}: Connection refused" in down.stdout


def _config_with(workspace, clients, businesses, **extra):  # type: ignore[no-untyped-def]
    source = [{"type": "feed", "url": "http://127.0.0.1:9/feed.xml"}]
    workspace.write_config(clients=clients, businesses=[{"keywords": [b["name"]], "sources": source, **b}
                                                        for b in businesses], **extra)


@pytest.mark.parametrize("clients, businesses, expected", [
    ([{"name": "acme"}], [{"name": "Acme Diner", "client": "acme"}, {"name": "Bolt Cafe", "client": "bolts"}],
     "business 'Bolt Cafe': client 'bolts' is not one of clients: (acme)"),
    ([{"name": "acme"}, {"name": "bolt"}], [{"name": "Acme Diner", "client": "acme"}],
     "clients: 'bolt' has no businesses: give its businesses `client: bolt` (or remove the client)"),
    ([{"name": "acme"}, {"name": "acme"}], [{"name": "Acme Diner", "client": "acme"}],
     "clients: 'acme' is listed twice"),
    ([], [{"name": "Acme Diner", "client": "acme"}],
     "business 'Acme Diner': client 'acme' is not one of clients: (none: add it under clients:)"),
])
def test_a_bad_clients_config_is_one_clear_line(workspace, clients, businesses, expected):
    _config_with(workspace, clients, businesses)
    result = workspace.cli("check")
    assert result.returncode == 1
    assert result.stderr.strip() == f"Error: {workspace.config}: {expected}"


def test_a_business_in_two_clients_through_an_included_file_is_one_clear_line(workspace):
    folder = workspace.folder / "businesses.d"
    folder.mkdir()
    # A client's file: every business in it is the client's.
    (folder / "bolt.yaml").write_text(
        "client: bolt\nbusinesses:\n  - name: Bolt Cafe\n    keywords: [Bolt Cafe]\n"
        "    sources: [{type: feed, url: 'http://127.0.0.1:9/b.xml'}]\n"
        "  - name: Bolt Bar\n    client: acme\n    keywords: [Bolt Bar]\n"
        "    sources: [{type: feed, url: 'http://127.0.0.1:9/c.xml'}]\n", encoding="utf-8")
    _config_with(workspace, [{"name": "acme"}, {"name": "bolt"}], [{"name": "Acme Diner", "client": "acme"}],
                 include="businesses.d/*.yaml")
    result = workspace.cli("check")
    assert result.returncode == 1
    assert result.stderr.strip() == (f"Error: {folder / 'bolt.yaml'}: business 'Bolt Bar' is in two clients: "
                                     "'bolt' (the file's) and 'acme' (its own client:)")

    # Without the conflict the file's businesses are bolt's.
    text = (folder / "bolt.yaml").read_text(encoding="utf-8").replace("    client: acme\n", "")
    (folder / "bolt.yaml").write_text(text, encoding="utf-8")
    result = workspace.cli("check")
    assert "client bolt: 2 businesses (Bolt Cafe, Bolt Bar)" in result.stdout, result.stderr

    # A typo in the file's client: is that file's mistake, not config.yaml's.
    (folder / "bolt.yaml").write_text(text.replace("client: bolt", "client: bolty"), encoding="utf-8")
    result = workspace.cli("check")
    assert result.stderr.strip() == (f"Error: {folder / 'bolt.yaml'}: client: 'bolty' is not one of clients: "
                                     "(acme, bolt); did you mean `bolt`?")


def test_user_add_refuses_a_client_that_is_not_configured(workspace):
    _config_with(workspace, [{"name": "acme"}], [{"name": "Acme Diner", "client": "acme"}])
    result = run_cli("user", "add", "ann", "--client", "acme-corp", "--password-stdin", "--config",
                     str(workspace.config), input="a long password\n", cwd=workspace.folder)
    assert result.returncode == 2
    assert f"'acme-corp' is not one of the clients in {workspace.config} (acme)" in result.stderr


def test_a_client_s_slack_token_written_but_unset_fails_check(web, slack, acme_slack, workspace):
    agency_config(workspace, web, slack, acme_slack)
    text = workspace.config.read_text(encoding="utf-8").replace("${ACME_SLACK_TOKEN}", "${ACME_SLACK_TOKEN:-}")
    workspace.config.write_text(text, encoding="utf-8")
    result = workspace.cli("check", env={"AGENCY_SLACK_TOKEN": "xoxb-agency"})
    assert result.returncode == 1
    assert ("FAILED client acme: slack: its token is written but empty (is its variable exported where "
            "mentionwatch runs?): until then its alerts go to the agency's workspace") in result.stdout

