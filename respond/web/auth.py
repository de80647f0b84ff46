"""Who is asking: users and passwords, sign-in sessions, and the login form's rate limit.

Passwords are hashed with argon2id (argon2-cffi's defaults, which follow RFC 9106). A session is
a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a copy of the
database does not let anyone in, and signing out (or deleting the row) ends the session at once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pipeline.errors import MentionwatchError
from pipeline.models import WebSession, WebUser, utcnow

SESSION_DAYS = 14
_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class UserError(MentionwatchError):
    """A user cannot be added (a bad name, a short password, a taken name)."""


def add_user(session: Session, name: str, password: str, client: str | None = None) -> WebUser:
    """Create a user, or set a new password (and client) for an existing one. The caller commits.

    A user of an agency's `client` sees only that client's businesses."""
    name = name.strip()
    if not name or len(name) > 200 or any(c.isspace() for c in name):
        raise UserError(f"{name!r} is not a user name: use 1 to 200 characters without spaces")
    if len(password) < 10:
        raise UserError("the password is too short: use at least 10 characters")
    user = session.scalar(select(WebUser).where(WebUser.name == name))
    if user is None:
        user = WebUser(name=name, password_hash=_hasher.hash(password), client=client)
        session.add(user)
    else:
        user.password_hash = _hasher.hash(password)
        user.client = client
        # A new password signs the user out everywhere.
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    return user


def user_client(session: Session, name: str) -> str | None:
    """The agency client a user belongs to (`user add NAME --client C`), or None (sees everything)."""
    return session.scalar(select(WebUser.client).where(WebUser.name == name.strip()))


def list_users(session: Session) -> list[WebUser]:
    """Everyone who may sign in, by name."""
    return list(session.scalars(select(WebUser).order_by(WebUser.name)))


def remove_user(session: Session, name: str) -> None:
    """Remove a user; their browsers are signed out with them (sessions cascade). The caller commits."""
    user = session.scalar(select(WebUser).where(WebUser.name == name.strip()))
    if user is None:
        known = ", ".join(u.name for u in list_users(session)) or "none"
        raise UserError(f"no user named {name!r} (users: {known})")
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.delete(user)


def has_users(session: Session) -> bool:
    """Whether anyone can sign in (without users the server serves 127.0.0.1 only)."""
    return bool(session.scalar(select(func.count()).select_from(WebUser)))


def check_password(session: Session, name: str, password: str) -> WebUser | None:
    """The user when the password is right, else None (taking as long either way)."""
    user = session.scalar(select(WebUser).where(WebUser.name == name.strip()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: WebUser) -> str:
    """A new session for `user`; returns the token for the cookie (stored only as its hash)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(WebSession(token_hash=token_hash(token), user_id=user.id, created_at=now,
                           expires_at=now + timedelta(days=SESSION_DAYS)))
    return token


def session_user(session: Session, token: str | None) -> str | None:
    """The name of the user a session cookie belongs to, if it is valid and unexpired."""
    if not token:
        return None
    return session.scalar(
        select(WebUser.name).join(WebSession, WebSession.user_id == WebUser.id)
        .where(WebSession.token_hash == token_hash(token), WebSession.expires_at > utcnow()))


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


class LoginLimiter:
    """At most `attempts` sign-ins per `window` seconds that did not succeed, per user name and
    client address together, and `per_address` from one address whatever the names.

    An attempt is counted before its password is checked (`attempt`), in one step with the check
    of the limit, so forty guesses sent at once are five guesses, not forty; a success takes its
    count back. The address is the connection's own (never a forwarded header the client wrote),
    and a name is limited per address: someone failing as "dana" elsewhere does not lock Dana out.

    Kept in memory: it slows password guessing against one server process, which is what the
    login form needs; a restart forgets it, which only costs an attacker's time already spent.
    """

    def __init__(self, attempts: int = 5, window: float = 900, clock=time.monotonic, per_address: int = 20):
        self.attempts, self.window, self.clock, self.per_address = attempts, window, clock, per_address
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def keys(name: str, address: str) -> tuple[str, str]:
        """The counters a sign-in as `name` from `address` counts against."""
        return f"user:{name.strip().lower()}|ip:{address}", f"ip:{address}"

    def _limit(self, key: str) -> int:
        return self.per_address if key.startswith("ip:") else self.attempts

    def attempt(self, *keys: str) -> float:
        """Count one sign-in attempt now, if the limits allow it: 0 then; else the seconds until
        one may be tried (and nothing is counted)."""
        with self._lock:
            now = self.clock()
            waits = [self._recent(k)[0] + self.window - now for k in keys if len(self._recent(k)) >= self._limit(k)]
            if waits:
                return max(max(waits), 1.0)
            for key in keys:
                self._recent(key).append(now)
        return 0.0

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def succeeded(self, *keys: str) -> None:
        """A counted attempt succeeded: the name's failures from this address are forgotten, and
        the address's count gives this attempt back."""
        with self._lock:
            for key in keys:
                if key.startswith("ip:"):
                    recent = self._recent(key)
                    if recent:
                        recent.pop()
                else:
                    self._failures.pop(key, None)


def describe_wait(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


API_TOKEN_PREFIX = "mwt_"


def new_api_token(session: Session, name: str) -> str:
    """A new token for the JSON API for user `name` (replacing the old one); returns it once,
    the store keeps only its SHA-256. The caller commits."""
    user = session.scalar(select(WebUser).where(WebUser.name == name.strip()))
    if user is None:
        raise UserError(f"no user named {name.strip()!r}: add one with `mentionwatch user add {name.strip() or 'NAME'}`")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    user.api_token_hash = token_hash(token)
    session.flush()
    return token


def api_user(session: Session, token: str | None) -> str | None:
    """The name of the user whose API token this is, or None (missing, wrong or revoked)."""
    if not token or not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
        return None
    return session.scalar(select(WebUser.name).where(WebUser.api_token_hash == token_hash(token)))
