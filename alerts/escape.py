"""Text from the web is untrusted: escape it before it reaches Slack.

Slack's mrkdwn gives meaning to `&`, `<` and `>` (entities, links, `<!channel>` pings), and to a
few formatting characters. Everything that comes from a crawled page goes through `mrkdwn()`;
links we make ourselves go through `link()`, which escapes their label and refuses URLs that are
not http(s).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# A stray ``` in a post would turn the rest of our message into a code block, and *...* would
# fake bold: both are swapped for look-alikes Slack does not interpret (mrkdwn has no escape).
_FORMATTING = str.maketrans({"*": "\u2217", "`": "\u02cb"})
_SPACES = re.compile(r"\s+")
# Characters that would end or split a `<url|label>` link, and control characters.
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f<>|]")
_ELLIPSIS = "…"
_ZWJ = "\u200d"
# Control characters other than tab and line breaks (which one_line collapses anyway).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or "\U0001f3fb" <= char <= "\U0001f3ff"


def visible(text: str | None) -> str:
    """Web text with nothing that hides or reorders what is shown.

    Removes every invisible format character (Unicode category Cf): the bidi embeddings,
    overrides and isolates (U+202A-202E, U+2066-2069), the marks U+200E/U+200F/U+061C, zero-width
    spaces and joiners, soft hyphens, tag characters, ... and control characters. A zero-width
    joiner between two pictographs is kept: it builds one emoji (👩‍🍳) and hides nothing.
    Every renderer (Slack, e-mail, HTML, terminal) gets its text through here, via the
    functions below or directly.
    """
    if not text:
        return ""
    text = _CONTROL.sub("", text)
    if text.isascii():
        return text
    kept: list[str] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) != "Cf":
            kept.append(char)
        elif char == _ZWJ and kept and _is_emoji(kept[-1]) and index + 1 < len(text) and _is_emoji(text[index + 1]):
            kept.append(char)
    return "".join(kept)


def mrkdwn(text: str | None) -> str:
    """Escape web text for Slack mrkdwn: no @channel pings, no fake links, no broken layout.

    Slack's own rule is to escape &, < and >; `<!channel>` and `<url|label>` need the angle
    brackets, so escaping them is enough to neutralise both.
    """
    return visible(text).translate(_MRKDWN).translate(_FORMATTING)


def one_line(text: str | None) -> str:
    """Collapse every run of whitespace (newlines included) to one space; invisible characters go (visible())."""
    return _SPACES.sub(" ", visible(text)).strip()


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a sentence or word boundary.

    A cut after a whole sentence needs no mark; a cut inside one ends with an ellipsis.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 1:
        return _ELLIPSIS[:limit]
    cut = text[: limit - 1]
    sentence_end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "), cut.rfind(".\n"))
    if sentence_end >= limit // 2:
        return cut[: sentence_end + 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-\n") + _ELLIPSIS


def fit(text: str | None, limit: int) -> str:
    """`text` truncated and escaped so that the *escaped* result fits in `limit` characters.

    Escaping makes text longer (`&` becomes `&amp;`), and Slack's limits count what it receives.
    """
    text = one_line(text)
    budget = limit
    while True:
        escaped = mrkdwn(truncate(text, budget))
        if len(escaped) <= limit:
            return escaped
        budget -= max(1, len(escaped) - limit)


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), with the characters that would break a Slack link encoded."""
    if not url:
        return None
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    return _URL_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", url)


def link(url: str | None, label: str, limit: int = 150) -> str:
    """A mrkdwn link `<url|label>` with the label escaped; just the label for an unusable URL."""
    text = fit(label, limit) or "link"
    target = safe_url(url)
    if target is None:
        return text
    # Slack decodes entities inside links, and a raw & would start one.
    return f"<{target.replace('&', '&amp;')}|{text}>"


def shell_word(text: str) -> str:
    """`text` as one word of a command a user copies into a shell: as it is when nothing in it
    is special, in double quotes when that is enough ("Rosa's Bakery"), else in shlex's quoting."""
    import shlex

    quoted = shlex.quote(text)
    if quoted == text or set('"$`\\!') & set(text):
        return quoted
    return f'"{text}"'

