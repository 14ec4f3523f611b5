"""Programs xwql starts for a command end with it, however it ends.

Each ``xwql`` command marks its environment with a run id (``XWQL_RUN``), which
every process it starts inherits — LibreOffice workers, Prefect's temporary API
server (a uvicorn child Prefect starts itself), any of theirs — and starts a
small guard (:mod:`pipeline.programs._guard`) that the kernel signals when the
command's process dies, stopped cleanly, interrupted, or killed with SIGKILL
when none of its own clean-up can run (Linux ``PR_SET_PDEATHSIG``). The guard
then stops every process still carrying the run's id. Services meant to outlive
a command (the embedded S3 server, the converter service) are started without
the mark (:func:`unmarked_environment`).
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import subprocess
import sys

RUN_MARK = "XWQL_RUN"
_PR_SET_PDEATHSIG = 1


def end_with_parent() -> None:
    """In a child, before it runs its program: SIGTERM when its parent dies (Linux)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() == 1:  # the parent died before the line above: end now
        os.kill(os.getpid(), signal.SIGTERM)


def guard_this_command() -> subprocess.Popen[bytes]:
    """Mark this process's environment with a new run id and start its guard."""
    run = secrets.token_hex(8)
    os.environ[RUN_MARK] = run
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.programs._guard", run],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=unmarked_environment(), start_new_session=True, preexec_fn=end_with_parent,
    )  # fmt: skip


def unmarked_environment() -> dict[str, str]:
    """The environment without the run mark: for services that outlive the command."""
    return {name: value for name, value in os.environ.items() if name != RUN_MARK}


def process_ended(pid: int) -> bool:
    """Whether no process of this host has ``pid`` (one of another user's still runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
