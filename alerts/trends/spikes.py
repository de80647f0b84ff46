"""Spike alerts: a day with far more mentions, or negative mentions, than the business's usual.

Checked at every run as mentions arrive; the first check of the day that finds the spike plans
one alert, and later runs that day say nothing more (one alert per spike, not one per run).
What a source's first crawl found is history, never today's spike.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.blocks import button, context, header, section, sections_of
from alerts.config import AlertsConfig, TrendSettings
from alerts.escape import mrkdwn, shell_word
from alerts.messages import digest_line
from alerts.trends.counts import Series, day_counts, effective_at
from alerts.trends.day import LocalDay, TrendAlert, due_today, has_history, inbox_link
from alerts.trends.tail import Verdict, judge
from alerts.views import Catalog
from pipeline.models import Business, Mention, Source

SHOWN = 3
"""The most negative of the day's mentions shown in the alert."""


def find_spikes(session: Session, settings: AlertsConfig, catalog: Catalog, now: datetime,
                inbox_url: str | None = None, watched: set[str] | None = None) -> list[TrendAlert]:
    """One alert per business whose day so far is a spike, unless one was planned today already."""
    trends = settings.alerts.trends
    found: list[TrendAlert] = []
    zones = {name: configured.timezone for name, configured in catalog.businesses.items()}
    for business, day in due_today(session, zones, now, "spike", watched):
        if not has_history(session, business.id, day):
            continue
        verdicts = {series: check(session, business.id, day, series, trends) for series in ("mentions", "negative")}
        if any(v.spike for v in verdicts.values()):
            found.append(spike_alert(session, catalog, business, day, verdicts, inbox_url))
    return found


def check(session: Session, business_id: int, day: LocalDay, series: Series, trends: TrendSettings) -> Verdict:
    """Today's count of `series` (what arrived, not a first crawl's history) against the 28 days before."""
    history = day.history(day_counts(session, business_id, day.history_start, day.start(), day.zone, series))
    today = day_counts(session, business_id, day.start(), day.end, day.zone, series, arrived_only=True)[day.today]
    return judge(today, history, min_count=trends.min_mentions, min_ratio=trends.min_ratio, p_value=trends.p_value)


def spike_alert(session: Session, catalog: Catalog, business: Business, day: LocalDay,
                verdicts: dict[str, Verdict], inbox_url: str | None) -> TrendAlert:
    """The message: today's counts against the usual, the top complaints, the worst mentions, a link."""
    when = effective_at()
    rows = session.execute(
        select(Mention, Source.identity).join(Source, Source.id == Mention.source_id)
        .where(Mention.business_id == business.id, when >= day.start(), when < day.end,
               Mention.dismissed_at.is_(None), Mention.label == "negative")
        .order_by(func.coalesce(Mention.sentiment, 0), Mention.id)
    ).all()
    everything, negative = verdicts["mentions"], verdicts["negative"]
    weekday = f"{day.today:%A}"
    counts = (f"{everything.count} mentions today against about {everything.expected:.0f} on a usual {weekday}, "
              f"{negative.count} negative against about {negative.expected:.0f}")
    complaints = top_complaints([m for m, _ in rows])
    blocks: list[dict[str, Any]] = [
        header(f"Spike: {business.name}"),
        section(f":chart_with_upwards_trend: *{mrkdwn(business.name)}*: {mrkdwn(counts)}."),
    ]
    if complaints:
        blocks.append(section("*Top complaints*: " + ", ".join(f"{mrkdwn(a)} ({n})" for a, n in complaints)))
    views = [catalog.view(m, business.name, identity) for m, identity in rows[:SHOWN]]
    if views:
        blocks.append(section("*The most negative today*"))
        blocks.extend(sections_of([digest_line(v, 160) for v in views]))
    only_negative = negative.spike and not everything.spike
    target = inbox_link(inbox_url, business.name, day, **({"label": "negative"} if only_negative else {}))
    opened = button("Open these mentions", target, f"spike-{business.id}-{day.today}") if target else None
    if opened:
        blocks.append({"type": "actions", "elements": [opened]})
    listing = (f"mentionwatch mentions --business {shell_word(business.name)} --since {day.today.isoformat()}"
               + (" --label negative" if only_negative else ""))
    blocks.append(context(f"One alert per spike: later runs today add no other. `{mrkdwn(listing)}` lists them all."))
    text = f"Spike: {business.name}: {counts}"
    if complaints:
        text += "; top complaints: " + ", ".join(a for a, _ in complaints)
    if target:
        text += f" ({target})"
    return TrendAlert("spike", business.id, business.name, (mrkdwn(text), blocks), [m.id for m, _ in rows[:SHOWN]])


def top_complaints(mentions: list[Mention], limit: int = 3) -> list[tuple[str, int]]:
    """The aspects the day's negative mentions name most (service, price, wait...), most first."""
    counter: Counter[str] = Counter()
    for mention in mentions:
        for aspect in mention.aspects or ():
            counter[aspect if isinstance(aspect, str) else str(aspect.get("aspect", aspect))] += 1
    return counter.most_common(limit)
