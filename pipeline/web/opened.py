"""Something the pages share, opened by the first request that needs it and kept."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

_T = TypeVar("_T")


class OpenedOnce(Generic[_T]):
    """What ``opener`` yields, opened on first use (again after a failure) until closed.

    Args:
        opener: Opens the thing; its exit closes it.
    """

    def __init__(self, opener: Callable[[], contextlib.AbstractContextManager[_T]]) -> None:
        self._opener = opener
        self._lock = threading.Lock()
        self._stack: contextlib.ExitStack | None = None
        self._opened: _T | None = None

    def get(self) -> _T:
        """The open thing (opened now if it is not yet; a failure is raised, not kept)."""
        with self._lock:
            if self._opened is None:
                stack = contextlib.ExitStack()
                try:
                    self._opened = stack.enter_context(self._opener())
                except BaseException:
                    stack.close()
                    raise
                self._stack = stack
            return self._opened

    def close(self) -> None:
        """Close it (at shutdown); the next ``get`` opens it again."""
        with self._lock:
            if self._stack is not None:
                self._stack.close()
            self._stack, self._opened = None, None
