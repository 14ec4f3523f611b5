"""Server-side login sessions and the bound on public look-ups.

A session is a random id (32 bytes, URL-safe) in an HttpOnly, SameSite=Strict
cookie; everything else — who the user is, their role, the form token that
logging out needs — stays on the server. The audit token itself is checked once
at login and never stored, neither here nor in the cookie. A session ends after
``idle`` seconds without a request, after ``lifetime`` seconds in any case, at
logout, or when the user is revoked (``xwql auditors revoke``).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.archive.auditors import Auditor

MAX_SESSIONS = 10_000
"""Sessions kept at once; the least recently used goes first beyond that."""


def new_token() -> str:
    """A random token for a session id or a form (32 bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    """Whether a form token is the expected one (constant time; missing is never equal)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class WebSession:
    """One logged-in user.

    Attributes:
        id: The cookie value.
        user: Who logged in, with their role.
        csrf: The token the session's state-changing forms (logout) carry.
        started: When the user logged in (clock seconds).
        seen: The last request (clock seconds).
    """

    id: str
    user: Auditor
    csrf: str
    started: float
    seen: float


class SessionStore:
    """The sessions of one web app, in memory (a restart logs everyone out).

    Args:
        idle: Seconds without a request after which a session ends.
        lifetime: Seconds after login after which a session ends anyway.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self, *, idle: float, lifetime: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.idle = idle
        self.lifetime = lifetime
        self._clock = clock
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    def start(self, user: Auditor) -> WebSession:
        """Open a new session for ``user`` (a fresh id: a login never reuses one)."""
        now = self._clock()
        session = WebSession(new_token(), user, new_token(), now, now)
        with self._lock:
            self._drop_expired(now)
            while len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions.values(), key=lambda s: s.seen)
                del self._sessions[oldest.id]
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> WebSession | None:
        """The live session with this id, its idle time restarted; None if unknown or expired."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if self._expired(session, now):
                del self._sessions[session_id]
                return None
            session.seen = now
            return session

    def end(self, session_id: str | None) -> None:
        """End a session (logout, revoked user); unknown ids are ignored."""
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expired(self, session: WebSession, now: float) -> bool:
        return now - session.seen > self.idle or now - session.started > self.lifetime

    def _drop_expired(self, now: float) -> None:
        for session_id in [s.id for s in self._sessions.values() if self._expired(s, now)]:
            del self._sessions[session_id]


class RateLimiter:
    """At most ``limit`` events per client in any ``window`` seconds (a sliding window).

    Args:
        limit: Events allowed per window.
        window: The window, seconds.
        clock: Monotonic seconds (injectable for tests).
        max_clients: Clients remembered at once; beyond that the quietest are forgotten.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_clients = max_clients
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Count one event of ``client``; False when it is over its limit (not counted then)."""
        now = self._clock()
        with self._lock:
            events = self._events.get(client)
            if events is None:
                if len(self._events) >= self._max_clients:
                    self._forget(now)
                events = self._events[client] = deque()
            while events and now - events[0] >= self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def _forget(self, now: float) -> None:
        """Forget clients with no event in the window, else the least recent half."""
        idle = [c for c, e in self._events.items() if not e or now - e[-1] >= self.window]
        if not idle:
            by_last = sorted(self._events, key=lambda c: self._events[c][-1])
            idle = by_last[: len(by_last) // 2 or 1]
        for client in idle:
            del self._events[client]
