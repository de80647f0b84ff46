"""Other channels for the same alerts: Apprise URLs (e-mail, Teams, Discord, Telegram, webhooks).

The planner decides once what goes where: each outbox message gets one `AlertDelivery` row per
destination of its business (`businesses[].notify`, else its client's, else `alerts.notify`). This module sends
those rows, each on its own, so a destination that failed is tried again on the next run
without sending again to one that succeeded.

Bookkeeping is the outbox's: a row's attempt is committed before sending, its success after. A
run killed in between leaves the outcome unknown, and as no Apprise service can be asked what
it received, the row is then given up as "maybe sent" (at most once, never twice). A failure
Apprise reports is retried on the next run.

Every message is rendered once from the same Block Kit blocks Slack gets: HTML (escaped) with
the notification text as the title; Apprise turns it into text for services that want text,
and e-mail gets both an HTML and a plain-text part.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.blocks import context, header, section, sections_of
from alerts.config import AlertedBusiness, AlertsConfig
from alerts.escape import mrkdwn
from alerts.messages import DIGEST_LINES, AlertView, Blocks, digest_line
from alerts.slack import terminal_text, without_slack_instructions
from pipeline.models import AlertDelivery, AlertMessage

log = logging.getLogger(__name__)
LABEL_LIMIT = 200
DIGEST_EXCERPT = 200


@dataclass(frozen=True)
class Destination:
    key: str
    """A digest of the URL: what the store keeps (URLs hold secrets)."""
    label: str
    """The URL with its secrets masked, for check and logs."""
    url: SecretStr = field(repr=False)


def destination(url: SecretStr) -> Destination:
    """The destination for an Apprise URL, with its key and masked label."""
    value = url.get_secret_value().strip()
    return Destination(hashlib.sha256(value.encode("utf-8")).hexdigest()[:32], mask(value), url)


def mask(url: str) -> str:
    """The URL as Apprise shows it privately (passwords and tokens hidden), without its query."""
    import apprise

    apprise_log = logging.getLogger("apprise")
    was, apprise_log.disabled = apprise_log.disabled, True
    try:
        plugin = apprise.Apprise.instantiate(url)
    finally:
        apprise_log.disabled = was
    shown = plugin.url(privacy=True) if plugin is not None else f"{url.split('://', 1)[0]}://..."
    return shown.split("?", 1)[0][:LABEL_LIMIT]


def destinations_for(settings: AlertsConfig, business: AlertedBusiness | None) -> list[Destination]:
    """The business's own notify: URLs if set (even empty), else its client's, else alerts.notify."""
    client = settings.client_of(business.name) if business is not None else None
    if business is not None and business.notify is not None:
        urls = business.notify
    elif client is not None and client.notify is not None:
        urls = client.notify
    else:
        urls = settings.alerts.notify
    return [destination(url) for url in urls]


# --------------------------------------------------------------------------- rendering

_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_CODE = re.compile(r"`([^`\n]*)`")
_SHORTCODE = re.compile(r":([a-z][a-z0-9_+-]*):")
_EMOJI = {"rotating_light": "🚨", "warning": "⚠️", "alarm_clock": "⏰", "white_check_mark": "✅", "star": "⭐",
          "red_circle": "🔴", "large_green_circle": "🟢", "white_circle": "⚪"}


def mrkdwn_to_html(text: str) -> str:
    """Our escaped mrkdwn as HTML. Its entities (&amp; &lt; &gt;) are HTML's already; quotes are
    escaped here; links become <a> with their URL re-checked; *bold*, `code`, > quotes, emoji."""
    text = without_slack_instructions(text).replace('"', "&quot;")
    text = _DATE.sub(r"\1", text)

    def anchor(match: re.Match[str]) -> str:
        url = html.unescape(match.group(1))
        if urlsplit(url).scheme not in ("http", "https"):
            return match.group(2)
        return f'<a href="{html.escape(url, quote=True)}">{match.group(2)}</a>'

    text = _LINK.sub(anchor, text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _SHORTCODE.sub(lambda m: _EMOJI.get(m.group(1), ""), text)
    text = text.replace("\u2217", "*").replace("\u02cb", "`")  # mrkdwn()'s look-alikes
    # A line starting with a literal ">" is a quote (web text's own ">" arrives as &gt;).
    lines = [f"<blockquote>{line[1:]}</blockquote>" if line.startswith(">") else line for line in text.split("\n")]
    return "<br>\n".join(lines)


def blocks_to_html(blocks: Sequence[dict[str, Any]]) -> str:
    """The same content as the Slack message, as an HTML fragment (everything from the web escaped)."""
    parts: list[str] = []
    for block in blocks:
        kind = block.get("type")
        text = block.get("text") if isinstance(block.get("text"), dict) else None
        if kind == "header" and text:
            # plain_text: shown as is in Slack, so escaped whole here.
            parts.append(f"<h2>{html.escape(terminal_text(html.escape(text['text'], quote=False)))}</h2>")
        elif kind == "section" and text:
            parts.append(f"<p>{mrkdwn_to_html(text['text'])}</p>")
        elif kind == "section" and block.get("fields"):
            parts.append("<p>" + "<br>\n".join(mrkdwn_to_html(f["text"]) for f in block["fields"]) + "</p>")
        elif kind == "context":
            parts.append('<p style="color:#666;font-size:90%">' + " · ".join(
                mrkdwn_to_html(e["text"]) for e in block.get("elements", []) if e.get("type") == "mrkdwn") + "</p>")
        elif kind == "actions":
            links = [f'<a href="{html.escape(e["url"], quote=True)}">{html.escape(e["text"]["text"])}</a>'
                     for e in block.get("elements", []) if e.get("url")]
            if links:
                parts.append("<p>" + " · ".join(links) + "</p>")
    return "\n".join(p for p in parts if p not in ("<p></p>",))


def daily_digest_message(business: str, views: Sequence[AlertView], day: datetime) -> tuple[str, Blocks]:
    """The daily digest for the notify: destinations: the day's alerts, one line each with an excerpt."""
    count = len(views)
    noun = "mention" if count == 1 else "mentions"
    blocks: Blocks = [header(f"{business}: {count} negative {noun} since the last digest")]
    blocks.extend(sections_of([digest_line(v, DIGEST_EXCERPT) for v in views[:DIGEST_LINES]]))
    if count > DIGEST_LINES:
        blocks.append(section(f"…and {count - DIGEST_LINES} more: `mentionwatch mentions --label negative`"))
    blocks.append(context(f"Daily digest of {day.day} {day:%b %Y}. Mark one handled with "
                          "`mentionwatch handle ID`."))
    return mrkdwn(f"{business}: {count} negative {noun} today"), blocks


# --------------------------------------------------------------------------- delivery


@dataclass
class Notified:
    sent: int = 0
    failed: int = 0
    given_up: int = 0
    problems: list[str] = field(default_factory=list)


def owed(session: Session, now: datetime) -> list[tuple[AlertDelivery, AlertMessage]]:
    """Deliveries not yet made whose message's time has come, in the outbox's order."""
    return [(delivery, message) for delivery, message in session.execute(
        select(AlertDelivery, AlertMessage).join(AlertMessage, AlertMessage.id == AlertDelivery.message_id)
        .where(AlertDelivery.sent_at.is_(None))
        .where((AlertMessage.not_before.is_(None)) | (AlertMessage.not_before <= now))
        .order_by(AlertMessage.urgent.desc(), AlertMessage.id, AlertDelivery.id)
    )]


def deliver_notifications(session: Session, settings: AlertsConfig, clock: Callable[[], datetime],
                          send: Callable[[str, str, str], str | None] | None = None) -> Notified:
    """Send every owed delivery; one failing destination is skipped for the rest of this run only.

    `send(url, title, html)` returns None on success or a reason; by default through Apprise.
    """
    result = Notified()
    rows = owed(session, clock())
    if not rows:
        return result
    urls = _known_urls(settings)
    send = send or send_with_apprise
    failing: set[str] = set()
    for delivery, message in rows:
        if delivery.destination in failing:
            continue
        url = urls.get(delivery.destination)
        if url is None:
            # Removed from config.yaml since it was planned: nobody to send to, ever.
            delivery.sent_at, delivery.last_error = clock(), "not sent: the destination left config.yaml"
            session.commit()
            continue
        if delivery.attempt_started_at is not None:
            reason = ("an earlier run stopped while sending; a notification service cannot be asked what it "
                      "received, so it is not sent again (at most once)")
            delivery.sent_at, delivery.outcome_unknown, delivery.last_error = clock(), True, reason
            delivery.attempt_started_at = None
            session.commit()
            result.given_up += 1
            result.problems.append(f"{message.kind} to {delivery.label}: {reason}")
            continue
        delivery.attempt_started_at = clock()
        session.commit()  # before sending: a run killed meanwhile must not send it again
        reason = send(url, terminal_text(message.text), blocks_to_html(message.blocks or []))
        delivery.attempt_started_at = None
        if reason is None:
            delivery.sent_at, delivery.last_error = clock(), None
            result.sent += 1
        else:
            delivery.attempts += 1
            delivery.last_error = reason
            failing.add(delivery.destination)
            result.failed += 1
            result.problems.append(f"{message.kind} to {delivery.label} not sent: {reason} (kept for the next run)")
        session.commit()
    return result


def _known_urls(settings: AlertsConfig) -> dict[str, str]:
    urls = (list(settings.alerts.notify) + [u for b in settings.businesses for u in (b.notify or [])]
            + [u for c in settings.clients for u in (c.notify or [])])
    return {destination(u).key: u.get_secret_value().strip() for u in urls}


def send_with_apprise(url: str, title: str, body_html: str) -> str | None:
    """One notification through Apprise; None when it was accepted, else why not (secrets scrubbed)."""
    import apprise

    # Apprise's own log lines are captured, scrubbed and returned, never passed on (they can
    # hold parts of the URL).
    apprise_log = logging.getLogger("apprise")
    propagate, apprise_log.propagate = apprise_log.propagate, False
    try:
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            sender = apprise.Apprise()
            if not sender.add(url):
                return "Apprise cannot use this URL"
            ok = sender.notify(title=title, body=body_html, body_format=apprise.NotifyFormat.HTML)
    finally:
        apprise_log.propagate = propagate
    if ok:
        return None
    said = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    return scrub(said[-1] if said else "the service refused it or could not be reached", url)


def scrub(text: str, url: str) -> str:
    """`text` without any secret-looking piece of `url` (user, password, host, path, query values)."""
    parts = urlsplit(url)
    pieces = [parts.username, parts.password, parts.hostname, *parts.path.split("/"),
              *[v for kv in parts.query.split("&") for v in kv.split("=")[1:]]]
    for piece in sorted({unquote(p) for p in pieces if p and len(unquote(p)) >= 4}, key=len, reverse=True):
        if piece not in ("127.0.0.1", "localhost"):
            text = text.replace(piece, "***")
    return text[:300]
