"""The `mentionwatch` command line. It wires the rooms together and holds no logic of its own.

Exit codes: 0 success, 1 failure or invalid config, 2 usage error.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, timezone
from functools import wraps
from typing import TYPE_CHECKING, Any

import click

from alerts.escape import one_line
from mentionwatch import __version__
from mentionwatch.config_file import CONFIG_ENV
from mentionwatch.logs import redact_with, setup_logging
from mentionwatch.stop import exit_if_stopped, raise_if_stopped
from pipeline.errors import AlreadyRunning, MentionwatchError

if TYPE_CHECKING:
    from mentionwatch.config import Settings

# Every import that only a command needs is made inside it: `--help` and a command's start stay
# cheap (no SQLAlchemy, Scrapy or scoring model for a command that does not use them).

LABELS = ("negative", "neutral", "positive", "unscored")


def config_option(
    command: Callable[..., Any] | None = None, *, preload: tuple[str, ...] = (), leave_unset: bool = False
) -> Callable[..., Any]:
    """--config and -v on every command; hands the command loaded, validated settings.

    `preload` names modules the command needs at once, imported with the settings while the
    garbage collector waits (mentionwatch.loading): what a cron command costs is mostly loading.
    `leave_unset` leaves a ${VAR} unset here as written rather than refuse it (`cron`, which
    reads no secret: cron's environment is the one that must set them).
    """
    if command is None:
        return lambda decorated: config_option(decorated, preload=preload, leave_unset=leave_unset)

    @click.option(
        "--config", "config_path", type=click.Path(dir_okay=False), default=None,
        help=f"Path to config.yaml (default: ${CONFIG_ENV}, else ./config.yaml).",
    )
    @click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debugging).")
    @wraps(command)
    def wrapper(config_path: str | None, verbose: int, **kwargs: Any) -> Any:
        from mentionwatch.loading import collector_paused, import_modules

        with collector_paused():
            from mentionwatch.config import load_settings

            handler = setup_logging(verbose)
            settings = load_settings(config_path, leave_unset=leave_unset)
            redact_with(handler, settings)
            import_modules(preload)
        raise_if_stopped()  # a stop while loading that Python dropped: the command must not start
        return command(settings, **kwargs)

    return wrapper


class ToolGroup(click.Group):
    """Turns the tool's own errors into one `Error: ...` line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, Exception) as exc:
            exit_if_stopped(exc)  # for a stop, click would say "Aborted!" and exit 1
            if isinstance(exc, MentionwatchError):
                click.echo(f"Error: {exc}", err=True)
                sys.exit(1)
            from sqlalchemy.exc import DBAPIError

            if not isinstance(exc, DBAPIError):
                raise
            # The database failed mid-command (locked past its timeout, gone away): one line,
            # the traceback only with -v. Every write is a transaction, so nothing is half-written.
            from pipeline.store import describe_database_error

            logging.getLogger("mentionwatch").debug("database error", exc_info=True)
            click.echo(f"Error: {describe_database_error(exc)}", err=True)
            sys.exit(1)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command on one line with its whole first sentence (or short_help): click would cut
        it off mid-word, or wrap it, to fit 80 columns."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            width = max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                for name, description in rows:
                    formatter.write(f"{'':>{formatter.current_indent}}{name:<{width}}  {description}\n")


@click.group(cls=ToolGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mentionwatch")
def cli() -> None:
    """Watch what the public says about a business; alert Slack about the negative.

    \b
    Start with:
      mentionwatch demo              see the whole cycle offline, in under a minute
      mentionwatch init              write a config.yaml for your business
      mentionwatch check --fetch     validate it, test Slack, fetch every source once
      mentionwatch run               crawl, score, store, alert (run it from cron)
      mentionwatch mentions          list what was found
    """


@cli.command(short_help="Crawl every source, store new mentions, alert the negative.")
@config_option(preload=("mentionwatch.runner", "scrapy.core.downloader.handlers.http11"))
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success, not even the summary line (a Slack configured without a token is still said).")
@click.option("--queue", is_flag=True, help="PostgreSQL with workers: put every source that is due on the queue "
              "for `mentionwatch worker` and return at once.")
def run(settings: Settings, quiet: bool, queue: bool) -> None:
    """Crawl every source, store new mentions, and alert about the negative ones.

    Ends with one summary line. Sources that failed, and alerts Slack did not accept, are
    printed on stderr (so cron mails them), recorded, and retried on the next run; the run
    still exits 0. A Slack channel or token key configured while no token came through (an
    unset SLACK_BOT_TOKEN) is said on stderr every run: alerts print to the console until then,
    and so is a run beside live workers (`mentionwatch worker`). A run that finds another one
    in progress exits 0 and says it skipped. Ctrl-C (SIGINT) or SIGTERM stops the run within seconds: what was already scored is
    kept, unfinished sources are crawled again next time, and it exits 130 (SIGINT) or 143.

    \b
    With --queue (PostgreSQL only), nothing is crawled here: every source whose next check
    has come is put on the queue that `mentionwatch worker` processes, and it prints how many
    (and, when none was due, when the next one is).

    \b
    Example:
      mentionwatch run --config config.yaml
    """
    if queue:
        import asyncio

        from alerts.when import local_time
        from mentionwatch.worker import queue_conninfo, queue_now

        queue_conninfo(settings.database_url())
        queued, next_due = asyncio.run(queue_now(settings))
        if not quiet:
            # "0 queued" alone reads like a broken config: say when the next source is due.
            due = f"; the next is due at {local_time(next_due)}" if next_due and not queued else ""
            click.echo(f"queued {queued} source{'' if queued == 1 else 's'} for the workers{due}")
        return
    # rich is imported by the commands that print with it: a report or --help need not load it.
    from rich.console import Console

    from crawlers.interrupt import interruptible
    from mentionwatch.runner import run_once
    from pipeline.lock import run_lock

    console = Console(highlight=False)
    # A spinner for a person watching; nothing of the kind in cron's mail.
    progress = Console(stderr=True).status("Crawling and scoring ...") if sys.stderr.isatty() else nullcontext()
    try:
        with interruptible() as interruption, run_lock(settings.database_url()), progress:
            raise_if_stopped()  # a stop while loading that Python dropped: the run must not start
            summary = run_once(settings, console, interruption)
    except AlreadyRunning as exc:
        if not quiet:
            click.echo(f"skipped: {exc}")
        return
    if summary.interrupted_by:
        click.echo(summary.interrupted_line(), err=True)
        sys.exit(interruption.exit_code)
    missing = settings.slack_missing()
    if missing:  # said every run, --quiet or not: an alert that never reaches Slack is a silent miss
        click.echo(f"warning: {missing}", err=True)
    beside_workers = summary.beside_workers()
    if beside_workers:  # said every run too
        click.echo(f"warning: {beside_workers}", err=True)
    if not quiet or not summary.ok:
        click.echo(summary.line())
    for label, reason in summary.failures:
        click.echo(f"failed: {label}: {reason}", err=True)
    # Warnings (a feed read despite its errors, a page cap reached) recur run after run: `check`
    # shows them; cron's --quiet mail stays for what failed.
    for label, reason in summary.warnings if not quiet else ():
        click.echo(f"warning: {label}: {reason}", err=True)
    for gap in summary.gaps:
        click.echo(f"gap: {gap.line()}", err=True)
    if summary.alert_error:
        pending = f" ({summary.alerts_pending} pending for the next run)" if summary.alerts_pending else ""
        click.echo(f"alerts: {summary.alert_error}{pending}", err=True)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


@cli.command()
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="json prints JSON Lines: one object per mention, with its reply (text, at, by) or null.")
@click.option("--label", type=click.Choice(LABELS), help="Only mentions with this label.")
@click.option("--business", help="Only this business (its name, in any case).")
@click.option("--since", help="Only mentions published (or, if undated, first seen) from this day on: "
              "YYYY-MM-DD (midnight in the business's time zone) or an ISO 8601 time.")
@click.option("--until", help="Only mentions published up to this day: YYYY-MM-DD (that whole day, in the "
              "business's time zone, included) or an ISO 8601 time.")
@click.option("--source", help="Only from this source: a type (reviews, feed, ...) or a source's name.")
@click.option("--unhandled", is_flag=True, help="Only mentions nobody marked handled or dismissed.")
@click.option("--urgent", is_flag=True, help="Only urgent mentions.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
def mentions(settings: Settings, fmt: str, label: str | None, business: str | None, since: str | None,
             until: str | None, source: str | None, unhandled: bool, urgent: bool, limit: int | None) -> None:
    """List stored mentions, newest first.

    Days given to --since and --until are days where each business is (its `timezone`).
    Timestamps are ISO 8601 in UTC; unknown values are null (empty in CSV).

    \b
    Examples:
      mentionwatch mentions --label negative --since 2026-11-01
      mentionwatch mentions --since 2026-11-25 --until 2026-11-25
      mentionwatch mentions --business "joe's donuts" --source feed --unhandled --urgent
      mentionwatch mentions --format json --limit 5
    """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from mentionwatch.alert_commands import parse_moment
    from pipeline.models import Business
    from pipeline.queries import (
        latest_replies,
        list_mentions,
        resolve_business,
        resolve_sources,
    )
    from pipeline.store import open_engine
    from respond.web.export import csv_chunks, mention_record

    zones = {b.name: b.timezone for b in settings.businesses}
    parse_moment(since, "UTC", "--since")  # a bad value is refused before the database is opened
    parse_moment(until, "UTC", "--until")
    engine = open_engine(settings.database_url())
    with Session(engine) as session:
        periods = None
        if since is not None or until is not None:
            periods = {name: (parse_moment(since, zones.get(name, "UTC"), "--since"),
                              parse_moment(until, zones.get(name, "UTC"), "--until", end=True))
                       for name in session.scalars(select(Business.name))}
        if business is not None:
            business = resolve_business(session, business)
        source_ids = None
        if source is not None:
            labels = {(b.name, s.identity()): s.label for b in settings.businesses for s in b.sources}
            source_ids = resolve_sources(session, source, labels, business)
        found = list_mentions(session, business, label, None, limit, periods=periods, source_ids=source_ids,
                              unhandled=unhandled, urgent=urgent)
        rows = (mention_record(m, b) for m, b in found)
        if fmt == "json":
            for chunk in _chunks(found, 500):
                replies = latest_replies(session, [m.id for m, _ in chunk])
                for mention, name in chunk:
                    record = mention_record(mention, name)
                    reply = replies.get(mention.id)
                    record["deleted_at"] = _iso(mention.deleted_at)
                    record["reply"] = {"text": reply.text, "at": _iso(reply.sent_at), "by": reply.author} if reply else None
                    click.echo(json.dumps(record, ensure_ascii=False))
        elif fmt == "csv":
            # Text cells that start like a formula get a leading ' (a review's "=..." stays text).
            for chunk in csv_chunks(rows):
                sys.stdout.write(chunk)
        elif records := list(rows):
            _print_table(records, {b.name: b.timezone for b in settings.businesses})
        else:
            filtered = any(v not in (None, False) for v in (label, business, since, until, source, unhandled, urgent))
            click.echo("No stored mention matches these options." if filtered
                       else _why_none_stored(session, len(settings.businesses)), err=True)


def _why_none_stored(session: Any, businesses: int) -> str:
    """Why the database holds no mention: never run, every source failing, or nothing found yet."""
    from sqlalchemy import func, select

    from pipeline.models import Source

    crawled, total = session.execute(select(func.count(Source.first_crawled_at), func.count(Source.id))).one()
    if not total:
        return "No mentions stored yet. Run `mentionwatch run` first."
    if not crawled:
        which = "the source has not" if total == 1 else f"none of the {total} sources has"
        return f"No mentions stored yet: {which} been crawled successfully (`mentionwatch check` shows why)."
    named = "the business" if businesses == 1 else "any of the businesses"
    return f"No mentions stored yet: {crawled} of {total} sources crawled; nothing found there names {named} so far."


def _chunks(rows: Any, size: int) -> Any:
    """Lists of up to `size` items from an iterator (so per-chunk lookups replace per-row ones)."""
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _print_table(records: list[dict[str, Any]], zones: dict[str, str]) -> None:
    """The mentions as a table; times on each business's clock (JSON and CSV keep UTC ISO 8601)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from alerts.when import local_time

    table = Table("id", "business", "source", "label", "score", "published", box=None)
    table.add_column("title or text", no_wrap=True, overflow="ellipsis", max_width=80)
    for r in records:
        score = f"{r['sentiment']:+.2f}" if r["sentiment"] is not None else ""
        # Web text: nothing invisible or reordering (escape.one_line), and no Rich markup.
        summary = Text(one_line(r["title"] or r["text"] or "")[:80])
        table.add_row(str(r["id"]), r["business"], r["source_type"], r["label"] or "", score,
                      local_time(datetime.fromisoformat(r["published_at"]), zones.get(r["business"], "UTC"))
                      if r["published_at"] else "", summary)
    Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(table)


@cli.command(short_help="Validate config.yaml, list the sources, test the Slack token.")
@config_option
@click.option("--fetch", is_flag=True,
              help="Also fetch every source once and print what a run would store (count, newest item); "
              "stores nothing, alerts nobody.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json prints one object: database, slack, and each source's status (ok, failing, new).")
def check(settings: Settings, fetch: bool, fmt: str) -> None:
    """Validate config.yaml, show each business and source, and test the Slack token and each
    review platform's credentials (Google, App Store Connect, Yelp, Trustpilot).

    Exits 1 if the database cannot be opened, Slack rejects the token or is configured (a
    channel, a token key) but no token came through (an unset SLACK_BOT_TOKEN: alerts print to
    the console until it is set), a platform refuses its credentials, or a source is failing
    (its last crawl failed; its reason is printed), or, with --fetch, if a source cannot be
    fetched now. Tokens and keys themselves are never printed.
    When mentions were dismissed as not about a business, it suggests exclude: / require_any:
    terms that would have filtered them, keeping every other one.

    \b
    Examples:
      mentionwatch check --config config.yaml
      mentionwatch check --fetch
      mentionwatch check --format json
    """
    from mentionwatch.checks import checks_json, fetch_sources, run_checks

    if fmt == "json":
        report, healthy = checks_json(settings, fetch)
        click.echo(json.dumps(report, ensure_ascii=False))
        if not healthy:
            sys.exit(1)
        return
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    healthy = run_checks(settings, console)
    if fetch:
        healthy = fetch_sources(settings, console) and healthy
    if not healthy:
        sys.exit(1)


def scorer_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config for commands that only score: without a config file they use the defaults."""

    @click.option(
        "--config", "config_path", type=click.Path(dir_okay=False), default=None,
        help="config.yaml whose alerts thresholds, scoring lexicon and business names to use (default: as for "
        "run; built-in defaults when there is none).",
    )
    @click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv for debugging).")
    @wraps(command)
    def wrapper(config_path: str | None, verbose: int, **kwargs: Any) -> Any:
        from mentionwatch.config import config_path as resolve_config
        from mentionwatch.config import load_settings
        from mentionwatch.runner import make_scorer

        setup_logging(verbose)
        path = resolve_config(config_path)
        settings = load_settings(path) if config_path or path.exists() else None
        return command(make_scorer(settings), **kwargs)

    return wrapper


def _why_neutral(compound: float, p_negative: float, p_positive: float, vader_led: bool) -> str:
    """Why a text the model leans on reads as neutral: the register's evidence rule (docs/scoring.md)."""
    from pipeline.learned import VADER_BAND

    if vader_led and compound <= -VADER_BAND:
        return f"  neutral all the same: VADER reads it negative, but the model is {p_positive:.0%} sure it is not"
    lean = "negative" if p_negative > p_positive else "positive"
    return (f"  neutral all the same: its words hold too little {lean} evidence (VADER {compound:+.2f}) for "
            "the model's lean alone to count; a statement of fact is not an alert")


@cli.command(short_help="Score a text as the pipeline would, sentence by sentence.")
@scorer_option
@click.argument("text")
@click.option("--title", help="A title, scored with the text as the pipeline does.")
@click.option("--rating", type=click.FloatRange(1, 5), help="Star rating on a 1..5 scale; it decides the label.")
@click.option("--register", type=click.Choice(["review", "social", "news"]), default="review", show_default=True,
              help="The kind of writing, as the pipeline tells it from the source type (reddit, hackernews, "
              "mastodon, bluesky: social; feed, html: news; review sites and platforms: review).")
@click.option("--business", metavar="NAME",
              help="Read TEXT as a mention of this business of the config (its name, in any case): its not_urgent "
              "phrases are not urgent, and when TEXT names other businesses or competitors of the config too, "
              "only the part about this one is read, as the pipeline does (docs/scoring.md).")
def score(scorer: Any, text: str, title: str | None, rating: float | None, register: str,
          business: str | None) -> None:
    """Score TEXT as the pipeline would: label, score, and the per-sentence breakdown.

    \b
    Examples:
      mentionwatch score "Great coffee, but the cashier was rude and my order was cold."
      mentionwatch score --register social "sooo done with this place 😡"
      mentionwatch score --business "Joe's Donuts" "The health inspector gave them an A."
    """
    if business is not None:
        from pipeline.normalize import business_named

        business = business_named(business, scorer.businesses) or business
    if business is not None and business not in scorer.businesses:
        known = f"its businesses: {', '.join(scorer.businesses)}" if scorer.businesses else "no config file was read"
        raise click.BadParameter(f"no business named {business!r} in the config ({known})", param_hint="--business")
    from pipeline.flow import focused

    reading = focused(scorer, business, title, text)
    part = reading.part
    if part is not None:
        others = ", ".join(name for name in part.named if name != business)
        click.echo(f"read for {business}: the part about it (the text also names {others}):")
        for line in (part.title or "").splitlines():
            click.echo(f"  title | {line}")
        for line in part.text.splitlines():
            click.echo(f"   text | {line}")
    result = scorer.score(reading.text, title=reading.title, rating=rating, register=register, business=business,
                          language_of=reading.language_of)
    click.echo(f"label: {result.label}")
    if result.text_label == "unscored":
        click.echo("score: none (the scorer reads English only; a rating or an urgent phrase still counts)")
    else:
        click.echo(f"score: {result.sentiment:+.4f} (text alone: {result.text_label})")
        origin = "alerts.threshold" if register in scorer.configured_thresholds else f"the {register} register's own"
        click.echo(f"negative at or below: {scorer.threshold_for(register):+.2f} ({origin})")
        if result.probabilities is not None:
            p_neg, p_neu, p_pos = result.probabilities
            click.echo(f"model: P(negative) {p_neg:.2f}, P(neutral) {p_neu:.2f}, P(positive) {p_pos:.2f}")
            if result.phrase_read:
                click.echo("  not negative all the same: phrases of the domain lexicon (or of scoring.lexicon) read "
                           "every sentence and VADER finds nothing negative left, so the model's lean does not count")
            elif result.sentiment == 0.0 and max(p_neg, p_pos) > p_neu:
                click.echo(_why_neutral(result.compound, p_neg, p_pos, scorer.vader_led(register)))
        click.echo(f"VADER compound: {result.compound:+.4f}")
        names = scorer.names_in(f"{title}\n{text}" if title else text)
        if names:
            click.echo(f"read as names, not for their words: {', '.join(dict.fromkeys(names))}")
    click.echo(f"language: {result.language or 'not told (too short to tell)'}")
    if rating is not None:
        click.echo(f"rating: {rating:g} {'star' if rating == 1 else 'stars'}, decides the label"
                   f"{' (disagrees strongly with the text)' if result.rating_conflict else ''}")
    if result.aspects:
        click.echo(f"about: {', '.join(result.aspects)}")
    if result.urgent:
        click.echo(f"urgent: {', '.join(result.urgent_phrases)}")
    if result.sentences:
        click.echo("sentences (VADER compound):")
    for sentence in result.sentences:
        # With a rating, the stars decide the label: the sentence drove the text's own reading.
        driven = "the label" if rating is None else "the text's reading"
        marker = f"  <- drove {driven}" if sentence.text == result.driver else ""
        click.echo(f"  {sentence.compound:+.4f}  {sentence.text}{marker}")


@cli.command(name="eval")
@scorer_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--sample", is_flag=True, help="Use the small labeled file shipped with mentionwatch instead of FILE.")
@click.option("--baseline", type=click.Choice(["vader"]),
              help="Also measure plain VADER (compound of the whole text, -0.05 / +0.05) on the same file; "
              "printed under the key 'baseline'.")
@click.option("--curve", is_flag=True,
              help="Also print, under 'curve', the negative class's precision and recall at each alerts.threshold "
              "from -0.05 to -0.9 (and each register's under per_register).")
@click.option("--register", type=click.Choice(["review", "social", "news"]),
              help="The kind of writing the texts are read as when the file has no register column "
              "(default: review).")
def evaluate(scorer: Any, file: str | None, sample: bool, baseline: str | None, curve: bool,
             register: str | None) -> None:
    """Measure the scorer on a labeled file; print one JSON object.

    FILE is tab-separated UTF-8 with a header row, the columns `text` and `label` (negative,
    neutral or positive; other columns are ignored), and optionally `register` (social, news,
    review, or a source type such as reddit or yelp; empty reads as review, anything else is an
    error), the kind of writing each text is scored as (without that column, --register says it
    for every text). Prints count, negative_f1,
    negative_precision, neutral_recall, macro_f1, per-class precision / recall / f1,
    texts_per_second, and per_register when the file has a register column. --sample uses the labeled sentences shipped with mentionwatch
    (pipeline/data/sample_labeled.tsv), a model for your own file. With --baseline vader, the
    same figures of plain VADER under "baseline". With --curve, what each threshold would alert
    (with a register column, for each register too: alerts.threshold may name registers): a
    lower alerts.threshold alerts less often and more surely. A text the scorer cannot read
    (`unscored`) counts as a wrong answer.

    \b
    Examples:
      mentionwatch eval --sample
      mentionwatch eval --sample --config config.yaml
      mentionwatch eval --sample --baseline vader
      mentionwatch eval --sample --curve
      mentionwatch eval --sample --register social
    """
    from pipeline.evaluate import SAMPLE_FILE, evaluate_file, evaluate_labels
    from pipeline.sentiment import plain_vader_label

    if bool(file) == sample:
        raise click.UsageError("give a labeled FILE or --sample (not both)")
    try:
        path = SAMPLE_FILE if sample else file
        result = evaluate_file(path, scorer, curve=curve, register=register)
        if baseline == "vader":
            result["baseline"] = {"name": "plain VADER", **evaluate_labels(path, plain_vader_label)}
    except ValueError as exc:
        raise MentionwatchError(str(exc)) from None
    click.echo(json.dumps(result))


@cli.command()
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("--keep", type=click.Path(file_okay=False), help="Keep the demo's config and database in this folder.")
def demo(verbose: int, keep: str | None) -> None:
    """See the whole cycle work, offline, in under a minute.

    Starts a local web server with sample feeds and a local Slack-compatible API server on
    127.0.0.1, runs a crawl against a temporary database, and prints what was posted to Slack.
    Needs no credentials and no network. With --keep DIR, DIR keeps the database, the sample
    feeds and a config.yaml that `check` accepts (it watches a real news search: the demo's
    servers are gone once it ends); it refuses a DIR already holding a config.yaml or demo.db.

    \b
    Examples:
      mentionwatch demo
      mentionwatch demo --keep demo
    """
    from rich.console import Console

    from mentionwatch.demo import run_demo

    setup_logging(verbose)
    run_demo(Console(highlight=False), keep)


# The alerts room's commands (report, handle, cron) live in their own module.
from mentionwatch.action_commands import register as _register_action_commands  # noqa: E402
from mentionwatch.alert_commands import register as _register_alert_commands  # noqa: E402
from mentionwatch.review_commands import register as _register_review_commands  # noqa: E402
from mentionwatch.slack_commands import register as _register_slack_commands  # noqa: E402

_register_alert_commands(cli, config_option)
_register_action_commands(cli, config_option)
_register_slack_commands(cli, config_option)
_register_review_commands(cli, config_option)

# `init` writes the config the other commands read.
from mentionwatch.init import register as _register_init  # noqa: E402

_register_init(cli)
from mentionwatch.web_commands import register as _register_web_commands  # noqa: E402

_register_web_commands(cli, config_option)
from mentionwatch.worker_commands import register as _register_worker_commands  # noqa: E402

_register_worker_commands(cli, config_option)


def main() -> None:
    cli(prog_name="mentionwatch")
