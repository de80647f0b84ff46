"""A command's start without the garbage collector's passes over what it is loading.

Python's cyclic collector runs a full pass over every object each time their number grows by a
quarter. Loading SQLAlchemy, Scrapy, pydantic and the config creates several hundred thousand
objects that live as long as the process, so those passes find nothing and cost about a fifth of
a command's start (a cron `run` over unchanged sources is mostly its start). While a command
loads, the collector waits; the loaded objects are then frozen (set aside for good, so later
passes, and a forked pipeline worker's pages, leave them alone) and collection resumes.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block; freeze what it loaded and resume after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def import_modules(modules: Sequence[str]) -> None:
    """Import `modules` now (inside `collector_paused`, where loading is cheapest)."""
    for name in modules:
        importlib.import_module(name)
