"""A local stand-in for the App Store Connect API's customer reviews, for tests.

It checks every request's ES256 token as Apple does (signature with the key's public half, `kid`,
`iss`, audience `appstoreconnect-v1`, a lifetime of at most 20 minutes) and answers with Apple's
documented bodies: customerReviews lists (`sort=-createdDate`, `limit`, `links.next` with a
cursor, `include=response`), a single review, customerReviewResponses created or replaced by
POST, the `X-Rate-Limit` header, and `{"errors": [{id, status, code, title, detail}]}` refusals.
`fail_next` scripts a refusal; `lose_response_answers` stores a response and drops the answer.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from mentionwatch.sandbox.google import GoogleRequest
from mentionwatch.sandbox.web import AnsweringHandler, BackgroundServer, redact_headers

NOT_AUTHORIZED = ("NOT_AUTHORIZED", "Authentication credentials are missing or invalid.",
                  "Provide a properly configured and signed bearer token, and make sure that it has not expired.")


class LocalAppStoreConnect(BackgroundServer):
    def __init__(self, public_key: str, key_id: str, issuer_id: str, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.public_key, self.key_id, self.issuer_id = public_key, key_id, issuer_id
        self.lock = threading.Lock()
        self.requests: list[GoogleRequest] = []
        self.reviews: dict[str, list[dict[str, Any]]] = {}  # app id -> reviews, any order
        self.responses: dict[str, dict[str, Any]] = {}  # review id -> customerReviewResponses resource
        self._failures: list[tuple[int, str, str, dict[str, str]]] = []
        self._lose = 0
        self.used = 0

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/"

    def add_review(self, app_id: str, review_id: str, rating: int, title: str, body: str, nickname: str,
                   created: str, territory: str = "USA") -> None:
        with self.lock:
            self.reviews.setdefault(app_id, []).append({
                "type": "customerReviews", "id": review_id,
                "attributes": {"rating": rating, "title": title, "body": body, "reviewerNickname": nickname,
                               "createdDate": created, "territory": territory}})

    def respond(self, review_id: str, text: str) -> None:
        with self.lock:
            self._store_response(review_id, text)

    def fail_next(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self._failures.append((status, code, detail, dict(headers or {})))

    def lose_response_answers(self, count: int = 1) -> None:
        with self.lock:
            self._lose += count

    def calls(self, method: str, contains: str = "") -> list[GoogleRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == method and contains in r.path]

    # -- answering

    def _store_response(self, review_id: str, text: str) -> dict[str, Any]:
        resource = {"type": "customerReviewResponses", "id": self.responses.get(review_id, {}).get("id")
                    or str(uuid.uuid4()),
                    "attributes": {"responseBody": text,
                                   "lastModifiedDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00"),
                                   "state": "PENDING_PUBLISH"}}
        self.responses[review_id] = resource
        return resource

    def _with_relationship(self, review: dict[str, Any]) -> dict[str, Any]:
        response = self.responses.get(review["id"])
        data = {"type": "customerReviewResponses", "id": response["id"]} if response else None
        return {**review, "relationships": {"response": {"data": data}}}

    def answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes | None]:
        status, extra, data = self._answer(method, target, headers, body)
        with self.lock:
            self.requests.append(GoogleRequest(method, target, redact_headers(headers), body, status))
        return status, extra, data

    def _answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes | None]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.used += 1
            limits = {"X-Rate-Limit": f"user-hour-lim:3600;user-hour-rem:{max(0, 3600 - self.used)};",
                      "Content-Type": "application/json"}
        if not self._token_ok(headers.get("Authorization") or ""):
            return 401, limits, _errors(401, *NOT_AUTHORIZED)
        with self.lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            status, code, detail, extra = failure
            return status, {**limits, **extra}, _errors(status, code, code.replace("_", " ").title(), detail)
        match = re.fullmatch(r"/v1/apps/([0-9]+)/customerReviews", parts.path)
        if match and method == "GET":
            return 200, limits, self._list(match.group(1), query, parts.path)
        match = re.fullmatch(r"/v1/customerReviews/([^/]+)", parts.path)
        if match and method == "GET":
            with self.lock:
                review = next((r for rs in self.reviews.values() for r in rs if r["id"] == match.group(1)), None)
                if review is None:
                    return 404, limits, _errors(404, "NOT_FOUND", "The specified resource does not exist", "")
                response = self.responses.get(review["id"])
                answer = {"data": self._with_relationship(review), "included": [response] if response else []}
            return 200, limits, json.dumps(answer).encode()
        if parts.path == "/v1/customerReviewResponses" and method == "POST":
            data = json.loads(body or b"{}").get("data") or {}
            review_id = (((data.get("relationships") or {}).get("review") or {}).get("data") or {}).get("id")
            text = (data.get("attributes") or {}).get("responseBody")
            if not review_id or not text:
                return 409, limits, _errors(409, "ENTITY_ERROR.ATTRIBUTE.REQUIRED", "A required attribute is missing", "")
            with self.lock:
                resource = self._store_response(review_id, text)
                if self._lose:
                    self._lose -= 1
                    return 201, limits, None
            return 201, limits, json.dumps({"data": resource}).encode()
        return 404, limits, _errors(404, "NOT_FOUND", "The specified resource does not exist", "")

    def _token_ok(self, value: str) -> bool:
        if not value.startswith("Bearer "):
            return False
        try:
            header = jwt.get_unverified_header(value[7:])
            claims = jwt.decode(value[7:], self.public_key, algorithms=["ES256"], audience="appstoreconnect-v1")
        except jwt.PyJWTError:
            return False
        return (header.get("kid") == self.key_id and claims.get("iss") == self.issuer_id
                and 0 < claims["exp"] - claims["iat"] <= 20 * 60)

    def _list(self, app_id: str, query: dict[str, str], path: str) -> bytes:
        limit = min(int(query.get("limit") or 50), 200)
        start = int(query.get("cursor") or 0)
        with self.lock:
            reviews = sorted(self.reviews.get(app_id, []), key=lambda r: _when(r["attributes"]["createdDate"]),
                             reverse=query.get("sort") == "-createdDate")
            page = [self._with_relationship(r) for r in reviews[start:start + limit]]
            included = [self.responses[r["id"]] for r in page if r["id"] in self.responses]
        answer: dict[str, Any] = {"data": page, "links": {"self": f"{self.base_url}{path}"},
                                  "meta": {"paging": {"total": len(reviews), "limit": limit}}}
        if "response" in query.get("include", ""):
            answer["included"] = included
        if start + limit < len(reviews):
            rest = {k: v for k, v in query.items() if k != "cursor"}
            answer["links"]["next"] = (f"{self.base_url}{path}?" + "&".join(f"{k}={v}" for k, v in rest.items())
                                       + f"&cursor={start + limit}")
        return json.dumps(answer, ensure_ascii=False).encode()


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _errors(status: int, code: str, title: str, detail: str) -> bytes:
    return json.dumps({"errors": [{"id": str(uuid.uuid4()), "status": str(status), "code": code, "title": title,
                                   "detail": detail}]}).encode()


class _Handler(AnsweringHandler):
    server_version = "daiquiri/5"


LocalAppStoreConnect.handler_class = _Handler
