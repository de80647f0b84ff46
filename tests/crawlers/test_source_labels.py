"""Sources read as what they watch, not as their identity keys (issue 25): the labels `check`,
the run's failures, the report and the web inbox show."""

from __future__ import annotations

from crawlers.config import FeedSource, HackerNewsSource, MastodonSource, RedditSource, TrustpilotSource


def test_labels_say_what_a_source_watches():
    assert FeedSource(type="feed", query="Harbor Lane Bakery").label == "Google News search for Harbor Lane Bakery"
    assert FeedSource(type="feed", query="Harbor Lane", engine="bing").label == "Bing News search for Harbor Lane"
    assert FeedSource(type="feed", url="https://www.harborlane.example/feed/").label == "harborlane.example/feed"
    assert (RedditSource(type="reddit", query='"Harbor Lane Bakery" OR "Harbor Lane"', subreddit="chicago").label
            == 'Reddit search in r/chicago for "Harbor Lane Bakery" OR "Harbor Lane"')
    assert HackerNewsSource(type="hackernews", query="Harbor Lane").label == "Hacker News search for Harbor Lane"
    assert (MastodonSource(type="mastodon", instance="https://mastodon.social", tag="bakery").label
            == "Mastodon #bakery on mastodon.social")
    assert TrustpilotSource(type="trustpilot", domain="harborlane.example").label == (
        "Trustpilot reviews of harborlane.example")
    # A name given in config.yaml wins.
    assert FeedSource(type="feed", query="x", name="Press").label == "Press"
    # No identity key leaks into a label.
    for source in (FeedSource(type="feed", query="Harbor Lane Bakery"), RedditSource(type="reddit", query="x")):
        assert source.identity().split(":")[0] + ":" not in source.label
