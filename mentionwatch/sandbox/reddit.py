"""A local stand-in for Reddit's JSON listings, for tests, benchmarks and the demo.

Answers as Reddit documents its listings: `/r/all/new` (posts) and `/r/all/comments` (comments),
with or without `.json`, newest first, `limit` (at most 100), `after` / `before` fullnames
(t3_..., t1_...) and `data.after` / `data.before` in the answer; only the newest `keep` items of a
listing can be paged to (Reddit keeps 1,000). `/search` finds posts whose title or text holds
the `q` words. Every answer carries `x-ratelimit-used`, `x-ratelimit-remaining` and
`x-ratelimit-reset` (seconds to the end of the window); past the window's allowance it answers
429. `/api/v1/access_token` hands out a bearer token for the client-credentials grant.
Ids are base-36 numbers given out in order, as Reddit's are.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from crawlers.streams.reddit import base36
from mentionwatch.sandbox.web import AnsweringHandler, BackgroundServer, redact_headers


@dataclass
class SeenRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class LocalReddit(BackgroundServer):
    handler_class = AnsweringHandler

    def __init__(self, host: str = "127.0.0.1", port: int = 0, keep: int = 1000,
                 allowance: int = 600, window: float = 600.0):
        super().__init__(host, port)
        self.keep, self.allowance, self.window = keep, allowance, window
        self.lock = threading.Lock()
        self.posts: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.requests: list[SeenRequest] = []
        self._next_post = 36 ** 6
        self._next_comment = 36 ** 6
        self._window_start = time.monotonic()
        self._used = 0
        self.clock = 1_764_000_000.0
        """created_utc of the next item; each new item is a few seconds newer."""

    # -- content

    def post(self, title: str, text: str = "", author: str = "someone", subreddit: str = "all_kinds",
             created: float | None = None) -> str:
        """Add a post; returns its fullname."""
        with self.lock:
            number, self._next_post = self._next_post, self._next_post + 1
            pid = base36(number)
            created = self._tick(created)
            self.posts.append({"kind": "t3", "data": {
                "id": pid, "name": f"t3_{pid}", "title": title, "selftext": text, "is_self": True,
                "author": author, "subreddit": subreddit, "created_utc": created,
                "permalink": f"/r/{subreddit}/comments/{pid}/slug/", "url": f"https://www.reddit.com/r/{subreddit}/comments/{pid}/slug/",
            }})
            return f"t3_{pid}"

    def comment(self, body: str, link_title: str = "A thread", author: str = "someone",
                subreddit: str = "all_kinds", created: float | None = None) -> str:
        """Add a comment (on a thread titled `link_title`); returns its fullname."""
        with self.lock:
            number, self._next_comment = self._next_comment, self._next_comment + 1
            cid = base36(number)
            created = self._tick(created)
            self.comments.append({"kind": "t1", "data": {
                "id": cid, "name": f"t1_{cid}", "body": body, "author": author, "subreddit": subreddit,
                "link_id": "t3_zzzzzz", "link_title": link_title, "created_utc": created,
                "permalink": f"/r/{subreddit}/comments/zzzzzz/slug/{cid}/",
            }})
            return f"t1_{cid}"

    def remove(self, fullname: str) -> None:
        """Take a post or comment out of the listings (deleted or removed by moderators)."""
        with self.lock:
            self.posts = [p for p in self.posts if p["data"]["name"] != fullname]
            self.comments = [c for c in self.comments if c["data"]["name"] != fullname]

    def _tick(self, created: float | None) -> float:
        if created is None:
            self.clock += 5
            return self.clock
        self.clock = max(self.clock, created)
        return created

    def listing_requests(self) -> list[SeenRequest]:
        """The requests for /r/all listings (not logins, not searches)."""
        return [r for r in self.requests if r.path.startswith("/r/all/")]

    # -- answers

    def answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = parts.path.removesuffix(".json").rstrip("/")
        with self.lock:
            self.requests.append(SeenRequest(method, path, query, redact_headers(headers)))
            limits = self._spend()
        if path == "/api/v1/access_token" and method == "POST":
            return 200, {"Content-Type": "application/json"}, json.dumps(
                {"access_token": "local-reddit-token", "token_type": "bearer", "expires_in": 86400, "scope": "*"}).encode()
        if int(limits["x-ratelimit-remaining"]) < 0:
            limits["x-ratelimit-remaining"] = "0"
            return 429, {**limits, "Content-Type": "application/json"}, b'{"message": "Too Many Requests", "error": 429}'
        with self.lock:
            if path == "/r/all/new":
                items = list(self.posts)
            elif path == "/r/all/comments":
                items = list(self.comments)
            elif path == "/search":
                words = query.get("q", "").replace('"', "").lower().split()
                items = [p for p in self.posts
                         if all(w in (p["data"]["title"] + " " + p["data"]["selftext"]).lower() for w in words)]
            else:
                return 404, {"Content-Type": "application/json"}, b'{"message": "Not Found", "error": 404}'
        return 200, {**limits, "Content-Type": "application/json; charset=UTF-8"}, json.dumps(self._page(items, query)).encode()

    def _spend(self) -> dict[str, str]:
        now = time.monotonic()
        if now - self._window_start >= self.window:
            self._window_start, self._used = now, 0
        self._used += 1
        reset = max(0, int(self.window - (now - self._window_start)))
        return {"x-ratelimit-used": str(self._used), "x-ratelimit-remaining": str(self.allowance - self._used),
                "x-ratelimit-reset": str(reset)}

    def _page(self, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        newest_first = sorted(items, key=lambda c: int(c["data"]["id"], 36), reverse=True)[: self.keep]
        limit = max(1, min(100, int(query.get("limit") or 25)))
        position = {c["data"]["name"]: i for i, c in enumerate(newest_first)}
        if query.get("after"):
            start = position.get(query["after"])
            page = [] if start is None else newest_first[start + 1: start + 1 + limit]
        elif query.get("before"):
            end = position.get(query["before"])
            page = [] if end is None else newest_first[max(0, end - limit): end]
        else:
            page = newest_first[:limit]
        older = bool(page) and position[page[-1]["data"]["name"]] + 1 < len(newest_first)
        return {"kind": "Listing", "data": {
            "after": page[-1]["data"]["name"] if older else None,
            # As Reddit: the first item's fullname while newer items exist (none on the newest page).
            "before": page[0]["data"]["name"] if page and position[page[0]["data"]["name"]] > 0 else None,
            "dist": len(page), "children": page,
        }}
