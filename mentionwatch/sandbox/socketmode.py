"""The local Slack's Socket Mode: a WebSocket endpoint handing envelopes to a real Socket Mode client.

`apps.connections.open` on the local Slack (mentionwatch.sandbox.slack) hands out a single-use
`ws://` URL on the same server; a client that connects there gets Slack's `hello`, then whatever
the test sends: `interactive` and `events_api` envelopes (`send`), or a `disconnect` asking it to
reconnect (`request_reconnect`). Acknowledgements (`{"envelope_id": ...}`) are kept and can be
awaited (`wait_ack`); pings are answered with pongs, as Slack's servers do.

Only what Socket Mode uses of RFC 6455: text frames, ping/pong, close; unmasked frames from the
server, masked frames from the client. Stdlib only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import time
import uuid
from typing import Any

__all__ = ["SocketModeHub"]

PATH = "/socket-mode/link/"
APP_ID = "A0APP"
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG, _CONTINUATION = 0x1, 0x8, 0x9, 0xA, 0x0


class _Connection:
    """One client's WebSocket: frames written under a lock (the test thread and the reader share it)."""

    def __init__(self, sock: socket.socket, number: int):
        self.sock = sock
        self.number = number
        self.lock = threading.Lock()
        self.open = True

    def send(self, opcode: int, payload: bytes) -> None:
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 1 << 16:
            head = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        with self.lock:
            self.sock.sendall(head + payload)

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(_TEXT, json.dumps(message).encode("utf-8"))


def _read_exactly(rfile: Any, size: int) -> bytes:
    data = rfile.read(size) if size else b""
    if len(data) < size:
        raise ConnectionError("client went away")
    return data


def _read_frame(rfile: Any) -> tuple[bool, int, bytes]:
    """(fin, opcode, unmasked payload) of the next frame from the client."""
    first, second = _read_exactly(rfile, 2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exactly(rfile, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exactly(rfile, 8))
    mask = _read_exactly(rfile, 4) if second & 0x80 else b""
    payload = _read_exactly(rfile, length)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bool(first & 0x80), first & 0x0F, payload


class SocketModeHub:
    """Socket Mode connections on a LocalSlackServer; see the module doc."""

    def __init__(self, base_url: Any):
        self._base_url = base_url  # a callable: the server's address is known once it started
        self.tickets_issued = 0
        self.connections_opened = 0
        self.acks: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []  # every message a client sent, in order
        self._open_tickets: set[str] = set()
        self._connections: list[_Connection] = []
        self._changed = threading.Condition()

    # -- apps.connections.open

    def issue_url(self) -> str:
        """A new single-use WebSocket URL, as apps.connections.open answers."""
        with self._changed:
            self.tickets_issued += 1
            ticket = uuid.uuid4().hex
            self._open_tickets.add(ticket)
        host = self._base_url().replace("http://", "ws://", 1)
        return f"{host}{PATH}?ticket={ticket}&app_id={APP_ID}"

    # -- test hooks

    @property
    def connected(self) -> int:
        with self._changed:
            return sum(c.open for c in self._connections)

    def wait_connected(self, opened: int = 1, timeout: float = 10) -> None:
        """Wait until `opened` connections have been made in all (and one is open)."""
        self._wait(lambda: self.connections_opened >= opened and self.connected > 0, timeout,
                   f"no Socket Mode connection number {opened}")

    def send(self, envelope_type: str, payload: dict[str, Any], *, envelope_id: str | None = None,
             retry_attempt: int = 0, retry_reason: str = "", accepts_response_payload: bool = False,
             timeout: float = 10) -> str:
        """Send one envelope to the newest open connection (waiting for one); return its envelope_id."""
        self.wait_connected(1, timeout)
        envelope_id = envelope_id or str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": envelope_type, "payload": payload,
                    "accepts_response_payload": accepts_response_payload}
        if envelope_type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._changed:
            connection = [c for c in self._connections if c.open][-1]
        connection.send_json(envelope)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        """The client's acknowledgement of an envelope (its optional response payload included)."""
        self._wait(lambda: envelope_id in self.acks, timeout, f"no ack for envelope {envelope_id}")
        with self._changed:
            return self.acks[envelope_id]

    def request_reconnect(self) -> None:
        """Tell every open client to reconnect, as Slack does before it recycles a connection."""
        with self._changed:
            connections = [c for c in self._connections if c.open]
        for connection in connections:
            connection.send_json({"type": "disconnect", "reason": "refresh_requested",
                                  "debug_info": {"host": "local"}})

    def hang_up(self) -> None:
        """Close every open connection from the server's side, as Slack does when it drops one."""
        with self._changed:
            connections = [c for c in self._connections if c.open]
        for connection in connections:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already gone

    def _wait(self, done: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{what} within {timeout} s")
                self._changed.wait(left)

    # -- the server side of one connection (runs in the HTTP handler's thread)

    def serve(self, handler: Any, query: dict[str, str]) -> None:
        """Upgrade the request in `handler` to a WebSocket and serve it until either side closes."""
        key = handler.headers.get("Sec-WebSocket-Key")
        ticket = query.get("ticket", "")
        with self._changed:
            valid = ticket in self._open_tickets
            self._open_tickets.discard(ticket)
        if not key or handler.headers.get("Upgrade", "").lower() != "websocket" or not valid:
            # Slack refuses a used or made-up ticket before the upgrade.
            handler.send_response(401 if key else 400)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            handler.close_connection = True
            return
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode("ascii")).digest()).decode("ascii")
        handler.send_response(101, "Switching Protocols")
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        handler.send_header("Sec-WebSocket-Accept", accept)
        handler.end_headers()
        handler.wfile.flush()
        handler.close_connection = True
        with self._changed:
            self.connections_opened += 1
            connection = _Connection(handler.connection, self.connections_opened)
            self._connections.append(connection)
        try:
            connection.send_json({"type": "hello", "num_connections": 1,
                                  "debug_info": {"host": "local", "approximate_connection_time": 3600},
                                  "connection_info": {"app_id": APP_ID}})
            with self._changed:
                self._changed.notify_all()
            self._read_loop(handler.rfile, connection)
        except (ConnectionError, OSError):
            pass  # the client hung up, or the server is stopping
        finally:
            with self._changed:
                connection.open = False
                self._changed.notify_all()

    def _read_loop(self, rfile: Any, connection: _Connection) -> None:
        parts: list[bytes] = []
        while True:
            fin, opcode, payload = _read_frame(rfile)
            if opcode == _PING:
                connection.send(_PONG, payload)
            elif opcode == _CLOSE:
                connection.send(_CLOSE, payload[:2])
                return
            elif opcode in (_TEXT, _CONTINUATION):
                parts.append(payload)
                if fin:
                    self._received(b"".join(parts))
                    parts = []

    def _received(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        with self._changed:
            self.received.append(message)
            if isinstance(message, dict) and message.get("envelope_id"):
                self.acks[message["envelope_id"]] = message
            self._changed.notify_all()
