"""A local server whose asyncio loop runs in a thread of its own, started and stopped by `with`.

The WebSocket and streaming imitations (Jetstream, Mastodon) serve from coroutines while the
test that uses them stays synchronous: each subclass says how to start and stop its server on
the loop (`_start`, `_stop`); this class owns the loop, its thread and their order of closing.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Self


class LoopServer:
    """An asyncio server on 127.0.0.1 in a thread: `with Server() as server: ...`."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host, self.port = host, 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=type(self).__name__, daemon=True)

    async def _start(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
