"""The report as HTML (Jinja2, autoescaped: mention titles are web text) and as plain text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket

from alerts.escape import safe_url
from alerts.report.aspects import aspect_phrase
from alerts.report.data import BusinessReport, Change, MentionLine, Period
from alerts.report.platforms import platform_text_lines
from alerts.when import absolute, duration


class _SpeedUpOnly(FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, in a folder of the user's own (0700, in the temp
    folder), keyed by the templates' source. Compiling them costs each `mentionwatch report`
    process about 50 ms; a cache that cannot be written only means compiling as before."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _compiled_templates() -> FileSystemBytecodeCache | None:
    try:
        return _SpeedUpOnly()
    except (OSError, RuntimeError):  # no temp folder of our own (read-only, or another user's)
        return None


_ENV = Environment(
    loader=PackageLoader("alerts", "templates"),
    autoescape=True,  # every value is escaped unless marked safe; nothing here is
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    bytecode_cache=_compiled_templates(),
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
    """The period as the business's calendar days: '23-29 Nov 2026', '30 Nov - 6 Dec 2026',
    '28 Dec 2026 - 3 Jan 2027', '23 Nov 2026'."""
    days = period.days(zone)
    first, last = days[0], days[-1]
    if first == last:
        return f"{first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} - {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} - {last.day} {last:%b %Y}"


def compared_text(report_period: Period, reports: Sequence[BusinessReport], zone: str = "UTC") -> str:
    """What the changes are against: the previous period by its dates, or why there is none."""
    new = [r for r in reports if r.new_since is not None]
    against = f"compared with {period_text(report_period.previous, zone)}"
    if not new:
        return against
    names = ", ".join(f"{r.name} (watched since {r.new_since.astimezone(ZoneInfo(r.zone)).day} "
                      f"{r.new_since.astimezone(ZoneInfo(r.zone)):%b %Y})" for r in new if r.new_since)
    if len(new) == len(reports):
        return f"no comparison: {names} did not exist in the period before"
    return f"{against}; no comparison for {names}"


def handled_text(line: MentionLine) -> str:
    """'handled in 2.5 h by U0TEAM', 'not handled', 'in the baseline summary' or 'not alerted'.

    A mention handled without an alert has no time to handle (never "handled in 0 min")."""
    if line.handled_at is None:
        if line.alerted_at is not None:
            return "not handled"
        return "in the baseline summary" if line.in_baseline else "not alerted"
    by = f" by {line.handled_by}" if line.handled_by else ""
    took = line.time_to_handle
    if took is None:
        return f"handled{by} (no alert was sent)"
    return f"handled in {duration(took)}{by}"


def _format_time(value: datetime, zone: str = "UTC") -> str:
    return absolute(value, zone)


def _score(value: float | None) -> str:
    return f"{value:+.2f}" if value is not None else "unscored"


def _duration(value: timedelta | None) -> str:
    return duration(value) if value is not None else "n/a"


_ENV.filters.update(signed=signed, change=change_text, when=_format_time, duration=_duration,
                    handled=handled_text, score=_score, safe_url=lambda url: safe_url(url) or "")
_ENV.globals.update(period_text=period_text, compared_text=compared_text, aspect_phrase=aspect_phrase)


def render_html(reports: Sequence[BusinessReport], period: Period, image: Callable[[BusinessReport], str | None],
                generated_at: datetime) -> str:
    """The whole report as one HTML page; `image` gives each chart's src (a file name or a cid: URL)."""
    return _ENV.get_template("report.html.j2").render(
        reports=reports, period=period, image=image, generated_at=generated_at,
    )


def render_text(reports: Sequence[BusinessReport], period: Period) -> str:
    """A plain-text version, for the e-mail's text part."""
    zone = reports[0].zone if reports else "UTC"
    lines = [f"mentionwatch report, {period_text(period, zone)} ({compared_text(period, reports, zone)})", ""]
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
            for m in r.negatives:
                lines.append(f"  - {m.title} ({_score(m.sentiment)}; {handled_text(m)}) {m.url}")
                lines += [f"    \"{m.excerpt}\""] if m.excerpt else []
        if r.praise:
            lines.append("Top praise:")
            for m in r.praise:
                lines.append(f"  - {m.title} {m.url}")
                lines += [f"    \"{m.excerpt}\""] if m.excerpt else []
        lines += platform_text_lines(r.platforms, duration)
        if r.failures:
            lines.append("Sources that failed:")
            lines += [f"  - {f.source}: {f.failed_runs} of {f.runs} runs; last: {f.last_error}" for f in r.failures]
        if r.stream_gaps:
            lines.append("Stream gaps (items never read):")
            lines += [f"  - {gap}" for gap in r.stream_gaps]
        if r.relevance:
            lines.append(f"Relevance: {r.relevance}")
        lines.append("")
    return "\n".join(lines)
