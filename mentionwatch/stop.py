"""How a stop by SIGINT or SIGTERM ends the tool: one line, and the shell's exit code for it.

Only the standard library's signal and sys: the console script (mentionwatch.entry) imports this
before anything slow, and the CLI (mentionwatch.cli) uses it for a stop inside a command.
"""

from __future__ import annotations

import signal
import sys


class Stopped(KeyboardInterrupt):
    """SIGINT or SIGTERM where no command had taken them over (a KeyboardInterrupt, so code that
    cleans up after Ctrl-C does so for SIGTERM too)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


pending: int | None = None
"""The stop signal received before a command took signals over. It is raised as `Stopped` at
once, but Python drops an exception raised where it cannot propagate (in the import system's
clean-up callbacks: "Exception ignored in ..."), so it is kept here too, for the command to
honour when it takes signals over (`raise_if_stopped`)."""


def raise_stopped(signum: int, _frame: object) -> None:
    global pending
    pending = signum
    raise Stopped(signum)


def take_stop_signals() -> None:
    """Make SIGINT and SIGTERM raise `Stopped` from here on (unless ignored, as under nohup).

    Where Python drops the raised exception it would print "Exception ignored in ..." and a
    traceback; the stop is kept in `pending` instead, so that report is left out."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:  # nohup, a script's background job: still ignored
            signal.signal(signum, raise_stopped)
    sys.unraisablehook = _keep_dropped_stops_quiet


def _keep_dropped_stops_quiet(unraisable: sys.UnraisableHookArgs) -> None:
    if not isinstance(unraisable.exc_value, Stopped):
        sys.__unraisablehook__(unraisable)


def raise_if_stopped() -> None:
    """Raise `Stopped` for a signal that came before this point, even one Python dropped."""
    if pending is not None:
        raise Stopped(pending)


def exit_if_stopped(error: BaseException) -> None:
    """Exit as `stopped` does if `error` is a stop, or hides one.

    A library that calls back into Python turns the `Stopped` raised there into an error of its
    own: pydantic-core building a validator gives "SchemaError: ... Stopped: 2", sqlite3 running a
    Python function "user-defined function raised exception". `pending` still says a stop came."""
    if isinstance(error, KeyboardInterrupt):
        stopped(getattr(error, "signum", signal.SIGINT))
    if pending is not None:
        stopped(pending)


def stopped(signum: int) -> None:
    """Say which signal stopped the tool, and exit with the shell's code for it."""
    sys.stderr.write(f"stopped by {signal.Signals(signum).name}: nothing half-written "
                     "(every change to the store is one transaction)\n")
    sys.exit(128 + signum)
