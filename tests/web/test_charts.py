"""The trends page's SVG charts: every date label whole and inside the picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from respond.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def date_labels(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [t for t in root.iter(f"{SVG}text") if float(t.get("y")) == charts.HEIGHT - 6]


def right_edge(label: ET.Element) -> float:
    """Where the label's text ends, a character taken as 0.6 of the font size (wider than a digit)."""
    width = len(label.text) * 0.6 * float(label.get("font-size"))
    x = float(label.get("x"))
    return {"start": x + width, "middle": x + width / 2, "end": x}[label.get("text-anchor", "start")]


@pytest.mark.parametrize("count", [1, 2, 7, 14, 30, 31, 90])
def test_the_last_date_label_is_whole_and_within_the_charts_width(count):
    days = [date(2026, 12, 5) - timedelta(days=count - 1 - i) for i in range(count)]
    width = float(ET.fromstring(str(charts.daily_bars("t", [(d, 1, 1, 1) for d in days]))).get("viewBox").split()[2])
    for svg in (charts.daily_bars("Mentions per day", [(d, 1, 2, 3) for d in days]),
                charts.lines("Negative mentions per aspect", days, {"service": [1.0] * count})):
        labels = date_labels(str(svg))
        assert labels[-1].text == "Dec 05"
        for label in labels:
            assert right_edge(label) <= width, (label.text, label.attrib)
            assert float(label.get("x")) >= 0


def axis_labels(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end" and float(t.get("x")) < charts.LEFT]


def test_the_axes_count_in_whole_numbers_up_to_the_top_of_the_highest_bar_or_line():
    days = [date(2026, 12, 1) + timedelta(days=i) for i in range(5)]
    # Mentions are counted whole: no "1.5 mentions" on the axis, and the highest bar fits under its top.
    assert axis_labels(str(charts.daily_bars("t", [(d, 2, 0, 1) for d in days]))) == ["0", "1", "2", "3"]
    assert axis_labels(str(charts.daily_bars("t", [(days[0], 40, 1, 2)]))) == ["0", "10", "20", "30", "40", "50"]
    assert axis_labels(str(charts.daily_bars("t", []))) == ["0", "1"]
    assert axis_labels(str(charts.lines("t", days, {"service": [1, None, 1, 0, 1]}))) == ["0", "1"]
    ratings = charts.lines("t", days, {"Google": [4.4, 4.3, None, 4.1, 4.2]}, top=5, unit="★")
    assert axis_labels(str(ratings)) == ["0★", "1★", "2★", "3★", "4★", "5★"]


def test_each_point_names_its_series_and_a_count_chart_s_legend_its_total():
    days = [date(2026, 12, 1) + timedelta(days=i) for i in range(3)]
    # Two aspects of equal counts draw one line over the other: the legend's totals and each
    # point's title still tell both apart.
    svg = ET.fromstring(str(charts.lines("t", days, {"service": [1, 0, 2], "wait <time>": [1, 0, 2]}, totals=True)))
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.get("font-size") == "12"]
    assert legend == ["service (3)", "wait <time> (3)"]
    titles = [t.text for c in svg.iter(f"{SVG}circle") for t in c.iter(f"{SVG}title")]
    assert titles[:3] == ["service, Dec 01: 1", "service, Dec 02: 0", "service, Dec 03: 2"] and len(titles) == 6
    ratings = ET.fromstring(str(charts.lines("t", days, {"Google": [4.5, None, 4.2]}, top=5, unit="★")))
    assert [t.text for t in ratings.iter(f"{SVG}text") if t.get("font-size") == "12"] == ["Google"]
    assert [t.text for t in ratings.iter(f"{SVG}title")][1:] == ["Google, Dec 01: 4.5★", "Google, Dec 03: 4.2★"]
