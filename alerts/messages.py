"""Slack messages (Block Kit) about mentions: one alert, a digest, a reminder.

Everything that comes from the web goes through alerts.escape; alerts.blocks cuts every text to
Slack's limits.
Each builder returns (text, blocks): `text` is the plain notification fallback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from alerts.alert_view import AlertStatus, AlertView
from alerts.blocks import button, context, fit_mrkdwn, header, section, sections_of
from alerts.escape import fit, link, mrkdwn, one_line, truncate
from alerts.excerpt import excerpt
from alerts.when import ago, duration, slack_date
from alerts.why import why_line

SOURCE_EMOJI = {
    "feed": ":newspaper:",
    "reviews": ":star:",
    "html": ":globe_with_meridians:",
    "reddit": ":speech_balloon:",
    "hackernews": ":large_orange_square:",
    "mastodon": ":elephant:",
    "appstore": ":iphone:",
    "bluesky": ":butterfly:",
}
SOURCE_NAMES = {
    "feed": "News feed",
    "reviews": "Reviews",
    "html": "Web page",
    "reddit": "Reddit",
    "hackernews": "Hacker News",
    "mastodon": "Mastodon",
    "appstore": "App Store",
    "bluesky": "Bluesky",
}
LABEL_EMOJI = {"negative": ":red_circle:", "neutral": ":white_circle:", "positive": ":large_green_circle:"}

EXCERPT_LIMIT = 500  # raw characters: escaped and in bold it stays well inside a section
HEADLINE_LIMIT = 200
DIGEST_LINES = 20

Blocks = list[dict[str, Any]]
Highlighter = Callable[[str], Sequence[tuple[int, int]]]



def _no_highlight(text: str) -> Sequence[tuple[int, int]]:
    return ()


def source_line(view: AlertView) -> str:
    """':newspaper: News feed · daily.example.com · by Sam' (escaped)."""
    emoji = SOURCE_EMOJI.get(view.source_type, ":mag:")
    name = mrkdwn(view.source_label) if view.source_label else SOURCE_NAMES.get(view.source_type, view.source_type)
    parts = [f"{emoji} *{name}*"]
    host = _host(view.url)
    if host:
        parts.append(mrkdwn(host))
    if view.author:
        parts.append(f"by {fit(view.author, 80)}")
    return " · ".join(parts)


def stars(rating: float | None) -> str:
    """'★★☆☆☆ 2/5' for a rating on the usual 1-5 scale; '' when unknown."""
    if rating is None:
        return ""
    full = max(0, min(5, round(rating)))
    shown = f"{rating:g}" if rating != int(rating) else str(int(rating))
    return f"{'★' * full}{'☆' * (5 - full)} {shown}/5"


def score_line(view: AlertView) -> str:
    """':red_circle: negative (-0.72) · ★★☆☆☆ 2/5'."""
    score = f" ({view.sentiment:+.2f})" if view.sentiment is not None else ""
    line = f"{LABEL_EMOJI.get(view.label or '', ':white_circle:')} {view.label or 'unscored'}{score}"
    return f"{line} · {stars(view.rating)}" if view.rating is not None else line


def headline(view: AlertView) -> str:
    """The mention's title (or first words) as plain text, not escaped."""
    return truncate(one_line(view.title) or one_line(view.text) or view.url, HEADLINE_LIMIT)


def alert_headline(view: AlertView) -> str:
    """An alert's first line: the title; for an untitled mention (a review, a comment) who wrote it
    and where, since its words follow as the excerpt and must not be read twice."""
    if one_line(view.title):
        return headline(view)
    kind = "Review" if view.rating is not None else "Mention"
    by = f" by {one_line(view.author)}" if view.author and one_line(view.author) else ""
    return truncate(f"{kind}{by} on {_host(view.url) or SOURCE_NAMES.get(view.source_type, view.source_type)}",
                    HEADLINE_LIMIT)


def alert_message(view: AlertView, now: datetime, highlight: Highlighter = _no_highlight) -> tuple[str, Blocks]:
    """The notification text and the Block Kit blocks for one mention."""
    title = f":rotating_light: Urgent: {view.business}" if view.urgent else f"{view.label or 'New'} mention: {view.business}"
    blocks: Blocks = [header(title[:1].upper() + title[1:])]
    blocks.append(section(f"*{link(view.url, alert_headline(view), HEADLINE_LIMIT)}*"))
    if view.urgent and view.urgent_phrases:
        phrases = ", ".join(f"“{mrkdwn(p.strip())}”" for p in view.urgent_phrases.split(","))
        blocks.append(section(fit_mrkdwn(f":rotating_light: *Urgent*: mentions {phrases}")))
    text = one_line(view.text)
    if text:
        spans = [(m[0], m[1]) for m in highlight(text)]
        focus = text.find(one_line(view.driver)) if view.driver else -1
        quoted = excerpt(text, spans, EXCERPT_LIMIT, focus if focus >= 0 else None)
        blocks.append(section(f">{quoted}"))
    when = [f"published {slack_date(view.published_at, now, view.timezone)}"] if view.published_at else []
    if not view.published_at and view.first_seen_at:
        when = [f"found {slack_date(view.first_seen_at, now, view.timezone)}"]
    blocks.append(context(source_line(view), score_line(view), *when))
    blocks.extend(context(line) for line in [why_line(view)] if line)
    open_button = button("Open the mention", view.url, f"open-{view.mention_id}")
    elements = [open_button] if open_button else []
    if view.interactive:
        elements += action_elements(view)
    if elements:
        block: dict[str, Any] = {"type": "actions", "elements": elements}
        if view.interactive:
            block["block_id"] = f"{ACTIONS_BLOCK_PREFIX}{view.mention_id}"
        blocks.append(block)
    lines = status_lines(view.status, now) if view.status else []
    if lines:
        blocks.append(context(*lines))
    if view.status is None or view.status.handled_at is None:
        blocks.append(context(
            f"React with :{view.handled_reaction}: when it is handled, or run `mentionwatch handle {view.mention_id}`."
        ))
    return notification(view, now), blocks


# The interactive elements' action_ids; `mentionwatch listen` (respond/slack) answers them.
ACTION_HANDLE = "mentionwatch_handle"
ACTION_REOPEN = "mentionwatch_reopen"
ACTION_DISMISS = "mentionwatch_dismiss"
ACTION_ASSIGN = "mentionwatch_assign"
ACTION_SNOOZE = "mentionwatch_snooze"
ACTION_REPLY = "mentionwatch_reply"
# The actions block's block_id: this prefix and the mention id (a user picker has no `value`).
ACTIONS_BLOCK_PREFIX = "mentionwatch_mention_"
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def action_elements(view: AlertView) -> Blocks:
    """Handled (or Reopen), Not about us, Assign (a user picker), Snooze, Reply; each names the mention."""
    value = str(view.mention_id)
    status = view.status or AlertStatus()

    def act(label: str, action_id: str, style: str | None = None) -> dict[str, Any]:
        element = {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id,
                   "value": value}
        return {**element, "style": style} if style else element

    elements = [act("Reopen", ACTION_REOPEN) if status.handled_at else act("Handled", ACTION_HANDLE, "primary")]
    if status.dismissed_at is None:
        elements.append(act("Not about us", ACTION_DISMISS))
    picker: dict[str, Any] = {"type": "users_select", "action_id": ACTION_ASSIGN,
                              "placeholder": {"type": "plain_text", "text": "Assign"}}
    if status.assignee and _SLACK_USER.match(status.assignee):
        picker["initial_user"] = status.assignee
    elements += [picker, act("Snooze", ACTION_SNOOZE), act("Reply", ACTION_REPLY)]
    return elements


def who(name: str) -> str:
    """A Slack user id as a mention Slack renders (<@U123>); any other name escaped."""
    return f"<@{name}>" if _SLACK_USER.match(name) else mrkdwn(one_line(name))


def status_lines(status: AlertStatus, now: datetime) -> list[str]:
    """Who did what and when: handled (and how long after the alert), dismissed, assigned, snoozed."""
    lines = []
    if status.handled_at:
        took = ""
        if status.alerted_at:
            took = f", {duration(max(timedelta(0), status.handled_at - status.alerted_at))} after the alert"
        lines.append(f":white_check_mark: Handled by {who(status.handled_by or 'someone')} "
                     f"{slack_date(status.handled_at, now)}{took}")
    if status.dismissed_at:
        lines.append(f":no_entry_sign: Not about us, said {who(status.dismissed_by or 'someone')} "
                     f"{slack_date(status.dismissed_at, now)}; it is left out of reports")
    if status.assignee:
        lines.append(f":bust_in_silhouette: Assigned to {who(status.assignee)}")
    if status.snoozed_until and status.snoozed_until > now and not status.handled_at:
        lines.append(f":zzz: Snoozed until {slack_date(status.snoozed_until, now)}; raised again then")
    return lines


def notification(view: AlertView, now: datetime) -> str:
    """The plain-text fallback: what a phone's notification shows."""
    urgent = "URGENT " if view.urgent else ""
    where = _host(view.url) or view.source_type
    age = f" (published {ago(view.published_at, now)})" if view.published_at else ""
    return mrkdwn(f"{urgent}{view.label or 'new'} mention of {view.business} on {where}: "
                  f"{truncate(headline(view), 150)}{age}")


def digest_message(business: str, views: Sequence[AlertView], cap: int, handled_reaction: str) -> tuple[str, Blocks]:
    """One message for the negatives beyond this run's cap of individual alerts."""
    count = len(views)
    noun = "mention" if count == 1 else "mentions"
    blocks: Blocks = [header(f"{business}: {count} more negative {noun}")]
    blocks.append(section(
        f"This run found more than {cap} to alert about for *{mrkdwn(business)}*; "
        f"the rest are listed here rather than one message each."
    ))
    lines = [digest_line(v) for v in views[:DIGEST_LINES]]
    blocks.extend(sections_of(lines))
    if count > DIGEST_LINES:
        blocks.append(section(
            f"…and {count - DIGEST_LINES} more: `mentionwatch mentions --label negative --business "
            f"\"{mrkdwn(business)}\"`"
        ))
    blocks.append(context(f"React with :{handled_reaction}: to mark all of these handled."))
    urgent = sum(v.urgent for v in views)
    text = f"{count} more negative {noun} of {business}" + (f", {urgent} urgent" if urgent else "")
    return mrkdwn(text), blocks


def digest_line(view: AlertView, excerpt_limit: int = 0) -> str:
    """'• :red_circle: <url|title> · News feed · -0.62 · id 42' (escaped), at most ~300 chars;
    with `excerpt_limit`, followed by a quoted excerpt around the sentence that decided the label."""
    urgent = ":rotating_light: " if view.urgent else ""
    score = f" · {view.sentiment:+.2f}" if view.sentiment is not None else ""
    rating = f" · {stars(view.rating)}" if view.rating is not None else ""
    name = SOURCE_NAMES.get(view.source_type, view.source_type)
    line = (f"• {urgent}{LABEL_EMOJI.get(view.label or '', '')} {link(view.url, headline(view), 120)}"
            f" · {name}{score}{rating} · id {view.mention_id}")
    text = one_line(view.text)
    if excerpt_limit and text and text != one_line(view.title):
        focus = text.find(one_line(view.driver)) if view.driver else -1
        line += f"\n>{excerpt(text, (), excerpt_limit, focus if focus >= 0 else None)}"
    return line


def reminder_message(view: AlertView, since: timedelta, now: datetime) -> tuple[str, Blocks]:
    """The one reminder about an urgent mention nobody has marked handled."""
    waited = duration(since)
    blocks: Blocks = [
        header(f":alarm_clock: Still unhandled after {waited}: {view.business}"),
        section(f"*{link(view.url, headline(view), HEADLINE_LIMIT)}*"),
        context(source_line(view), score_line(view)),
        context(f"React with :{view.handled_reaction}: when it is handled, or run "
                 f"`mentionwatch handle {view.mention_id}`. This is the only reminder."),
    ]
    open_button = button("Open the mention", view.url, f"open-{view.mention_id}")
    if open_button:
        blocks.insert(3, {"type": "actions", "elements": [open_button]})
    text = f"Still unhandled after {waited}: urgent mention of {view.business}: {truncate(headline(view), 150)}"
    return mrkdwn(text), blocks


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")
