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
import os
import re
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import MentionwatchError

if TYPE_CHECKING:
    from crawlers.interrupt import Interruption

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


STOP_WAIT = 10
"""Seconds a stopped server waits for its scheduled run to store what it judged (it abandons its
downloads at once, as `mentionwatch run` does: a fraction of a second as a rule) before ending it."""

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _scheduled_run(config_path: str, told_to_stop: Connection, outcome: Connection) -> None:
    """In the child: one locked run, stopped as `mentionwatch run` is by SIGINT or SIGTERM (its
    own, or the one the server got and passes on through `told_to_stop`); sends its outcome.

    The server starts this process with both signals blocked: taken over here, then let through,
    a signal during its start-up stops the run instead of raising KeyboardInterrupt somewhere in
    the interpreter's start."""
    from crawlers.interrupt import interruptible

    ignored = [signum for signum in STOP_SIGNALS if signal.getsignal(signum) is signal.SIG_IGN]
    # A second signal ends this process at once, silently: the server says it (it got it too).
    with interruptible(say_second=False) as interruption:
        for signum in ignored:  # as the server does: nohup, a script's background job
            signal.signal(signum, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        threading.Thread(target=_stop_when_told, args=(told_to_stop, interruption),
                         name="mentionwatch-told-to-stop", daemon=True).start()
        try:
            result = _run_once(config_path, interruption)
        except Exception as exc:  # said by the server, as one line in its log
            result = "failed", f"{type(exc).__name__}: {exc}"
    outcome.send(result)


def _stop_when_told(told_to_stop: Connection, interruption: Interruption) -> None:
    """Stop the run when the server passes a signal on, or is gone (its end of the pipe closed)."""
    try:
        signum = told_to_stop.recv()
    except (EOFError, OSError):
        signum = signal.SIGTERM
    interruption.request(signum)


def _run_once(config_path: str, interruption: Interruption) -> tuple[str, str]:
    """One locked run, as `mentionwatch run` does: ("ran", its summary and what failed),
    ("skipped", why) or ("interrupted by SIGTERM", what it kept)."""
    from rich.console import Console

    from mentionwatch.config import load_settings
    from mentionwatch.runner import run_once
    from pipeline.errors import AlreadyRunning
    from pipeline.lock import run_lock

    settings = load_settings(config_path)
    try:
        with run_lock(settings.database_url()):
            summary = run_once(settings, Console(stderr=True, highlight=False), interruption)
    except AlreadyRunning as exc:
        return "skipped", f"skipped: {exc}"
    if summary.interrupted_by:
        return f"interrupted by {summary.interrupted_by}", summary.kept()
    # As `mentionwatch run` prints it for cron: the summary, then what failed.
    lines = [summary.line(), *(f"failed: {label}: {reason}" for label, reason in summary.failures),
             *(f"gap: {gap.line()}" for gap in summary.gaps)]
    if summary.alert_error:
        lines.append(f"alerts: {summary.alert_error}")
    beside_workers = summary.beside_workers()
    if beside_workers:
        lines.append(f"warning: {beside_workers}")
    return "ran", "\n".join(lines)


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
    """Runs the crawl every `interval` seconds in a child process until stopped; the first at once.

    Stopping is in two steps, so that a signal handler can start it: `stop(signum)` returns at
    once and has the run in progress stop as `mentionwatch run` stops on that signal; `wait()`
    then waits for it (at most STOP_WAIT seconds) and says what it kept. `kill()` ends the run's
    process at once (a second signal)."""

    def __init__(self, config_path: Path, interval: int):
        self.config_path, self.interval = config_path, interval
        self._stop = threading.Event()
        self._signum: int = signal.SIGTERM
        self._child: multiprocessing.process.BaseProcess | None = None
        self._kept: str | None = None
        self._thread = threading.Thread(target=self._loop, name="mentionwatch-schedule", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Start no other run, and have the one in progress stop as on `signum`; without waiting."""
        if not self._stop.is_set():
            self._signum = signum
            self._stop.set()

    def wait(self, timeout: float = STOP_WAIT) -> str | None:
        """After stop(): wait for the run in progress to end, at most `timeout` seconds (then end
        it); what it kept ("kept 2 new mentions ..."), or None when no run was stopped halfway."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.kill()
            self._thread.join(2)
            return (f"the scheduled run did not stop within {timeout:g} s and was ended; the next run "
                    "crawls again what it did not store")
        return self._kept

    def kill(self) -> None:
        """End the run's process now (safe from a signal handler). Nothing is half-written: every
        change to the store is one transaction, and the next run picks up what this one did not store."""
        child = self._child
        if child is not None and child.pid is not None:
            try:
                os.kill(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _loop(self) -> None:
        # Signals are the main thread's business (the web server's); a run's child is started
        # from here with them blocked (see _scheduled_run).
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status, text = self._run_in_child()
            except Exception as exc:
                status, text = "failed", f"{type(exc).__name__}: {exc}"
            if status == "failed":  # one failed run must not end the schedule
                if not self._stop.is_set():  # a run ended by a stop is said by the stop's line
                    log.error("scheduled run failed: %s", text)
            else:
                if status.startswith("interrupted") and self._stop.is_set():
                    self._kept = text  # said in the server's stop line
                else:
                    # One line per run on stderr, as cron would mail it (systemd keeps it in the journal).
                    print(f"scheduled run: {status + ': ' if status.startswith('interrupted') else ''}{text}",
                          file=sys.stderr, flush=True)
            # Runs start `interval` apart (not `interval` after the last one ended), so an item is
            # read at most one interval plus one run after it appeared.
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def _run_in_child(self) -> tuple[str, str]:
        context = multiprocessing.get_context("spawn")
        # Started now, while signals are blocked here: starting it unblocks them in this thread
        # (multiprocessing's resource tracker), which would let the run's child start unprotected.
        resource_tracker.ensure_running()
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        told_to_stop, tell_to_stop = context.Pipe(duplex=False)
        outcome, send_outcome = context.Pipe(duplex=False)
        child = context.Process(target=_scheduled_run, args=(str(self.config_path), told_to_stop, send_outcome),
                                name="mentionwatch-scheduled-run")  # not daemonic: it starts its pipeline's process
        child.start()
        self._child = child
        told_to_stop.close()
        send_outcome.close()
        told = False
        try:
            while not outcome.poll(0.2):
                if self._stop.is_set() and not told:
                    tell_to_stop.send(self._signum)
                    told = True
            try:
                return outcome.recv()
            except EOFError:  # the child ended without an outcome
                child.join()
                return "failed", f"its process ended with exit code {child.exitcode}"
        finally:
            tell_to_stop.close()
            outcome.close()
            child.join()
            self._child = None
