"""Dates mean what the page means: a day without a time is midnight where the business is.

A review page (schema.org markup) is crawled by the real CLI for a business in Chicago; what is
stored is UTC, and `mentions --since/--until` select days in the business's time zone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pipeline.normalize import to_utc
from tests.conftest import business

REVIEWS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Joe's Donuts reviews</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Bakery", "name": "Joe's Donuts", "review": [
 {"@type": "Review", "author": "Ann", "datePublished": "2026-11-25",
  "reviewBody": "Day only: the glaze was fine, the coffee was cold."},
 {"@type": "Review", "author": "Bob", "datePublished": "2026-11-25T23:30:00",
  "reviewBody": "Local time late on the 25th: lovely donuts."},
 {"@type": "Review", "author": "Cy", "datePublished": "2026-11-25T03:00:00+00:00",
  "reviewBody": "An offset of its own: the evening of the 24th in Chicago."},
 {"@type": "Review", "author": "Di", "datePublished": "2026-11-26",
  "reviewBody": "The next day: not in the 25th."}
]}
</script></head><body><h1>Joe's Donuts</h1></body></html>"""


def test_a_day_is_midnight_in_the_business_zone_and_mentions_selects_its_days(web, workspace):
    web.add("/reviews/joes", REVIEWS, content_type="text/html; charset=utf-8")
    workspace.write_config(
        alerts={"max_age_days": 36500},
        businesses=[business(timezone="America/Chicago",
                             sources=[{"type": "reviews", "url": f"{web.url}/reviews/joes"}])],
    )
    run = workspace.cli("run")
    assert run.returncode == 0, run.stderr

    listed = workspace.cli("mentions", "--format", "json")
    stored = {m["author"]: m["published_at"] for m in map(json.loads, listed.stdout.splitlines())}
    assert stored == {
        "Ann": "2026-11-25T06:00:00Z",  # midnight in Chicago (CST, UTC-6)
        "Bob": "2026-11-26T05:30:00Z",  # a naive time is Chicago's
        "Cy": "2026-11-25T03:00:00Z",  # an offset is kept
        "Di": "2026-11-26T06:00:00Z",
    }

    day = workspace.cli("mentions", "--format", "json", "--since", "2026-11-25", "--until", "2026-11-25")
    assert day.returncode == 0, day.stderr
    assert sorted(m["author"] for m in map(json.loads, day.stdout.splitlines())) == ["Ann", "Bob"]
    before = workspace.cli("mentions", "--format", "json", "--until", "2026-11-24")
    assert [m["author"] for m in map(json.loads, before.stdout.splitlines())] == ["Cy"]

    bad = workspace.cli("mentions", "--until", "the 25th")
    assert bad.returncode == 2
    assert "'the 25th' is not a date" in bad.stderr


def test_to_utc_reads_days_and_naive_times_in_the_given_zone():
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    chicago = "America/Chicago"
    assert to_utc("25 Nov 2026", now, zone=chicago) == datetime(2026, 11, 25, 6, tzinfo=UTC)
    assert to_utc("2026-11-25", now, zone=chicago) == datetime(2026, 11, 25, 6, tzinfo=UTC)
    assert to_utc("20261125", now, zone=chicago) == datetime(2026, 11, 25, 6, tzinfo=UTC)
    assert to_utc("2026-07-04", now, zone=chicago) == datetime(2026, 7, 4, 5, tzinfo=UTC)  # daylight time
    assert to_utc("Wed, 25 Nov 2026 10:00:00 +0100", now, zone=chicago) == datetime(2026, 11, 25, 9, tzinfo=UTC)
    # Relative times count back from now, wherever the business is.
    assert to_utc("3 hours ago", now, zone=chicago) == datetime(2026, 11, 29, 9, tzinfo=UTC)
    # Without a zone, as before: UTC.
    assert to_utc("2026-11-25", now) == datetime(2026, 11, 25, tzinfo=UTC)
