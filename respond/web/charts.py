"""Charts as inline SVG, drawn on the server: no script, no image files, crisp on a phone.

Every text in them is escaped (business and source names come from config.yaml, aspects from
the pipeline). Colours are SVG attributes, not style, so the Content-Security-Policy holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from alerts.report.chart import integer_ticks

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 36, 24, 10
LABEL_HALF_WIDTH = 22  # half a date label ("Dec 05") at font-size 11, with room to spare
COLOURS = {"positive": "#2e7d32", "neutral": "#9e9e9e", "negative": "#c62828"}
LINE_COLOURS = ("#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f")


def _frame(title: str, ticks: Sequence[int], days: Sequence[date], body: list[str], unit: str = "") -> Markup:
    """The axes: a gridline at each of `ticks` (whole numbers: these are counts and stars), dates below."""
    plot_h = HEIGHT - BOTTOM - TOP
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for tick in ticks:
        y = TOP + plot_h * (1 - tick / ticks[-1])
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">'
                     f'{tick}{unit}</text>')
    if days:
        for index in sorted({0, len(days) // 2, len(days) - 1}):
            x = LEFT + (index + 0.5) * (WIDTH - LEFT) / len(days)
            # Centred under its day, unless that runs past the right edge ("Dec 0"): then it ends there.
            anchor = "middle"
            if x + LABEL_HALF_WIDTH > WIDTH:
                x, anchor = WIDTH - 1, "end"
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}" font-size="11" fill="#555">'
                         f'{days[index]:%b %d}</text>')
    parts.extend(body)
    parts.append("</svg>")
    return Markup("".join(parts))


def daily_bars(title: str, daily: Sequence[tuple[date, int, int, int]]) -> Markup:
    """Stacked bars: positive, neutral and negative mentions per day."""
    days = [d for d, *_ in daily]
    ticks = integer_ticks(max((p + n + g for _, p, n, g in daily), default=0))
    most = ticks[-1]
    plot_h, step = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT) / max(1, len(daily))
    bars = []
    for i, (day, positive, neutral, negative) in enumerate(daily):
        y = TOP + plot_h
        for label, count in (("negative", negative), ("neutral", neutral), ("positive", positive)):
            if not count:
                continue
            h = plot_h * count / most
            y -= h
            bars.append(f'<rect x="{LEFT + i * step + step * 0.1:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" '
                        f'height="{h:.1f}" fill="{COLOURS[label]}"><title>{day:%Y-%m-%d}: {count} {label}</title>'
                        "</rect>")
    return _frame(title, ticks, days, bars)


def lines(title: str, days: Sequence[date], series: dict[str, Sequence[float | None]], top: int | None = None,
          unit: str = "", totals: bool = False) -> Markup:
    """One line per series over `days` (None leaves a gap), with a legend; the axis runs to `top`,
    else to a round number at or above the highest value. Each point names its series, day and
    value on hover, and `totals` adds each series' sum to the legend: lines of equal counts lie on
    one another, and the last drawn would otherwise hide the others."""
    values = [v for points in series.values() for v in points if v is not None]
    ticks = integer_ticks(top or math.ceil(max(values, default=0)))
    most = ticks[-1]
    plot_h, step = HEIGHT - BOTTOM - TOP, (WIDTH - LEFT) / max(1, len(days))
    body = []
    for n, (name, points) in enumerate(series.items()):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        known = [(i, v) for i, v in enumerate(points) if v is not None]
        coords = [(LEFT + (i + 0.5) * step, TOP + plot_h * (1 - v / most)) for i, v in known]
        if len(coords) > 1:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                        + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        for (x, y), (i, v) in zip(coords, known):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                        f'<title>{escape(name)}, {days[i]:%b %d}: {v:g}{unit}</title></circle>')
        label = f"{name} ({sum(v for _, v in known):g})" if totals else name
        body.append(f'<text x="{LEFT + 8}" y="{TOP + 14 + 14 * n}" font-size="12" fill="{colour}">{escape(label)}</text>')
    return _frame(title, ticks, days, body, unit)


def ratings(title: str, days: Sequence[date], series: Sequence[Any]) -> Markup:
    """Review sites' overall rating (out of 5) per day, from the weekly report's RatingSeries."""
    by_day = {s.source: {day: value for day, value, _ in s.points} for s in series}
    return lines(title, days, {name: [values.get(d) for d in days] for name, values in by_day.items()}, top=5,
                 unit="★")
