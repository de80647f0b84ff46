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
import sys
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
    """`inspect.stack()` as bare frames, and a frame's module by its globals, while modules load.

    Scrapy's TLS modules name their deprecated classes' module with
    `inspect.getmodule(inspect.stack()[1][0])` at import. The real functions read every frame's
    source file and, to find a frame's module, the file of every loaded module: three calls cost
    a cron run's start some 60 ms of CPU. A frame knows its module's name (`f_globals`), so while
    preloading the stack is the frames alone and a frame's module is looked up by that name.
    """
    full_stack, full_getmodule = inspect.stack, inspect.getmodule

    def bare_stack(context: int = 1) -> list[inspect.FrameInfo]:
        frame, frames = sys._getframe(1), []
        while frame is not None:
            code = frame.f_code
            frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
            frame = frame.f_back
        return frames

    def module_of(thing: object, _filename: str | None = None) -> object:
        if inspect.isframe(thing):
            return sys.modules.get(thing.f_globals.get("__name__", ""))
        return full_getmodule(thing, _filename)

    inspect.stack, inspect.getmodule = bare_stack, module_of  # type: ignore[assignment]
    try:
        yield
    finally:
        inspect.stack, inspect.getmodule = full_stack, full_getmodule  # type: ignore[assignment]
