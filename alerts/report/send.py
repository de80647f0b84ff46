"""Sending a written report: its summary and chart to Slack (exactly once), the HTML by e-mail."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from alerts import mail
from alerts.config import AlertedClient, AlertsConfig
from alerts.outbox import send_once
from alerts.report.chart import chart_alt_text
from alerts.report.data import BusinessReport, Period
from alerts.report.outcome import ReportOutcome
from alerts.report.render import period_text, render_html, render_text
from alerts.report.summary import summary_message
from alerts.slack import ConsolePoster, Posted, Poster, make_poster
from alerts.views import Routes
from pipeline.errors import DeliveryError
from pipeline.models import AlertMessage, utcnow


def to_slack(settings: AlertsConfig, client: AlertedClient | None, engine: Engine, reports: list[BusinessReport],
              period: Period, html_path: Path, outcome: ReportOutcome, console: Console | None) -> None:
    """Post each business's summary and chart to its Slack channel, once (through the outbox)."""
    poster = make_poster(settings.slack_for(client), console or Console(stderr=True))
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


def to_email(settings: AlertsConfig, client: AlertedClient | None, reports: list[BusinessReport], period: Period,
              generated: datetime, outcome: ReportOutcome) -> None:
    """E-mail the HTML report with its charts inline to the client's (or everyone's) recipients."""
    assert settings.report.email is not None
    recipients = settings.report_recipients(client)
    if not recipients:
        return  # the client asked for no e-mail (report_to: [])
    email = settings.report.email.model_copy(update={"to": recipients})
    images = {r.name: mail.InlineImage(mail.new_cid(i), r.chart) for i, r in enumerate(reports) if r.chart}
    html = render_html(reports, period, lambda r: f"cid:{images[r.name].cid}" if r.name in images else None,
                       generated)
    names = ", ".join(r.name for r in reports)
    zone = reports[0].zone if reports else "UTC"  # the days the report itself names
    subject = f"mentionwatch report: {names}, {period_text(period, zone)}"
    message = mail.build_message(email, subject, render_text(reports, period), html, list(images.values()))
    ca_file = settings.resolve(email.ca_file) if email.ca_file else None
    try:
        mail.send(email, message, ca_file)
    except DeliveryError as exc:
        outcome.problems.append(str(exc))
        return
    outcome.emailed += [a for a in email.to if a not in outcome.emailed]
