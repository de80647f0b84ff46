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
