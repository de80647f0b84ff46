"""A JSON webhook on 127.0.0.1 that records what Apprise's json:// sends it, and can refuse."""

from __future__ import annotations

import json
import threading
from typing import Any

from mentionwatch.sandbox.web import BackgroundServer, QuietHandler


class LocalWebhook(BackgroundServer):
    """POST /hook: records the JSON body and answers 200, or 500 while `failing` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[dict[str, Any]] = []
        self.refused = 0
        self.failing = False
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The Apprise URL for this webhook."""
        return f"json://127.0.0.1:{self.port}/hook"


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        owner: LocalWebhook = self.server.owner
        body = self.read_body()
        with owner._lock:
            if owner.failing:
                owner.refused += 1
                status = 500
            else:
                owner.received.append(json.loads(body))
                status = 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


LocalWebhook.handler_class = _Handler
