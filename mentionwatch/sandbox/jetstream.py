"""A local stand-in for Bluesky's Jetstream WebSocket (`/subscribe`), for tests and the demo.

Sends events as Jetstream documents them: one JSON message per event, `{"did", "time_us",
"kind": "commit", "commit": {"rev", "operation", "collection", "rkey", "record", "cid"}}`, in
`time_us` order (the moment it arrived, in µs, as Jetstream's are); `wantedCollections` filters by
collection, `cursor=<time_us>` replays every stored event from that moment before the live ones,
and `maxMessageSizeBytes` leaves out larger events (unless `honours_max_size=False`, as a
Jetstream without that option would). `drop_after(n)` cuts the next connection
(no close frame) after n events, as a network failure would. Each connection's query and how it
ended (a close code, or None when dropped) are recorded.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve

from mentionwatch.sandbox.loop_server import LoopServer


@dataclass
class Connection:
    query: dict[str, list[str]]
    close_code: int | None = None
    dropped: bool = False


class LocalJetstream(LoopServer):
    def __init__(self, host: str = "127.0.0.1", honours_max_size: bool = True):
        super().__init__(host)
        self.honours_max_size = honours_max_size
        self.events: list[dict[str, Any]] = []
        self.connections: list[Connection] = []
        self._drop_after: int | None = None
        self._lock = threading.Lock()
        self._changed: asyncio.Condition | None = None
        self._live_from: dict[ServerConnection, int] = {}
        self._server: Any = None
        self._time_us = int(time.time() * 1_000_000)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/subscribe"

    async def _start(self) -> None:
        self._changed = asyncio.Condition()
        self._server = await serve(self._handler, self.host, 0, process_request=self._arrived)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    # -- content

    def post(self, text: str, did: str = "did:plc:localauthor", rkey: str | None = None,
             collection: str = "app.bsky.feed.post") -> int:
        """Publish a new post (or a record of another collection); returns its time_us."""
        with self._lock:
            # The arrival's moment (readers may resume from a moment of their own clock), and
            # always later than the last.
            self._time_us = max(self._time_us + 1000, int(time.time() * 1_000_000))
            time_us = self._time_us
            rkey = rkey or f"3l{time_us:x}"
            self.events.append({"did": did, "time_us": time_us, "kind": "commit", "commit": {
                "rev": f"3l{time_us:x}r", "operation": "create", "collection": collection, "rkey": rkey,
                "record": {"$type": collection, "text": text, "langs": ["en"],
                           "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time_us / 1e6))},
                "cid": f"bafyrei{time_us:x}"}})
        asyncio.run_coroutine_threadsafe(self._notify(), self._loop).result(10)
        return time_us

    def drop_after(self, events: int) -> None:
        """Cut the next connection, without a close frame, after sending this many events."""
        self._drop_after = events

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # -- the subscription

    def _arrived(self, socket: ServerConnection, request: Any) -> None:
        """Before the handshake's answer: where "live" starts for a connection without a cursor.
        Not later, in the handler: a reader that has the answer counts itself connected, and an
        event posted at once must reach it."""
        with self._lock:
            self._live_from[socket] = self.events[-1]["time_us"] if self.events else 0

    async def _handler(self, socket: ServerConnection) -> None:
        assert self._changed is not None
        query = parse_qs(urlsplit(socket.request.path).query)  # type: ignore[union-attr]
        connection = Connection(query)
        self.connections.append(connection)
        wanted = set(query.get("wantedCollections", []))
        cursor = int(query["cursor"][0]) if query.get("cursor") else None
        max_bytes = int(query["maxMessageSizeBytes"][0]) if query.get("maxMessageSizeBytes") else 0
        if not self.honours_max_size:
            max_bytes = 0
        # Without a cursor: live events only, as Jetstream does.
        live_from = self._live_from.pop(socket)
        sent_up_to = cursor - 1 if cursor is not None else live_from
        budget, self._drop_after = self._drop_after, None
        sent = 0
        try:
            while True:
                with self._lock:
                    pending = [e for e in self.events if e["time_us"] > sent_up_to]
                for event in pending:
                    sent_up_to = event["time_us"]
                    if wanted and event["commit"]["collection"] not in wanted:
                        continue
                    if budget is not None and sent >= budget:
                        connection.dropped = True
                        socket.transport.abort()  # a dropped connection: no close frame
                        return
                    message = json.dumps(event)
                    if max_bytes > 0 and len(message.encode()) > max_bytes:
                        continue  # as Jetstream does: dropped for this subscriber
                    await socket.send(message)
                    sent += 1
                async with self._changed:
                    try:
                        await asyncio.wait_for(self._changed.wait(), 0.2)
                    except asyncio.TimeoutError:
                        pass
                if socket.close_code is not None:
                    break
        except Exception:  # noqa: BLE001 - the client went away; recorded below
            pass
        finally:
            if not connection.dropped:
                try:
                    await socket.wait_closed()
                except Exception:  # noqa: BLE001
                    pass
                connection.close_code = socket.close_code
