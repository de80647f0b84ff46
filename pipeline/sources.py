"""The configured businesses and sources in the store, and their crawl state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawlers.target import CrawlTarget
from mentionwatch.config import Settings
from pipeline.models import AggregateRating, Business, Source, SourceRun
from pipeline.platform_state import record_platform_state


def sync_config(session: Session, settings: Settings) -> tuple[dict[str, int], list[CrawlTarget]]:
    """Create rows for new businesses and sources; return business ids and this run's targets.

    Sources removed from config.yaml keep their rows and mentions: nothing stored is lost.
    """
    businesses = {b.name: b for b in session.scalars(select(Business))}
    sources = {(s.business_id, s.identity): s for s in session.scalars(select(Source))}
    business_ids: dict[str, int] = {}
    targets: list[CrawlTarget] = []
    for configured in settings.businesses:
        business = businesses.get(configured.name)
        if business is None:
            business = Business(name=configured.name)
            session.add(business)
            session.flush()
        business_ids[configured.name] = business.id
        for source_config in configured.sources:
            key = (business.id, source_config.identity())
            row = sources.get(key)
            if row is None:
                row = Source(business_id=business.id, type=source_config.type, identity=key[1],
                             http_validators={}, cursor={})
                session.add(row)
                session.flush()
            targets.append(
                CrawlTarget(
                    business=configured.name,
                    source=source_config,
                    source_id=row.id,
                    validators=dict(row.http_validators or {}),
                    cursor=dict(row.cursor or {}),
                )
            )
    return business_ids, targets


def record_outcomes(
    session: Session, run_id: int, targets: list[CrawlTarget], new_by_source: dict[int, int], now: datetime
) -> None:
    """Write each source's result of this run: state for the next run, history for the report."""
    for target in targets:
        source = session.get(Source, target.source_id)
        assert source is not None
        if target.ok:
            source.last_success_at = now
            source.first_crawled_at = source.first_crawled_at or now
            source.consecutive_failures = 0
            # Validators and cursors move on only when the whole source was read, so a failed
            # run is retried in full next time rather than skipping what it missed.
            source.http_validators = {**(source.http_validators or {}), **target.new_validators}
            source.cursor = {**(source.cursor or {}), **target.new_cursor}
        else:
            source.last_error = target.error
            source.last_error_at = now
            source.consecutive_failures += 1
        if target.aggregate_rating is not None:
            value, count = target.aggregate_rating
            session.add(AggregateRating(source_id=source.id, recorded_at=now, value=value, count=count))
        session.add(
            SourceRun(
                run_id=run_id,
                source_id=source.id,
                ok=target.ok,
                not_modified=target.ok and target.responses > 0 and target.not_modified == target.responses,
                error=target.error,
                items_fetched=target.fetched,
                new_mentions=new_by_source.get(source.id, 0),
                finished_at=now,
            )
        )
    record_platform_state(session, targets, now)
