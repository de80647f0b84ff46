"""A local stand-in for Google's OAuth endpoints and the Business Profile APIs, for tests and demos.

It answers like Google does, with the documented bodies:

* OAuth 2: an authorization endpoint (`/o/oauth2/auth`) that consents at once and redirects to
  the loopback `redirect_uri` with a code, and a token endpoint (`/token`) that exchanges codes
  (PKCE checked) and refresh tokens for access tokens, or answers `invalid_grant` /
  `invalid_client` as Google's does;
* Business Profile v4 (`/v4/`): reviews.list (`pageSize` up to 50, `orderBy=updateTime desc`,
  `pageToken`, `averageRating`, `totalReviewCount`), reviews.get, reviews.updateReply and
  reviews.deleteReply;
* Account Management (`/accounts/v1/accounts`) and Business Information
  (`/info/v1/accounts/{id}/locations`) listings;
* Google's error bodies `{"error": {"code", "message", "status", "details"}}`: 401
  UNAUTHENTICATED for a missing or expired access token, and scripted failures (`fail_next`):
  403 PERMISSION_DENIED for a project not approved, 429 RESOURCE_EXHAUSTED with Retry-After.

Tests change the state between runs (`add_review`, `edit_review`, `delete_review`), expire
access tokens (`expire_access_tokens`), revoke refresh tokens, and make a reply's answer get
lost after it was stored (`lose_reply_answers`). Every request is recorded, credentials redacted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

from mentionwatch.sandbox.web import AnsweringHandler, BackgroundServer, redact_headers

STAR_NAMES = {1: "ONE", 2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}

NOT_APPROVED = {
    "code": 403,
    "message": "Google My Business API has not been used in project 123456 before or it is disabled. Enable it by "
               "visiting https://console.developers.google.com/apis/api/mybusiness.googleapis.com/overview?"
               "project=123456 then retry.",
    "status": "PERMISSION_DENIED",
    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
                 "domain": "googleapis.com",
                 "metadata": {"service": "mybusiness.googleapis.com", "consumer": "projects/123456"}}],
}
QUOTA_EXCEEDED = {
    "code": 429,
    "message": "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service "
               "'mybusiness.googleapis.com' for consumer 'project_number:123456'.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
                 "domain": "googleapis.com",
                 "metadata": {"service": "mybusiness.googleapis.com", "quota_limit_value": "300"}}],
}
UNAUTHENTICATED = {
    "code": 401,
    "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
               "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/"
               "devconsole-project.",
    "status": "UNAUTHENTICATED",
    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_EXPIRED",
                 "domain": "googleapis.com"}],
}


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class GoogleRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # credentials redacted
    body: bytes
    status: int


@dataclass
class _Failure:
    kind: str  # "list", "get", "reply", "token", "any"
    status: int
    error: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class LocalGoogleServer(BackgroundServer):
    """Google's OAuth endpoints and Business Profile APIs on 127.0.0.1 (see the module docstring)."""

    def __init__(self, client_id: str = "local-client.apps.googleusercontent.com",
                 client_secret: str = "local-client-secret", host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.client_id = client_id
        self.client_secret = client_secret
        self.lock = threading.Lock()
        self.requests: list[GoogleRequest] = []
        self.refresh_tokens: set[str] = set()
        self.access_tokens: set[str] = set()
        self.accounts: list[dict[str, Any]] = []
        self.locations: dict[str, list[dict[str, Any]]] = {}
        self.reviews: dict[str, dict[str, dict[str, Any]]] = {}  # location -> review id -> Review
        self._codes: dict[str, dict[str, str]] = {}
        self.service_accounts: dict[str, str] = {}  # client_email -> public key (PEM)
        self.play_invited: set[str] = set()  # service accounts invited to the apps in Play Console
        self.play_reviews: dict[str, dict[str, dict[str, Any]]] = {}  # package -> review id -> Review
        self._token_owner: dict[str, str] = {}
        self._failures: list[_Failure] = []
        self._lose_reply_answers = 0
        self._counter = 0
        self.listing_trouble: str | None = None
        """A hostile reviews.list: "same_token" hands back one nextPageToken for ever, "endless"
        invents a new page of new reviews on every call (see `misbehave`)."""
        self._invented = 0

    # -- URLs

    @property
    def api_url(self) -> str:
        """The Business Profile v4 base, as a `url:` override: ends with a slash."""
        return f"{self.base_url}/v4/"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def auth_url(self) -> str:
        return f"{self.base_url}/o/oauth2/auth"

    @property
    def accounts_url(self) -> str:
        return f"{self.base_url}/accounts/v1/"

    @property
    def locations_url(self) -> str:
        return f"{self.base_url}/info/v1/"

    @property
    def play_url(self) -> str:
        """The Play Developer API base, as a `url:` override."""
        return f"{self.base_url}/androidpublisher/v3/"

    # -- state

    def add_service_account(self, email: str, public_key_pem: str, invited: bool = True) -> None:
        with self.lock:
            self.service_accounts[email] = public_key_pem
            if invited:
                self.play_invited.add(email)

    def add_play_review(self, package: str, review_id: str, stars: int, text: str, author: str, modified: datetime,
                        reply: str | None = None) -> None:
        with self.lock:
            comments: list[dict[str, Any]] = [{"userComment": {
                "text": text, "lastModified": _stamp(modified), "starRating": stars, "reviewerLanguage": "en",
                "device": "a70q", "androidOsVersion": 33, "appVersionCode": 412, "appVersionName": "4.1.2",
                "thumbsUpCount": 0, "thumbsDownCount": 0}}]
            if reply is not None:
                comments.append({"developerComment": {"text": reply, "lastModified": _stamp(modified)}})
            self.play_reviews.setdefault(package, {})[review_id] = {"reviewId": review_id, "authorName": author,
                                                                     "comments": comments}

    def play_reply_of(self, package: str, review_id: str) -> str | None:
        with self.lock:
            for comment in self.play_reviews[package][review_id]["comments"]:
                if "developerComment" in comment:
                    return comment["developerComment"]["text"]
        return None

    def grant(self) -> str:
        """A refresh token for this client, as `connect google` would have obtained."""
        with self.lock:
            token = f"1//local-refresh-{secrets.token_urlsafe(12)}"
            self.refresh_tokens.add(token)
            return token

    def revoke(self, refresh_token: str) -> None:
        with self.lock:
            self.refresh_tokens.discard(refresh_token)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (as after an hour)."""
        with self.lock:
            self.access_tokens.clear()

    def add_location(self, account: str, location_id: str, title: str) -> str:
        """An account (created if new) with a location; returns accounts/{a}/locations/{l}."""
        with self.lock:
            if not any(a["name"] == f"accounts/{account}" for a in self.accounts):
                self.accounts.append({"name": f"accounts/{account}", "accountName": title, "type": "LOCATION_GROUP",
                                      "verificationState": "VERIFIED"})
            self.locations.setdefault(f"accounts/{account}", []).append(
                {"name": f"locations/{location_id}", "title": title})
            name = f"accounts/{account}/locations/{location_id}"
            self.reviews.setdefault(name, {})
            return name

    def add_review(self, location: str, review_id: str, stars: int, comment: str | None, reviewer: str,
                   created: datetime, reply: str | None = None, anonymous: bool = False) -> None:
        with self.lock:
            review: dict[str, Any] = {
                "name": f"{location}/reviews/{review_id}",
                "reviewId": review_id,
                "reviewer": {"profilePhotoUrl": "https://lh3.googleusercontent.com/a/photo", "displayName": reviewer,
                             "isAnonymous": anonymous},
                "starRating": STAR_NAMES[stars],
                "createTime": rfc3339(created),
                "updateTime": rfc3339(created),
            }
            if comment is not None:
                review["comment"] = comment
            if reply is not None:
                review["reviewReply"] = {"comment": reply, "updateTime": rfc3339(created)}
            self.reviews[location][review_id] = review

    def edit_review(self, location: str, review_id: str, at: datetime, stars: int | None = None,
                    comment: str | None = None) -> None:
        with self.lock:
            review = self.reviews[location][review_id]
            if stars is not None:
                review["starRating"] = STAR_NAMES[stars]
            if comment is not None:
                review["comment"] = comment
            review["updateTime"] = rfc3339(at)

    def delete_review(self, location: str, review_id: str) -> None:
        with self.lock:
            del self.reviews[location][review_id]

    def reply_of(self, location: str, review_id: str) -> str | None:
        with self.lock:
            reply = self.reviews[location][review_id].get("reviewReply")
            return reply["comment"] if reply else None

    def fail_next(self, kind: str, status: int, error: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Answer the next call of `kind` ("list", "get", "reply", "accounts", "any") with Google's error body."""
        with self.lock:
            self._failures.append(_Failure(kind, status, error, dict(headers or {})))

    def misbehave(self, trouble: str | None) -> None:
        """Make reviews.list hostile ("same_token", "endless") or well-behaved again (None)."""
        if trouble not in (None, "same_token", "endless"):
            raise ValueError(f"unknown trouble {trouble!r}")
        with self.lock:
            self.listing_trouble = trouble

    def lose_reply_answers(self, count: int = 1) -> None:
        """The next `count` replies are stored, then the connection drops before the answer."""
        with self.lock:
            self._lose_reply_answers += count

    def calls(self, method: str, contains: str = "") -> list[GoogleRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == method and contains in r.path]

    # -- answering (handler threads)

    def answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes | None]:
        """(status, headers, body); body None = drop the connection without answering."""
        parts = urlsplit(target)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if path == "/o/oauth2/auth":
            status, extra, data = self._authorize(query)
        elif path == "/token" and method == "POST":
            form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
            basic = headers.get("Authorization") or ""
            if basic.startswith("Basic "):  # client_secret_basic, as Google accepts beside the form fields
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
                form.update(client_id=unquote_plus(client_id), client_secret=unquote_plus(client_secret))
            status, extra, data = self._token(form)
        elif not self._authorized(headers):
            status, extra, data = 401, {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                        'error="invalid_token"'}, _error_body(UNAUTHENTICATED)
        elif path.startswith("/androidpublisher/"):
            status, extra, data = self._play(method, path, query, body, headers)
        else:
            status, extra, data = self._api(method, path, query, body)
        with self.lock:
            self.requests.append(GoogleRequest(method, target, redact_headers(headers), body, status))
        return status, extra, data

    def _authorized(self, headers: Any) -> bool:
        value = headers.get("Authorization") or ""
        with self.lock:
            return value.startswith("Bearer ") and value[7:] in self.access_tokens

    def _take_failure(self, kind: str) -> _Failure | None:
        with self.lock:
            for i, failure in enumerate(self._failures):
                if failure.kind in (kind, "any"):
                    return self._failures.pop(i)
        return None

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/", redirect):
            return 400, {"Content-Type": "text/html"}, b"<h1>Error 400: invalid_request</h1>"
        code = f"4/local-code-{secrets.token_urlsafe(8)}"
        with self.lock:
            self._codes[code] = {"redirect_uri": redirect, "challenge": query.get("code_challenge", ""),
                                 "scope": query.get("scope", "")}
        answer = {"state": query.get("state", ""), "code": code, "scope": query.get("scope", "")}
        return 302, {"Location": f"{redirect}?{urlencode(answer)}"}, b""

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json; charset=utf-8"}
        failure = self._take_failure("token")
        if failure:
            return failure.status, {**json_type, **failure.headers}, json.dumps(failure.error).encode()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" and (
                form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret):
            return 401, json_type, json.dumps({"error": "invalid_client",
                                               "error_description": "The OAuth client was not found."}).encode()
        invalid = 400, json_type, json.dumps({"error": "invalid_grant",
                                              "error_description": "Token has been expired or revoked."}).encode()
        grant_type = form.get("grant_type")
        with self.lock:
            if grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                return self._service_account_token(form.get("assertion", ""))
            if grant_type == "refresh_token":
                if form.get("refresh_token") not in self.refresh_tokens:
                    return invalid
                refresh = None
            elif grant_type == "authorization_code":
                issued = self._codes.pop(form.get("code", ""), None)
                if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                    return 400, json_type, json.dumps({"error": "invalid_grant", "error_description": "Bad Request"}).encode()
                verifier = form.get("code_verifier", "")
                expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if issued["challenge"] and expected != issued["challenge"]:
                    return 400, json_type, json.dumps({"error": "invalid_grant",
                                                       "error_description": "Invalid code verifier."}).encode()
                refresh = f"1//local-refresh-{secrets.token_urlsafe(12)}"
                self.refresh_tokens.add(refresh)
            else:
                return 400, json_type, json.dumps({"error": "unsupported_grant_type",
                                                   "error_description": f"Invalid grant_type: {grant_type}"}).encode()
            self._counter += 1
            access = f"ya29.local-{self._counter}-{secrets.token_urlsafe(8)}"
            self.access_tokens.add(access)
        answer: dict[str, Any] = {"access_token": access, "expires_in": 3599, "token_type": "Bearer",
                                  "scope": "https://www.googleapis.com/auth/business.manage"}
        if refresh:
            answer["refresh_token"] = refresh
        return 200, json_type, json.dumps(answer).encode()

    def _service_account_token(self, assertion: str) -> tuple[int, dict[str, str], bytes]:
        """The JWT-bearer grant of a service account (called with the lock held)."""
        import jwt

        json_type = {"Content-Type": "application/json; charset=utf-8"}
        refused = 400, json_type, json.dumps({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}).encode()
        try:
            email = jwt.decode(assertion, options={"verify_signature": False}).get("iss", "")
            key = self.service_accounts.get(email)
            if key is None:
                return refused
            # google-auth addresses its assertions to Google's token endpoint whatever token_uri is.
            claims = jwt.decode(assertion, key, algorithms=["RS256"],
                                audience=["https://oauth2.googleapis.com/token", self.token_url])
        except jwt.PyJWTError:
            return refused
        if "androidpublisher" not in claims.get("scope", ""):
            return 400, json_type, json.dumps({"error": "invalid_scope", "error_description": "Bad scope."}).encode()
        self._counter += 1
        access = f"ya29.c.local-{self._counter}-{secrets.token_urlsafe(8)}"
        self.access_tokens.add(access)
        self._token_owner[access] = email
        return 200, json_type, json.dumps({"access_token": access, "expires_in": 3599, "token_type": "Bearer"}).encode()

    def _play(self, method: str, path: str, query: dict[str, str], body: bytes,
              headers: Any) -> tuple[int, dict[str, str], bytes | None]:
        json_type = {"Content-Type": "application/json; charset=UTF-8"}
        with self.lock:
            owner = self._token_owner.get((headers.get("Authorization") or "")[7:])
            invited = owner in self.play_invited
        if not invited:
            return 403, json_type, _error_body({"code": 403, "status": "PERMISSION_DENIED", "message":
                                                "The current user has insufficient permissions to perform the "
                                                "requested operation."})
        # Play review ids hold a colon ("gp:AOqpTOG..."), as does the reply verb ("…/reviews/{id}:reply").
        match = re.fullmatch(r"/androidpublisher/v3/applications/([^/]+)/reviews(?:/([^/]+?))?(:reply)?", path)
        if not match or match.group(1) not in self.play_reviews:
            return 404, json_type, _error_body({"code": 404, "message": "Package not found.", "status": "NOT_FOUND"})
        package, review_id, reply = match.groups()
        failure = self._take_failure("play")
        if failure:
            return failure.status, {**json_type, **failure.headers}, _error_body(failure.error)
        with self.lock:
            reviews = self.play_reviews[package]
            if review_id is None and method == "GET":
                size = min(int(query.get("maxResults") or 100), 100)
                ordered = sorted(reviews.values(), reverse=True,
                                 key=lambda r: int(r["comments"][0]["userComment"]["lastModified"]["seconds"]))
                start = int(query.get("token") or 0)
                answer: dict[str, Any] = {"reviews": ordered[start:start + size],
                                          "pageInfo": {"totalResults": len(ordered), "resultPerPage": size,
                                                       "startIndex": start}}
                if start + size < len(ordered):
                    answer["tokenPagination"] = {"nextPageToken": str(start + size)}
                return 200, json_type, json.dumps(answer, ensure_ascii=False).encode()
            review = reviews.get(review_id or "")
            if review is None:
                return 404, json_type, _error_body({"code": 404, "message": "Review not found.", "status": "NOT_FOUND"})
            if method == "GET" and not reply:
                return 200, json_type, json.dumps(review, ensure_ascii=False).encode()
            if method == "POST" and reply:
                text = json.loads(body or b"{}").get("replyText", "")
                if not text or len(text) > 350:
                    return 400, json_type, _error_body({"code": 400, "status": "INVALID_ARGUMENT",
                                                        "message": "Reply text too long or empty."})
                stamp = _stamp(datetime.now(UTC))
                review["comments"] = [c for c in review["comments"] if "developerComment" not in c]
                review["comments"].append({"developerComment": {"text": text, "lastModified": stamp}})
                if self._lose_reply_answers:
                    self._lose_reply_answers -= 1
                    return 200, json_type, None
                return 200, json_type, json.dumps({"result": {"replyText": text, "lastEdited": stamp}}).encode()
        return 405, json_type, _error_body({"code": 405, "message": "Method not allowed.", "status": "UNIMPLEMENTED"})

    def _api(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes | None]:
        json_type = {"Content-Type": "application/json; charset=UTF-8"}
        if path.startswith("/accounts/v1/accounts"):
            return self._listing("accounts", self.accounts, query)
        match = re.fullmatch(r"/info/v1/(accounts/[^/]+)/locations", path)
        if match:
            return self._listing("locations", self.locations.get(match.group(1), []), query)
        match = re.fullmatch(r"/v4/(accounts/[^/]+/locations/[^/]+)/reviews(?:/([^/]+))?(/reply)?", path)
        if not match or match.group(1) not in self.reviews:
            return 404, json_type, _error_body({"code": 404, "message": "Requested entity was not found.",
                                                "status": "NOT_FOUND"})
        location, review_id, reply = match.groups()
        kind = "reply" if reply else "get" if review_id else "list"
        failure = self._take_failure(kind)
        if failure:
            return failure.status, {**json_type, **failure.headers}, _error_body(failure.error)
        if kind == "list" and method == "GET":
            return self._list_reviews(location, query)
        with self.lock:
            review = self.reviews[location].get(review_id or "")
        if review is None:
            return 404, json_type, _error_body({"code": 404, "message": "Requested entity was not found.",
                                                "status": "NOT_FOUND"})
        if kind == "get" and method == "GET":
            return 200, json_type, json.dumps(review).encode()
        if kind == "reply" and method == "PUT":
            comment = json.loads(body or b"{}").get("comment")
            if not isinstance(comment, str) or not comment.strip():
                return 400, json_type, _error_body({"code": 400, "message": "Request contains an invalid argument.",
                                                    "status": "INVALID_ARGUMENT"})
            with self.lock:
                review["reviewReply"] = {"comment": comment, "updateTime": rfc3339(datetime.now(UTC))}
                if self._lose_reply_answers:
                    self._lose_reply_answers -= 1
                    return 200, json_type, None
                return 200, json_type, json.dumps(review["reviewReply"]).encode()
        if kind == "reply" and method == "DELETE":
            with self.lock:
                review.pop("reviewReply", None)
            return 200, json_type, b"{}"
        return 405, json_type, _error_body({"code": 405, "message": "Method not allowed.", "status": "UNIMPLEMENTED"})

    def _list_reviews(self, location: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        json_type = {"Content-Type": "application/json; charset=UTF-8"}
        size = int(query.get("pageSize") or 50)
        if not 1 <= size <= 50:
            return 400, json_type, _error_body({"code": 400, "message": "Request contains an invalid argument.",
                                                "status": "INVALID_ARGUMENT"})
        with self.lock:
            reviews = sorted(self.reviews[location].values(), key=lambda r: r["updateTime"], reverse=True)
        if self.listing_trouble:
            return 200, json_type, self._hostile_page(reviews, size)
        start = int(base64.urlsafe_b64decode(query["pageToken"]).decode()) if query.get("pageToken") else 0
        page = reviews[start:start + size]
        answer: dict[str, Any] = {"reviews": page} if page else {}
        if reviews:
            stars = [list(STAR_NAMES.values()).index(r["starRating"]) + 1 for r in reviews]
            answer["averageRating"] = round(sum(stars) / len(stars), 1)
        answer["totalReviewCount"] = len(reviews)
        if start + size < len(reviews):
            answer["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return 200, json_type, json.dumps(answer, ensure_ascii=False).encode()

    def _hostile_page(self, reviews: list[dict[str, Any]], size: int) -> bytes:
        """A page that never ends the listing: the same one again, or one more invented page."""
        answer: dict[str, Any] = {"totalReviewCount": len(reviews), "averageRating": 3.0}
        if self.listing_trouble == "same_token":
            answer.update(reviews=reviews[:size], nextPageToken="c2FtZS1wYWdl")
            return json.dumps(answer, ensure_ascii=False).encode()
        with self.lock:
            first = self._invented
            self._invented += size
        at = datetime.now(UTC)
        answer["reviews"] = [{"name": f"invented/{n}", "reviewId": f"invented-{n}", "starRating": "THREE",
                              "comment": f"Invented review {n}", "reviewer": {"displayName": f"Bot {n}"},
                              "createTime": rfc3339(at), "updateTime": rfc3339(at)}
                             for n in range(first, first + size)]
        answer["nextPageToken"] = base64.urlsafe_b64encode(f"invented-{first + size}".encode()).decode()
        return json.dumps(answer).encode()

    def _listing(self, key: str, items: list[dict[str, Any]], query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        failure = self._take_failure("accounts")
        if failure:
            return failure.status, {"Content-Type": "application/json", **failure.headers}, _error_body(failure.error)
        size = int(query.get("pageSize") or 20)
        start = int(query.get("pageToken") or 0)
        answer: dict[str, Any] = {key: items[start:start + size]}
        if start + size < len(items):
            answer["nextPageToken"] = str(start + size)
        return 200, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps(answer).encode()


def _stamp(moment: datetime) -> dict[str, Any]:
    """Play's Timestamp: seconds as a string, nanos as a number."""
    return {"seconds": str(int(moment.timestamp())), "nanos": moment.microsecond * 1000}


def _error_body(error: dict[str, Any]) -> bytes:
    return json.dumps({"error": error}).encode()


class _GoogleHandler(AnsweringHandler):
    server_version = "ESF"


LocalGoogleServer.handler_class = _GoogleHandler
