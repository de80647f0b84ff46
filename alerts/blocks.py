"""Block Kit pieces, each cut to Slack's limits. Their texts must already be escaped mrkdwn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alerts.escape import one_line, safe_url, truncate

# Slack's limits: a section's text, a header, a button's label, a URL, context elements.
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
URL_LIMIT = 3000
CONTEXT_ELEMENTS = 10
MAX_BLOCKS = 50

Block = dict[str, Any]


def fit_mrkdwn(text: str, limit: int = SECTION_LIMIT) -> str:
    """Cut already-escaped mrkdwn to `limit`, never inside an entity (&amp;) or a link (<...>)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for opener, closer in (("&", ";"), ("<", ">")):
        at = cut.rfind(opener)
        if at > cut.rfind(closer):
            cut = cut[:at]
    return cut + "…"


def header(text: str) -> Block:
    """A header: plain_text is shown as is, so it needs no escaping, only the length limit."""
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(one_line(text), HEADER_LIMIT),
                                       "emoji": True}}


def section(text: str) -> Block:
    """A mrkdwn section, cut to Slack's 3000 characters."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit_mrkdwn(text)}}


def context(*texts: str) -> Block:
    """A context block (small grey text) of up to ten mrkdwn elements."""
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": fit_mrkdwn(t)} for t in texts[:CONTEXT_ELEMENTS] if t]}


def button(label: str, url: str, action_id: str) -> Block | None:
    """A link button, or None when the URL is not http(s) or too long for Slack."""
    target = safe_url(url)
    if target is None or len(target) > URL_LIMIT:
        return None
    return {"type": "button", "text": {"type": "plain_text", "text": label[:BUTTON_LIMIT]}, "url": target,
            "action_id": action_id[:255]}


def sections_of(lines: Sequence[str]) -> list[Block]:
    """Lines grouped into as few sections as fit Slack's limit."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        line = fit_mrkdwn(line)
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        blocks.append(section(current))
    return blocks
