"""What alerts do after each crawl: read reactions, plan messages, deliver the outbox."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from alerts.config import AlertsConfig
from alerts.notify import deliver_notifications
from alerts.outbox import deliver, held_count, pending_count
from alerts.planner import Planned, Planner
from alerts.slack import Poster, make_posters
from alerts.status import refresh_due_alerts
from alerts.views import Routes
from pipeline.models import utcnow


class ReactionReader(Protocol):
    """Marks handled the mentions whose alert carries the reaction (respond.reactions.read_reactions).

    Passed in by the caller: acting on a mention is the respond room's work, above this one.
    Called once per Slack workspace, with that workspace's client and key (None: the top-level one).
    """

    def __call__(self, session: Session, client: Any, reaction: str, now: datetime,
                 workspace: str | None = None) -> Any: ...


@dataclass
class DeliveryResult:
    sent: int = 0
    """Messages Slack accepted in this run."""
    alerts_sent: int = 0
    """Mentions those alerted (a baseline summary or a notice alerts none; a mention posted to two
    channels is one)."""
    baselines_sent: int = 0
    pending: int = 0
    """Messages and notifications still to go out (failed, or held for quiet hours), and alerts held back."""
    held: int = 0
    handled: int = 0
    """Mentions marked handled from reactions in this run."""
    planned: Planned = field(default_factory=Planned)
    notified: int = 0
    """Deliveries to notify: destinations (e-mail, chat, webhooks) made in this run."""
    notify_failed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        return "; ".join(self.problems) or None


def after_crawl(
    settings: AlertsConfig,
    engine: Engine,
    console: Console,
    *,
    baseline_sources: Collection[int] = (),
    run_started: datetime | None = None,
    clock: Callable[[], datetime] = utcnow,
    poster: Poster | None = None,
    plan_only: bool = False,
    read_reactions: ReactionReader | None = None,
    inbox_url: str | None = None,
    check_trends: bool = True,
) -> DeliveryResult:
    """Reactions first (a handled alert needs no reminder), then alert updates, then plan, then deliver.

    `plan_only` (a run stopped by a signal) only plans into the outbox, which needs no network:
    the next run sends what was planned. Without `read_reactions`, reactions are not read.
    `inbox_url` is the web inbox's public address (web.url), linked from trend alerts.
    `check_trends=False` leaves spikes and rating drops (a read of every business's history) to
    the next call: a worker plans after each crawl and checks trends with its deliveries.
    """
    # One poster per Slack workspace: the top-level one (`poster` when given) and each client's own.
    posters = make_posters(settings, console, poster)
    routable = {key: p.can_route for key, p in posters.items()}
    can_thread = posters[None].can_thread
    result = DeliveryResult()
    with Session(engine, expire_on_commit=False) as session:
        if plan_only:
            planner = Planner(settings, Routes.from_settings(settings, routable), clock(), can_thread, inbox_url)
            result.planned = planner.plan_all(session, baseline_sources, run_started, check_trends)
            session.commit()
            result.pending = pending_count(session)
            return result
        for workspace, each in posters.items():
            if read_reactions is not None and each.can_read_reactions and each.client is not None:
                read = read_reactions(session, each.client, settings.slack.handled_reaction, clock(),
                                      workspace=workspace)
                result.handled += read.handled
                result.problems += read.problems
        clients = {key: p.client for key, p in posters.items() if p.client is not None}
        if clients:
            # Alerts whose mentions were acted on (a reaction just now, a command, a button) show it.
            result.problems += refresh_due_alerts(session, clients, settings, clock()).problems
        planner = Planner(settings, Routes.from_settings(settings, routable), clock(), can_thread, inbox_url)
        session.commit()
        # Planned messages and the state that says they are owed no more, in one transaction.
        result.planned = planner.plan_all(session, baseline_sources, run_started, check_trends)
        session.commit()
        delivered = deliver(session, posters, clock)
        result.sent, result.alerts_sent, result.baselines_sent = delivered.sent, delivered.alerts, delivered.baselines
        result.problems += delivered.problems
        notified = deliver_notifications(session, settings, clock)
        result.notified, result.notify_failed = notified.sent, notified.failed
        result.problems += notified.problems
        result.held = held_count(session)
        result.pending = pending_count(session)
    return result
