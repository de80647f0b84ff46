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
import inspect
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
    with _frames_without_source():
        for name in modules:
            importlib.import_module(name)


@contextmanager
def _frames_without_source() -> Iterator[None]:
    """`inspect.stack()` without each frame's lines of source while modules load.

    Scrapy's TLS modules name their deprecated classes' module with `inspect.stack()[1]` at import,
    which reads the source of every frame of the stack and, for each frame of the import system,
    searches every loaded module: three calls cost some 30 ms of a run's start. Only the frames
    are needed, so the stack is taken without source lines (`context=0`) while preloading.
    """
    full_stack = inspect.stack
    inspect.stack = lambda context=1: full_stack(0)  # type: ignore[assignment]
    try:
        yield
    finally:
        inspect.stack = full_stack  # type: ignore[assignment]
