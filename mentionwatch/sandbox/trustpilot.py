"""A local stand-in for the Trustpilot API, for tests: a business unit, its reviews, and replies.

Answers as Trustpilot documents: `business-units/{id}` (score, numberOfReviews),
`business-units/{id}/reviews` (newest first, `links` with `next-page`), `reviews/{id}`, all with
an `apikey` header; the business-user token endpoint (OAuth 2 password grant, the client's key
and secret by HTTP Basic); and `private/reviews/{id}/reply` with that token, answering 201.
Refusals come in the API gateway's shape {"fault": {"faultstring", "detail": {"errorcode"}}}.
`lose_reply_answers` stores a reply and drops the connection instead of answering;
`show_replies_after` keeps a stored reply out of the read API for that many seconds, as a cached
read-back does.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mentionwatch.sandbox.google import GoogleRequest
from mentionwatch.sandbox.web import AnsweringHandler, BackgroundServer, redact_headers


def _fault(text: str, code: str) -> bytes:
    return json.dumps({"fault": {"faultstring": text, "detail": {"errorcode": code}}}).encode()


class LocalTrustpilot(BackgroundServer):
    def __init__(self, api_key: str, api_secret: str, username: str, password: str, unit: str,
                 host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.api_key, self.api_secret, self.username, self.password, self.unit = api_key, api_secret, username, password, unit
        self.lock = threading.Lock()
        self.requests: list[GoogleRequest] = []
        self.reviews: dict[str, dict[str, Any]] = {}
        self.tokens: set[str] = set()
        self._lose = 0
        self._reply_delay = 0.0

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v1/"

    def add_review(self, review_id: str, stars: int, text: str, name: str, created: datetime) -> None:
        with self.lock:
            self.reviews[review_id] = {"id": review_id, "stars": stars, "title": text[:20], "text": text,
                                       "language": "en", "createdAt": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                       "updatedAt": None, "consumer": {"id": f"c-{review_id}", "displayName": name}}

    def reply_of(self, review_id: str) -> str | None:
        with self.lock:
            reply = self.reviews[review_id].get("companyReply")
            return reply["text"] if reply else None

    def lose_reply_answers(self, count: int = 1) -> None:
        with self.lock:
            self._lose += count

    def show_replies_after(self, seconds: float) -> None:
        """From now on a stored reply appears in `reviews/{id}` only `seconds` after it was posted."""
        with self.lock:
            self._reply_delay = seconds

    def catch_up(self) -> None:
        """The read API shows every stored reply from now on, as when the delay has passed."""
        with self.lock:
            for review in self.reviews.values():
                review.pop("_visible_at", None)

    def shows_reply(self, review_id: str) -> bool:
        """Whether the read API shows the review's reply now."""
        with self.lock:
            return "companyReply" in self._public(self.reviews[review_id])

    @staticmethod
    def _public(review: dict[str, Any]) -> dict[str, Any]:
        """The review as the read API shows it: a reply still hidden by the delay is left out."""
        hidden = review.get("_visible_at", 0) > time.monotonic()
        return {k: v for k, v in review.items() if not k.startswith("_") and not (hidden and k == "companyReply")}

    def calls(self, method: str, contains: str = "") -> list[GoogleRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == method and contains in r.path]

    def answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes | None]:
        status, data = self._answer(method, target, headers, body)
        with self.lock:
            self.requests.append(GoogleRequest(method, target, redact_headers(headers), body, status))
        return status, {"Content-Type": "application/json"}, data

    def _answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, bytes | None]:
        parts = urlsplit(target)
        path = parts.path
        if path == "/v1/oauth/oauth-business-users-for-applications/accesstoken" and method == "POST":
            basic = headers.get("Authorization") or ""
            key, _, secret = base64.b64decode(basic[6:]).decode().partition(":") if basic.startswith("Basic ") else ("", "", "")
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            if (key, secret) != (self.api_key, self.api_secret):
                return 401, _fault("Invalid ApiKey", "oauth.v2.InvalidApiKey")
            if form.get("grant_type") != "password" or (form.get("username"), form.get("password")) != (
                    self.username, self.password):
                return 400, json.dumps({"error": "invalid_grant", "error_description": "Invalid credentials"}).encode()
            token = secrets.token_urlsafe(16)
            with self.lock:
                self.tokens.add(token)
            return 200, json.dumps({"access_token": token, "refresh_token": secrets.token_urlsafe(16),
                                    "expires_in": "359999", "token_type": "Bearer"}).encode()
        match = re.fullmatch(r"/v1/private/reviews/([^/]+)/reply", path)
        if match and method == "POST":
            with self.lock:
                if (headers.get("Authorization") or "")[7:] not in self.tokens:
                    return 401, _fault("Invalid access token", "keymanagement.service.invalid_access_token")
                review = self.reviews.get(match.group(1))
                if review is None:
                    return 404, json.dumps({"message": "Review not found"}).encode()
                message = json.loads(body or b"{}").get("message")
                now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                review["companyReply"] = {"text": message, "authorBusinessUserId": json.loads(body).get(
                    "authorBusinessUserId"), "createdAt": now, "updatedAt": None}
                review["_visible_at"] = time.monotonic() + self._reply_delay
                if self._lose:
                    self._lose -= 1
                    return 201, None
            return 201, b""
        if headers.get("apikey") != self.api_key:
            return 401, _fault("Invalid ApiKey", "oauth.v2.InvalidApiKey")
        with self.lock:
            if path == f"/v1/business-units/{self.unit}":
                stars = [r["stars"] for r in self.reviews.values()]
                average = round(sum(stars) / len(stars) * 2) / 2 if stars else 0
                return 200, json.dumps({"id": self.unit, "score": {"trustScore": average, "stars": average},
                                        "numberOfReviews": {"total": len(stars)}}).encode()
            if path == f"/v1/business-units/{self.unit}/reviews":
                ordered = sorted(map(self._public, self.reviews.values()), key=lambda r: r["createdAt"], reverse=True)
                return 200, json.dumps({"reviews": ordered, "links": []}, ensure_ascii=False).encode()
            match = re.fullmatch(r"/v1/reviews/([^/]+)", path)
            if match and match.group(1) in self.reviews:
                return 200, json.dumps(self._public(self.reviews[match.group(1)]), ensure_ascii=False).encode()
        return 404, json.dumps({"message": "Not found"}).encode()


class _Handler(AnsweringHandler):
    server_version = "Apigee"


LocalTrustpilot.handler_class = _Handler
