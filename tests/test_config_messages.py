"""Messages a person understands: typos get suggestions, YAML slips are shown where they are,
and values that cannot work are refused when the file loads (issue 13 item 2, issue 8 item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mentionwatch.config import load_settings
from pipeline.errors import ConfigError
from tests.conftest import run_cli

BUSINESS = """\
businesses:
  - name: Cafe Lola
    keywords: [Cafe Lola]
    sources:
      - type: feed
        url: http://127.0.0.1/feed.xml
"""


def refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return str(caught.value).replace(str(path), "config.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Typos in keys: the nearest known key, read from the settings models.
        ("alerts:\n  treshold: -0.1\n" + BUSINESS, "unknown key `alerts.treshold`; did you mean `threshold`? (line 2)"),
        ("slak:\n  channel: x\n" + BUSINESS, "unknown key `slak`; did you mean `slack`?"),
        (BUSINESS.replace("keywords:", "keyword:"), "unknown key `businesses[0].keyword`; did you mean `keywords`? (line 3)"),
        (BUSINESS.replace("url:", "URL:"), "unknown key `businesses[0].sources[0].URL`; did you mean `url`?"),
        (BUSINESS + "        querry: x\n", "unknown key `businesses[0].sources[0].querry`; did you mean `query`? (line 7)"),
        (BUSINESS.replace("type: feed", "type: rss"), "businesses[0].sources[0].type: got 'rss': expected one of"),
        (BUSINESS.replace("type: feed", "type: feeds"), "(did you mean `feed`?)"),
        # A key in the wrong section says where it belongs.
        ("threshold: -0.1\n" + BUSINESS, "unknown key `threshold`; `threshold` belongs under `alerts`"),
        ("slack:\n  timezone: Europe/Paris\n" + BUSINESS, "unknown key `slack.timezone`; `timezone` belongs under `businesses[]`"),
    ],
)
def test_an_unknown_key_suggests_the_nearest_known_one(tmp_path, text, expected):
    assert expected in refusal(tmp_path, text)


def caret_under(message: str, text: str) -> str:
    """The character of the shown line that the caret points at."""
    lines = message.splitlines()
    shown, caret = lines[1], lines[2]
    return shown[caret.index("^")]


@pytest.mark.parametrize(
    ("text", "where", "words", "pointed_at"),
    [
        ("alerts:\n\tthreshold: -0.1\n" + BUSINESS, "line 2, column 1", "a tab character: YAML indents with spaces only", "→"),
        ('slack:\n  channel: "#reviews\n' + BUSINESS, "line 2, column 12", "a quote opened here is never closed", '"'),
        ("slack:\n  channel: '#reviews\n" + BUSINESS, "line 2, column 12", "a quote opened here is never closed", "'"),
        # Closed by a later quote, lines further down: still the line where it opened, not an indentation.
        ('slack:\n  channel: "#reviews\n  token: "x"\n' + BUSINESS, "line 2, column 12",
         "a quote opened here is not closed on its line", '"'),
        ("alerts:\n  threshold -0.1\n  max_age_days: 3\n" + BUSINESS, "line 2, column 3", "a key without a colon", "t"),
        # The first line's colon is a URL's, not a key's: still the key without one, not an indentation.
        ("database sqlite:///mw.db\n" + BUSINESS, "line 1, column 1", "a key without a colon", "d"),
        ("slack:\n  token: x\n channel: y\n" + BUSINESS, "line 3, column 2", "bad indentation", "c"),
        ("slack:\n  token: x\n    channel: y\n" + BUSINESS, "line 3, column 5", "bad indentation", "c"),
        (BUSINESS + "     - type: hackernews\n       query: x\n", "line 7, column 6", "bad indentation: a list item (-)", "-"),
        ("businesses:\n  - name: Joe's: the best\n", "line 2, column 16", 'a value that contains ": " must be put in quotes', ":"),
        ("slack:\n  channel: [reviews\n" + BUSINESS, "line 2, column 12", "a [ list ] that is not closed", "["),
        ("slack:\n  channel: @reviews\n" + BUSINESS, "line 2, column 12", "a value cannot start with @: put the value in quotes", "@"),
        ('crawler:\n  contact: "C:\\mail"\n' + BUSINESS, "line 2, column 16", "a backslash in double quotes", "m"),
        ("slack:\n  channel: a\nslack:\n  channel: b\n" + BUSINESS, "line 3, column 1",
         "the key `slack` is given twice in one section (first on line 1)", "s"),
    ],
)
def test_a_yaml_slip_names_the_line_shows_it_with_a_caret_and_says_what_is_wrong(tmp_path, text, where, words,
                                                                                  pointed_at):
    message = refusal(tmp_path, text)
    assert message.startswith(f"config.yaml, {where}: {words}")
    assert len(message.splitlines()) == 3
    assert caret_under(message, text) == pointed_at
    assert "<block" not in message and "expected" not in message.split(":")[1]


def test_a_forgotten_colon_inside_a_section_is_named(tmp_path):
    message = refusal(tmp_path, 'slack:\n  channel "#reviews"\n' + BUSINESS)
    assert "slack: got 'channel \"#reviews\"'" in message and "is a colon missing after a key?" in message


def test_the_cli_prints_the_yaml_slip_with_its_caret_and_touches_nothing(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("database: sqlite:///never.db\nalerts:\n\tthreshold: -0.1\n" + BUSINESS, encoding="utf-8")
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {config}, line 3, column 1: a tab character: YAML indents with spaces only (replace the tab with spaces)",
        "  3 | →threshold: -0.1",
        "    | ^",
    ]
    assert result.stdout == "" and not (tmp_path / "never.db").exists()


# ----------------------------------------------------------------- values that cannot work (issue 8 item 6)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BUSINESS.replace("http://127.0.0.1/feed.xml", "file:///etc/passwd"),
         "businesses[0].sources[0].url: got 'file:///etc/passwd': expected an http:// or https:// URL"),
        (BUSINESS.replace("http://127.0.0.1/feed.xml", "ftp://example.com/feed.xml"),
         "businesses[0].sources[0].url: got 'ftp://example.com/feed.xml': expected an http:// or https:// URL"),
        (BUSINESS.replace("http://127.0.0.1/feed.xml", "not a url"),
         "businesses[0].sources[0].url: got 'not a url': expected an http:// or https:// URL"),
        (BUSINESS.replace("type: feed\n        url: http://127.0.0.1/feed.xml", "type: reviews\n        url: https://"),
         "businesses[0].sources[0].url: got 'https://': expected an http:// or https:// URL"),
        (BUSINESS + "      - type: bluesky\n        query: x\n        service: bsky.social\n",
         "businesses[0].sources[1].service: got 'bsky.social': expected an http:// or https:// URL"),
        (BUSINESS.replace("[Cafe Lola]", '["Cafe Lola", ""]'), "businesses[0].keywords: '' is not a usable keyword: it needs a letter or a digit (line 3)"),
        (BUSINESS.replace("[Cafe Lola]", '["Cafe Lola", "   "]'), "'   ' is not a usable keyword: it needs a letter or a digit"),
        (BUSINESS.replace("[Cafe Lola]", '["!!!"]'), "'!!!' is not a usable keyword: it needs a letter or a digit"),
        (BUSINESS.replace("    sources:", '    exclude: ["-"]\n    sources:'), "'-' is not a usable exclude term"),
        (BUSINESS + BUSINESS.replace("businesses:\n", "").replace("Cafe Lola", "cafe  LOLA", 1),
         "business names must be unique; 'Cafe Lola' and 'cafe  LOLA' differ only in case or spaces"),
        (BUSINESS.replace("name: Cafe Lola", "name: '  '"), "businesses[0].name: got '  ': a business needs a name"),
        (BUSINESS + "      - type: mastodon\n        instance: https://mastodon.social/@lola\n        tag: lola\n",
         "businesses[0].sources[1].instance: got 'https://mastodon.social/@lola': expected the instance's host name"),
        (BUSINESS + "      - type: mastodon\n        instance: '@lola@mastodon.social'\n        tag: lola\n",
         "expected the instance's host name, such as mastodon.social"),
        ("alerts:\n  quiet_hours: {start: '22:00', end: '22:00'}\n" + BUSINESS,
         "alerts.quiet_hours: quiet hours start when they end (22:00): give two different times"),
        ("slack:\n  api_url: slack.com/api\n" + BUSINESS,
         "slack.api_url: got 'slack.com/api': expected an http:// or https:// URL"),
        ("slack:\n  api_url: javascript:alert(1)\n" + BUSINESS, "slack.api_url: got 'javascript:alert(1)'"),
        ("report:\n  email: {to: [owner], sender: a@example.com, host: smtp.example.com}\n" + BUSINESS,
         "report.email.to: 'owner' is not an e-mail address (expected name@example.com)"),
        ("report:\n  email: {to: [o@example.com], sender: 'me at example.com', host: smtp.example.com}\n" + BUSINESS,
         "report.email.sender: got 'me at example.com': 'me at example.com' is not an e-mail address"),
        ("report:\n  email: {to: [o@example.com], sender: a@example.com, host: h, port: 70000}\n" + BUSINESS,
         "report.email.port: got 70000: Input should be less than or equal to 65535"),
        ("report:\n  email: {to: [o@example.com], sender: a@example.com, host: h, port: 0}\n" + BUSINESS,
         "report.email.port: got 0: Input should be greater than or equal to 1"),
        # A key named like a source type (streams.bluesky) keeps its place in the path.
        ("streams:\n  bluesky: {jetstream: 'https://jetstream.example/subscribe'}\n" + BUSINESS,
         "streams.bluesky.jetstream: got 'https://jetstream.example/subscribe': expected a WebSocket address"),
        ("scoring:\n  lexicon: {soggy: -7}\n" + BUSINESS,
         "scoring.lexicon: 'soggy': -7 is outside VADER's scale of -4 to +4"),
        # A trade's words that are not urgent must be urgent phrases: a misspelt one would quiet nothing.
        (BUSINESS.replace("    sources:", "    not_urgent: [lawyr]\n    sources:"),
         "Cafe Lola: not_urgent: 'lawyr' is not an urgent phrase (pipeline/data/urgent_phrases.txt or "
         "scoring.urgent_phrases)"),
        (BUSINESS + "    competitors:\n      - name: Rival Law\n        keywords: [Rival Law]\n"
         "        not_urgent: [atorney]\n        sources: [{type: feed, url: 'http://127.0.0.1/r.xml'}]\n",
         "Rival Law: not_urgent: 'atorney' is not an urgent phrase"),
        (BUSINESS.replace("    sources:", "    not_urgent: ['?']\n    sources:"),
         "businesses[0].not_urgent: '?' is not a usable not_urgent phrase: it needs a letter or a digit"),
    ],
)
def test_values_that_cannot_work_are_refused_naming_key_and_value(tmp_path, text, expected):
    assert expected in refusal(tmp_path, text)


def test_a_webhook_that_is_not_a_url_is_refused_without_repeating_it(tmp_path):
    message = refusal(tmp_path, "slack:\n  webhook_url: T000/B000/not-a-url-secret\n" + BUSINESS)
    assert "slack.webhook_url: expected the webhook's https:// URL" in message
    assert "not-a-url-secret" not in message


def test_values_that_can_work_still_load(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "slack:\n  api_url: http://127.0.0.1:9/api\n"
        "alerts:\n  quiet_hours: {start: '22:00', end: '07:00'}\n"
        "scoring:\n  lexicon: {soggy: -2, 'never got my order': -4}\n  urgent_phrases: [gas leak]\n"
        "report:\n  email: {to: [owner@example.com], sender: 'Mentionwatch <mw@mail.example.com>', host: h, port: 25}\n"
        + BUSINESS.replace("[Cafe Lola]", "[Cafe Lola, 'Café Lola', '7-Eleven']\n    not_urgent: [Lawyer, 'gas  leak']")
        + "      - type: mastodon\n        instance: mastodon.social\n        tag: lola\n"
        "      - type: mastodon\n        instance: http://127.0.0.1:8080\n        tag: lola\n"
        "      - type: reviews\n        url: HTTPS://Example.com/reviews\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.slack.api_url == "http://127.0.0.1:9/api/"
    assert len(settings.businesses[0].sources) == 4
    assert settings.businesses[0].not_urgent == ["Lawyer", "gas  leak"]


def test_the_cli_refuses_a_file_url_before_touching_anything(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("database: sqlite:///never.db\n" + BUSINESS.replace("http://127.0.0.1/feed.xml", "file:///etc/passwd"),
                      encoding="utf-8")
    result = run_cli("run", "--config", str(config))
    assert result.returncode == 1
    assert result.stderr == (f"Error: {config}: businesses[0].sources[0].url: got 'file:///etc/passwd': expected an "
                             "http:// or https:// URL (such as https://example.com/feed.xml) (line 7)\n")
    assert not (tmp_path / "never.db").exists()


# ----------------------------------------------------------------- bounded loading

BILLION_LAUGHS = "\n".join(
    [f"a0: &a0 [{', '.join(['lol'] * 9)}]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
) + "\n" + BUSINESS


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    assert len(BILLION_LAUGHS.encode()) < 900  # 9**10 values once expanded
    # Refused before it is expanded (expanded, it would take the machine's memory and never end).
    message = refusal(tmp_path, BILLION_LAUGHS)
    assert "expand it to more than 100,000 values" in message and "alias bomb" in message


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    message = refusal(tmp_path, "scoring:\n  urgent_phrases: &loop [*loop]\n" + BUSINESS)
    assert "an alias refers to the value that contains it" in message


def test_ordinary_anchors_and_merge_keys_still_work(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "businesses:\n"
        "  - &lola\n    name: Cafe Lola\n    keywords: &words [Cafe Lola]\n"
        "    sources: [{type: feed, url: 'http://127.0.0.1/a.xml'}]\n"
        "  - <<: *lola\n    name: Cafe Lola Two\n    keywords: *words\n",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert [b.name for b in settings.businesses] == ["Cafe Lola", "Cafe Lola Two"]
    assert settings.businesses[1].keywords == ["Cafe Lola"]


def test_values_nested_beyond_any_config_are_refused_at_once(tmp_path):
    # Refused by the reader before anything is built from it (no recursion error, no hang).
    message = refusal(tmp_path, "scoring:\n  urgent_phrases: " + "[" * 5000 + "]" * 5000 + "\n" + BUSINESS)
    assert "line 2" in message and "values nested more than 50 levels deep" in message
    # Short lines of the message even for a 10,000-character line.
    assert max(len(line) for line in message.splitlines()[1:]) < 120
    chained = "\n".join(["a0: &a0 [1]"] + [f"a{n}: &a{n} [{'[' * 20}*a{n - 1}{']' * 20}]" for n in range(1, 10)])
    assert "its aliases (*name) nest values more than 50 levels deep" in refusal(tmp_path, chained + "\n" + BUSINESS)


def test_an_address_with_spaces_or_control_characters_is_no_url(tmp_path):
    for url in ("https://not a host/feed.xml", "https://example.com/a\u0007b"):
        message = refusal(tmp_path, BUSINESS.replace("http://127.0.0.1/feed.xml", json.dumps(url)))
        assert "expected an http:// or https:// URL" in message
