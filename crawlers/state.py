"""The configured businesses and sources in the store, and their crawl state."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawlers.api_budgets import record_budgets
from crawlers.config import CrawlConfig
from crawlers.platform_state import record_platform_state
from crawlers.target import CrawlTarget
from pipeline.models import AggregateRating, Business, Source, SourceRun


def sync_config(session: Session, settings: CrawlConfig) -> tuple[dict[str, int], list[CrawlTarget]]:
    """Create rows for new businesses and sources; return business ids and this run's targets.

    Sources removed from config.yaml keep their rows and mentions: nothing stored is lost.
    """
    stored_businesses = list(session.scalars(select(Business)))
    # Found by `id:` once one was set, else by the derived key (the name, the source's identity)
    # that `id:` defaults to: adding `id: <old name>` while renaming keeps the history.
    businesses = {b.name: b for b in stored_businesses}
    businesses.update({b.config_id: b for b in stored_businesses if b.config_id is not None})
    stored_sources = list(session.scalars(select(Source)))
    sources = {(s.business_id, s.identity): s for s in stored_sources}
    sources.update({(s.business_id, s.config_id): s for s in stored_sources if s.config_id is not None})
    business_ids: dict[str, int] = {}
    targets: list[CrawlTarget] = []
    competitors = settings.competitor_names()
    for configured in settings.watched():
        business = businesses.get(configured.id or configured.name)
        competitor = configured.name in competitors
        if business is None:
            business = Business(name=configured.name, config_id=configured.id, competitor=competitor)
            session.add(business)
            session.flush()
        elif (business.name != configured.name or business.config_id != configured.id
              or business.competitor != competitor):
            business.name, business.config_id, business.competitor = configured.name, configured.id, competitor
            session.flush()
        business_ids[configured.name] = business.id
        for source_config in configured.sources:
            row = sources.get((business.id, source_config.key()))
            if row is None:
                row = Source(business_id=business.id, type=source_config.type, identity=source_config.identity(),
                             config_id=source_config.id, http_validators={}, cursor={})
                session.add(row)
                session.flush()
            elif row.identity != source_config.identity() or row.config_id != source_config.id:
                row.identity, row.config_id = source_config.identity(), source_config.id
                session.flush()
            targets.append(
                CrawlTarget(
                    business=configured.name,
                    source=source_config,
                    source_id=row.id,
                    validators=dict(row.http_validators or {}),
                    cursor=dict(row.cursor or {}),
                    timezone=configured.timezone,
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
        elif target.interrupted:
            pass  # stopped by a signal, not the source's fault: its state stays for the next run
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
                # A source that worked may carry a warning (a feed read despite its errors).
                error="interrupted before it finished" if target.interrupted else (target.error or target.warning),
                items_fetched=target.fetched,
                new_mentions=new_by_source.get(source.id, 0),
                finished_at=now,
            )
        )
    record_platform_state(session, targets, now)
    record_budgets(session, targets, now)


def rename_suspects(session: Session, settings: CrawlConfig) -> list[str]:
    """Advice for configured items that look like stored ones renamed without an `id:`.

    A business not stored yet that shares a source with a stored one no longer configured (or
    names it among its keywords, as owners do when a name grows: "Joe's" -> "Joe's Café"), or a
    source not stored yet whose business has a stored source of its type no longer configured,
    would start a new history (and a new baseline); `id:` set to the old key keeps the old one.
    """
    stored = {b.name: b for b in session.scalars(select(Business))}
    by_config_id = {b.config_id: b for b in stored.values() if b.config_id}
    stored_sources: dict[int, list[Source]] = {}
    for source in session.scalars(select(Source)):
        stored_sources.setdefault(source.business_id, []).append(source)
    configured_keys = {b.id or b.name for b in settings.watched()}
    orphans = [b for b in stored.values() if b.name not in configured_keys and b.config_id not in configured_keys]
    advice = []
    for configured in settings.businesses:
        key = configured.id or configured.name
        row = by_config_id.get(key) or stored.get(key)
        identities = {s.identity() for s in configured.sources}
        if row is None:
            keywords = {k.casefold() for k in configured.keywords}
            for orphan in orphans:
                if identities & {s.identity for s in stored_sources.get(orphan.id, [])}:
                    why = "same sources"
                elif orphan.name.casefold() in keywords:
                    why = "its old name is one of the keywords"
                else:
                    continue
                advice.append(f"{configured.name} looks like {orphan.name} renamed ({why}): add "
                              f"`id: {json.dumps(orphan.config_id or orphan.name, ensure_ascii=False)}` to it "
                              "to keep its history and skip a new baseline")
            continue
        keys = {s.key() for s in configured.sources}
        lost = [s for s in stored_sources.get(row.id, []) if s.identity not in keys and s.config_id not in keys]
        for source in configured.sources:
            if any(s.identity == source.key() or s.config_id == source.key() for s in stored_sources.get(row.id, [])):
                continue
            for old in lost:
                # A feed at a new address has moved; a search put in place of a feed has not (the
                # kept demo's news search replaces its local sample feeds).
                if old.type == source.type and _by_address(old.identity) == _by_address(source.identity()):
                    advice.append(f"{configured.name} / {source.label} looks like {old.identity} moved: add "
                                  f"`id: {json.dumps(old.config_id or old.identity, ensure_ascii=False)}` to the "
                                  "source to keep its history")
    return advice


def _by_address(identity: str) -> bool:
    """Whether a source's identity names an address (feed:https://...) rather than a search."""
    return identity.split(":", 1)[1].startswith(("http:", "https:"))
