"""Console alerts are written for a terminal; no renderer shows invisible or reordering characters."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from alerts.escape import mrkdwn, one_line, visible
from alerts.report.data import Period
from alerts.report.publish import make_report
from alerts.slack import terminal_text
from tests.alerts.helpers import T0, joes, settings_for

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
INVISIBLE = "\u200b\u200c\u2060\ufeff\u00ad\U000e0041"
SNEAKY = f"Joe's Donuts is \u202egreat{BIDI}\u200b{INVISIBLE} honestly"


def test_visible_removes_bidi_controls_and_invisible_format_characters():
    assert visible(SNEAKY) == "Joe's Donuts is great honestly"
    assert visible("tab\tand\nline\x07bell\x1b[31m") == "tab\tand\nlinebell[31m"
    # A zero-width joiner inside an emoji sequence builds one picture: kept. Elsewhere: gone.
    assert visible("👩\u200d🍳 chef") == "👩\u200d🍳 chef"
    assert visible("a\u200db") == "ab"
    assert mrkdwn(SNEAKY) == "Joe's Donuts is great honestly"
    assert one_line(f"\u2067x\u2069\n y") == "x y"


def test_console_alerts_carry_no_slack_markup_and_count_in_english(store):
    s = store(settings_for(None))  # no token: the console
    s.add(title=f"Awful *service* at Joe's \u202eDonuts", text=f"Rude & slow. {SNEAKY}", author="Sa\u200bm",
          due=False)
    s.add(due=False, title="Old news", label="negative")
    s.add(due=False, label="neutral", sentiment=0.0, first_seen_at=T0, published_at=T0)
    s.cycle(baseline_sources=[s.source_id()], run_started=T0 - timedelta(minutes=1))
    out = s.console.file.getvalue()
    assert "Now watching 1 new source for Joe's Donuts" in out
    assert "3 mentions (2 negative)" in out and "found 3 mentions of Joe's Donuts" in out
    assert "Awful *service* at Joe's Donuts (https://news.example.com/story-" in out
    assert not re.search(r":[a-z_]+:", out), out  # no Slack shortcodes
    assert "React with" not in out and "`" not in out and "&amp;" not in out
    for char in BIDI + INVISIBLE:
        assert char not in out


def test_console_alert_says_what_to_run_instead_of_reacting(store):
    s = store(settings_for(None))
    mention = s.add(urgent=True)
    s.cycle()
    out = s.console.file.getvalue()
    assert out.startswith("Urgent: Joe's Donuts")
    assert f"When it is handled, run mentionwatch handle {mention}." in out
    assert "Urgent: mentions “food poisoning”" in out


def test_terminal_text_reads_mrkdwn_as_a_person_would():
    assert terminal_text("*Bold* <https://x.example/?a=1&amp;b=2|A &lt;b&gt; link> :red_circle: `cmd`") == \
        "Bold A <b> link (https://x.example/?a=1&b=2) cmd"
    assert terminal_text(":warning: *Joe*: failing") == "Warning: Joe: failing"


def test_slack_messages_and_the_report_html_carry_no_invisible_characters(slack, store, tmp_path):
    s = store(settings_for(slack.api_url))
    s.add(title=f"Title {SNEAKY}", text=f"Text {SNEAKY}. Awful.", author=f"Author \u202eevil")
    s.cycle()
    posted = json.dumps(slack.posted, ensure_ascii=False)
    for char in BIDI + INVISIBLE:
        assert char not in posted
    assert "Author evil" in posted
    outcome = make_report(s.settings, s.engine, Period(T0 - timedelta(days=7), T0 + timedelta(days=1)), tmp_path,
                          send=False)
    page = outcome.html.read_text(encoding="utf-8")
    for char in BIDI + INVISIBLE:
        assert char not in page


def test_one_mention_is_one_mention():
    from alerts.notices import BaselineSource, baseline_message

    text, blocks = baseline_message("Joe's", [BaselineSource("feed", "feed", {"negative": 1})], [], 7)
    lines = [terminal_text(b["text"]["text"]) for b in blocks if "text" in b and isinstance(b["text"], dict)]
    assert "• feed: 1 mention (1 negative)" in lines and "1 mention, 1 negative" in text
    assert lines[1].startswith("The first crawl found 1 mention of Joe's")


def test_the_mentions_table_shows_web_text_without_invisible_characters_or_markup(workspace):
    from tests.alerts.helpers import joes, make_store

    workspace.write_config(database="sqlite:///store.db", businesses=[joes()])
    s = make_store(workspace.folder, settings_for(None))
    s.add(title=f"[bold]Loud[/bold] review \u202eevil\u200b words")
    s.engine.dispose()
    result = workspace.cli("mentions")
    assert result.returncode == 0, result.stderr
    assert "[bold]Loud[/bold] review evil words" in result.stdout
    assert "\u202e" not in result.stdout and "\u200b" not in result.stdout


def test_a_first_crawl_summary_leaves_out_a_streamed_post_alerted_on_its_own(slack, store):
    # While a new source's first crawl ran, a live stream stored a post of the same source
    # (owed an alert, as every new negative post is): it is alerted once, not quoted again.
    s = store(settings_for(slack.api_url, [joes()]), crawled=True)
    streamed = s.add(title="Rude staff at Joe's Donuts today", due=True)
    s.add(title="Cold coffee at Joe's Donuts last month", due=False)
    s.cycle(baseline_sources=[s.source_id()], run_started=T0 - timedelta(minutes=1))

    texts = [p["text"] for p in slack.posted]
    summaries = [t for t in texts if t.startswith("Now watching")]
    assert summaries == ["Now watching 1 new source for Joe's Donuts: 1 mention, 1 negative"]
    summary_blocks = json.dumps([p["blocks"] for p in slack.posted if p["text"].startswith("Now watching")])
    assert "Cold coffee" in summary_blocks and "Rude staff" not in summary_blocks
    assert sum("Rude staff" in json.dumps(p["blocks"]) for p in slack.posted) == 1
    assert s.mention(streamed).alerted_at is not None
