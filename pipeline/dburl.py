"""A database URL as it may be shown: with every password in it masked.

A password can sit in the URL's user-info (`postgresql://bob:secret@host/db`) or, as libpq and
SQLAlchemy accept, in its query string (`postgresql://bob@host/db?password=secret`). Both are
masked in messages, and both are redacted from the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

MASK = "***"
# Query keys that carry a password (libpq's `password`; some drivers also read `passwd`).
PASSWORD_KEYS = ("password", "passwd", "pwd")


def safe_url(url: str | URL) -> str:
    """The URL without its passwords, for messages; a URL that cannot be parsed is not shown."""
    try:
        from sqlalchemy.engine import make_url  # here: SQLAlchemy costs a command's start

        parsed = make_url(url)
    except Exception:
        return "(unparseable URL)"
    query = {k: (MASK if k.lower() in PASSWORD_KEYS else v) for k, v in parsed.query.items()}
    # The query is rendered URL-encoded: the mask reads as *** there too, as in the user-info.
    return parsed.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", MASK)


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
