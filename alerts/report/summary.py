"""The report's Slack message for one business: the figures, the worst, the best, what broke."""

from __future__ import annotations

from alerts.blocks import context, header, section, sections_of
from alerts.escape import fit, link, mrkdwn
from alerts.messages import LABEL_EMOJI, SOURCE_EMOJI, Blocks
from alerts.report.aspects import aspect_summary
from alerts.report.data import BusinessReport, Change
from alerts.report.render import handled_text, signed
from alerts.when import duration

FIELD_LIMIT = 2000
TOP_IN_SLACK = 3


def _figure(title: str, change: Change, digits: int = 0) -> dict[str, str]:
    if change.current is None:
        value = "n/a"
    else:
        value = f"{change.current:.{digits}f}"
        if change.previous is not None:
            value += f" ({signed(change.delta, digits)})"
    return {"type": "mrkdwn", "text": f"*{title}*\n{value}"[:FIELD_LIMIT]}


def _quoted(excerpt: str) -> str:
    return f"\n>{fit(excerpt, 300)}" if excerpt else ""


def summary_message(report: BusinessReport, period_text: str, html_name: str) -> tuple[str, Blocks]:
    """Notification text and blocks; changes are against the previous period of the same length."""
    handled = f"{report.handled} of {report.alerted}"
    if report.median_time_to_handle is not None:
        handled += f", median {duration(report.median_time_to_handle)}"
    fields = [
        _figure("Mentions", report.total),
        _figure(f"{LABEL_EMOJI['negative']} Negative", report.by_label["negative"]),
        _figure(f"{LABEL_EMOJI['positive']} Positive", report.by_label["positive"]),
        _figure(f"{LABEL_EMOJI['neutral']} Neutral", report.by_label["neutral"]),
        _figure("Average stars", report.average_rating, 1),
        {"type": "mrkdwn", "text": f"*Alerts handled*\n{handled}"},
    ]
    blocks: Blocks = [
        header(f"Weekly report: {report.name}"),
        context(f"{mrkdwn(period_text)} · " + ("no comparison: new this period" if report.new_since
                                                else "changes against the period before")),
        {"type": "section", "fields": fields},
    ]
    if report.by_source:
        blocks.append(section("*By source*  " + " · ".join(
            f"{SOURCE_EMOJI.get(t, ':mag:')} {fit(label, 80)} {c.current:g} ({signed(c.delta)})"
            for label, t, c in report.by_source[:8])))
    for rating in report.ratings:
        blocks.append(section(f":star: *{fit(rating.source, 100)}* overall rating {rating.first:.2f} → "
                              f"{rating.last:.2f}"))
    if report.negatives:
        blocks.append(section("*Top negative*"))
        blocks.extend(sections_of([
            (f"• {':rotating_light: ' if m.urgent else ''}{link(m.url, m.title, 120)} · "
             f"{m.sentiment:+.2f} · {mrkdwn(handled_text(m))}" if m.sentiment is not None else
             f"• {link(m.url, m.title, 120)} · {mrkdwn(handled_text(m))}") + _quoted(m.excerpt)
            for m in report.negatives[:TOP_IN_SLACK]
        ]))
    blocks.extend(section(text) for text in [aspect_summary(report.aspects)] if text)
    if report.praise:
        blocks.append(section("*Top praise* (worth sharing with the team)"))
        blocks.extend(sections_of([f"• {link(m.url, m.title, 120)}{_quoted(m.excerpt)}"
                                   for m in report.praise[:TOP_IN_SLACK]]))
    if report.failures:
        blocks.append(section(":warning: *Sources that failed*\n" + "\n".join(
            f"• {fit(f.source, 120)}: {f.failed_runs} of {f.runs} runs"
            f"{' (still failing)' if f.still_failing else ' (working again)'}: {fit(f.last_error, 200)}"
            for f in report.failures[:10])))
    if report.stream_gaps:
        blocks.append(section(":hole: *Stream gaps* (items never read)\n" + "\n".join(
            f"• {fit(gap, 200)}" for gap in report.stream_gaps[:10])))
    if report.relevance:
        blocks.append(context(f":bulb: {mrkdwn(report.relevance)}"))
    blocks.append(context(f"Full report with the daily chart: `{mrkdwn(html_name)}`"))
    negative = report.by_label["negative"].current or 0
    text = (f"Weekly report for {report.name}: {report.total.current:g} mentions, {negative:g} negative; "
            f"{report.handled} of {report.alerted} alerts handled")
    return mrkdwn(text), blocks
