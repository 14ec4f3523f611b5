"""Tokens of sessions and forms, and the bound on public look-ups.

Sessions themselves live in the database (:mod:`pipeline.accounts.store`), so
every worker of ``xwql web`` shares them.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable


def new_token() -> str:
    """A random token for a session id or a form (32 bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    """Whether a form token is the expected one (constant time; missing is never equal)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


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
