"""Registers: the kinds of writing a mention comes in, told by the type of source it came from.

A Reddit comment, a news item and a review are written differently: social posts carry emoji,
slang, capitals and "sooo"; news states facts; reviews judge. The learned scorer keeps one
calibration per register (``pipeline.learned``), chosen here from the item's source type.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

SOCIAL = "social"
NEWS = "news"
REVIEW = "review"
REGISTERS = (REVIEW, SOCIAL, NEWS)
DEFAULT_REGISTER = REVIEW

# Source types (crawlers.config.SOURCE_TYPES) by register. A type not listed reads as a review:
# the monitor's commonest text, and the register the model knows best.
BY_SOURCE_TYPE = {
    "reddit": SOCIAL, "hackernews": SOCIAL, "mastodon": SOCIAL, "bluesky": SOCIAL,
    "feed": NEWS, "html": NEWS,
    "reviews": REVIEW, "appstore": REVIEW, "google_business": REVIEW, "yelp": REVIEW,
    "appstore_connect": REVIEW, "google_play": REVIEW, "trustpilot": REVIEW,
}  # fmt: skip


def register_of(source_type: str | None) -> str:
    """The register of a source type ("reddit" -> "social"); a review for unknown or no type."""
    return BY_SOURCE_TYPE.get(source_type or "", DEFAULT_REGISTER)


def did_you_mean(given: str, source_types: bool = False) -> str:
    """"; did you mean 'social'?" for a misspelt register ("socail"), or "" when none is close;
    with `source_types`, a source type ("redit") is offered too."""
    close = difflib.get_close_matches(given, [*REGISTERS, *(BY_SOURCE_TYPE if source_types else ())], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def per_register(setting: float | Mapping[str, float] | None) -> dict[str, float]:
    """The registers a threshold setting names, and their thresholds: one number is every register's;
    a mapping names some (``{"social": -0.3}``); None names none (each keeps the model's own)."""
    if setting is None:
        return {}
    if isinstance(setting, Mapping):
        return dict(setting)
    return dict.fromkeys(REGISTERS, setting)
