"""The LibreOffice worker process on its own: how it ends, and what it leaves behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.programs._probe import require
from pipeline.programs.fonts import FontSetup
from pipeline.programs.soffice import APT_PACKAGES
from tests.conftest import ROOT
from tests.programs.processes import gone, wait_for

pytestmark = pytest.mark.soffice

TEMPLATE = ROOT / "templates" / "result_notice.docx"


def _argv(tmp_path: Path, pipe: str) -> list[str]:
    return [
        sys.executable, "-m", "pipeline.programs._soffice_worker",
        "--soffice", require("soffice", package=APT_PACKAGES),
        "--profile", str(tmp_path / "profile"), "--pipe", pipe,
    ]  # fmt: skip


def _pipe_file(pipe: str) -> Path:
    return Path("/tmp") / f"OSL_PIPE_{os.getuid()}_{pipe}"


def test_the_pipe_file_goes_with_the_worker(fonts: FontSetup, tmp_path: Path) -> None:
    pipe = f"xwql-test-{os.getpid()}-ends"
    worker = subprocess.Popen(
        _argv(tmp_path, pipe), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=fonts.environment(), start_new_session=True,
    )  # fmt: skip
    assert worker.stdout is not None and worker.stdin is not None
    ready = json.loads(worker.stdout.readline())
    assert ready["ready"]
    assert _pipe_file(pipe).exists()  # LibreOffice made it
    worker.stdin.close()  # what a pool does to stop its worker
    assert worker.wait(30) == 0
    assert gone(ready["soffice_pid"])
    assert not _pipe_file(pipe).exists()


# A parent that starts a worker, tells the test who is who, sends one conversion
# when asked, then waits to be killed.
_PARENT = """
import json, subprocess, sys
worker = subprocess.Popen(json.loads(sys.argv[1]), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True, start_new_session=True)
ready = json.loads(worker.stdout.readline())
print(json.dumps({"worker": worker.pid, "soffice": ready["soffice_pid"]}), flush=True)
sys.stdin.readline()
worker.stdin.write(json.dumps({"source": sys.argv[2], "target": sys.argv[3]}) + "\\n")
worker.stdin.flush()
print("sent", flush=True)
sys.stdin.readline()
"""


def test_a_worker_on_a_hung_libreoffice_ends_when_its_parent_dies(
    fonts: FontSetup, tmp_path: Path
) -> None:
    pipe = f"xwql-test-{os.getpid()}-orphan"
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, json.dumps(_argv(tmp_path, pipe)), str(TEMPLATE),
         str(tmp_path / "never.pdf")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=fonts.environment(),
    )  # fmt: skip
    assert parent.stdout is not None and parent.stdin is not None
    pids = json.loads(parent.stdout.readline())
    worker, soffice = int(pids["worker"]), int(pids["soffice"])
    try:
        os.kill(soffice, signal.SIGSTOP)  # LibreOffice hangs
        parent.stdin.write("go\n")
        parent.stdin.flush()
        assert parent.stdout.readline().strip() == "sent"
        time.sleep(1.0)
        assert not gone(worker)  # waiting on LibreOffice, it never reads its stdin
        parent.kill()
        parent.wait()
        # Handed to another parent, the worker kills its LibreOffice and ends.
        assert wait_for(lambda: gone(worker) and gone(soffice))
        assert wait_for(lambda: not _pipe_file(pipe).exists(), 5)
        assert not (tmp_path / "never.pdf").exists()
    finally:
        for pid in (soffice, worker):
            if not gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_broken_uno_bridge_is_a_crash_and_a_bad_document_is_not() -> None:
    """A broken bridge ends the worker (its parent restarts it and retries the document)."""
    import uno  # type: ignore[import-not-found,unused-ignore]

    from pipeline.programs._soffice_worker import bridge_broken

    io_error = uno.getClass("com.sun.star.io.IOException")
    disposed = uno.getClass("com.sun.star.lang.DisposedException")

    assert bridge_broken(AttributeError("createTypeDescriptionEnumeration"))
    assert bridge_broken(disposed("bridge disposed", None))
    assert not bridge_broken(io_error("cannot read the document", None))
