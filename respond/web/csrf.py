"""CSRF protection for every form that changes something.

A synchronizer token tied to the session, without server state: for a signed-in browser the
token is an HMAC of its session token, which a page on another site can neither read nor
guess. Before signing in (the login form itself) and in trusted-header mode, where there is no
session of ours, it is the double-submit pattern: a random value in an HttpOnly, SameSite=Lax
cookie that the form must repeat. Browsers also say where a form came from (Origin); a POST
whose Origin names another site is refused as well, whatever the token.

Written here rather than taken from asgi-csrf because the token must follow our own sessions
(a new one at sign-in), and the rule is a dozen lines.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

CSRF_COOKIE = "mw_csrf"
FIELD = "csrf_token"


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def expected_token(session_token: str | None, cookie_value: str | None) -> str | None:
    """The token forms must carry: bound to the session when there is one, else the cookie's value."""
    if session_token:
        return hmac.new(session_token.encode(), b"mentionwatch csrf", hashlib.sha256).hexdigest()
    return cookie_value or None


def token_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())


def same_origin(origin: str | None, host: str | None) -> bool:
    """False only when the browser says the request came from another site."""
    if not origin:
        return True
    if origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == (host or "").lower()
