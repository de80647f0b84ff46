"""A local static HTTP server: fixtures for tests, the offline `demo` command, and benchmarks.

It behaves like the small, well-behaved websites the crawlers visit, so that the code under test
meets real HTTP rather than mocks:

* files under `root` (never outside it) with sensible content types, and `robots.txt` only when
  the file exists (a 404 otherwise, as most real sites);
* in-memory routes (`add`) that take precedence over files, optionally for one exact query;
* validators on every 200 (strong `ETag` from the body, `Last-Modified`) and `304 Not Modified`
  answers to conditional requests, so revalidation can be tested;
* scripted misbehaviour (`script`): a 429 with `Retry-After`, a slow answer, a download cut
  short, each used once and in order before the normal route answers again;
* an optional `latency` on every answer, and any loopback `host` (127.0.0.2, ...), so that
  benchmarks can run many slow "sites" side by side.

Every request is recorded (`requests`) with what was answered. Values of credential-bearing
headers are replaced by "(redacted)": the product promises that secrets never reach its output,
and recorded requests end up in test failure messages and demo logs.

Stdlib only. `BackgroundServer` is the shared plumbing (a ThreadingHTTPServer in a daemon
thread that stops cleanly) and is reused by `mentionwatch.sandbox.slack`.
"""

from __future__ import annotations

import hashlib
import mimetypes
import socket
import socketserver
import sys
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["BackgroundServer", "LocalHTTPServer", "RecordedRequest", "Response", "redact_headers"]

# Header names whose values are credentials. Matched case-insensitively, plus any name that
# contains one of SECRET_HEADER_WORDS (e.g. "X-Api-Key", "X-Auth-Token").
SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie"}
SECRET_HEADER_WORDS = ("token", "secret", "api-key", "apikey", "password")
REDACTED = "(redacted)"


def redact_headers(headers) -> dict[str, str]:
    """Return request headers as a plain dict, with credential values replaced by "(redacted)"."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        secret = lowered in SECRET_HEADERS or any(word in lowered for word in SECRET_HEADER_WORDS)
        out[name] = REDACTED if secret else value
    return out


# --------------------------------------------------------------------------- shared plumbing


class _TrackingHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its open connections and handler threads.

    The stock server either leaves daemon handler threads running after `server_close()` or
    joins them without bound (a keep-alive client can hold one forever). Tracking both lets
    `BackgroundServer.stop()` cut every connection, wake every sleeping handler and then join
    them all, so tests see no leaked threads or sockets.
    """

    daemon_threads = True  # never keep the interpreter alive because of a handler

    def __init__(self, address, handler, owner):
        # IPv6 literals ("::1") need an AF_INET6 socket; everything else is IPv4.
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.owner = owner
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        super().__init__(address, handler)

    def server_bind(self):
        # http.server's own asks the DNS for the address's name (socket.getfqdn), which for a
        # loopback address other than 127.0.0.1 is a query to the network's resolver: the name is
        # only used by CGI, so the address stands for it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address):
        thread = threading.Thread(
            target=self._run_handler,
            args=(request, client_address),
            name=f"{type(self.owner).__name__}-handler",
            daemon=True,
        )
        with self._lock:
            self._connections.add(request)
            self._handler_threads.add(thread)
        thread.start()

    def _run_handler(self, request, client_address):
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._handler_threads.discard(threading.current_thread())

    def shutdown_request(self, request):
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # A client that hung up (a timeout in a test, a cancelled crawl) is normal here; anything
        # else is a bug in a handler and keeps the default traceback on stderr.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def close_connections_and_join(self, timeout: float) -> None:
        """Wake sleeping handlers, cut open connections, and wait for handler threads."""
        self.stopping.set()
        with self._lock:
            for conn in self._connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:  # already closed by its handler
                    pass
            threads = list(self._handler_threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class BackgroundServer:
    """An HTTP server running in a daemon thread; subclasses provide `handler_class`.

    Use as a context manager, or call `start()` and `stop()`. `port=0` picks a free port;
    the bound address is in `host`, `port` and `base_url` after `start()`.
    """

    handler_class: type[BaseHTTPRequestHandler]
    # How often serve_forever() checks for shutdown: small, so stop() is quick even when a
    # benchmark stops fifty servers one after another.
    poll_interval = 0.05

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self._httpd: _TrackingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The server's root URL without a trailing slash, e.g. "http://127.0.0.1:54321"."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def stopping(self) -> bool:
        return self._httpd is not None and self._httpd.stopping.is_set()

    def pause(self, seconds: float) -> bool:
        """Sleep in a handler; returns False when the server is being stopped meanwhile."""
        if self._httpd is None:
            return False
        if seconds <= 0:
            return not self._httpd.stopping.is_set()
        return not self._httpd.stopping.wait(seconds)

    def start(self):
        if self._httpd is not None:
            raise RuntimeError(f"{type(self).__name__} was already started (servers are not restarted)")
        self._httpd = _TrackingHTTPServer((self.host, self.port), self.handler_class, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": self.poll_interval},
            name=f"{type(self).__name__}-{self.host}:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and join every thread. Safe to call twice."""
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        httpd.shutdown()  # returns once serve_forever() has left its loop
        httpd.close_connections_and_join(timeout=5.0)
        httpd.server_close()
        thread.join()
        # _httpd is kept so that base_url stays readable after stop (e.g. in a failure
        # message); a stopped server is not started again.
        self._thread = None

    def __enter__(self):
        if self._httpd is None:
            self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


class QuietHandler(BaseHTTPRequestHandler):
    """Base handler: HTTP/1.1 keep-alive, no stderr access log, bounded idle connections."""

    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection gives its thread back after this many seconds.
    timeout = 30

    def version_string(self) -> str:
        # Just the product name: the stock one appends the Python version, which real sites
        # do not send and which would make recorded headers differ between machines.
        return self.server_version

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        # Requests are recorded by the server objects; an access log on stderr is only noise.
        pass

    def read_body(self) -> bytes:
        """Read the request body (Content-Length only; chunked bodies end the connection)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            return b""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


class AnsweringHandler(QuietHandler):
    """Hands every request to its server's owner: `owner.answer(method, path, headers, body)` gives
    (status, headers, body); a body of None means the work was done and the answer is lost (the
    connection drops), as when a platform stores a reply but the network fails on the way back."""

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def do_PUT(self):
        self._answer()

    def do_DELETE(self):
        self._answer()

    def _answer(self) -> None:
        body = self.read_body()
        status, headers, data = self.server.owner.answer(self.command, self.path, self.headers, body)  # type: ignore[attr-defined]
        if data is None:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


# --------------------------------------------------------------------------- the static server


@dataclass
class Response:
    """A canned answer for `LocalHTTPServer.script`.

    truncate_to: announce the full Content-Length but close the connection after this many body
    bytes, as a download cut short does.
    """

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate_to: int | None = None


@dataclass
class RecordedRequest:
    """One request as the server saw it, and what it answered."""

    method: str
    path: str  # the request target as sent, query string included
    headers: dict[str, str]  # credential values redacted
    status: int  # status sent; 0 when stop() cut a delayed answer short
    bytes_sent: int  # body bytes actually sent (0 for HEAD and 304)
    time: float  # time.time() when the request arrived


@dataclass
class _Route:
    body: bytes
    content_type: str
    status: int
    headers: dict[str, str]
    last_modified: float


@dataclass
class _Answer:
    """What the handler is about to send."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate_to: int | None = None
    etag: str | None = None  # set only on answers that may become a 304
    last_modified: float | None = None


# Content types by extension, for what feeds and APIs really send; mimetypes covers the rest.
_CONTENT_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".xml": "application/xml",
}


def guess_content_type(path: str, body: bytes = b"") -> str:
    """The Content-Type a typical site would send for `path`.

    A ".xml" file that is really a feed is labelled as one (sites commonly serve /feed.xml as
    application/rss+xml), which is what feed detection in the crawlers looks at.
    """
    suffix = Path(urlsplit(path).path).suffix.lower()
    if suffix == ".xml":
        head = body[:1024]
        if b"<rss" in head:
            return "application/rss+xml"
        if b"<feed" in head:
            return "application/atom+xml"
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _etag(body: bytes) -> str:
    # Strong validator: the same bytes always give the same tag, any edit gives a new one.
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _normalize_target(target: str) -> tuple[str, str]:
    """Split a request target into (decoded path, raw query); "a" and "/a" are the same path."""
    parts = urlsplit(target)
    path = unquote(parts.path) or "/"
    if not path.startswith("/"):
        path = "/" + path
    return path, parts.query


class LocalHTTPServer(BackgroundServer):
    """A static site on `host:port` serving `root` and in-memory routes. See the module doc."""

    def __init__(self, root: Path | None = None, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0):
        super().__init__(host, port)
        self.root = Path(root).resolve() if root is not None else None
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self.arrivals: list[str] = []
        """The target of every request as it arrives, before any delay (`requests` records answers)."""
        self._routes: dict[tuple[str, str | None], _Route] = {}
        self._scripts: dict[tuple[str, str | None], list[Response]] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """e.g. "http://127.0.0.1:54321" (no trailing slash); valid after start()."""
        return self.base_url

    # -- configuration

    @staticmethod
    def _key(path: str) -> tuple[str, str | None]:
        # A route registered with a query matches only that query; without one, any query.
        decoded, query = _normalize_target(path)
        return decoded, (query if "?" in path else None)

    def add(
        self,
        path: str,
        body: bytes | str,
        content_type: str | None = None,
        status: int = 200,
        headers: dict | None = None,
    ) -> None:
        """Serve `body` at `path` (overriding a file there). Adding again replaces the route.

        `path` may include a query ("/search.json?q=acme"): that exact query then takes
        precedence over the route or file for the path alone. `content_type` defaults to what
        the path's extension suggests. Last-Modified is the time of this call.
        """
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if content_type is None:
            content_type = guess_content_type(path, data)
            if content_type == "application/octet-stream" and isinstance(body, str):
                content_type = "text/plain; charset=utf-8"
        route = _Route(data, content_type, status, dict(headers or {}), time.time())
        with self._lock:
            self._routes[self._key(path)] = route

    def remove(self, path: str) -> None:
        """Forget an in-memory route (a file at that path is served again)."""
        with self._lock:
            self._routes.pop(self._key(path), None)

    def script(self, path: str, *responses: Response) -> None:
        """Answer the next requests for `path` with `responses`, in order, then as usual.

        Calling it again appends to the queue. A path with a query matches only that query.
        """
        with self._lock:
            self._scripts.setdefault(self._key(path), []).extend(responses)

    def arrived(self, path_prefix: str) -> int:
        """How many requests for targets starting with `path_prefix` arrived, answered or not yet."""
        with self._lock:
            return sum(1 for target in self.arrivals if target.startswith(path_prefix))

    def requests_for(self, path_prefix: str) -> list[RecordedRequest]:
        """Recorded requests whose target starts with `path_prefix`, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix)]

    # -- answering (called from handler threads)

    def _next_scripted(self, path: str, query: str) -> Response | None:
        with self._lock:
            for key in ((path, query), (path, None)):
                queue = self._scripts.get(key)
                if queue:
                    return queue.pop(0)
        return None

    def _lookup(self, path: str, query: str) -> _Answer:
        with self._lock:
            route = self._routes.get((path, query)) or self._routes.get((path, None))
        if route is not None:
            headers = {"Content-Type": route.content_type, **route.headers}
            if route.status != 200:
                return _Answer(route.status, route.body, headers)
            return _Answer(200, route.body, headers, etag=_etag(route.body), last_modified=route.last_modified)
        file = self._file_for(path)
        if file is None:
            return _Answer(404, b"Not Found\n", {"Content-Type": "text/plain; charset=utf-8"})
        try:
            body = file.read_bytes()
            mtime = file.stat().st_mtime
        except OSError:  # removed or unreadable between the check and the read
            return _Answer(404, b"Not Found\n", {"Content-Type": "text/plain; charset=utf-8"})
        headers = {"Content-Type": guess_content_type(file.name, body)}
        return _Answer(200, body, headers, etag=_etag(body), last_modified=mtime)

    def _file_for(self, path: str) -> Path | None:
        """The file under root for a decoded URL path, or None (missing, or outside root)."""
        if self.root is None or "\x00" in path:
            return None
        candidate = (self.root / path.lstrip("/")).resolve()
        # resolve() has already applied "..", and followed symlinks, so this check also stops
        # a symlink inside root from exposing a file outside it.
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(entry)


def _not_modified(headers, answer: _Answer) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins; If-Modified-Since only without it."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        # If-None-Match uses the weak comparison: W/"x" matches "x".
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return answer.etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since is not None and answer.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False  # an invalid date is ignored, as the RFC says
        # HTTP dates have whole seconds, so compare at that precision.
        return int(answer.last_modified) <= since
    return False


class _StaticHandler(QuietHandler):
    server_version = "mentionwatch-sandbox/1"

    def do_GET(self):
        self._answer()

    def do_HEAD(self):
        self._answer()

    def do_POST(self):
        self.read_body()  # fixtures answer POSTs like GETs; the body is not needed
        self._answer()

    def _answer(self) -> None:
        owner: LocalHTTPServer = self.server.owner
        arrived = time.time()
        with owner._lock:
            owner.arrivals.append(self.path)
        path, query = _normalize_target(self.path)

        scripted = owner._next_scripted(path, query)
        if scripted is not None:
            body = scripted.body.encode("utf-8") if isinstance(scripted.body, str) else bytes(scripted.body)
            headers = dict(scripted.headers)
            if body and not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "text/plain; charset=utf-8"
            answer = _Answer(scripted.status, body, headers, scripted.delay, scripted.truncate_to)
        else:
            answer = owner._lookup(path, query)

        if not owner.pause(owner.latency + answer.delay):
            # Stopping: hang up without answering, but keep the request in the record (status 0).
            owner._record(RecordedRequest(self.command, self.path, redact_headers(self.headers), 0, 0, arrived))
            self.close_connection = True
            return

        headers = dict(answer.headers)
        body = answer.body
        if answer.etag is not None:
            headers["ETag"] = answer.etag
            headers["Last-Modified"] = formatdate(answer.last_modified, usegmt=True)
            if self.command in ("GET", "HEAD") and _not_modified(self.headers, answer):
                answer.status, body = 304, b""
                headers = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}

        sent = body if self.command != "HEAD" else b""
        if answer.truncate_to is not None:
            sent = sent[: answer.truncate_to]
        entry = RecordedRequest(self.command, self.path, redact_headers(self.headers), answer.status, len(sent), arrived)
        # Recorded before answering, so a client that has its response can already see it.
        owner._record(entry)

        try:
            self.send_response(answer.status)
            for name, value in headers.items():
                self.send_header(name, value)
            if answer.status != 304:
                self.send_header("Content-Length", str(len(body)))
            if answer.truncate_to is not None:
                self.close_connection = True
            self.end_headers()
            if sent:
                self.wfile.write(sent)
        except OSError:
            entry.bytes_sent = 0  # the client went away; nothing reliable was delivered
            self.close_connection = True
            raise


LocalHTTPServer.handler_class = _StaticHandler
