"""config.yaml: validated on load, clear messages, secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from mentionwatch.config import expand_env, load_settings
from pipeline.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_the_shipped_example_config_loads_as_is(monkeypatch):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("MENTIONWATCH_DATABASE", raising=False)
    settings = load_settings(REPO / "config.yaml")
    assert settings.slack.token is None  # console alerts
    assert settings.database_url() == f"sqlite:///{REPO / 'mentionwatch.db'}"
    assert settings.businesses[0].name == "Joe's Donuts"
    assert settings.businesses[0].sources[0].type == "feed"


def test_variables_are_expanded_with_defaults():
    env = {"TOKEN": "xoxb-1", "EMPTY": ""}
    tree = {"a": "${TOKEN}", "b": ["x-${MISSING:-fallback}-y"], "c": "${EMPTY:-used}", "d": 5}
    assert expand_env(tree, environ=env) == {"a": "xoxb-1", "b": ["x-fallback-y"], "c": "used", "d": 5}


def test_an_unset_variable_without_default_names_the_key_and_variable():
    with pytest.raises(ConfigError, match=r"slack\.token: environment variable NOPE is not set"):
        expand_env({"slack": {"token": "${NOPE}"}}, environ={})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL_BUSINESS = """
businesses:
  - name: Cafe
    keywords: [Cafe Lola]
    sources:
      - type: feed
        url: http://127.0.0.1/feed.xml
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alerts:\n  threshold: lots\n" + MINIMAL_BUSINESS,
         "alerts.threshold: got 'lots': expected a number from -1 to 1, or one per kind of writing ({social: -0.3})"),
        ("alerts:\n  threshold: -2\n" + MINIMAL_BUSINESS, "alerts.threshold: got -2: expected a number from -1 to 1"),
        ("alerts:\n  threshold: {socail: -0.3}\n" + MINIMAL_BUSINESS,
         "alerts.threshold: 'socail' is not a kind of writing: expected review, social, news; did you mean 'social'?"),
        ("alerts:\n  threshold: {news: high}\n" + MINIMAL_BUSINESS,
         "alerts.threshold: news: got 'high': expected a number from -1 to 1"),
        ("alerts:\n  threshold: {social: 0.1}\n" + MINIMAL_BUSINESS, "alerts.threshold must be below alerts.positive_threshold"),
        ("slak:\n  token: x\n" + MINIMAL_BUSINESS, "unknown key `slak`; did you mean `slack`? (line 1)"),
        (MINIMAL_BUSINESS.replace("type: feed", "type: fed"), "businesses[0].sources[0].type: got 'fed': expected one of feed, reviews"),
        (MINIMAL_BUSINESS.replace("        url: http://127.0.0.1/feed.xml\n", ""), "businesses[0].sources[0]: a feed source needs `url` or `query`"),
        (MINIMAL_BUSINESS.replace("keywords: [Cafe Lola]", "keywords: []"), "businesses[0].keywords: List should have at least 1 item"),
        ("database: 'not a url'\n" + MINIMAL_BUSINESS, "database: got 'not a url': expected an SQLAlchemy URL"),
        ("slack:\n  channel: [1\n", "config.yaml, line 2, column 12: a [ list ] that is not closed"),
        ("- just\n- a list\n", "expected a mapping of settings"),
        ("database: sqlite:///x.db\n", "businesses: missing (required)"),
    ],
)
def test_invalid_config_gets_a_message_naming_key_value_and_expectation(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert message in str(caught.value)


def test_a_secret_is_never_echoed_in_a_validation_error(tmp_path):
    text = "slack:\n  token: [xoxb-secret-value]\n" + MINIMAL_BUSINESS
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert "slack.token" in str(caught.value) and "xoxb-secret-value" not in str(caught.value)


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path):
    settings = load_settings(write(tmp_path, "database: sqlite:///data/m.db\n" + MINIMAL_BUSINESS))
    assert settings.database_url() == f"sqlite:///{tmp_path / 'data' / 'm.db'}"
