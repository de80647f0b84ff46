"""The `mentionwatch` console script.

A command that can be stopped halfway (`run`, `listen`, `serve`) takes SIGINT and SIGTERM over
itself. Before it does (while Python loads the tool, the config is read, the database opened),
or in a command with nothing to wind down, a stop is still one line and the shell's exit code
(130 for SIGINT, 143 for SIGTERM): never a traceback, never click's "Aborted!" with exit 1. It is
safe to stop there: every change to the store is one transaction.
"""

from __future__ import annotations

# Only what is loaded already: the handlers go in before anything slow is imported.
from mentionwatch.stop import exit_if_stopped, take_stop_signals


def main() -> None:
    take_stop_signals()
    try:
        from mentionwatch.cli import main as cli_main

        cli_main()
    except (KeyboardInterrupt, Exception) as exc:
        exit_if_stopped(exc)
        raise
