"""Work the web server hands to a child process: "fetch now" for one source, and scheduled runs.

A crawl runs Scrapy's Twisted reactor, which starts once per process and wants the main thread;
so each fetch or run is a fresh child process (spawned, not forked, since the server has
threads). A scheduled run takes the same lock as a run from cron (pipeline.lock.run_lock), so
the two never overlap. The web app (respond.web) is handed `fetch_now` by `mentionwatch serve`.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import re
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline.errors import MentionwatchError

log = logging.getLogger(__name__)
FETCH_TIMEOUT = 300


def _fetch_one(config_path: str, business: str, identity: str) -> tuple[bool, str]:
    """In the child: `check --fetch` for one source; (healthy, what it printed)."""
    from rich.console import Console

    from mentionwatch.checks import fetch_sources
    from mentionwatch.config import load_settings

    settings = load_settings(config_path)
    configured = next((b for b in settings.businesses if b.name == business), None)
    source = next((s for s in configured.sources if s.identity() == identity), None) if configured else None
    if source is None:
        return False, "this source is no longer in config.yaml"
    one = settings.model_copy(update={"businesses": [configured.model_copy(update={"sources": [source]})]})
    out = io.StringIO()
    healthy = fetch_sources(one, Console(file=out, soft_wrap=True, highlight=False, color_system=None))
    return healthy, out.getvalue().strip()


class FetchGuard:
    """Which "Fetch now"s may start: one per source at a time, and at most `cap` in all.

    Each fetch is a child process holding a crawler (about 130 MB, seconds to start): twelve
    clicks at once must not start twelve. A click that finds its source being fetched, or the
    cap reached, is refused at once with the reason, rather than queued behind the others.
    """

    def __init__(self, cap: int = 2):
        self.cap = cap
        self._lock = threading.Lock()
        self._running: set[tuple[str, str, str]] = set()

    def admit(self, key: tuple[str, str, str]) -> str | None:
        """Take a place for `key`; None when admitted, else why not (release() when done)."""
        with self._lock:
            if key in self._running:
                return "this source is being fetched already (another click started it): its result shows there"
            if len(self._running) >= self.cap:
                return (f"{len(self._running)} fetches are running already, the most at once: try again when one "
                        "has finished")
            self._running.add(key)
            return None

    def release(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._running.discard(key)


FETCH_GUARD = FetchGuard()
"""The server's guard: `fetch_now` is called from the web app's worker threads, all in one process."""


def fetch_now(config_path: Path, business: str, identity: str) -> tuple[bool, str]:
    """Fetch one source as `mentionwatch check --fetch` does, in a child process; nothing is stored.

    At most one fetch per source and FETCH_GUARD.cap in all run at once; a click beyond that is
    answered (False, why) at once."""
    key = (str(config_path), business, identity)
    refused = FETCH_GUARD.admit(key)
    if refused is not None:
        return False, f"Not started: {refused}."
    try:
        return _fetch_in_child(config_path, business, identity)
    finally:
        FETCH_GUARD.release(key)


def _fetch_in_child(config_path: Path, business: str, identity: str) -> tuple[bool, str]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return pool.submit(_fetch_one, str(config_path), business, identity).result(timeout=FETCH_TIMEOUT)
        except TimeoutError:
            return False, f"the fetch took longer than {FETCH_TIMEOUT} seconds"
        except MentionwatchError as exc:
            return False, str(exc)
        except Exception as exc:  # the child died or could not start: say so on the page
            return False, f"the fetch could not run: {type(exc).__name__}: {exc}"


def _run_once(config_path: str) -> str:
    """In the child: one locked run, as `mentionwatch run` does; its summary line."""
    from rich.console import Console

    from mentionwatch.config import load_settings
    from mentionwatch.runner import run_once
    from pipeline.errors import AlreadyRunning
    from pipeline.lock import run_lock

    settings = load_settings(config_path)
    try:
        with run_lock(settings.database_url()):
            summary = run_once(settings, Console(stderr=True, highlight=False))
    except AlreadyRunning as exc:
        return f"skipped: {exc}"
    # As `mentionwatch run` prints it for cron: the summary, then what failed.
    lines = [summary.line(), *(f"failed: {label}: {reason}" for label, reason in summary.failures),
             *(f"gap: {gap.line()}" for gap in summary.gaps)]
    if summary.alert_error:
        lines.append(f"alerts: {summary.alert_error}")
    beside_workers = summary.beside_workers()
    if beside_workers:
        lines.append(f"warning: {beside_workers}")
    return "\n".join(lines)


def parse_interval(value: str) -> int:
    """'15m', '2h', '90s' or a number of minutes, as seconds (at least a minute)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smh]?)\s*", value)
    if not match:
        raise MentionwatchError(f"--schedule {value!r}: use a number with m (minutes), h (hours) or s, e.g. 15m")
    seconds = int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "": 60}[match.group(2)]
    if seconds < 60:
        raise MentionwatchError(f"--schedule {value!r}: runs must be at least a minute apart")
    return seconds


class Schedule:
    """Runs the crawl every `interval` seconds in a child process until stopped; the first at once."""

    def __init__(self, config_path: Path, interval: int):
        self.config_path, self.interval = config_path, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mentionwatch-schedule", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                    # One line per run on stderr, as cron would mail it (systemd keeps it in the journal).
                    print(f"scheduled run: {pool.submit(_run_once, str(self.config_path)).result()}", file=sys.stderr,
                          flush=True)
            except Exception as exc:  # one failed run must not end the schedule
                log.error("scheduled run failed: %s: %s", type(exc).__name__, exc)
            # Runs start `interval` apart (not `interval` after the last one ended), so an item is
            # read at most one interval plus one run after it appeared.
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
