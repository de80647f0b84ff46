"""Text from the web is untrusted: escape it before it reaches Slack."""

from __future__ import annotations

_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def mrkdwn(text: str | None) -> str:
    """Escape for Slack mrkdwn: no @channel pings, no fake links, no broken layout.

    Slack's own rule is to escape &, < and >; `<!channel>` and `<url|label>` need the angle
    brackets, so escaping them is enough to neutralise both.
    """
    return (text or "").translate(_MRKDWN)


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a sentence or word boundary, with an ellipsis."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    sentence_end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if sentence_end >= limit // 2:
        return cut[: sentence_end + 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"
