"""`mentionwatch report`: build the numbers, draw the charts, write the HTML, post, e-mail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from alerts import mail
from alerts.config import AlertedClient, AlertsConfig
from alerts.outbox import send_once
from alerts.report.chart import chart_alt_text, daily_chart
from alerts.report.data import BusinessReport, Period, build_reports, client_report_slug
from alerts.report.render import period_text, render_html, render_text
from alerts.report.summary import summary_message
from alerts.slack import ConsolePoster, Posted, Poster, make_poster
from alerts.views import Routes
from pipeline.errors import ConfigError, DeliveryError
from pipeline.models import AlertMessage, utcnow


@dataclass
class ReportOutcome:
    html: Path
    """The report's HTML file (the first one written, when an agency's clients each get theirs)."""
    charts: list[Path]
    reports: list[BusinessReport]
    posted: int = 0
    uploaded: int = 0
    emailed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    htmls: list[Path] = field(default_factory=list)
    """Every HTML file written: one for the businesses of no client, one per client."""


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
    if business is not None and business not in {b.name for b in settings.businesses}:
        names = ", ".join(b.name for b in settings.businesses)
        raise ConfigError(f"no business named {business!r} in the config (there are: {names})")
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
            _to_slack(settings, client, engine, group, period, html_path, outcome, console or Console(stderr=True))
            if settings.report.email is not None:
                _to_email(settings, client, group, period, generated, outcome)
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


def _to_slack(settings: AlertsConfig, client: AlertedClient | None, engine: Engine, reports: list[BusinessReport],
              period: Period, html_path: Path, outcome: ReportOutcome, console: Console) -> None:
    poster = make_poster(settings.slack_for(client), console)
    if isinstance(poster, ConsolePoster):
        if "no Slack token or webhook configured: not posted" not in outcome.notes:
            outcome.notes.append("no Slack token or webhook configured: not posted")
        return
    routes = Routes.from_settings(settings, poster.can_route)
    workspace = client.workspace if client is not None else None
    for report in reports:
        text, blocks = summary_message(report, period_text(period, report.zone), html_path.name)
        try:
            # Through the outbox, for its exactly-once bookkeeping: a lost answer is looked up,
            # and a report killed mid-post is reconciled by the next run instead of posted twice.
            posted = _post_once(engine, poster, routes.channel(report.name), text, blocks, workspace)
            if posted is None:
                outcome.problems.append(f"slack: {report.name}: Slack's answer was lost and could not be checked; "
                                        "not posted again")
                continue
            outcome.posted += 1
            if report.chart is None:
                continue
            if not poster.can_upload:
                outcome.notes.append("chart not uploaded: an incoming webhook cannot upload files "
                                     "(it is in the HTML file)")
                continue
            poster.upload(posted.channel, report.chart, title=f"{report.name}: mentions per day",  # type: ignore[attr-defined]
                          alt_text=chart_alt_text(report))
            outcome.uploaded += 1
        except DeliveryError as exc:
            outcome.problems.append(f"slack: {report.name}: {exc}")
            break


def _post_once(engine: Engine, poster: Poster, channel: str, text: str, blocks: list,
               workspace: str | None = None) -> Posted | None:
    """Queue the report's message in the outbox and send it at once (see alerts.outbox.send_once)."""
    with Session(engine, expire_on_commit=False) as session:
        message = AlertMessage(kind="report", business_id=None, channel=channel, text=text, blocks=blocks,
                               urgent=False, marks_alerted=False, created_at=utcnow(), attempts=0,
                               workspace=workspace)
        session.add(message)
        session.commit()
        try:
            return send_once(session, poster, message, utcnow)
        except DeliveryError as exc:
            # Not left owed: a later `run` must not post an old report. Slack did not take it.
            message.sent_at, message.last_error = utcnow(), f"not sent: {exc}"
            message.outcome_unknown = message.attempt_started_at is not None
            session.commit()
            raise


def _to_email(settings: AlertsConfig, client: AlertedClient | None, reports: list[BusinessReport], period: Period,
              generated: datetime, outcome: ReportOutcome) -> None:
    assert settings.report.email is not None
    recipients = settings.report_recipients(client)
    if not recipients:
        return  # the client asked for no e-mail (report_to: [])
    email = settings.report.email.model_copy(update={"to": recipients})
    images = {r.name: mail.InlineImage(mail.new_cid(i), r.chart) for i, r in enumerate(reports) if r.chart}
    html = render_html(reports, period, lambda r: f"cid:{images[r.name].cid}" if r.name in images else None,
                       generated)
    names = ", ".join(r.name for r in reports)
    subject = f"mentionwatch report: {names}, {period.since:%d %b} – {period.until:%d %b %Y}"
    message = mail.build_message(email, subject, render_text(reports, period), html, list(images.values()))
    ca_file = settings.resolve(email.ca_file) if email.ca_file else None
    try:
        mail.send(email, message, ca_file)
    except DeliveryError as exc:
        outcome.problems.append(str(exc))
        return
    outcome.emailed += [a for a in email.to if a not in outcome.emailed]
