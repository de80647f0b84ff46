"""Plain text, canonical URLs, UTC dates and fingerprints: what makes two finds comparable.

Every function here is pure and never raises on junk input: crawled data is hostile by default,
and one bad field must not cost the whole item.
"""

from __future__ import annotations

import base64
import calendar
import email.utils
import functools
import hashlib
import math
import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import html_text
import lxml.etree
import lxml.html
from w3lib.html import (
    remove_comments,
    remove_tags,
    remove_tags_with_content,
    replace_entities,
)
from w3lib.url import canonicalize_url

from pipeline.match import fold

__all__ = [
    "FINGERPRINT_WORDS",
    "MIN_TEXT_WORDS",
    "TRACKING_PARAMS",
    "canonical_url",
    "content_hash",
    "distinctive_fingerprint",
    "fingerprint_is_distinctive",
    "html_to_text",
    "plain_line",
    "text_fingerprint",
    "to_utc",
    "unwrap_redirect",
]

# --------------------------------------------------------------------------- text

_LOOKS_LIKE_MARKUP = re.compile(r"<[A-Za-z!/?]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]\w*);?")
# C0/C1 controls other than tab and newline: PostgreSQL refuses NUL, and none of them is text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")
_SPACE_AT_LINE_BREAK = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a surrogate left in a str has lost its pair
# What html_text's cleaner removes before extracting (its lxml_html_clean settings). Cleaning
# copies the whole tree first; a fragment with none of these, as most are, skips it.
_CLEANED_AWAY = (
    "script", "style", "link", "meta", "applet", "iframe", "embed", "layer", "object", "param",
    "frameset", "frame", "noframes", lxml.etree.Comment, lxml.etree.ProcessingInstruction,
)  # fmt: skip


def _markup_to_text(html: str) -> str:
    # Parsed here rather than by html_text so that huge_tree lifts libxml2's nesting limit of 255,
    # past which it silently drops the rest (sloppy markup with unclosed tags gets there).
    parser = lxml.html.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    try:
        root = lxml.etree.fromstring(html.encode("utf-8"), parser=parser)
        if root is not None:
            if next(root.iter(*_CLEANED_AWAY), None) is None:
                return html_text.etree_to_text(root, guess_layout=True)
            return html_text.extract_text(root, guess_layout=True)
    except (lxml.etree.LxmlError, ValueError):
        pass
    # lxml gave up on it: a cruder strip still beats losing the text.
    text = remove_tags(remove_comments(remove_tags_with_content(html, ("script", "style"))))
    return replace_entities(text)


def html_to_text(html: str | None) -> str:
    """Readable plain text from an HTML fragment or document (or from text that is already plain).

    Scripts, styles and comments are dropped, entities decoded, block elements and ``<br>`` become
    line breaks (paragraphs a blank line) so sentences stay apart; runs of spaces collapse.
    Text without markup ("5 < 6") is left as it is, apart from whitespace.
    """
    if not html:
        return ""
    if not isinstance(html, str):
        html = str(html)
    # Lone surrogates (half an emoji, bad upstream decoding) can be neither parsed nor stored:
    # U+FFFD, the replacement character, as check_item makes them ("?" would pass for a real one).
    html = _LONE_SURROGATE.sub("\ufffd", html)
    html = _CONTROL.sub("", html.replace("\r\n", "\n").replace("\r", "\n"))
    if _LOOKS_LIKE_MARKUP.search(html):
        html = _markup_to_text(html)
    # Runs of spaces become one, and none is left at either end of a line.
    text = _SPACE_AT_LINE_BREAK.sub("\n", _SPACES.sub(" ", html))
    return _BLANK_LINES.sub("\n\n", text).strip()


def plain_line(text: str | None) -> str:
    """A one-line field from the web (an author's name) as plain text: its control characters
    removed as html_to_text removes them (an escape sequence would reach a terminal), its
    whitespace collapsed to single spaces."""
    if not text:
        return ""
    return " ".join(_CONTROL.sub("", text).split())


# --------------------------------------------------------------------------- URLs

# Query parameters that only say how the visitor arrived, never which page it is. Deliberately
# conservative: a generic name such as "ref" or "source" can select content on some sites, and
# wrongly merging two pages loses a mention, while a missed merge is caught by the fingerprint.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "igsh", "si", "mc_eid", "mc_cid", "_ga", "_gl", "_hsenc",
    "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking", "mkt_tok", "oly_anon_id",
    "oly_enc_id", "vero_id", "vero_conv", "wickedid", "rb_clickid", "s_cid", "ref_src", "ref_url",
    "cmpid", "ncid", "ocid", "sr_share", "spm", "at_medium", "at_campaign",
})
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
# Added by AMP viewers and caches, or selecting the AMP rendering of the same article.
_AMP_PARAMS = frozenset({"amp", "usqp", "amp_js_v", "amp_gsa", "amp_tf", "ampshare", "_gsa"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_GOOGLE_HOST = re.compile(r"(?:www\.|news\.)?google\.(?:com|[a-z]{2}|com?\.[a-z]{2})")
_GOOGLE_NEWS_ARTICLE = re.compile(r"/(?:__i/)?(?:rss/)?(?:articles|read)/([A-Za-z0-9_-]{8,})")
_AMP_CACHE_PATH = re.compile(r"/[a-z]{1,2}/(s/)?([^/?#]+\.[^/?#]+(?:/.*)?)", re.DOTALL)
# Wrappers whose target sits in a query parameter: host -> (path, parameter names to try).
_PARAM_WRAPPERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "l.facebook.com": ("/l.php", ("u",)),
    "lm.facebook.com": ("/l.php", ("u",)),
    "l.messenger.com": ("/l.php", ("u",)),
    "l.instagram.com": ("/", ("u",)),
    "www.youtube.com": ("/redirect", ("q",)),
    "duckduckgo.com": ("/l/", ("uddg",)),
    "www.linkedin.com": ("/redir/redirect", ("url",)),
    "slack-redir.net": ("/link", ("url",)),
}


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in _DEFAULT_PORTS and bool(parts.hostname)
    except ValueError:
        return False


def _param(query: str, *names: str) -> str | None:
    """The first of *names* in *query* whose (decoded) value is an absolute web URL."""
    values = dict(parse_qsl(query, keep_blank_values=True)[::-1])  # first occurrence wins
    for name in names:
        value = values.get(name, "").strip()
        if _is_web_url(value):
            return value
    return None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("truncated varint")


def _google_news_target(article_id: str) -> str | None:
    # The classic ids ("CBMi...") are a base64 protobuf whose field 4 holds the article URL.
    # Newer opaque ids ("CBMi" + "AU_yqL...") can only be resolved over the network: left alone.
    try:
        data = base64.urlsafe_b64decode(article_id + "=" * (-len(article_id) % 4))
        if not data.startswith(b"\x08\x13\x22"):
            return None
        length, pos = _varint(data, 3)
        target = data[pos : pos + length].decode("utf-8")
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    return target if _is_web_url(target) else None


def _bing_ck_target(query: str) -> str | None:
    # bing.com/ck/a?...&u=a1<base64url of the target>
    values = dict(parse_qsl(query))
    encoded = values.get("u", "")
    if not encoded.startswith("a1"):
        return None
    try:
        target = base64.urlsafe_b64decode(encoded[2:] + "=" * (-len(encoded[2:]) % 4)).decode("utf-8")
    except ValueError:
        return None
    return target if _is_web_url(target) else None


def _unwrap_once(url: str) -> str | None:
    """The URL *url* stands for, when it is a known wrapper that carries it; else None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    path, query = parts.path, parts.query
    with_query = f"?{query}" if query else ""
    if _GOOGLE_HOST.fullmatch(host):
        if path == "/url":
            return _param(query, "url", "q")
        if path.startswith("/amp/"):  # Google's AMP viewer: /amp/s/<https target>, /amp/<http>
            secure = path.startswith("/amp/s/")
            rest = path[len("/amp/s/") if secure else len("/amp/") :]
            target = f"{'https' if secure else 'http'}://{rest}{with_query}"
            return target if _is_web_url(target) else None
        if host == "news.google.com" and (article := _GOOGLE_NEWS_ARTICLE.match(path)):
            return _google_news_target(article.group(1))
        return None
    if host.endswith(".cdn.ampproject.org"):  # /c/s/<https target>, /v/..., /i/..., /wp/...
        cached = _AMP_CACHE_PATH.fullmatch(path)
        if cached is None:
            return None
        return f"{'https' if cached.group(1) else 'http'}://{cached.group(2)}{with_query}"
    if host in ("www.bing.com", "bing.com"):
        if path.lower() == "/news/apiclick.aspx":
            return _param(query, "url")
        if path == "/ck/a":
            return _bing_ck_target(query)
        return None
    if host == "out.reddit.com":
        return _param(query, "url")
    if host in _PARAM_WRAPPERS:
        wrapper_path, names = _PARAM_WRAPPERS[host]
        return _param(query, *names) if path == wrapper_path else None
    return None


def unwrap_redirect(url: str) -> str:
    """The article's own URL when *url* is a redirect wrapper or AMP cache that carries it.

    Handles Google (/url?q=|url=, the AMP viewer /amp/s/..., classic News article ids), the AMP
    cache (*.cdn.ampproject.org/c/s/...), Bing (news/apiclick.aspx?url=, ck/a?u=a1...),
    Facebook/Messenger/Instagram link shims, out.reddit.com, YouTube, DuckDuckGo, LinkedIn and
    Slack redirects, nested ones too. Shorteners such as t.co hide their target: left as they are,
    as is anything else (stripped of surrounding whitespace).
    """
    if not isinstance(url, str):
        return ""
    current = url.strip()
    for _ in range(5):  # wrappers inside wrappers, but never an endless loop
        target = _unwrap_once(current)
        if target is None:
            break
        current = target
    return current


def _strip_amp_path(path: str) -> str:
    segments = [s for s in path.split("/") if s.lower() != "amp"]
    last = segments[-1] if segments else ""
    if last.lower().endswith(".amp"):
        segments[-1] = last[: -len(".amp")]
    elif last.lower().endswith(".amp.html"):
        segments[-1] = last[: -len(".amp.html")] + ".html"
    stripped = "/".join(segments)
    # "/amp" or "/news/amp/" leave an empty last segment: keep the slash shape of the rest.
    return stripped if stripped.startswith("/") or not path.startswith("/") else "/" + stripped


def _keep_param(pair: str) -> bool:
    key, _, value = pair.partition("=")
    key = unquote_plus(key).strip().lower()
    if not key:
        return False
    if key in TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES) or key in _AMP_PARAMS:
        return False
    return not (key == "outputtype" and unquote_plus(value).lower() == "amp")


def _canonical(raw: str) -> str:
    url = unwrap_redirect(raw)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return raw
    port = parts.port  # raises ValueError on a junk port
    if host.startswith("amp.") and "." in host[4:]:
        # amp.example.com serves www.example.com's articles on nearly every news site; a guess,
        # but one that lets the AMP link meet the article the site's own feed gives.
        host = "www." + host[4:]
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    query = "&".join(p for p in parts.query.split("&") if _keep_param(p))
    url = canonicalize_url(urlunsplit((scheme, netloc, _strip_amp_path(parts.path), query, "")))
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"  # "/story/" and "/story" are one page in practice
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def canonical_url(url: str) -> str:
    """One spelling per web page, for deduplication (not for fetching).

    Unwraps redirect wrappers and AMP caches (see ``unwrap_redirect``); lowercases scheme and host;
    drops default ports, the fragment, tracking parameters (``TRACKING_PARAMS`` and the
    ``utm_``/``pk_``/``mtm_``/``hsa_`` families) and the AMP rendering (``amp.`` host, taken for
    ``www.``; ``/amp`` path segment; ``.amp`` suffix; ``?amp``; ``outputType=amp``); sorts the
    query, normalizes percent-encoding, punycodes the host, and drops the path's trailing slash.
    Anything that is not an http(s) URL comes back stripped but otherwise untouched.
    """
    if not isinstance(url, str):
        return ""
    raw = url.strip()
    try:
        return _canonical(raw)
    except ValueError:  # bad IPv6 literal, bad port, host that IDNA refuses...
        return raw


# --------------------------------------------------------------------------- dates

_NULLISH = frozenset({"n/a", "na", "none", "null", "nil", "unknown", "undefined", "tbd", "-", "--", "0"})
# Plain numbers below this are ids, counts or sentinels, not moments (1e8 s is March 1973).
_MIN_TIMESTAMP = 1e8
_DOTTED_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}\b")
_SLASHED_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


_UTC_ZONE = ZoneInfo("UTC")


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _from_timestamp(value: float) -> datetime | None:
    if not math.isfinite(value) or value < _MIN_TIMESTAMP:
        return None
    if value >= 1e14:  # microseconds
        value /= 1e6
    elif value >= 1e11:  # milliseconds (1e11 seconds would be the year 5138)
        value /= 1e3
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _parse_string(text: str, now: datetime, languages: Sequence[str] | None, zone: ZoneInfo) -> datetime | None:
    text = text.strip()
    if not text or len(text) > 100 or text.lower() in _NULLISH:
        return None
    if _NUMBER.fullmatch(text):
        if len(text) == 8:  # 20240312
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                return None
        return _from_timestamp(float(text))
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(text)
        # RFC 2822's "-0000" (naive here) is UTC from a sender that knows no better, not local time.
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    settings = {
        "TIMEZONE": zone.key,  # a date or time without a zone is the business's local time
        "TO_TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        # "3 hours ago" counts back from now as the clock on the business's wall shows it.
        "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",  # "March 12" on a review is the last March 12, not the next
    }
    if _DOTTED_DATE.match(text):
        settings["DATE_ORDER"] = "DMY"  # 12.03.2024 is 12 March wherever dots are used
    moment = _dateparse(text, languages, settings)
    if moment is not None and moment > now + timedelta(days=1) and _SLASHED_DATE.match(text):
        # 12/03/2024 read month first lies ahead, so it must be the day-first 12 March.
        moment = _dateparse(text, languages, {**settings, "DATE_ORDER": "DMY"})
    return moment


def _dateparse(text: str, languages: Sequence[str] | None, settings: dict) -> datetime | None:
    # Imported at the first free-text date (a tenth of a second): feeds and APIs give formal ones.
    import dateparser

    try:
        return dateparser.parse(text, languages=list(languages) if languages else None, settings=settings)
    except Exception:  # noqa: BLE001 - a third-party parser on untrusted text must not kill the item
        return None


def _as_utc(moment: datetime, zone: ZoneInfo = _UTC_ZONE) -> datetime:
    # Naive means the business's zone (UTC by default), never the machine's local time (which
    # astimezone would assume).
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=zone).astimezone(UTC)
    return moment.astimezone(UTC)


def _parse(value: object, now: datetime, languages: Sequence[str] | None, zone: ZoneInfo) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):  # a day: its midnight where the business is
        return datetime(value.year, value.month, value.day, tzinfo=zone)
    if isinstance(value, time.struct_time):
        try:
            return _from_timestamp(calendar.timegm(value))
        except (OverflowError, ValueError):
            return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_timestamp(float(value))
    if isinstance(value, str):
        return _parse_string(value, now, languages, zone)
    return None


def to_utc(value: object, now: datetime | None = None, *, languages: Sequence[str] | None = None,
           zone: str = "UTC") -> datetime | None:
    """An aware UTC datetime for *value*, or None when it holds no usable moment.

    Accepts datetimes, dates, ``time.struct_time`` (feedparser's ``*_parsed``, which are UTC),
    unix timestamps in seconds, milliseconds or microseconds (numbers or digit strings), ISO 8601,
    RFC 2822, and free text through dateparser ("3 days ago" counts back from *now*, "12 March
    2024", "12.03.2024" read day first; *languages* narrows dateparser's guessing). A moment with
    an offset keeps it; a date without a time is that day's midnight in *zone* (the business's
    `timezone`), and a time without an offset is *zone*'s local time. More than a day after *now*
    (default: the current time) is taken as wrong, hence None.
    """
    now = datetime.now(UTC) if now is None else _as_utc(now)
    where = _zone(zone)
    try:
        moment = _parse(value, now, languages, where)
        if moment is None:
            return None
        moment = _as_utc(moment, where)
    except (OverflowError, ValueError):  # e.g. year 1 shifted past datetime.min by its offset
        return None
    return None if moment > now + timedelta(days=1) else moment


# --------------------------------------------------------------------------- fingerprints

FINGERPRINT_WORDS = 40
"""Words of the text a fingerprint rests on. Well under WordPress's 55-word feed excerpt, so an
excerpt and the full article agree; summaries cut shorter than this (Bing's ~30 words) cannot."""
MIN_TEXT_WORDS = 8
"""Below this many words the text is too short to stand for the story: the title joins in."""

_SITE_SEPARATOR = re.compile(r"\s+(?:[-|–—·•]|::)\s+")
# A wire dateline, "SPRINGFIELD, Ill. (AP) —", at the start of a line (the headline may come first).
_DATELINE = re.compile(
    r"^[^\S\n]*(?:[^\W\d][\w.,'’ -]{0,60}?\s*)?"
    r"\((?:AP|Reuters|AFP|UPI|dpa|Bloomberg|CNN|PA|CP|The Canadian Press|Xinhua)\)\s*[-–—:]*\s*",
    re.M,
)
# Boilerplate at the very end of a text: (pattern, a lowercase word it cannot match without, how
# many trailing characters it can span). The hint and the window keep the cost off clean texts.
_TRAILERS = (
    # WordPress feeds: "The post <title> appeared first on <site>."
    (re.compile(r"\bthe post\b.{0,400}?\bappeared first on\b.{0,200}\Z", re.I | re.S), "appeared first on", 650),
    # Teasers ending in a link to the rest.
    (
        re.compile(
            r"\b(?:continue reading|read more|read the (?:full|whole|rest of the) (?:story|article|post)"
            r"|read full (?:story|article)|keep reading|view full article)\b[^\n]{0,200}\Z",
            re.I,
        ),
        "read",
        250,
    ),
)
# Inserted lines that one copy of a story has and another lacks.
_INSERTED_LINES = re.compile(
    r"^[^\S\n]*(?:(?:read more|related|see also|also read|recommended|more)[^\S\n]*:[^\n]*"
    r"|advertisement|sponsored content|story continues below(?: advertisement)?)[^\S\n]*$",
    re.I | re.M,
)
_WORD = re.compile(r"\w+")
_MAX_TITLE_CHARS = 300
_MAX_TEXT_CHARS = 4000  # several times what FINGERPRINT_WORDS words take


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text).replace("'", ""))


def _title_and_sites(title: str) -> tuple[str, list[list[str]]]:
    """The title without trailing " - Site Name" / " | Site" parts, and the words of those parts."""
    sites = []
    while separators := list(_SITE_SEPARATOR.finditer(title)):
        last = separators[-1]
        head, site = title[: last.start()], title[last.end() :]
        # A suffix is a site name when short, and only if enough headline is left without it.
        if len(site.split()) > 5 or len(head.split()) < 3:
            break
        sites.append(_words(site))
        title = head
    return title, sites


def _strip_boilerplate(text: str) -> str:
    if "(" in text[:400] and (dateline := _DATELINE.search(text, 0, 400)) is not None:
        text = text[: dateline.start()] + text[dateline.end() :]
    for pattern, hint, window in _TRAILERS:
        start = max(0, len(text) - window)
        if hint in text[start:].lower() and (trailer := pattern.search(text, start)) is not None:
            text = text[: trailer.start()]
    return _INSERTED_LINES.sub(" ", text)


def _story_words(title: str | None, text: str | None) -> list[str]:
    # Only the start of the story counts, so only the start is read (bounded work on huge input).
    title, sites = _title_and_sites((title or "")[:_MAX_TITLE_CHARS])
    title_words = _words(title)
    text_words = _words(_strip_boilerplate((text or "")[:_MAX_TEXT_CHARS]))
    # Feeds often repeat the headline as the first line, and Google News's "description" is only
    # the headline and the site's name: neither says anything the title does not.
    if title_words and text_words[: len(title_words)] == title_words:
        text_words = text_words[len(title_words) :]
    if text_words in sites:
        text_words = []
    if len(text_words) >= MIN_TEXT_WORDS:
        return text_words[:FINGERPRINT_WORDS]
    return title_words + text_words


def text_fingerprint(title: str | None, text: str | None) -> str:
    """A 32-hex-digit digest that is the same for the same story wherever it was found.

    Case, accents, apostrophes, punctuation and whitespace are folded away, as are a trailing
    " - Site Name" / " | Site Name" on the title, a leading wire dateline ("LONDON (Reuters) -"),
    a repeat of the headline at the top of the text, and feed boilerplate ("Read more",
    "Continue reading", "The post X appeared first on Y", "[…]"). It rests on the text's first
    ``FINGERPRINT_WORDS`` words; when the text has fewer than ``MIN_TEXT_WORDS``, on the title and
    whatever text there is. Short posts may therefore share a fingerprint without being the same
    post ("Great coffee!"): see ``fingerprint_is_distinctive`` before merging on it.
    """
    return _digest(_story_words(title, text))


def _digest(words: list[str]) -> str:
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=16).hexdigest()


def fingerprint_is_distinctive(title: str | None, text: str | None) -> bool:
    """Whether ``text_fingerprint(title, text)`` rests on enough words (``MIN_TEXT_WORDS``) that an
    equal fingerprint means the same story rather than two short posts that happen to agree."""
    return len(_story_words(title, text)) >= MIN_TEXT_WORDS


def distinctive_fingerprint(title: str | None, text: str | None) -> str | None:
    """``text_fingerprint(title, text)`` when ``fingerprint_is_distinctive``, else None.

    What the pipeline merges mentions on; the story's words are found once, not twice.
    """
    words = _story_words(title, text)
    return _digest(words) if len(words) >= MIN_TEXT_WORDS else None


def content_hash(title: str | None, text: str | None, rating: float | None) -> str:
    """A digest that changes when a mention is edited: its title, text or rating.

    Only Unicode form and whitespace are normalized (a re-rendered page is not an edit); a change
    of a letter, case or punctuation is. Ratings compare as numbers (4 == 4.0).
    """

    def norm(value: str | None) -> str:
        return " ".join(unicodedata.normalize("NFC", value or "").split())

    try:
        stars = "" if rating is None else format(float(rating), ".6g")
    except (TypeError, ValueError):
        stars = str(rating)
    key = "\x1f".join((norm(title), norm(text), stars))
    return hashlib.blake2b(key.encode("utf-8", "replace"), digest_size=16).hexdigest()


def business_named(name: str, known: Iterable[str]) -> str | None:
    """The one of `known` business names that `name` means, case and spaces aside (config.yaml
    refuses two names that differ only so); None when it means none of them. `--business`
    of every command resolves through this."""
    key = " ".join(name.split()).casefold()
    return next((each for each in known if " ".join(each.split()).casefold() == key), None)
