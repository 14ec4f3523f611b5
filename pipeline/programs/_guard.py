"""The guard of one ``xwql`` command (see :mod:`pipeline.programs.children`).

Run as ``python -m pipeline.programs._guard RUN``: waits for the SIGTERM the
kernel sends when the command's process dies, then stops every process whose
environment carries ``XWQL_RUN=RUN`` (SIGTERM, then SIGKILL after a grace time).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from pipeline.programs.children import RUN_MARK

GRACE_SECONDS = 5.0


def marked(run: str) -> list[int]:
    """The processes whose environment carries the run's mark (other users' are unreadable)."""
    needle = f"{RUN_MARK}={run}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone, or not ours
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def stop(run: str) -> None:
    """SIGTERM every marked process; SIGKILL those still there after the grace time."""
    for pid in marked(run):
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while marked(run) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in marked(run):
        _signal(pid, signal.SIGKILL)


def _signal(pid: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.kill(pid, number)


def main(run: str) -> None:
    """Wait for the command's end, then stop what it left running."""
    ended = False

    def on_term(*_: object) -> None:
        nonlocal ended
        ended = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the command's to handle
    while not ended:
        signal.pause()
    stop(run)


if __name__ == "__main__":
    main(sys.argv[1])
