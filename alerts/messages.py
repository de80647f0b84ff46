"""Slack messages (Block Kit) for mentions. Everything from the web goes through alerts.escape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.escape import mrkdwn, truncate

SOURCE_EMOJI = {
    "feed": ":newspaper:",
    "reviews": ":star:",
    "html": ":globe_with_meridians:",
    "reddit": ":speech_balloon:",
    "hackernews": ":large_orange_square:",
    "mastodon": ":elephant:",
    "appstore": ":iphone:",
    "bluesky": ":butterfly:",
}
LABEL_EMOJI = {"negative": ":red_circle:", "neutral": ":white_circle:", "positive": ":large_green_circle:"}
EXCERPT_LIMIT = 600  # well inside a section block's 3000 characters


@dataclass(frozen=True)
class AlertView:
    """What an alert shows, read from the store."""

    mention_id: int
    business: str
    source_type: str
    url: str
    title: str | None
    text: str
    author: str | None
    published_at: datetime | None
    rating: float | None
    sentiment: float | None
    label: str | None
    urgent: bool = False
    urgent_phrases: str | None = None


def alert_message(view: AlertView) -> tuple[str, list[dict[str, Any]]]:
    """The notification text and the Block Kit blocks for one mention."""
    emoji = SOURCE_EMOJI.get(view.source_type, ":mag:")
    urgent = ":rotating_light: *URGENT* " if view.urgent else ""
    headline = mrkdwn(truncate(view.title or view.text or view.url, 150))
    stars = f" · {'★' * round(view.rating)}{'☆' * (5 - round(view.rating))}" if view.rating else ""
    score = f"{view.sentiment:+.2f}" if view.sentiment is not None else "n/a"
    by = f" · by {mrkdwn(truncate(view.author, 80))}" if view.author else ""
    when = f" · published {view.published_at:%Y-%m-%d %H:%M} UTC" if view.published_at else ""
    excerpt = mrkdwn(truncate(view.text, EXCERPT_LIMIT)) if view.text else "_(no text)_"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{urgent}*{mrkdwn(view.business)}*: {headline}"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{emoji} {view.source_type}{by}{stars} · {LABEL_EMOJI.get(view.label or '', '')} "
                    f"{view.label} ({score}){when}",
                }
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": excerpt}},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Open mention"}, "url": view.url[:3000]}
            ],
        },
    ]
    text = f"{'URGENT ' if view.urgent else ''}{view.label} mention of {view.business}: {truncate(view.title or view.text, 150)}"
    return mrkdwn(text), blocks
