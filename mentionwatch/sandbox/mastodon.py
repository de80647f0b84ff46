"""A local stand-in for a Mastodon instance's public stream and timelines, for tests and benchmarks.

Answers as Mastodon documents it (docs.joinmastodon.org, methods/streaming and methods/timelines):
- `GET /api/v2/instance`: `configuration.urls.streaming` names the stream's address (ws://...);
- `GET /api/v1/streaming/health`: `OK`;
- `GET /api/v1/streaming/public`: server-sent events, `:)` first, `event: update` with a Status as
  JSON for each new public status, `:thump` heartbeats every `heartbeat` seconds; `drop_after(n)`
  cuts the next connection after n updates (no end of stream, as a network failure would);
- `GET /api/v1/timelines/public` and `/api/v1/timelines/tag/:tag`: newest first, `limit` (at most
  40), `max_id`, `since_id` and `min_id` (the statuses just after it), and a Link header with
  `next` (max_id) and `prev` (min_id) as Mastodon sends it.
With `closed=True` the stream and the public timeline answer 401 with Mastodon's error body
(`{"error": "Missing access token"}`), as instances since 4.2 do without a token, while the
hashtag timeline stays open. With `token=` only that bearer token is let in.
Ids are numeric strings that grow with time, as Mastodon's snowflake ids do.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mentionwatch.sandbox.loop_server import LoopServer


@dataclass
class StreamConnection:
    headers: dict[str, str]
    dropped: bool = False
    closed_by_client: bool = False
    sent: list[str] = field(default_factory=list)


class LocalMastodon(LoopServer):
    def __init__(self, host: str = "127.0.0.1", closed: bool = False, token: str | None = None,
                 heartbeat: float = 1.0):
        super().__init__(host)
        self.closed, self.token, self.heartbeat = closed, token, heartbeat
        self.statuses: list[dict[str, Any]] = []
        self.connections: list[StreamConnection] = []
        self.requests: list[str] = []
        self._drop_after: int | None = None
        self._lock = threading.Lock()
        self._next_id = 113_500_000_000_000_000
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()
        # Streams still open (a reader that never hung up) end here, not at the loop's closing.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _start(self) -> None:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_get("/api/v2/instance", self._instance)
        app.router.add_get("/api/v1/streaming/health", self._health)
        app.router.add_get("/api/v1/streaming/public", self._stream)
        app.router.add_get("/api/v1/timelines/public", self._public_timeline)
        app.router.add_get("/api/v1/timelines/tag/{tag}", self._tag_timeline)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    # -- content

    def post(self, text: str, author: str = "someone", tags: tuple[str, ...] = (),
             visibility: str = "public") -> str:
        """A new status (its text becomes the HTML content); returns its id."""
        with self._lock:
            self._next_id += 65_536 * 1000  # a millisecond later, as snowflake ids go
            status_id = str(self._next_id)
            self.statuses.append({
                "id": status_id, "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "visibility": visibility, "spoiler_text": "", "reblog": None, "language": "en",
                "uri": f"https://remote.example/users/{author}/statuses/{status_id}",
                "url": f"https://remote.example/@{author}/{status_id}",
                "content": f"<p>{text}</p>", "tags": [{"name": t} for t in tags],
                "account": {"id": "1", "username": author, "acct": f"{author}@remote.example"},
            })
        asyncio.run_coroutine_threadsafe(self._notify(), self._loop).result(10)
        return status_id

    def drop_after(self, updates: int) -> None:
        """Cut the next stream connection after sending this many updates."""
        self._drop_after = updates

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # -- answers

    def _refusal(self, request: web.Request, public: bool) -> web.Response | None:
        self.requests.append(request.path_qs)
        given = request.headers.get("Authorization", "")
        if (public and self.closed) or (self.token and given != f"Bearer {self.token}"):
            return web.json_response({"error": "Missing access token"}, status=401)
        return None

    async def _instance(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        return web.json_response({"domain": f"{self.host}:{self.port}", "configuration": {
            "urls": {"streaming": f"ws://{self.host}:{self.port}"}, "statuses": {"max_characters": 500}}})

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="OK")

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        refusal = self._refusal(request, public=True)
        if refusal is not None:
            return refusal
        assert self._changed is not None
        connection = StreamConnection(dict(request.headers))
        self.connections.append(connection)
        budget, self._drop_after = self._drop_after, None
        # Live statuses only, from the request's arrival: taken before the answer starts, since a
        # reader that has the answer's headers counts itself connected and a status may follow at once.
        with self._lock:
            sent_up_to = int(self.statuses[-1]["id"]) if self.statuses else 0
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
        await response.prepare(request)
        await response.write(b":)\n")
        last_beat = time.monotonic()
        try:
            while True:
                with self._lock:
                    pending = [s for s in self.statuses if int(s["id"]) > sent_up_to]
                for status in pending:
                    sent_up_to = int(status["id"])
                    if status["visibility"] != "public":
                        continue
                    if budget is not None and len(connection.sent) >= budget:
                        connection.dropped = True
                        assert request.transport is not None
                        request.transport.abort()
                        return response
                    await response.write(f"event: update\ndata: {json.dumps(status)}\n\n".encode())
                    connection.sent.append(status["id"])
                if time.monotonic() - last_beat >= self.heartbeat:
                    await response.write(b":thump\n")
                    last_beat = time.monotonic()
                async with self._changed:
                    try:
                        await asyncio.wait_for(self._changed.wait(), min(0.2, self.heartbeat))
                    except asyncio.TimeoutError:
                        pass
        except ConnectionError:  # the reader went away
            connection.closed_by_client = True
        except asyncio.CancelledError:
            connection.closed_by_client = True
            raise
        return response

    async def _public_timeline(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request, public=True)
        if refusal is not None:
            return refusal
        with self._lock:
            statuses = [s for s in self.statuses if s["visibility"] == "public"]
        return self._page(request, statuses)

    async def _tag_timeline(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request, public=False)
        if refusal is not None:
            return refusal
        tag = request.match_info["tag"].lower()
        with self._lock:
            statuses = [s for s in self.statuses if s["visibility"] == "public"
                        and any(t["name"].lower() == tag for t in s["tags"])]
        return self._page(request, statuses)

    def _page(self, request: web.Request, statuses: list[dict[str, Any]]) -> web.Response:
        query = request.query
        limit = max(1, min(40, int(query.get("limit") or 20)))
        chosen = sorted(statuses, key=lambda s: int(s["id"]))
        if query.get("max_id"):
            chosen = [s for s in chosen if int(s["id"]) < int(query["max_id"])]
        if query.get("since_id"):
            chosen = [s for s in chosen if int(s["id"]) > int(query["since_id"])]
        if query.get("min_id"):  # the statuses just after min_id
            chosen = [s for s in chosen if int(s["id"]) > int(query["min_id"])][:limit]
        else:  # the newest ones
            chosen = chosen[-limit:]
        page = list(reversed(chosen))
        headers = {}
        if page:
            base = f"{self.url}{request.path}?limit={limit}"
            headers["Link"] = (f'<{base}&max_id={page[-1]["id"]}>; rel="next", '
                               f'<{base}&min_id={page[0]["id"]}>; rel="prev"')
        return web.json_response(page, headers=headers)
