"""From the store and config.yaml to what messages show: views of mentions, routes, highlighting."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from alerts.config import AlertedBusiness, AlertsConfig
from alerts.messages import AlertStatus, AlertView
from pipeline.match import BusinessMatcher
from pipeline.models import Mention


@dataclass
class Routes:
    """Which Slack workspace and channel each business's messages go to."""

    default: str
    urgent: str | None = None
    by_business: dict[str, str] = field(default_factory=dict)
    can_route: bool = True
    """False for a webhook: it posts to its own channel whatever we ask."""
    workspace_by_business: dict[str, str] = field(default_factory=dict)
    """An agency client's workspace (the client's name) for the businesses of a client with its own Slack."""
    urgent_by_business: dict[str, str | None] = field(default_factory=dict)
    """The urgent channel of a client's businesses (in its workspace), where it differs from `urgent`."""
    can_route_in: dict[str, bool] = field(default_factory=dict)
    """`can_route` of each client's own workspace."""

    @classmethod
    def from_settings(cls, settings: AlertsConfig, can_route: bool | Mapping[str | None, bool] = True) -> Routes:
        """`can_route`: of the top-level workspace, or per workspace key (None: top-level)."""
        routable = dict(can_route) if isinstance(can_route, Mapping) else {None: can_route}
        clients = {c.name: c for c in settings.clients}
        by_business, workspaces, urgent = {}, {}, {}
        for business in settings.businesses:
            client = clients.get(business.client or "")
            slack = settings.slack_for(client)
            channel = business.channel or (slack.channel if client is not None else None)
            if channel:
                by_business[business.name] = channel
            if client is not None:
                urgent[business.name] = slack.urgent_channel
                if client.workspace is not None:
                    workspaces[business.name] = client.workspace
        return cls(
            default=settings.slack.channel,
            urgent=settings.slack.urgent_channel,
            by_business=by_business,
            can_route=routable.get(None, True),
            workspace_by_business=workspaces,
            urgent_by_business=urgent,
            can_route_in={k: v for k, v in routable.items() if k is not None},
        )

    def channel(self, business: str) -> str:
        """The business's own channel, else its client's, else the global one."""
        return self.by_business.get(business, self.default)

    def workspace(self, business: str | None) -> str | None:
        """The workspace key the business's messages go to (None: the top-level slack:)."""
        return self.workspace_by_business.get(business) if business else None

    def extra_for_urgent(self, business: str) -> str | None:
        """The urgent channel, when there is one and it is not the business's channel already."""
        workspace = self.workspace(business)
        can_route = self.can_route if workspace is None else self.can_route_in.get(workspace, True)
        urgent = self.urgent_by_business.get(business, self.urgent)
        if not can_route or not urgent or _same(urgent, self.channel(business)):
            return None
        return urgent


def _same(a: str, b: str) -> bool:
    return a.strip().lstrip("#").lower() == b.strip().lstrip("#").lower()


class Catalog:
    """config.yaml's view of businesses and sources, for mentions read from the store."""

    def __init__(self, settings: AlertsConfig):
        self.settings = settings
        self.businesses: dict[str, AlertedBusiness] = {b.name: b for b in settings.businesses}
        self._matchers: dict[str, BusinessMatcher] = {}
        self.source_names: dict[tuple[str, str], str] = {}
        self.source_labels: dict[tuple[str, str], str] = {}
        for business in settings.businesses:
            for source in business.sources:
                key = (business.name, source.identity())
                self.source_labels[key] = source.label
                if source.name:
                    self.source_names[key] = source.name

    def zone(self, business: str) -> str:
        """The business's time zone (UTC for one no longer in config.yaml)."""
        configured = self.businesses.get(business)
        return configured.timezone if configured else "UTC"

    def highlighter(self, business: str):  # type: ignore[no-untyped-def]
        """A function giving the spans of the business's keywords in a text."""
        configured = self.businesses.get(business)
        if configured is None:
            return lambda text: ()
        matcher = self._matchers.get(business)
        if matcher is None:
            matcher = self._matchers[business] = BusinessMatcher(configured.keywords, configured.exclude,
                                                                 configured.require_any)

        def spans(text: str) -> Sequence[tuple[int, int]]:
            return [(m.start, m.end) for m in matcher.find(text)]

        return spans

    def source_label(self, business: str, identity: str) -> str:
        """The source's name from config.yaml, else a readable form of its identity."""
        return self.source_labels.get((business, identity), identity)

    def view(self, mention: Mention, business: str, source_identity: str | None = None) -> AlertView:
        """What a message shows of a stored mention."""
        return AlertView(
            mention_id=mention.id, business=business, source_type=mention.source_type, url=mention.url,
            title=mention.title, text=mention.text, author=mention.author, published_at=mention.published_at,
            rating=mention.rating, sentiment=mention.sentiment, label=mention.label, urgent=mention.urgent,
            urgent_phrases=mention.urgent_phrases,
            source_label=self.source_names.get((business, source_identity or "")),
            driver=mention.driver, first_seen_at=mention.first_seen_at, timezone=self.zone(business),
            handled_reaction=self.settings.slack.handled_reaction, interactive=self.settings.slack.interactive,
            status=AlertStatus(
                alerted_at=mention.alerted_at, handled_at=mention.handled_at, handled_by=mention.handled_by,
                dismissed_at=mention.dismissed_at, dismissed_by=mention.dismissed_by, assignee=mention.assignee,
                snoozed_until=mention.snoozed_until,
            ),
            vader_compound=mention.vader_compound, probability=mention.probability,
            aspects=tuple(mention.aspects or ()), language=mention.language,
        )
