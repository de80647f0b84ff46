"""The excerpt of a mention shown in an alert: the part that matters, the business name in bold."""

from __future__ import annotations

import re
from collections.abc import Sequence

from alerts.escape import mrkdwn, one_line

_SENTENCE_START = re.compile(r"(?<=[.!?])\s+")
_ELLIPSIS = "…"


def window(text: str, focus: int, limit: int) -> tuple[int, int]:
    """A span of at most `limit` characters of `text` around position `focus`.

    It starts at the beginning of the sentence holding `focus` when that is close enough, else
    at a word a little before it, and ends at a sentence or word boundary.
    """
    if len(text) <= limit:
        return 0, len(text)
    starts = [0] + [m.end() for m in _SENTENCE_START.finditer(text, 0, focus + 1)]
    start = max(s for s in starts if s <= focus)
    if focus - start > limit // 3:
        # The sentence began long before: start a few words before the focus instead.
        space = text.rfind(" ", 0, max(0, focus - limit // 6))
        start = space + 1 if space >= 0 else 0
    end = min(len(text), start + limit)
    if end < len(text):
        chunk = text[start:end]
        sentence = max(chunk.rfind(". "), chunk.rfind("! "), chunk.rfind("? "))
        if sentence >= limit // 2:
            end = start + sentence + 1
        else:
            space = chunk.rfind(" ")
            if space >= limit // 2:
                end = start + space
    return start, end


def excerpt(
    text: str, spans: Sequence[tuple[int, int]], limit: int, focus: int | None = None
) -> str:
    """Escaped mrkdwn of at most about `limit` characters of `text`, with `spans` in bold.

    `spans` are (start, end) positions in `text` (e.g. from BusinessMatcher.find). The window is
    placed around `focus` (default: the first span). Whitespace is collapsed to single spaces.
    """
    if not text:
        return ""
    if focus is None:
        focus = spans[0][0] if spans else 0
    start, end = window(text, focus, limit)
    pieces: list[str] = [_ELLIPSIS] if start > 0 else []
    position = start
    for span_start, span_end in sorted(spans):
        if span_start < position or span_end > end or span_start >= span_end:
            continue  # overlapping, or cut by the window
        pieces.append(mrkdwn(text[position:span_start]))
        word = one_line(mrkdwn(text[span_start:span_end]))
        pieces.append(f"*{word}*" if word else "")
        position = span_end
    pieces.append(mrkdwn(text[position:end]))
    if end < len(text):
        # After a whole sentence the mark stands apart; inside one it ends the cut word.
        pieces.append(f" {_ELLIPSIS}" if text[end - 1] in ".!?" else _ELLIPSIS)
    return re.sub(r"[ \t\r\n\f\v]+", " ", "".join(pieces)).strip()
