"""`mentionwatch report`: build the numbers, draw the charts, write the HTML, post, e-mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from alerts.config import AlertedClient, AlertsConfig
from alerts.report.chart import daily_chart
from alerts.report.data import BusinessReport, Period, build_reports, client_report_slug
from alerts.report.outcome import ReportOutcome
from alerts.report.render import render_html
from pipeline.errors import ConfigError
from pipeline.models import utcnow
from pipeline.normalize import business_named

if TYPE_CHECKING:
    from rich.console import Console


def make_report(
    settings: AlertsConfig,
    engine: Engine,
    period: Period,
    out_dir: Path,
    *,
    business: str | None = None,
    send: bool = True,
    console: Console | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> ReportOutcome:
    """Write the HTML report and its charts into `out_dir`; with `send`, post and e-mail it.

    An agency's clients each get their own file (report-DATE-client-NAME.html), posted to their own
    Slack and e-mailed to their own recipients; the businesses of no client share the usual one."""
    if business is not None:
        named = business_named(business, [b.name for b in settings.businesses])
        if named is None:
            names = ", ".join(b.name for b in settings.businesses)
            raise ConfigError(f"no business named {business!r} in the config (there are: {names})")
        business = named
    with Session(engine) as session:
        reports = build_reports(session, settings, period, business)
    zone = reports[0].zone if reports else "UTC"
    # Named after the last day the report covers.
    stamp = f"{(period.until - timedelta(microseconds=1)).astimezone(ZoneInfo(zone)):%Y-%m-%d}"
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = [daily_chart(r, out_dir / f"report-{stamp}-{r.slug}.png") for r in reports]
    for report, chart in zip(reports, charts):
        report.chart = chart
    generated = clock()
    outcome: ReportOutcome | None = None
    for client, group in _by_client(settings, reports, business):
        if business is not None:
            suffix = f"-{group[0].slug}" if group else ""
        else:
            suffix = f"-{client_report_slug(client.name)}" if client is not None else ""
        html_path = out_dir / f"report-{stamp}{suffix}.html"
        html_path.write_text(render_html(group, period, lambda r: r.chart.name if r.chart else None, generated),
                             encoding="utf-8")
        if outcome is None:
            outcome = ReportOutcome(html=html_path, charts=charts, reports=reports)
        outcome.htmls.append(html_path)
        if send:
            # Imported here: Slack's SDK, the outbox and e-mail cost a `--no-send` report 30 ms to load.
            from alerts.report.send import to_email, to_slack

            to_slack(settings, client, engine, group, period, html_path, outcome, console)
            if settings.report.email is not None:
                to_email(settings, client, group, period, generated, outcome)
    assert outcome is not None
    return outcome


def _by_client(settings: AlertsConfig, reports: list[BusinessReport], business: str | None
               ) -> list[tuple[AlertedClient | None, list[BusinessReport]]]:
    """The reports split by agency client: the businesses of no client first (always, so a report
    without clients is one file as before), then each client with businesses in it."""
    clients = {c.name: c for c in settings.clients}
    owner = {b.name: b.client for b in settings.businesses}
    groups: dict[str | None, list[BusinessReport]] = {None: []}
    for report in reports:
        groups.setdefault(owner.get(report.name), []).append(report)
    if business is not None:  # one business: one file, for its client
        name = owner.get(business)
        return [(clients.get(name) if name else None, reports)]
    found = [(clients[name] if name else None, group) for name, group in groups.items()
             if group or (name is None and not settings.clients)]
    return found or [(None, [])]
