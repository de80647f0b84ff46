"""The alerts room's commands: `report` and `cron`, registered on the main group by cli.py."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from pipeline.errors import AlreadyRunning

if TYPE_CHECKING:
    from mentionwatch.config import Settings


def parse_moment(value: str | None, zone: str, option: str, end: bool = False) -> datetime | None:
    """A date (midnight in `zone`; for an end, the midnight after it) or an ISO 8601 time."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), ZoneInfo(zone))
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD or an ISO 8601 time",
                                 param_hint=option) from None
    return moment.astimezone(ZoneInfo("UTC"))


def default_period(since: datetime | None, until: datetime | None, now: datetime,
                   zone: str) -> tuple[datetime, datetime]:
    """The period `report` covers when --since or --until is left out.

    With neither, the seven whole days before today in `zone`: a report cron'd for Monday morning
    covers Monday to Sunday, and the next one starts where it ended however late cron ran it.
    With only --until, the seven days before it; with only --since, from it up to now.
    """
    tz = ZoneInfo(zone)
    if until is None:
        until = now if since is not None else datetime.combine(now.astimezone(tz).date(), time(0), tz)
    if since is None:
        local = until.astimezone(tz)  # a week of the calendar, whatever daylight saving did in it
        since = datetime.combine(local.date() - timedelta(days=7), local.time(), tz)
    return since.astimezone(ZoneInfo("UTC")), until.astimezone(ZoneInfo("UTC"))


def register(cli: click.Group, config_option: Callable[..., Any]) -> None:
    """Add the commands to `cli`; `config_option` is cli.py's decorator that loads the settings."""

    @cli.command()
    @config_option
    @click.option("--since", help="Start of the period: YYYY-MM-DD (midnight in the business's time zone) "
                  "or an ISO 8601 time. Default: 7 days before --until.")
    @click.option("--until", help="End of the period: YYYY-MM-DD (that whole day included) or an ISO 8601 "
                  "time. Default: the end of yesterday (now, when --since is given).")
    @click.option("--business", help="Only this business (its name, in any case).")
    @click.option("--out", "out_dir", type=click.Path(file_okay=False),
                  help="Folder for the HTML file and charts (default: report.out_dir from the config).")
    @click.option("--no-send", is_flag=True, help="Only write the files: post nothing to Slack, e-mail nobody.")
    @click.option("--quiet", "-q", is_flag=True,
                  help="Print nothing on success (without Slack or e-mail the report itself is still printed).")
    def report(settings: Settings, since: str | None, until: str | None, business: str | None,
               out_dir: str | None, no_send: bool, quiet: bool) -> None:
        """Write the weekly report, post it to Slack and e-mail it.

        By default it covers the seven whole days before today (Monday to Sunday when run on a
        Monday), in the business's time zone. Per business: mentions by source and by label
        against the period before, a daily chart, star ratings, the top negative mentions and
        how fast they were handled, the top praise, and the sources that failed. The HTML file and its PNG charts go to --out; the summary
        and the chart go to each business's Slack channel; the HTML is e-mailed when
        report.email is configured. Exits 1 when posting or e-mailing failed (the file is still
        written). With neither Slack nor e-mail configured, the report's text is printed on
        stdout, --quiet or not, so cron mails it. A report that finds another one in progress
        exits 0 and says it skipped.

        \b
        Examples:
          mentionwatch report
          mentionwatch report --since 2026-11-01 --until 2026-11-30 --no-send --out november
        """
        from alerts.report.data import Period
        from alerts.report.publish import make_report
        from pipeline.lock import run_lock
        from pipeline.models import utcnow
        from pipeline.normalize import business_named
        from pipeline.store import open_engine

        if business is not None:  # in any case; an unknown one is make_report's error
            business = business_named(business, [b.name for b in settings.businesses]) or business
        zone = next((b.timezone for b in settings.businesses if b.name == business), settings.businesses[0].timezone)
        start, end = default_period(parse_moment(since, zone, "--since"),
                                    parse_moment(until, zone, "--until", end=True), utcnow(), zone)
        if start >= end:
            raise click.BadParameter("must be before --until", param_hint="--since")
        folder = Path(out_dir).absolute() if out_dir else settings.resolve(settings.report.out_dir)
        try:
            with run_lock(settings.database_url(), "report"):
                engine = open_engine(settings.database_url())
                try:
                    outcome = make_report(settings, engine, Period(start, end), folder, business=business,
                                          send=not no_send)
                finally:
                    engine.dispose()
        except AlreadyRunning as exc:
            if not quiet:
                click.echo(f"skipped: {exc}")
            return
        # An owner without Slack or e-mail reads the report where cron mails it: on stdout.
        nowhere = settings.report.email is None and all(
            slack.token is None and slack.webhook_url is None for slack in settings.workspaces().values())
        if nowhere and not no_send:
            from alerts.report.render import render_text

            click.echo(render_text(outcome.reports, Period(start, end)))
            click.echo(f"The full report with its charts: {outcome.html}")
            for problem in outcome.problems:
                click.echo(f"failed: {problem}", err=True)
            sys.exit(1 if outcome.problems else 0)
        done = [f"report written to {', '.join(str(p) for p in outcome.htmls)}"]
        if outcome.posted:
            done.append(f"posted to Slack for {outcome.posted} business{'es' if outcome.posted != 1 else ''}"
                        f" ({outcome.uploaded} chart{'s' if outcome.uploaded != 1 else ''} uploaded)")
        if outcome.emailed:
            done.append(f"e-mailed to {', '.join(outcome.emailed)}")
        if not quiet or outcome.problems:
            click.echo("; ".join(done))
            for note in outcome.notes:
                click.echo(f"note: {note}")
        for problem in outcome.problems:
            click.echo(f"failed: {problem}", err=True)
        if outcome.problems:
            sys.exit(1)

    @cli.command()
    @config_option(leave_unset=True)
    @click.option("--every", type=click.IntRange(1, 1440), default=15, show_default=True,
                  help="Minutes between runs (a divisor of an hour or of a day).")
    @click.option("--report-day", type=click.Choice(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                  default="mon", show_default=True, help="Day of the weekly report.")
    @click.option("--report-time", default="08:00", show_default=True, help="Time of the weekly report (HH:MM), in the businesses' time zone when they share one.")
    def cron(settings: Settings, every: int, report_day: str, report_time: str) -> None:
        """Print crontab lines for regular runs and the weekly report.

        The lines use absolute paths to this mentionwatch and to the config, and --quiet, so
        cron mails only when something went wrong. Paste them into `crontab -e`. The report's
        day and time are the businesses' (when they share a time zone), written for this
        machine's clock, which cron reads; a comment says both. The config is validated, but
        its ${VAR}s need not be set here: a comment names those cron's environment must set.

        \b
        Example:
          mentionwatch cron --config config.yaml --every 30 >> my.crontab
        """
        from mentionwatch.crontab import crontab_lines

        try:
            at = time.fromisoformat(report_time)
        except ValueError:
            raise click.BadParameter(f"{report_time!r} is not a time; use HH:MM", param_hint="--report-time") from None
        assert settings.path is not None
        try:
            zones = {b.timezone for b in settings.businesses}
            lines = crontab_lines(settings.path, every, report_day, (at.hour, at.minute),
                                  zones.pop() if len(zones) == 1 else None)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--every") from None
        click.echo("\n".join(lines))
