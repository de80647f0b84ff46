"""Alert messages: the Block Kit shape, escaping of hostile web text, Slack's limits."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from alerts.escape import fit, link, mrkdwn, truncate
from alerts.excerpt import excerpt
from alerts.messages import AlertView, alert_message, digest_message, reminder_message
from alerts.notices import BaselineSource, baseline_message
from pipeline.match import BusinessMatcher

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
MATCHER = BusinessMatcher(["Joe's Donuts", "Joes Donuts"])


def highlight(text: str) -> list[tuple[int, int]]:
    return [(m.start, m.end) for m in MATCHER.find(text)]


def view(**changes) -> AlertView:
    fields = dict(
        mention_id=42, business="Joe's Donuts", source_type="reviews", url="https://reviews.example.com/r/1",
        title="Cold coffee and a rude cashier",
        text="We went to Joe's Donuts on Saturday. The coffee was cold and the cashier was rude. Never again.",
        author="Sam P.", published_at=NOW - timedelta(hours=3), rating=2.0, sentiment=-0.72, label="negative",
        timezone="Europe/Paris",
    )
    fields.update(changes)
    return AlertView(**fields)


def texts(blocks) -> list[str]:
    """Every mrkdwn / plain text in the blocks, in order."""
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        for element in block.get("elements", []) + block.get("fields", []):
            if "text" in element:
                found.append(element["text"] if isinstance(element["text"], str) else element["text"]["text"])
    return found


def assert_within_slack_limits(blocks) -> None:
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        if block["type"] == "section" and "text" in block:
            assert 0 < len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
        for element in block.get("elements", []):
            if element["type"] == "button":
                assert len(element["text"]["text"]) <= 75 and len(element["url"]) <= 3000


def test_an_alert_shows_what_is_needed_to_act_from_a_phone():
    text, blocks = alert_message(view(), NOW, highlight)
    assert [b["type"] for b in blocks] == ["header", "section", "section", "context", "actions", "context"]
    assert blocks[0]["text"]["text"] == "Negative mention: Joe's Donuts"
    assert blocks[1]["text"]["text"] == "*<https://reviews.example.com/r/1|Cold coffee and a rude cashier>*"
    # The excerpt, quoted, with the business's name in bold where it was found.
    assert blocks[2]["text"]["text"].startswith(">We went to *Joe's Donuts* on Saturday.")
    source, score, published = [e["text"] for e in blocks[3]["elements"]]
    assert source == ":star: *Reviews* · reviews.example.com · by Sam P."
    assert score == ":red_circle: negative (-0.72) · ★★☆☆☆ 2/5"
    # Relative and absolute: Slack renders the date token in each reader's zone; the fallback
    # is the business's zone.
    stamp = int((NOW - timedelta(hours=3)).timestamp())
    assert published == (f"published <!date^{stamp}^{{date_short_pretty}} at {{time}} ({{ago}})"
                         "|Mon 23 Nov 2026 13:00 CET, 3 hours ago>")
    button = blocks[4]["elements"][0]
    assert button["type"] == "button" and button["url"] == "https://reviews.example.com/r/1"
    assert "`mentionwatch handle 42`" in blocks[5]["elements"][0]["text"]
    assert ":white_check_mark:" in blocks[5]["elements"][0]["text"]
    assert text == ("negative mention of Joe's Donuts on reviews.example.com: Cold coffee and a rude cashier "
                    "(published 3 hours ago)")
    assert_within_slack_limits(blocks)


def test_an_urgent_alert_says_so_first_and_names_the_phrase():
    text, blocks = alert_message(view(urgent=True, urgent_phrases="food poisoning, health department"), NOW)
    assert blocks[0]["text"]["text"] == ":rotating_light: Urgent: Joe's Donuts"
    assert blocks[2]["text"]["text"] == ":rotating_light: *Urgent*: mentions “food poisoning”, “health department”"
    assert text.startswith("URGENT negative mention")


def test_hostile_web_text_cannot_ping_fake_links_or_restyle_the_message():
    hostile = "<!channel> <!here> <https://evil.example|click here> & Joe's Donuts *FREE* ```x``` <@U123>"
    text, blocks = alert_message(
        view(title=hostile, text=hostile, author="<!everyone>", url="https://reviews.example.com/r?a=1&b=<2>|x"),
        NOW, highlight,
    )
    payload = json.dumps(blocks) + text
    for dangerous in ("<!channel>", "<!here>", "<!everyone>", "<https://evil.example", "<@U123>", "```", "*FREE*"):
        assert dangerous not in payload
    assert "&lt;!channel&gt;" in payload and "&lt;https://evil.example|click here&gt;" in payload
    assert " &amp; " in payload
    # The only links are ours, to the mention, with the characters that would break them encoded.
    links = re.findall(r"<(https?://[^|>]*)\|", payload)
    assert links and set(links) == {"https://reviews.example.com/r?a=1&amp;b=%3C2%3E%7Cx"}
    # Every entity is whole: escaping was not undone by a cut.
    for part in texts(blocks):
        assert re.search(r"&(?!amp;|lt;|gt;)", part) is None


def test_links_only_to_the_web():
    _, blocks = alert_message(view(url="javascript:alert(1)"), NOW)
    assert "javascript" not in json.dumps(blocks[1])
    assert all(b["type"] != "actions" for b in blocks)


def test_long_texts_are_cut_at_a_boundary_within_slack_limits():
    sentence = "The service at Joe's Donuts was slow & the staff ignored us for twenty minutes. "
    long_text = sentence * 200  # 16 000 characters
    _, blocks = alert_message(view(title="A" * 500 + " & more", text=long_text), NOW, highlight)
    assert_within_slack_limits(blocks)
    quoted = blocks[2]["text"]["text"]
    assert len(quoted) < 1000
    assert quoted.endswith("minutes. …")  # a whole sentence, no half word; more follows
    assert len(blocks[1]["text"]["text"]) < 400
    # Escaping counts against the limit: a text of ampersands still fits.
    assert len(fit("&" * 5000, 3000)) <= 3000


def test_truncate_prefers_sentences_then_words():
    assert truncate("One two three. Four five six seven", 20) == "One two three."
    assert truncate("Alpha beta gamma delta epsilon", 20) == "Alpha beta gamma…"
    assert truncate("short", 20) == "short"


def test_the_excerpt_of_a_long_text_is_placed_around_the_name():
    text = "Filler words here. " * 100 + "Then Joe's Donuts burned the order. " + "More filler. " * 100
    shown = excerpt(text, highlight(text), 200)
    assert shown.startswith("…") and shown.endswith("…")
    assert "*Joe's Donuts* burned the order." in shown
    assert len(shown) <= 210


def test_a_link_label_is_escaped_and_a_bad_url_gives_just_the_label():
    assert link("https://x.example/a", "A <b> & c") == "<https://x.example/a|A &lt;b&gt; &amp; c>"
    assert link("ftp://x.example/a", "label") == "label"
    assert mrkdwn(None) == ""


def test_a_digest_lists_the_rest_within_limits():
    views = [view(mention_id=i, title=f"Complaint number {i} " + "x" * 200) for i in range(1, 31)]
    text, blocks = digest_message("Joe's Donuts", views, 10, "white_check_mark")
    assert text == "30 more negative mentions of Joe's Donuts"
    listed = "\n".join(texts(blocks))
    assert "id 20" in listed and "id 21 " not in listed + " "
    assert "…and 10 more" in listed
    assert_within_slack_limits(blocks)


def test_a_reminder_points_back_to_the_mention():
    text, blocks = reminder_message(view(urgent=True), timedelta(hours=4, minutes=10), NOW)
    assert blocks[0]["text"]["text"] == ":alarm_clock: Still unhandled after 4.2 h: Joe's Donuts"
    assert "only reminder" in json.dumps(blocks)
    assert text.startswith("Still unhandled after 4.2 h")


def test_a_baseline_summary_counts_by_label_and_shows_recent_negatives():
    sources = [BaselineSource("feed news.example.com/joes.xml", "feed", {"negative": 2, "neutral": 5, "positive": 3}),
               BaselineSource("reviews x.example/joes", "reviews", {}, ok=False, error="HTTP 503")]
    text, blocks = baseline_message("Joe's Donuts", sources, [view(), view(mention_id=43)], 7)
    assert blocks[0]["text"]["text"] == "Now watching 2 new sources for Joe's Donuts"
    body = "\n".join(texts(blocks))
    assert "*10* mentions" in body and "2 negative" in body and "5 neutral" in body and "3 positive" in body
    assert "failed: HTTP 503" in body
    assert "Most recent negative mentions" in body and "id 42" in body and "id 43" in body
    assert text == "Now watching 2 new sources for Joe's Donuts: 10 mentions, 2 negative"
    assert_within_slack_limits(blocks)


def test_an_untitled_review_is_read_once_its_headline_says_who_and_where():
    _, blocks = alert_message(view(title=None), NOW)
    shown = json.dumps(blocks)
    assert shown.count("The coffee was cold") == 1
    assert "Review by Sam P. on reviews.example.com" in shown
