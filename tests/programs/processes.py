"""Process checks shared by the tests of the programs xwql starts."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def gone(pid: int) -> bool:
    """True once a process has ended (a zombie left for init to reap counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in {"Z", "X"}


def wait_for(condition: Callable[[], object], seconds: float = 20) -> bool:
    """Poll ``condition`` until it is true or ``seconds`` have passed; its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())
