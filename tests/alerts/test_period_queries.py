"""Trends and the report read a period, not the history: their queries are served by the period
index on both databases, and their figures are the hand-counted truth of a fixed store."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, insert, inspect, select, update
from sqlalchemy.orm import Session

from alerts.report.data import Period, build_reports, period_counts
from alerts.trends.counts import day_counts
from alerts.trends.day import LocalDay, has_history
from crawlers.state import sync_config
from pipeline.models import AggregateRating, Business, Mention, Run, Source, SourceRun
from pipeline.store import open_engine
from respond.web.details import _aspects
from tests.alerts.helpers import joes, settings_for
from tests.postgres import fresh_database

END = datetime(2026, 11, 23, 6, tzinfo=timezone.utc)
WEEK = Period(END - timedelta(days=7), END)
INDEX = "ix_mentions_business_effective"
# Chicago's days change at UTC 05:00 or 06:00 (the hours before it are read), Paris's at 22:00 or
# 23:00 (the hours from it on), Kolkata's at 18:30 (by the minute, from the mentions).
BUSINESSES = {"Joe's Donuts": "America/Chicago", "Chai Corner": "Asia/Kolkata", "Café Lumière": "Europe/Paris"}


def settings():
    return settings_for(None, [
        joes(timezone="America/Chicago"),
        {"name": "Chai Corner", "keywords": ["Chai Corner"], "timezone": "Asia/Kolkata",
         "sources": [{"type": "feed", "url": "https://chai.example/feed.xml"}]},
        {"name": "Café Lumière", "keywords": ["Café Lumière"], "timezone": "Europe/Paris",
         "sources": [{"type": "feed", "url": "https://lumiere.example/feed.xml"}]},
    ])


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[str]:
    """A fresh store's URL: an SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with fresh_database(request.getfixturevalue("postgres_url"), f"periods_{uuid.uuid4().hex[:12]}") as url:
        yield url


def fill(url: str) -> list[dict]:
    """600 mentions over the five weeks before END, after 3,000 of older history; returns them all."""
    engine = open_engine(url)
    rng = random.Random(23)
    stored, rows = [], []
    with Session(engine) as session, session.begin():
        sync_config(session, settings())
        ids = dict(session.execute(select(Business.name, Business.id)).all())
        sources = dict(session.execute(select(Source.business_id, Source.id)).all())
        for source in session.scalars(select(Source)):
            source.first_crawled_at = END - timedelta(days=60)
        for n in range(3600):
            business = rng.choice(list(BUSINESSES))
            ago = 35 * 24 * 60 if n >= 3000 else 1000 * 24 * 60
            seen = END - timedelta(minutes=rng.randrange(ago)) - timedelta(days=0 if n >= 3000 else 100)
            # Half are dated by their publication, some of it before they were seen.
            published = seen - timedelta(minutes=rng.randrange(3 * 24 * 60)) if rng.random() < 0.5 else None
            label = rng.choice(["positive", "neutral", "negative", None])
            urgent = rng.random() < 0.03
            # Most complaints were alerted (and half of those handled), all through the history,
            # as in a store that has run for years.
            alerted = seen + timedelta(minutes=rng.randrange(1, 30)) if (
                (label == "negative" or urgent) and rng.random() < 0.8) else None
            handled = alerted + timedelta(minutes=rng.randrange(1, 3000)) if alerted and rng.random() < 0.5 else None
            row = dict(business=business, first_seen_at=seen, published_at=published, label=label,
                       rating=rng.choice([None, 1.0, 3.0, 5.0]),
                       dismissed_at=seen if rng.random() < 0.1 else None,
                       aspects=rng.choice([None, [], ["wait time"], ["wait time", "price"], ["staff"]]),
                       # A few the same, so that ties are decided as the report says (the earlier first).
                       sentiment=rng.choice([None, -0.9, 0.9, rng.uniform(-1, 1)]), urgent=urgent,
                       alerted_at=alerted, handled_at=handled)
            stored.append(row)
            rows.append(dict(
                business_id=ids[business], source_id=sources[ids[business]], source_type="feed",
                url=f"https://news.example/{n}", canonical_url=f"https://news.example/{n}",
                title=f"Story {n}", text=f"Story {n}", rating_conflict=False,
                alert_attempts=0, **{k: v for k, v in row.items() if k != "business"}))
        session.execute(insert(Mention), rows)
        # Two years of runs every six hours, each reading the review page's rating, some failing.
        for n in range(4 * 730):
            at = END - timedelta(hours=6 * n)
            run = Run(started_at=at, finished_at=at, status="finished")
            session.add(run)
            session.flush()
            for source_id in sources.values():
                session.add(SourceRun(run_id=run.id, source_id=source_id, ok=n % 9 != 0, finished_at=at,
                                      error=None if n % 9 else "timed out"))
                session.add(AggregateRating(source_id=source_id, recorded_at=at, value=4 + (n % 5) / 10, count=n))
    engine.dispose()
    return stored


def aspects_by_hand(stored: list[dict], business: str, period: Period) -> Counter:
    """Complaints of `business` in `period` by (local day, aspect)."""
    tz = ZoneInfo(BUSINESSES[business])
    found = Counter()
    for m in stored:
        when = m["published_at"] or m["first_seen_at"]
        if (m["business"] == business and not m["dismissed_at"] and m["label"] == "negative"
                and period.since <= when < period.until):
            for aspect in m["aspects"] or ():
                found[when.astimezone(tz).date(), aspect] += 1
    return found


def aspects_of_week_by_hand(stored: list[dict], business: str) -> list[tuple[str, int, int]]:
    """The report's (aspect, complaints this week, the week before), most complained about first."""
    now = Counter(a for (_, a), n in aspects_by_hand(stored, business, WEEK).items() for _ in range(n))
    then = Counter(a for (_, a), n in aspects_by_hand(stored, business, WEEK.previous).items() for _ in range(n))
    return sorted(((a, now[a], then[a]) for a in set(now) | set(then)), key=lambda i: (-i[1], -i[2], i[0]))


def aspects_as_counter(series) -> Counter:
    return Counter({(day, aspect): n for aspect, counts in series.counts.items()
                    for day, n in zip(series.days, counts) if n})


def by_hand(stored: list[dict], business: str, period: Period) -> tuple[Counter, Counter, list[float]]:
    """(mentions by label, mentions by (local day, label), ratings) of `business` in `period`."""
    tz = ZoneInfo(BUSINESSES[business])
    labels, days, ratings = Counter(), Counter(), []
    for m in stored:
        when = m["published_at"] or m["first_seen_at"]
        if m["business"] != business or m["dismissed_at"] or not period.since <= when < period.until:
            continue
        labels[m["label"] or "neutral"] += 1
        days[when.astimezone(tz).date(), m["label"] or "neutral"] += 1
        if m["rating"] is not None:
            ratings.append(m["rating"])
    return labels, days, ratings


def listed_by_hand(stored: list[dict], business: str, period: Period) -> tuple[list[int], list[int]]:
    """Ids of the report's worst (urgent first, then the most negative) and best (the most
    positive, then the most stars, never urgent) mentions of `business` in `period`; ties: earlier."""
    mine = [(n, m) for n, m in enumerate(stored, start=1) if m["business"] == business and not m["dismissed_at"]
            and period.since <= (m["published_at"] or m["first_seen_at"]) < period.until]

    def when(item):
        return item[1]["published_at"] or item[1]["first_seen_at"], item[0]

    worst = sorted((i for i in mine if i[1]["label"] == "negative" or i[1]["urgent"]),
                   key=lambda i: (not i[1]["urgent"], i[1]["sentiment"] or 0, when(i)))
    best = sorted((i for i in mine if i[1]["label"] == "positive" and not i[1]["urgent"]),
                  key=lambda i: (-(i[1]["sentiment"] or 0), -(i[1]["rating"] or 0), when(i)))
    return [n for n, _ in worst[:5]], [n for n, _ in best[:5]]


def handling_by_hand(stored: list[dict], business: str, period: Period) -> tuple[int, int, timedelta | None]:
    """(alerted, handled, median time from alert to handling) of `business`'s mentions in `period`."""
    alerted = [m for m in stored if m["business"] == business and not m["dismissed_at"] and m["alerted_at"]
               and period.since <= (m["published_at"] or m["first_seen_at"]) < period.until]
    waits = sorted(m["handled_at"] - m["alerted_at"] for m in alerted if m["handled_at"])
    median = None
    if waits:
        middle = len(waits) // 2
        median = waits[middle] if len(waits) % 2 else (waits[middle - 1] + waits[middle]) / 2
    return len(alerted), len(waits), median


def daily_as_counter(daily: list[tuple[date, int, int, int]]) -> Counter:
    found = Counter()
    for day, positive, neutral, negative in daily:
        for label, count in (("positive", positive), ("neutral", neutral), ("negative", negative)):
            if count:
                found[day, label] = count
    return found


def test_trends_and_the_report_count_what_a_person_would_count(database):
    stored = fill(database)
    engine = open_engine(database)
    # Four months: whole UTC days from the daily counts, part-days from the hourly ones, a daylight
    # saving change in Chicago and Paris, and some of the older history.
    month = Period(END - timedelta(days=120), END)
    with Session(engine) as session:
        reports = {r.name: r for r in build_reports(session, settings(), WEEK)}
        trends = {c.name: c for c in period_counts(session, settings(), month)}
        aspects = {name: _aspects(session, counts, month) for name, counts in trends.items()}
    for business in BUSINESSES:
        assert aspects_as_counter(aspects[business]) == aspects_by_hand(stored, business, month)
        labels, days, ratings = by_hand(stored, business, WEEK)
        before, _, ratings_before = by_hand(stored, business, WEEK.previous)
        report = reports[business]
        assert report.total.current == sum(labels.values()) and report.total.previous == sum(before.values())
        assert {k: c.current for k, c in report.by_label.items()} == {k: labels[k] for k in report.by_label}
        assert {k: c.previous for k, c in report.by_label.items()} == {k: before[k] for k in report.by_label}
        assert daily_as_counter(report.daily) == days
        assert report.rated == len(ratings)
        assert report.average_rating.current == pytest.approx(sum(ratings) / len(ratings))
        assert report.average_rating.previous == pytest.approx(sum(ratings_before) / len(ratings_before))
        worst, best = listed_by_hand(stored, business, WEEK)
        assert [line.id for line in report.negatives] == worst and [line.id for line in report.praise] == best
        assert (report.alerted, report.handled, report.median_time_to_handle) == handling_by_hand(
            stored, business, WEEK)
        assert report.aspects == aspects_of_week_by_hand(stored, business)

        labels, days, _ = by_hand(stored, business, month)
        counts = trends[business]
        assert counts.total.current == sum(labels.values())
        assert {k: c.current for k, c in counts.by_label.items()} == {k: labels[k] for k in counts.by_label}
        assert daily_as_counter(counts.daily) == days
        assert [d for d, *_ in counts.daily] == month.days(BUSINESSES[business])  # every day, empty ones too
    engine.dispose()


def test_trends_stay_true_as_mentions_are_dismissed_relabelled_redated_and_deleted(database):
    stored = fill(database)  # ids 1, 2, ... in the order stored
    engine = open_engine(database)
    moved = {}
    with Session(engine) as session, session.begin():
        for n, m in enumerate(stored, start=1):
            if n % 7 == 0:
                m["dismissed_at"] = END
                session.execute(update(Mention).where(Mention.id == n).values(dismissed_at=END))
            elif n % 11 == 0:
                m["label"] = "negative"
                session.execute(update(Mention).where(Mention.id == n).values(label="negative"))
            elif n % 19 == 0:
                m["aspects"] = ["parking"]
                session.execute(update(Mention).where(Mention.id == n).values(aspects=["parking"]))
            elif n % 13 == 0:
                m["published_at"] = moved[n] = m["first_seen_at"] - timedelta(days=2, minutes=17)
                session.execute(update(Mention).where(Mention.id == n).values(published_at=moved[n]))
            elif n % 17 == 0:
                m["business"] = None  # gone
                session.execute(delete(Mention).where(Mention.id == n))
        # A dismissal undone counts again.
        stored[7 * 3 - 1]["dismissed_at"] = None
        session.execute(update(Mention).where(Mention.id == 7 * 3).values(dismissed_at=None))
    month = Period(END - timedelta(days=120) + timedelta(minutes=30), END - timedelta(minutes=20))  # part-hours
    with Session(engine) as session:
        trends = {c.name: c for c in period_counts(session, settings(), month)}
        aspects = {name: _aspects(session, counts, month) for name, counts in trends.items()}
    for business in BUSINESSES:
        assert aspects_as_counter(aspects[business]) == aspects_by_hand(stored, business, month)
        labels, days, _ = by_hand(stored, business, month)
        assert daily_as_counter(trends[business].daily) == days
        assert trends[business].total.current == sum(labels.values())
    engine.dispose()


def test_a_mention_moves_to_its_publication_day_when_its_date_is_learned(database):
    fill(database)
    engine = open_engine(database)
    with Session(engine) as session, session.begin():
        mention = session.scalars(select(Mention).where(Mention.published_at.is_(None)).limit(1)).one()
        mention_id, later = mention.id, mention.first_seen_at + timedelta(days=400)
        session.execute(update(Mention).where(Mention.id == mention_id).values(published_at=later))
    with Session(engine) as session:
        assert session.get(Mention, mention_id).effective_at == later
    engine.dispose()


def test_trends_and_report_queries_use_the_period_index(database):
    fill(database)
    engine = open_engine(database)
    statements: list[tuple[str, object]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    year = Period(END - timedelta(days=365), END)
    with Session(engine) as session:
        build_reports(session, settings(), WEEK)
        for counts in period_counts(session, settings(), year):
            # Aspects are read from the mentions themselves in a half-hour zone (Kolkata): two months,
            # as a year is a third of this small store, which an index would not serve better.
            _aspects(session, counts, Period(END - timedelta(days=60), END))
        # What the spike and rating-drop checks count: the 28 days before a day, and the day.
        day = LocalDay.of(END, "America/Chicago")
        assert has_history(session, 1, day)
        for series in ("mentions", "negative", "low_stars"):
            day_counts(session, 1, day.history_start, day.start(), day.zone, series)
            day_counts(session, 1, day.start(), day.end, day.zone, series, arrived_only=True)
    periodic = [(s, p) for s, p in statements if "effective_at >=" in s or "min(mentions.effective_at)" in s
                or "_hours.hour >=" in s or "_days.day >=" in s or "source_runs.finished_at >=" in s
                or "aggregate_ratings.recorded_at >=" in s]
    assert any("mention_days" in s for s, _ in periodic) and any("mention_aspect_days" in s for s, _ in periodic)
    assert any("source_runs" in s for s, _ in periodic) and any("aggregate_ratings" in s for s, _ in periodic)
    assert any("mention_hours" in s for s, _ in periodic)  # a year of trends in a whole-hour zone
    assert any("mention_aspect_hours" in s for s, _ in periodic)  # and its complaints' aspects
    assert len(periodic) >= 15  # the report's periods, lists, platforms (each business), trends, spikes
    event.remove(engine, "before_cursor_execute", remember)

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("ANALYZE")  # the statistics autovacuum (or `mentionwatch` on SQLite) keeps
        if engine.dialect.name == "postgresql":
            # On a table this small a full scan is cheapest; forbid it to see what the index serves.
            cursor.execute("SET enable_seqscan = off")
        for statement, parameters in periodic:
            if engine.dialect.name == "postgresql":
                cursor.execute("EXPLAIN " + statement, parameters)
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = "\n".join(str(row) for row in cursor.fetchall())
            assert not any(f"{scan} {table}" in plan for scan in ("Seq Scan on", "SCAN") for table in (
                "mentions", "source_runs", "aggregate_ratings")), f"{statement}\n{plan}"
            if "_hours.hour >=" in statement or "_days.day >=" in statement:  # the counts, by their primary key
                keys = ("_hours_1", "_hours_pkey", "_days_1", "_days_pkey")
                assert any(key in plan for key in keys), f"{statement}\n{plan}"
            elif "source_runs.finished_at >=" in statement:
                assert "ix_source_runs_source_finished" in plan, f"{statement}\n{plan}"
            elif "aggregate_ratings.recorded_at >=" in statement:
                assert "ix_aggregate_ratings_source_recorded" in plan, f"{statement}\n{plan}"
            elif "source_type IN" not in statement:  # review platforms: the planner may start from the type
                assert INDEX in plan, f"{statement}\n{plan}"
    finally:
        raw.close()
    engine.dispose()


def test_upgrading_a_store_fills_the_day_counts_from_what_it_holds(database):
    """A store made before the day counts (migration 0017) gets them filled by the upgrade, from
    the hourly counts: every UTC day's mentions by label, and its complaints by aspect."""
    from alembic import command

    from pipeline.models import MentionAspectDay, MentionDay
    from pipeline.store import alembic_config

    stored = fill(database)
    engine = open_engine(database)
    with engine.begin() as connection:  # back to the store as 0016 left it: no day counts
        command.downgrade(alembic_config(connection), "0016")
        assert not inspect(connection).has_table("mention_days")
    engine.dispose()
    engine = open_engine(database)  # upgrades it
    with Session(engine) as session:
        ids = dict(session.execute(select(Business.name, Business.id)).all())
        labels = Counter({(b, d, k): n for b, d, k, n in session.execute(
            select(MentionDay.business_id, MentionDay.day, MentionDay.label, MentionDay.mentions)) if n})
        aspects = Counter({(b, d, k): n for b, d, k, n in session.execute(
            select(MentionAspectDay.business_id, MentionAspectDay.day, MentionAspectDay.aspect,
                   MentionAspectDay.mentions)) if n})
    engine.dispose()
    expected_labels, expected_aspects = Counter(), Counter()
    for m in stored:
        if m["dismissed_at"]:
            continue
        day = f"{(m['published_at'] or m['first_seen_at']).astimezone(timezone.utc):%Y-%m-%d}"
        expected_labels[ids[m["business"]], day, m["label"] or "neutral"] += 1
        if m["label"] == "negative":
            for aspect in set(m["aspects"] or ()):
                expected_aspects[ids[m["business"]], day, aspect] += 1
    assert labels == expected_labels
    assert aspects == expected_aspects
