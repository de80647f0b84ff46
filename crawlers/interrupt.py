"""SIGINT and SIGTERM during a run: stop the crawl at once, keep what was judged, exit 130/143.

The first signal is only recorded, and whatever the run is waiting on is asked to stop (the
crawl's reactor, without waiting for downloads in flight); the run then stores what its
pipeline already holds, records the sources that did not finish as interrupted, and returns.
A second signal ends the process at once: every write is one transaction and the cursors move
only with what they cover, so nothing is half-written and the next run recovers (as after
`kill -9`).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interruption:
    """Whether a stop was asked for, by which signal, and what to do when it is.

    `say_second` False leaves the second signal's line to someone else (a scheduled run's child:
    the server that started it says it); `before_exit` is called before a second signal ends the
    process (the server ends its scheduled run's child with it)."""

    def __init__(self, say_second: bool = True, before_exit: Callable[[], None] | None = None) -> None:
        self.signum: int | None = None
        self._on_stop: Callable[[], None] | None = None
        self._signals = 0
        self._say_second, self._before_exit = say_second, before_exit

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + (self.signum or 0)

    def on_stop(self, action: Callable[[], None] | None) -> None:
        """Call `action` when a stop is asked for (at once, if it already was); None forgets it."""
        self._on_stop = action
        if action is not None and self.requested:
            action()

    def request(self, signum: int) -> None:
        """A stop asked for on behalf of `signum` by other means than the signal itself (the
        server that started this run, which got the signal); once, and never counted as a
        second signal. Safe from any thread."""
        if self.requested:
            return
        self.signum = signum
        log.info("%s received: stopping the run, keeping what was already judged", self.name)
        action = self._on_stop
        if action is not None:
            action()

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        """The signal handler (installed by interruptible); the first signal requests a stop, a
        second ends the process at once."""
        self._signals += 1
        if self._signals > 1:
            # A second signal: the person wants out now. Nothing is half-written (see above).
            if self._before_exit is not None:
                self._before_exit()
            if self._say_second:
                sys.stderr.write(f"stopped at once by a second {signal.Signals(signum).name}; "
                                 "the next run picks up what this one did not store\n")
                sys.stderr.flush()
            os._exit(128 + signum)
        self.request(signum)


@contextmanager
def interruptible(say_second: bool = True, before_exit: Callable[[], None] | None = None) -> Iterator[Interruption]:
    """Within the block, SIGINT and SIGTERM request a stop instead of raising or killing
    (`Interruption` says what the options do)."""
    interruption = Interruption(say_second, before_exit)
    previous = {signum: signal.signal(signum, interruption.handle) for signum in SIGNALS}
    try:
        yield interruption
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
