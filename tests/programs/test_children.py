"""What an ``xwql`` command starts ends with it: stopped, interrupted or killed."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

XWQL = str(ROOT / ".venv" / "bin" / "xwql")


def _processes_of(data: Path) -> dict[int, str]:
    """Processes started by a command on ``data`` (marked with a run id), and their commands."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if f"XWQL_DATA={data}".encode() in environ and any(
            item.startswith(b"XWQL_RUN=") for item in environ
        ):
            found[int(entry.name)] = command
    return found


@pytest.mark.slow
@pytest.mark.soffice
@pytest.mark.s3
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL],
                         ids=["SIGTERM", "SIGINT", "SIGKILL"])  # fmt: skip
def test_prefects_api_server_and_the_converters_end_with_the_command(
    number: signal.Signals, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {"XWQL_DATA": str(data), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    command = [XWQL, "demo", "--out", str(tmp_path / "demo"), "--village", "南马村"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        # Killed once Prefect's API server (a uvicorn child) and a converter both run.
        deadline = time.monotonic() + 300
        while not all(
            any(name in c for c in _processes_of(data).values())
            for name in ("uvicorn", "_soffice_worker")
        ):
            assert process.poll() is None, "the demo ended before both started"
            assert time.monotonic() < deadline, _processes_of(data)
            time.sleep(0.3)
        os.kill(process.pid, number)
        process.wait(timeout=120)
        deadline = time.monotonic() + 30
        while (left := _processes_of(data)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert left == {}, left
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        subprocess.run([XWQL, "storage", "down"], env=env, timeout=120, check=False)
