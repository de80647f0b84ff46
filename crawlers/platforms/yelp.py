"""Yelp Fusion: its error answers {"error": {"code", "description"}} as what the owner must do.

Yelp has no reply API for businesses outside its partner program: replies are written on
biz.yelp.com by hand (see crawlers/platforms/replies.py).
"""

from __future__ import annotations

import json

from crawlers.platforms.errors import answered

KEYS_URL = "https://www.yelp.com/developers/v3/manage_app"
# Yelp answers too-fast clients with 429 TOO_MANY_REQUESTS_PER_SECOND; a fifth of a second
# between requests stays well under its per-second limit.
MIN_INTERVAL = 0.2


def describe_error(status: int, body: bytes, reset_time: str | None = None) -> str:
    """One readable `last_error` from Yelp's error answer."""
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = str(error.get("code") or "") if isinstance(error, dict) else ""
    said = str(error.get("description") or "")[:200] if isinstance(error, dict) else ""
    if status == 401 or code in ("TOKEN_MISSING", "TOKEN_INVALID", "UNAUTHORIZED_API_KEY"):
        return f"Yelp refused the API key ({code or status}): set YELP_API_KEY to the key of your app at {KEYS_URL}"
    if code == "ACCESS_LIMIT_REACHED" or (status == 429 and code != "TOO_MANY_REQUESTS_PER_SECOND"):
        when = f" (it resets at {reset_time})" if reset_time else ""
        return f"Yelp's daily API limit is used up ({code or 'HTTP 429'}){when}: the next run after that tries again"
    if status == 429:
        return "Yelp asked to slow down (TOO_MANY_REQUESTS_PER_SECOND) even after retries: the next run tries again"
    if status == 404 or code == "BUSINESS_NOT_FOUND":
        return f"Yelp does not know this business ({code or 'HTTP 404'}): use the id or alias from its yelp.com/biz/ address"
    return answered("Yelp", status, code, said)
