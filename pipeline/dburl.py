"""A database URL as it may be shown: with every password in it masked.

A password can sit in the URL's user-info (`postgresql://bob:secret@host/db`) or, as libpq and
SQLAlchemy accept, in its query string (`postgresql://bob@host/db?password=secret`). Both are
masked in messages, and both are redacted from the log.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

MASK = "***"
# Query keys that carry a password (libpq's `password`; some drivers also read `passwd`).
PASSWORD_KEYS = ("password", "passwd", "pwd")
_QUERY_PASSWORD = re.compile(r"([?&](?:%s)=)[^&]*" % "|".join(PASSWORD_KEYS), re.IGNORECASE)
EXAMPLE = "expected an SQLAlchemy URL such as sqlite:///mentionwatch.db"


def safe_url(url: str | URL) -> str:
    """The URL without its passwords, for messages.

    A URL SQLAlchemy cannot parse, or parses with part of the password in its host (an `@` in
    the password), is masked by its text."""
    try:
        from sqlalchemy.engine import make_url  # here: SQLAlchemy costs a command's start

        parsed = make_url(url)
    except Exception:
        return _masked_text(str(url))
    if "@" in (parsed.host or ""):
        return _masked_text(parsed.render_as_string(hide_password=False))
    query = {k: (MASK if k.lower() in PASSWORD_KEYS else v) for k, v in parsed.query.items()}
    # The query is rendered URL-encoded: the mask reads as *** there too, as in the user-info.
    return parsed.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", MASK)


def _masked_text(url: str) -> str:
    """The URL's text with a password masked where one may be: from the user name's `:` to the
    last `@` (a password can hold `@`, `/` or `#`), a `:` not followed by a port, `?password=`."""
    scheme, sep, rest = url.partition("://")
    user, colon, after = rest.partition(":")
    if sep and colon and "/" not in user and "@" in after:
        rest = f"{user}:{MASK}@{after.rpartition('@')[2]}"
    elif sep and colon and "/" not in user and "[" not in user and not after.partition("/")[0].isdigit():
        rest = f"{user}:{MASK}" + "".join(after.partition("/")[1:])  # `bob:secret/db`: no host?
    return _QUERY_PASSWORD.sub(rf"\g<1>{MASK}", scheme + sep + rest)


def url_problem(url: str) -> str | None:
    """What keeps SQLAlchemy from reading the URL as written, in words that quote no part of its
    password; None when it reads."""
    from sqlalchemy.engine import make_url  # here: SQLAlchemy costs a command's start

    _, sep, rest = url.partition("://")
    try:
        parsed = make_url(url)
    except Exception:
        parsed = None
    else:
        if "@" not in (parsed.host or ""):
            return None
    # SQLAlchemy's password ends at its first `@`: a second one left the rest of it in the host.
    user, colon, after = rest.partition(":")
    if parsed is not None or (sep and colon and "/" not in user and after.partition("?")[0].count("@") > 1):
        return "the password holds an `@`: percent-encode it, `@` as %40 (and `#` as %23)"
    host = rest.rpartition("@")[2].partition("/")[0].partition("?")[0]
    if host.startswith("[") and "]" not in host:
        return f"the `[` of an IPv6 address is not closed by `]`: {EXAMPLE}"
    port = host.rpartition("]")[2].partition(":")
    if port[1] and not port[2].isdigit():
        return f"the port (after the host's `:`) is not a number: {EXAMPLE}"
    return EXAMPLE


def url_passwords(url: str | URL) -> list[str]:
    """Every password the URL carries, for the log's redaction."""
    try:
        from sqlalchemy.engine import make_url  # here: SQLAlchemy costs a command's start

        parsed = make_url(url)
    except Exception:
        return []
    found = [parsed.password] if parsed.password else []
    for key, value in parsed.query.items():
        if key.lower() in PASSWORD_KEYS:
            found.extend([value] if isinstance(value, str) else list(value))
    return [str(p) for p in found if p]


def without_passwords(text: str, url: str | URL) -> str:
    """`text` (an error message that may quote the URL) with the URL's passwords masked."""
    for password in url_passwords(url):
        text = text.replace(password, MASK)
    return text
