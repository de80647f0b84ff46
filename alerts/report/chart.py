"""The daily chart of positive / neutral / negative mentions, as a PNG drawn with Pillow.

Stacked bars, integer ticks and a legend are all the chart needs; Pillow draws them in a few
milliseconds, where importing matplotlib alone cost a weekly report 0.7 s of its second.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from alerts.report.data import BusinessReport

COLORS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
SIZE = (800, 300)
INK, GRID = "#333333", "#e0e0e0"
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 60, 785, 55, 270  # the bars' area, in pixels


def integer_ticks(highest: int) -> list[int]:
    """Round whole-number ticks from 0 to at least `highest`, at most six of them (steps 1, 2, 5, 10, 20, ...)."""
    highest = max(highest, 1)
    step, magnitude = 1, 1
    while math.ceil(highest / step) > 5:
        step = next(s * magnitude for s in (2, 5, 10) if s * magnitude > step)
        magnitude = step if step % (10 * magnitude) == 0 else magnitude
    return list(range(0, math.ceil(highest / step) * step + 1, step))


def daily_chart(report: BusinessReport, path: Path) -> Path:
    """Draw stacked daily bars for `report` into `path` (PNG, 800 x 300) and return it."""
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    font, title_font = ImageFont.load_default(size=12), ImageFont.load_default(size=15)
    draw.text((PLOT_LEFT, 10), f"{report.name}: mentions per day", fill=INK, font=title_font)
    x = PLOT_LEFT
    for label in ("negative", "neutral", "positive"):  # the legend, in the bars' order from below
        draw.rectangle((x, 36, x + 10, 46), fill=COLORS[label])
        draw.text((x + 14, 35), label, fill=INK, font=font)
        x += 24 + int(draw.textlength(label, font=font))

    ticks = integer_ticks(max((sum(counts) for _, *counts in report.daily), default=0))
    scale = (PLOT_BOTTOM - PLOT_TOP) / ticks[-1]
    for tick in ticks:
        y = PLOT_BOTTOM - tick * scale
        draw.line((PLOT_LEFT, y, PLOT_RIGHT, y), fill=GRID)
        draw.text((PLOT_LEFT - 8, y), str(tick), fill=INK, font=font, anchor="rm")
    draw.text((12, (PLOT_TOP + PLOT_BOTTOM) / 2), "mentions", fill=INK, font=font, anchor="lm")

    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(report.daily), 1)
    step = max(1, len(report.daily) // 14)  # at most ~14 labels, however long the period
    for index, (day, positive, neutral, negative) in enumerate(report.daily):
        left, right = PLOT_LEFT + index * slot + slot * 0.1, PLOT_LEFT + (index + 1) * slot - slot * 0.1
        bottom = PLOT_BOTTOM
        for label, count in (("negative", negative), ("neutral", neutral), ("positive", positive)):
            if count:
                draw.rectangle((left, bottom - count * scale, right, bottom), fill=COLORS[label])
                bottom -= count * scale
        if index % step == 0:
            draw.text(((left + right) / 2, PLOT_BOTTOM + 6), f"{day:%a %d}", fill=INK, font=font, anchor="ma")
    draw.line((PLOT_LEFT, PLOT_BOTTOM, PLOT_RIGHT, PLOT_BOTTOM), fill=INK)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)
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
