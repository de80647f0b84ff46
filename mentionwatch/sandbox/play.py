"""A local stand-in for Google Play's public review listing, as google-play-scraper reads it.

The library POSTs `f.req=<batchexecute request>` to `/_/PlayStoreUi/data/batchexecute?hl=&gl=`
(the `oCPfdb` call: sort, count, the continuation token, the package) and reads the answer:
`)]}'`, a blank line, then `[["wrb.fr","oCPfdb","<JSON text>",...]]`, where the JSON text is
`[[review, ...], ..., [null, "<next page token>"], ...]` and a review is an array: 0 id, 1 the
author ([name, [.., .., .., [.., .., image]]]), 2 stars, 4 text, 5 [created, nanos], 6 thumbs
up, 7 the developer's reply ([.., text, [replied, nanos]]), 10 the app version. Newest first, in
pages of the asked count. `fail_next(status)` answers the next listing with an HTTP error, as
Play does when it refuses; `requests` records what was asked.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mentionwatch.sandbox.web import AnsweringHandler, BackgroundServer

# [null,[2,SORT,[COUNT(,null,\"TOKEN\")?],...],[\"PACKAGE\",7]]
_REQUEST = re.compile(r'\[2,(\d+),\[(\d+)(?:,null,\\"([^\\"]+)\\")?\].*\[\\"([\w.]+)\\",7\]')


@dataclass
class PlayRequest:
    path: str
    package: str
    count: int
    token: str | None


class LocalPlayStore(BackgroundServer):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.lock = threading.Lock()
        self.reviews: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[PlayRequest] = []
        self._failures: list[int] = []

    def add_review(self, package: str, review_id: str, stars: int, text: str, author: str, at: datetime,
                   reply: str | None = None, replied: datetime | None = None) -> None:
        with self.lock:
            self.reviews.setdefault(package, []).append({"id": review_id, "stars": stars, "text": text,
                                                         "author": author, "at": at, "reply": reply,
                                                         "replied": replied})

    def fail_next(self, status: int) -> None:
        with self.lock:
            self._failures.append(status)

    def answer(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        if method != "POST" or urlsplit(path).path != "/_/PlayStoreUi/data/batchexecute":
            return 404, {"Content-Type": "text/html"}, b"<html><body>Not Found</body></html>"
        request = parse_qs(body.decode())["f.req"][0] if b"f.req=" in body else ""
        found = _REQUEST.search(request.replace(" ", ""))
        if not found:
            return 400, {"Content-Type": "text/html"}, b"<html><body>Bad Request</body></html>"
        _, count, token, package = found.groups()
        with self.lock:
            self.requests.append(PlayRequest(path, package, int(count), token))
            if self._failures:
                return self._failures.pop(0), {"Content-Type": "text/html"}, b"<html><body>Error</body></html>"
            listing = sorted(self.reviews.get(package, []), key=lambda r: r["at"], reverse=True)
        start = int(token.removeprefix("page-")) if token else 0
        page = listing[start:start + int(count)]
        following = f"page-{start + len(page)}" if start + len(page) < len(listing) else None
        inner = [[_review_array(r) for r in page], [None, following], None]
        envelope = [["wrb.fr", "oCPfdb", json.dumps(inner, ensure_ascii=False), None, None, None, "generic"]]
        data = ")]}'\n\n" + json.dumps(envelope, ensure_ascii=False)
        return 200, {"Content-Type": "application/json; charset=utf-8"}, data.encode()


def _review_array(review: dict[str, Any]) -> list[Any]:
    reply = None
    if review["reply"] is not None:
        reply = ["Joe's Donuts", review["reply"], [int(review["replied"].timestamp()), 0]]
    return [review["id"], [review["author"], [None, 2, None, [None, None, "https://play-lh.googleusercontent.com/a"]]],
            review["stars"], None, review["text"], [int(review["at"].timestamp()), 0], 0, reply, None, None, "4.1.2"]


class _Handler(AnsweringHandler):
    server_version = "ESF"


LocalPlayStore.handler_class = _Handler
