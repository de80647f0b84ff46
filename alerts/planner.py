"""Deciding what to tell Slack after a crawl, and writing it to the outbox.

Each step writes messages (rows of `alert_messages`) in the same transaction as the state that
says they are owed no more, so a message is planned exactly once:

- baseline: the first crawl of a newly added source gives one summary per business;
- alerts: owed mentions become individual alerts, at most `alerts.max_per_run` per business,
  the rest one digest; during quiet hours only urgent ones go, the others wait in the store;
- reminders: an urgent alert nobody marked handled is raised again once, and so is a snoozed
  mention when its snooze is over;
- source notices: a source failing `alerts.source_failure_runs` runs in a row, and its recovery;
- trends: a day's spike of mentions, a rating drop (alerts.trends), at most one of each a day.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from alerts.blocks import section
from alerts.config import AlertsConfig
from alerts.messages import alert_message, digest_message, reminder_message
from alerts.notices import (
    LABELS,
    BaselineSource,
    baseline_message,
    source_failing_message,
    source_recovered_message,
)
from alerts.notify import Destination, daily_digest_message, destinations_for
from alerts.outbox import queued_in_outbox
from alerts.quiet import quiet_hours_of, quiet_until
from alerts.trends.day import TREND_KINDS
from alerts.trends.ratings import find_rating_drops
from alerts.trends.spikes import find_spikes
from alerts.views import Catalog, Routes
from pipeline.models import (
    AlertDelivery,
    AlertMessage,
    AlertMessageMention,
    Business,
    Mention,
    Source,
)

# Reactions are read, and reminders raised, for alerts of this many days.
FOLLOW_UP_DAYS = 14


@dataclass
class Planned:
    alerts: int = 0
    digests: int = 0
    baselines: int = 0
    reminders: int = 0
    notices: int = 0
    held: int = 0
    """Owed alerts kept back by quiet hours."""
    daily_digests: int = 0
    trends: int = 0
    """Spike and rating-drop alerts."""


# `_queue`'s default workspace: the business's (a sentinel, as None is the top-level workspace).
_ITS_BUSINESS: Any = object()


class Planner:
    def __init__(self, settings: AlertsConfig, routes: Routes, now: datetime, can_thread: bool = True,
                 inbox_url: str | None = None):
        """`inbox_url`: the web inbox's public address (web.url), for links in trend alerts."""
        self.inbox_url = inbox_url
        self.settings = settings
        self.catalog = Catalog(settings)
        self.routes = routes
        self.now = now
        self.can_thread = can_thread
        self.planned = Planned()

    # -- helpers

    def quiet_until(self, business: str) -> datetime | None:
        """When the business's quiet hours around now end, or None outside them."""
        configured = self.catalog.businesses.get(business)
        if configured is None:
            return None
        return quiet_until(self.now, quiet_hours_of(self.settings, configured), configured.timezone)

    def _queue(self, session: Session, *, kind: str, business_id: int | None, channel: str, message: tuple[str, Any],
               mention_ids: Collection[int] = (), urgent: bool = False, marks_alerted: bool = False,
               not_before: datetime | None = None, thread_ts: str | None = None, to_slack: bool = True,
               notify: bool = True, workspace: Any = _ITS_BUSINESS) -> AlertMessage:
        """One outbox message, and one delivery row per notify: destination when `notify`.

        The Slack workspace is the business's (its client's own, or the top-level one) unless
        `workspace` names one (a reminder goes where its alert went)."""
        text, blocks = message
        name = self._name(session, business_id)
        if workspace is _ITS_BUSINESS:
            workspace = self.routes.workspace(name)
        row = AlertMessage(kind=kind, business_id=business_id, channel=channel, text=text, blocks=blocks,
                           urgent=urgent, marks_alerted=marks_alerted, created_at=self.now, not_before=not_before,
                           thread_ts=thread_ts, attempts=0, to_slack=to_slack, workspace=workspace)
        session.add(row)
        session.flush()
        if mention_ids:  # one statement: a first crawl's summary can cover tens of thousands
            session.execute(insert(AlertMessageMention), [{"message_id": row.id, "mention_id": i} for i in mention_ids])
        if notify:
            session.add_all(AlertDelivery(message_id=row.id, destination=d.key, label=d.label, attempts=0)
                            for d in self._destinations(session, business_id))
        return row

    def _destinations(self, session: Session, business_id: int | None) -> list[Destination]:
        name = self._name(session, business_id)
        return destinations_for(self.settings, self.catalog.businesses.get(name) if name else None)

    @staticmethod
    def _name(session: Session, business_id: int | None) -> str | None:
        return session.get(Business, business_id).name if business_id is not None else None  # type: ignore[union-attr]

    def _daily(self, urgent: bool) -> bool:
        """Whether a notify: destination waits for the daily digest instead of this message."""
        return self.settings.alerts.digest == "daily" and not urgent

    # -- the steps, in the order a run takes them

    def plan_all(self, session: Session, baseline_sources: Collection[int] = (),
                 run_started: datetime | None = None, check_trends: bool = True) -> Planned:
        """Every step, in order; `baseline_sources` are the sources this run crawled for the first time.
        Without `check_trends`, spikes and rating drops wait for the next plan that checks them."""
        if baseline_sources:
            self.plan_baselines(session, baseline_sources, run_started or self.now)
        self.plan_alerts(session)
        self.plan_reminders(session)
        self.plan_snooze_ends(session)
        self.plan_source_notices(session)
        if check_trends:
            self.plan_trends(session)
        self.plan_daily_digests(session)
        return self.planned

    def plan_trends(self, session: Session) -> None:
        """Spikes and rating drops (alerts.trends): like a notice, each is one summary message,
        held by quiet hours; the trend checks themselves keep it to one per spike. With
        `alerts.digest: daily` the notify: destinations get their mentions in the daily digest."""
        trends = self.settings.alerts.trends
        found = []
        if trends.spikes:
            found += find_spikes(session, self.settings, self.catalog, self.now, self.inbox_url)
        if trends.rating_drops:
            found += find_rating_drops(session, self.settings, self.catalog, self.now, self.inbox_url)
        for alert in found:
            self._queue(session, kind=alert.kind, business_id=alert.business_id,
                        channel=self.routes.channel(alert.business), message=alert.message,
                        mention_ids=alert.mention_ids, not_before=self.quiet_until(alert.business),
                        notify=not self._daily(False))
            self.planned.trends += 1

    def plan_daily_digests(self, session: Session) -> None:
        """`alerts.digest: daily`: once a day at `alerts.digest_time` (each business's zone), the
        notify: destinations get the day's non-urgent alerts in one message (Slack had each)."""
        if self.settings.alerts.digest != "daily":
            return
        for business in session.scalars(select(Business).order_by(Business.id)):
            configured = self.catalog.businesses.get(business.name)
            if configured is None or not destinations_for(self.settings, configured):
                continue
            zone = ZoneInfo(configured.timezone)
            local = self.now.astimezone(zone)
            due = datetime.combine(local.date(), self.settings.alerts.digest_time, zone)
            if due > local:
                due -= timedelta(days=1)
            last = session.scalar(select(func.max(AlertMessage.created_at)).where(
                AlertMessage.kind == "daily_digest", AlertMessage.business_id == business.id))
            if last is not None and last >= due:
                continue  # today's is planned
            digested = select(AlertMessageMention.mention_id).join(
                AlertMessage, AlertMessage.id == AlertMessageMention.message_id).where(
                AlertMessage.kind == "daily_digest", AlertMessage.business_id == business.id)
            rows = session.execute(
                select(Mention, Source.identity).join(Source, Source.id == Mention.source_id)
                .join(AlertMessageMention, AlertMessageMention.mention_id == Mention.id)
                .join(AlertMessage, AlertMessage.id == AlertMessageMention.message_id)
                .where(AlertMessage.business_id == business.id, ~Mention.urgent,
                       # Alerts and digests of mentions, and the mentions a trend alert names.
                       or_(AlertMessage.marks_alerted & AlertMessage.kind.in_(("alert", "digest")),
                           AlertMessage.kind.in_(TREND_KINDS)),
                       # Alerts planned before the digest's time, in no digest yet (a week back at most).
                       AlertMessage.created_at <= due, AlertMessage.created_at > due - timedelta(days=7),
                       Mention.id.not_in(digested))
                .order_by(func.coalesce(Mention.sentiment, 0), Mention.id)
            ).unique().all()
            if not rows:
                continue
            views = [self.catalog.view(m, business.name, identity) for m, identity in rows]
            message = daily_digest_message(business.name, views, local)
            self._queue(session, kind="daily_digest", business_id=business.id, channel="", message=message,
                        mention_ids=[v.mention_id for v in views], to_slack=False,
                        not_before=self.quiet_until(business.name))
            self.planned.daily_digests += 1

    def plan_baselines(self, session: Session, source_ids: Collection[int], since: datetime) -> None:
        """One summary per business of what the first crawl of its new sources found.

        A first crawl's negative finds are never owed alerts of their own (only recent urgent
        ones are, and the summary lists those too). A mention that is owed one and not urgent
        came another way, a live stream storing a post while the crawl ran: it is alerted on its
        own, so the summary neither counts nor quotes it."""
        found_by_crawl = (Mention.first_seen_at >= since, or_(~Mention.alert_due, Mention.urgent))
        rows = session.execute(
            select(Source, Business).join(Business, Business.id == Source.business_id).where(Source.id.in_(source_ids))
        ).all()
        counts: dict[int, dict[str, int]] = {}
        for source_id, label, count in session.execute(
            select(Mention.source_id, Mention.label, func.count())
            .where(Mention.source_id.in_(source_ids), *found_by_crawl)
            .group_by(Mention.source_id, Mention.label)
        ):
            counts.setdefault(source_id, {})[label or "neutral"] = count
        by_business: dict[int, tuple[Business, list[tuple[Source, BaselineSource]]]] = {}
        for source, business in rows:
            if business.competitor:
                continue  # a competitor is watched to compare with, never alerted
            found = counts.get(source.id, {})
            ok = source.first_crawled_at is not None
            if not ok and not found:
                continue  # nothing to say yet: it is summarised when its first crawl succeeds
            item = BaselineSource(label=self.catalog.source_label(business.name, source.identity), type=source.type,
                                  counts={k: found.get(k, 0) for k in LABELS}, ok=ok,
                                  error=None if ok else source.last_error)
            by_business.setdefault(business.id, (business, []))[1].append((source, item))
        for business_id, (business, items) in by_business.items():
            ids = [source.id for source, _ in items]
            # Urgent ones first, whatever the scorer's label (a health inspection is news, not a mood).
            negatives = session.execute(
                select(Mention).where(Mention.source_id.in_(ids), *found_by_crawl,
                                      or_(Mention.label == "negative", Mention.urgent))
                .order_by(Mention.urgent.desc(), func.coalesce(Mention.published_at, Mention.first_seen_at).desc(),
                          Mention.id.desc())
                .limit(5)
            ).scalars().all()
            views = [self.catalog.view(m, business.name) for m in negatives]
            message = baseline_message(business.name, [item for _, item in items], views,
                                       self.settings.alerts.max_age_days)
            # The summary names the mentions it covers (without marking them alerted), so the
            # report can say they went out in it.
            covered = session.scalars(select(Mention.id).where(Mention.source_id.in_(ids), *found_by_crawl)).all()
            self._queue(session, kind="baseline", business_id=business_id, channel=self.routes.channel(business.name),
                        message=message, not_before=self.quiet_until(business.name), mention_ids=covered)
            self.planned.baselines += 1

    def plan_alerts(self, session: Session) -> None:
        """Owed mentions: individual alerts up to the cap per business, the rest in one digest."""
        rows = session.execute(
            select(Mention, Business.name, Source.identity)
            .join(Business, Business.id == Mention.business_id)
            .join(Source, Source.id == Mention.source_id)
            .where(Mention.alert_due, Mention.alerted_at.is_(None), ~queued_in_outbox())
            # The most pressing first: urgent, then the most negative.
            .order_by(Mention.urgent.desc(), func.coalesce(Mention.sentiment, 0), Mention.id)
        ).all()
        by_business: dict[str, list[tuple[Mention, str]]] = {}
        for mention, business, identity in rows:
            by_business.setdefault(business, []).append((mention, identity))
        cap = self.settings.alerts.max_per_run
        for business, items in by_business.items():
            if self.quiet_until(business) is not None:
                held = [(m, i) for m, i in items if not m.urgent]
                self.planned.held += len(held)
                items = [(m, i) for m, i in items if m.urgent]
            highlight = self.catalog.highlighter(business)
            channel = self.routes.channel(business)
            for mention, identity in items[:cap]:
                view = self.catalog.view(mention, business, identity)
                message = alert_message(view, self.now, highlight)
                self._queue(session, kind="alert", business_id=mention.business_id, channel=channel, message=message,
                            mention_ids=[mention.id], urgent=mention.urgent, marks_alerted=True,
                            notify=not self._daily(mention.urgent))
                extra = self.routes.extra_for_urgent(business) if mention.urgent else None
                if extra:
                    self._queue(session, kind="alert", business_id=mention.business_id, channel=extra,
                                message=message, mention_ids=[mention.id], urgent=True, notify=False)
                self.planned.alerts += 1
            rest = items[cap:]
            if rest:
                views = [self.catalog.view(m, business, i) for m, i in rest]
                message = digest_message(business, views, cap, self.settings.slack.handled_reaction)
                self._queue(session, kind="digest", business_id=rest[0][0].business_id, channel=channel,
                            message=message, mention_ids=[m.id for m, _ in rest],
                            urgent=any(m.urgent for m, _ in rest), marks_alerted=True,
                            notify=not self._daily(any(m.urgent for m, _ in rest)))
                self.planned.digests += 1

    def plan_reminders(self, session: Session) -> None:
        """Urgent alerts still unhandled after `alerts.urgent_reraise_hours`: raised again, once."""
        hours = self.settings.alerts.urgent_reraise_hours
        if hours <= 0:
            return
        due_before = self.now - timedelta(hours=hours)
        rows = session.execute(
            select(Mention, Business.name, Source.identity, AlertMessage)
            .join(Business, Business.id == Mention.business_id)
            .join(Source, Source.id == Mention.source_id)
            .join(AlertMessageMention, AlertMessageMention.mention_id == Mention.id)
            .join(AlertMessage, AlertMessage.id == AlertMessageMention.message_id)
            .where(Mention.urgent, Mention.handled_at.is_(None), Mention.reraised_at.is_(None),
                   # Put aside by the team (snoozed: raised when the snooze is over; not about us).
                   Mention.snoozed_until.is_(None), Mention.dismissed_at.is_(None),
                   Mention.alerted_at <= due_before,
                   Mention.alerted_at >= self.now - timedelta(days=FOLLOW_UP_DAYS),
                   AlertMessage.marks_alerted, AlertMessage.sent_at.is_not(None))
            .order_by(Mention.id)
        ).all()
        for mention, business, identity, original in rows:
            assert mention.alerted_at is not None
            view = self.catalog.view(mention, business, identity)
            message = reminder_message(view, self.now - mention.alerted_at, self.now)
            threaded = self.can_thread and original.slack_ts is not None
            # A reply must name the channel by the ID Slack gave the original.
            channel = (original.slack_channel or original.channel) if threaded else original.channel
            self._queue(session, kind="reminder", business_id=mention.business_id, channel=channel, message=message,
                        mention_ids=[mention.id], urgent=True, thread_ts=original.slack_ts if threaded else None,
                        workspace=original.workspace)
            mention.reraised_at = self.now
            self.planned.reminders += 1

    def plan_snooze_ends(self, session: Session) -> None:
        """A snoozed mention whose time is up, still open, is raised again once: its alert, anew.

        The snooze ends in the same transaction as the message is planned (snoozed_until is
        cleared), so it is raised exactly once; its history keeps the snooze.
        """
        rows = session.execute(
            select(Mention, Business.name, Source.identity)
            .join(Business, Business.id == Mention.business_id)
            .join(Source, Source.id == Mention.source_id)
            .where(Mention.snoozed_until.is_not(None), Mention.snoozed_until <= self.now)
            .order_by(Mention.id)
        ).all()
        for mention, business, identity in rows:
            mention.snoozed_until = None
            if mention.handled_at is not None or mention.dismissed_at is not None or mention.alerted_at is None:
                continue  # dealt with meanwhile, or never alerted (it is alerted the usual way)
            view = self.catalog.view(mention, business, identity)
            text, blocks = alert_message(view, self.now, self.catalog.highlighter(business))
            blocks.insert(1, section(":alarm_clock: *Snooze over*: this mention is still open."))
            mention.reraised_at = self.now  # raised again: an urgent one gets no reminder on top
            self._queue(session, kind="alert", business_id=mention.business_id, channel=self.routes.channel(business),
                        message=(f"Snooze over: {text}", blocks), mention_ids=[mention.id], urgent=mention.urgent,
                        not_before=None if mention.urgent else self.quiet_until(business))
            self.planned.reminders += 1

    def plan_source_notices(self, session: Session) -> None:
        """A source failing N runs in a row is reported once; its recovery once too."""
        threshold = self.settings.alerts.source_failure_runs
        rows = session.execute(
            select(Source, Business.name).join(Business, Business.id == Source.business_id)
            .where((Source.consecutive_failures >= threshold) & Source.failure_reported_at.is_(None)
                   | (Source.consecutive_failures == 0) & Source.failure_reported_at.is_not(None))
            .order_by(Source.id)
        ).all()
        for source, business in rows:
            if (business, source.identity) not in self.catalog.source_labels:
                continue  # no longer in config.yaml: nobody wants to hear about it
            label = self.catalog.source_label(business, source.identity)
            if source.failure_reported_at is None:
                message = source_failing_message(business, label, source.type, source.consecutive_failures,
                                                 source.last_error, source.last_success_at, self.catalog.zone(business))
                source.failure_reported_at = self.now
                kind = "source_failing"
            else:
                message = source_recovered_message(business, label, source.type)
                source.failure_reported_at = None
                kind = "source_back"
            self._queue(session, kind=kind, business_id=source.business_id, channel=self.routes.channel(business),
                        message=message, not_before=self.quiet_until(business))
            self.planned.notices += 1
