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


def raise_stopped(signum: int, _frame: object) -> None:
    raise Stopped(signum)


def stopped(signum: int) -> None:
    """Say which signal stopped the tool, and exit with the shell's code for it."""
    sys.stderr.write(f"stopped by {signal.Signals(signum).name}: nothing half-written "
                     "(every change to the store is one transaction)\n")
    sys.exit(128 + signum)
