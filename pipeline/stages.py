"""Wall time per pipeline stage (render, convert, stamp, …), summed over every thread.

A few call sites wrap their work in ``with stage("convert"):``; each use adds
its wall seconds and one call to a process-wide registry that a benchmark
clears with :func:`reset` and reads with :func:`snapshot`. Recording costs two
clock reads and a short lock, so it stays on whether anybody reads it or not.

Stages run on several threads at once (conversions do), so a stage's summed
seconds can exceed the wall time of the run. A stage used inside another one
(the index upsert inside the archive step) counts in both ``seconds``; its time
is taken out of the outer stage's ``own_seconds``, so own seconds add up
without counting anything twice.

Example:
    >>> from pipeline.stages import reset, snapshot, stage
    >>> reset()
    >>> with stage("render"):
    ...     pass
    >>> snapshot()["render"].count
    1

"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import TracebackType

__all__ = ["StageTotal", "reset", "snapshot", "stage"]


@dataclass(frozen=True)
class StageTotal:
    """What one stage took since the last :func:`reset`.

    Attributes:
        name: The stage.
        count: How many times it ran.
        seconds: Wall seconds summed over every use (and every thread), nested stages included.
        own_seconds: ``seconds`` less the time spent in stages nested inside it.
    """

    name: str
    count: int
    seconds: float
    own_seconds: float


_lock = threading.Lock()
_totals: dict[str, list[float]] = {}  # name → [count, seconds, own seconds]
_nesting = threading.local()  # per thread: seconds spent in stages nested in each open stage


class _Timer:
    """The context manager :func:`stage` returns."""

    __slots__ = ("_name", "_started")

    def __init__(self, name: str) -> None:
        self._name = name
        self._started = 0.0

    def __enter__(self) -> None:
        stack: list[float] | None = getattr(_nesting, "stack", None)
        if stack is None:
            stack = _nesting.stack = []
        stack.append(0.0)
        self._started = time.perf_counter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        elapsed = time.perf_counter() - self._started
        stack: list[float] = _nesting.stack
        inner = stack.pop()
        if stack:
            stack[-1] += elapsed
        with _lock:
            total = _totals.get(self._name)
            if total is None:
                total = _totals[self._name] = [0, 0.0, 0.0]
            total[0] += 1
            total[1] += elapsed
            total[2] += elapsed - inner


def stage(name: str) -> _Timer:
    """Time the ``with`` block as stage ``name`` (also when it raises)."""
    return _Timer(name)


def reset() -> None:
    """Forget every total (stages open at the time still add theirs when they end)."""
    with _lock:
        _totals.clear()


def snapshot() -> dict[str, StageTotal]:
    """The totals of every stage used since the last :func:`reset`, by name."""
    with _lock:
        return {
            name: StageTotal(name, int(count), seconds, own)
            for name, (count, seconds, own) in _totals.items()
        }
