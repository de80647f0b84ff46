"""The daily chart of positive / neutral / negative mentions, as a PNG (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

# Figure with its own Agg canvas: no pyplot, no global backend state, safe without a display.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from alerts.report.data import BusinessReport

COLORS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}


def daily_chart(report: BusinessReport, path: Path) -> Path:
    """Draw stacked daily bars for `report` into `path` (PNG) and return it."""
    days = [day for day, *_ in report.daily]
    positive = [p for _, p, _, _ in report.daily]
    neutral = [n for _, _, n, _ in report.daily]
    negative = [n for _, _, _, n in report.daily]
    figure = Figure(figsize=(8, 3), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    x = range(len(days))
    axes.bar(x, negative, color=COLORS["negative"], label="negative")
    axes.bar(x, neutral, bottom=negative, color=COLORS["neutral"], label="neutral")
    axes.bar(x, positive, bottom=[a + b for a, b in zip(negative, neutral)], color=COLORS["positive"],
             label="positive")
    step = max(1, len(days) // 14)  # at most ~14 labels, however long the period
    axes.set_xticks(list(x)[::step], [f"{d:%a %d}" for d in days][::step])
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel("mentions")
    axes.set_title(f"{report.name}: mentions per day", loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(loc="upper left", frameon=False, ncols=3, fontsize="small")
    if not any(positive + neutral + negative):
        axes.set_ylim(0, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def chart_alt_text(report: BusinessReport) -> str:
    """What the chart shows, in words, for screen readers and Slack's alt text."""
    counts = {label: report.by_label[label].current or 0 for label in ("positive", "neutral", "negative")}
    busiest = max(report.daily, key=lambda d: d[1] + d[2] + d[3], default=None)
    text = (f"Mentions of {report.name} per day: {counts['positive']:g} positive, {counts['neutral']:g} neutral, "
            f"{counts['negative']:g} negative in total")
    if busiest and sum(busiest[1:]):
        text += f"; busiest day {busiest[0]:%a %d %b} with {sum(busiest[1:])}"
    return text + "."
