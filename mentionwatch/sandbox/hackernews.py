"""A local stand-in for Algolia's Hacker News search API (`/api/v1/search_by_date`).

Answers as hn.algolia.com documents: `tags` (one tag, or an OR list in parentheses such as
`(story,comment)`), `numericFilters` (comma-separated `created_at_i>=N`-style conditions, all of
which must hold), `query` (every word present), `hitsPerPage` (at most 1,000) and `page`, newest
first, with `nbHits`, `nbPages`, `page` and `hitsPerPage` in the answer. As Algolia does, only the
first 1,000 hits of a query can be paged to.
"""

from __future__ import annotations

import json
import math
import operator
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mentionwatch.sandbox.web import AnsweringHandler, BackgroundServer

PAGINATION_LIMIT = 1000
_CONDITION = re.compile(r"^\s*(created_at_i|points|num_comments)\s*(>=|<=|>|<|=)\s*(\d+)\s*$")
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.eq}


@dataclass
class SeenRequest:
    path: str
    query: dict[str, str]


class LocalHackerNews(BackgroundServer):
    handler_class = AnsweringHandler

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.lock = threading.Lock()
        self.hits: list[dict[str, Any]] = []
        self.requests: list[SeenRequest] = []
        self._next_id = 40_000_000
        self.clock = 1_764_000_000
        """created_at_i of the next item; each new item is a few seconds newer."""

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v1"

    def story(self, title: str, text: str | None = None, author: str = "someone", created: int | None = None) -> str:
        """Add a story; returns its objectID."""
        return self._add(["story", f"author_{author}"], author, created,
                         title=title, story_text=text, url=None if text else "https://example.com/")

    def comment(self, text: str, story_title: str = "A story", author: str = "someone", created: int | None = None) -> str:
        """Add a comment; returns its objectID."""
        return self._add(["comment", f"author_{author}"], author, created, comment_text=text, story_title=story_title)

    def _add(self, tags: list[str], author: str, created: int | None, **fields: Any) -> str:
        with self.lock:
            object_id, self._next_id = str(self._next_id), self._next_id + 1
            if created is None:
                self.clock += 5
                created = self.clock
            self.clock = max(self.clock, created)
            self.hits.append({"objectID": object_id, "created_at_i": created, "author": author, "_tags": tags,
                              "created_at": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                              **fields})
            return object_id

    def answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.requests.append(SeenRequest(parts.path, query))
            hits = list(self.hits)
        if parts.path != "/api/v1/search_by_date":
            return 404, {"Content-Type": "application/json"}, b'{"message": "Not Found", "status": 404}'
        try:
            hits = self._filter(hits, query)
        except ValueError as exc:
            return 400, {"Content-Type": "application/json"}, json.dumps({"message": str(exc), "status": 400}).encode()
        hits.sort(key=lambda h: (h["created_at_i"], int(h["objectID"])), reverse=True)
        per_page = max(1, min(1000, int(query.get("hitsPerPage") or 20)))
        page = int(query.get("page") or 0)
        reachable = hits[:PAGINATION_LIMIT]
        pages = math.ceil(len(reachable) / per_page)
        answer = {"hits": reachable[page * per_page:(page + 1) * per_page], "nbHits": len(hits), "page": page,
                  "nbPages": pages, "hitsPerPage": per_page, "exhaustiveNbHits": True,
                  "query": query.get("query", ""), "params": parts.query}
        return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(answer).encode()

    @staticmethod
    def _filter(hits: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
        tags = query.get("tags", "")
        if tags:
            wanted = set(tags.strip("()").split(","))
            hits = [h for h in hits if wanted & set(h["_tags"])]
        for condition in filter(None, query.get("numericFilters", "").split(",")):
            match = _CONDITION.match(condition)
            if match is None:
                raise ValueError(f"invalid numericFilters: {condition}")
            field, op, value = match.group(1), _OPS[match.group(2)], int(match.group(3))
            hits = [h for h in hits if op(h.get(field, 0), value)]
        words = query.get("query", "").lower().split()
        if words:
            def text(h: dict[str, Any]) -> str:
                return " ".join(str(h.get(k) or "") for k in ("title", "story_text", "comment_text")).lower()
            hits = [h for h in hits if all(w in text(h) for w in words)]
        return hits
