"""The line of an alert that says why the scorer judged a mention so.

'Why: “We waited an hour.” · VADER -0.62 · model 91% negative · about: wait time' (escaped).
Kept apart from ``alerts.messages`` so that the scorer's explanation changes in one place.
"""

from __future__ import annotations

from alerts.alert_view import AlertView
from alerts.escape import mrkdwn, one_line, truncate

DRIVER_LIMIT = 160


def why_line(view: AlertView) -> str | None:
    """The explanation of the label, or None when the store holds nothing to explain it with."""
    if view.label == "unscored":
        language = f" in `{mrkdwn(view.language)}`" if view.language else ""
        return f"Not scored: written{language}, a language the scorer cannot read; it is stored unjudged."
    if view.vader_compound is None and view.probability is None and not view.aspects:
        return None  # scored before the learned scorer: the score line says all there is
    parts = []
    if view.driver:
        parts.append(f"“{mrkdwn(truncate(one_line(view.driver), DRIVER_LIMIT))}”")
    if view.vader_compound is not None:
        parts.append(f"VADER {view.vader_compound:+.2f}")
    if view.probability is not None and view.label:
        parts.append(f"model {view.probability:.0%} {mrkdwn(view.label)}")
    if view.rating is not None:
        parts.append(f"rating {view.rating:g}/5 decides")
    if view.aspects:
        parts.append("about: " + ", ".join(mrkdwn(a) for a in view.aspects))
    return "Why: " + " · ".join(parts) if parts else None
