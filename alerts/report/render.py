"""The report as HTML (Jinja2, autoescaped: mention titles are web text) and as plain text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from jinja2 import Environment, PackageLoader, StrictUndefined

from alerts.escape import safe_url
from alerts.report.data import BusinessReport, Change, MentionLine, Period
from alerts.when import absolute, duration

_ENV = Environment(
    loader=PackageLoader("alerts", "templates"),
    autoescape=True,  # every value is escaped unless marked safe; nothing here is
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def signed(value: float | None, digits: int = 0) -> str:
    """'+3', '−2', '±0' ('' when unknown)."""
    if value is None:
        return ""
    if round(value, digits) == 0:
        return "±0"
    text = f"{abs(value):.{digits}f}"
    return f"+{text}" if value > 0 else f"−{text}"


def change_text(change: Change, digits: int = 0) -> str:
    """'12 (+3 on the previous period)' or '12'."""
    if change.current is None:
        return "n/a"
    text = f"{change.current:.{digits}f}"
    if change.previous is None:
        return text
    return f"{text} ({signed(change.delta, digits)} on the previous period)"


def period_text(period: Period, zone: str = "UTC") -> str:
    """'Mon 16 Nov 2026 00:00 UTC – Mon 23 Nov 2026 00:00 UTC'."""
    return f"{absolute(period.since, zone)} – {absolute(period.until, zone)}"


def handled_text(line: MentionLine) -> str:
    """'handled in 2.5 h by U0TEAM', 'not handled', or 'not alerted' (e.g. found by a baseline)."""
    if line.handled_at is None:
        return "not alerted" if line.alerted_at is None else "not handled"
    took = line.time_to_handle or timedelta(0)
    return f"handled in {duration(took)}" + (f" by {line.handled_by}" if line.handled_by else "")


def _format_time(value: datetime, zone: str = "UTC") -> str:
    return absolute(value, zone)


def _score(value: float | None) -> str:
    return f"{value:+.2f}" if value is not None else "unscored"


def _duration(value: timedelta | None) -> str:
    return duration(value) if value is not None else "n/a"


_ENV.filters.update(signed=signed, change=change_text, when=_format_time, duration=_duration,
                    handled=handled_text, score=_score, safe_url=lambda url: safe_url(url) or "")
_ENV.globals.update(period_text=period_text)


def render_html(reports: Sequence[BusinessReport], period: Period, image: Callable[[BusinessReport], str | None],
                generated_at: datetime) -> str:
    """The whole report as one HTML page; `image` gives each chart's src (a file name or a cid: URL)."""
    return _ENV.get_template("report.html.j2").render(
        reports=reports, period=period, image=image, generated_at=generated_at,
    )


def render_text(reports: Sequence[BusinessReport], period: Period) -> str:
    """A plain-text version, for the e-mail's text part."""
    lines = [f"mentionwatch report, {period_text(period)}", ""]
    for r in reports:
        lines.append(f"== {r.name} ==")
        lines.append(f"Mentions: {change_text(r.total)}")
        for label, change in r.by_label.items():
            lines.append(f"  {label}: {change_text(change)}")
        if r.average_rating.current is not None:
            lines.append(f"Average stars: {change_text(r.average_rating, 1)} from {r.rated} rated mentions")
        lines.append(f"Alerts handled: {r.handled} of {r.alerted}"
                     + (f", median {duration(r.median_time_to_handle)}" if r.median_time_to_handle else ""))
        if r.negatives:
            lines.append("Top negative:")
            lines += [f"  - {m.title} ({_score(m.sentiment)}; {handled_text(m)}) {m.url}" for m in r.negatives]
        if r.praise:
            lines.append("Top praise:")
            lines += [f"  - {m.title} {m.url}" for m in r.praise]
        if r.failures:
            lines.append("Sources that failed:")
            lines += [f"  - {f.source}: {f.failed_runs} of {f.runs} runs; last: {f.last_error}" for f in r.failures]
        if r.relevance:
            lines.append(f"Relevance: {r.relevance}")
        lines.append("")
    return "\n".join(lines)
