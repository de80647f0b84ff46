"""`mentionwatch worker`: run crawl and delivery jobs from the queue in the PostgreSQL database."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # loaded with the command, not with --help
    from mentionwatch.config import Settings


def register(cli: click.Group, config_option: Callable[..., Any]) -> None:
    """Add `worker` to `cli`; `config_option` is cli.py's decorator that loads the settings."""

    @cli.command(short_help="Run crawl and alert jobs from the queue in PostgreSQL, on any number of machines.")
    @config_option
    @click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
                  help="Jobs run at once in this process (crawls of different sites).")
    @click.option("--burst", is_flag=True,
                  help="Exit (0) once nothing is queued or running, instead of waiting for more.")
    def worker(settings: Settings, concurrency: int, burst: bool) -> None:
        """Run jobs from the queue kept in the PostgreSQL database, until stopped.

        Start it on as many machines as you like, all with the same config.yaml and database:
        each job crawls one source, or plans and sends alerts. The workers schedule by
        themselves: each source is checked every `interval:` (feeds and social searches 15
        minutes, review pages and platforms 60 by default), so no cron is needed. No two
        workers fetch from one site at once, and an alert is posted once, even if a worker is
        killed: its jobs run again elsewhere. SIGTERM or Ctrl-C hands the running jobs back to
        the queue within seconds (exit 143 or 130). Needs `database: postgresql://...`; on
        SQLite, run `mentionwatch run` from cron. A changed config.yaml takes effect when the
        workers are restarted (each says so in its log). It says on stderr when it has started
        and each crawl that failed; it ends with one line of what it did.

        \b
        Example:
          mentionwatch worker --concurrency 4
        """
        import signal

        from mentionwatch.worker import queue_conninfo, run_worker

        queue_conninfo(settings.database_url())  # one clear line on SQLite, before loading anything
        def ready(sources: int) -> None:
            businesses = len(settings.businesses)
            until = "it exits once nothing is queued or running" if burst else "stop it with Ctrl-C or SIGTERM"
            click.echo(f"worker started: {sources} source{'' if sources == 1 else 's'} of {businesses} "
                       f"business{'' if businesses == 1 else 'es'}, up to {concurrency} jobs at once; {until}", err=True)

        outcome = run_worker(settings, concurrency, burst, ready)
        click.echo(f"worker: {outcome.tally.line()}")
        if outcome.stopped_by is not None:
            click.echo(f"worker stopped by {outcome.stopped_by}: running jobs handed back to the queue", err=True)
            sys.exit(128 + signal.Signals[outcome.stopped_by].value)
