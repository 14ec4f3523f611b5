"""The local Prefect server ``xwql serve`` starts when no ``PREFECT_API_URL`` is set.

One ``prefect server start`` on 127.0.0.1, stopped on the way out of the block,
and told by the kernel to stop when xwql dies however it dies
(:func:`pipeline.programs.children.end_with_parent`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from flows.messages import PREFECT_DID_NOT_START
from pipeline.errors import ExternalProgramError
from pipeline.programs.children import end_with_parent
from pipeline.programs.ports import free_port

SERVER_START_TIMEOUT = 120.0


@contextmanager
def local_server(env: Mapping[str, str] | None = None) -> Iterator[str]:
    """A Prefect server on 127.0.0.1 for as long as the block runs; yields its API URL.

    Args:
        env: Its environment (its ``PREFECT_HOME``, its database…); default: this
            process's.

    Raises:
        ExternalProgramError: It did not answer in time (its log says why).
    """
    env = dict(os.environ if env is None else env)
    port = free_port()
    home = Path(env.get("PREFECT_HOME", "."))
    home.mkdir(parents=True, exist_ok=True)
    log = home / "server.log"
    argv = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
            "--port", str(port)]  # fmt: skip
    with log.open("ab") as handle:
        process = subprocess.Popen(
            argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=end_with_parent, env=env,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise ExternalProgramError(PREFECT_DID_NOT_START(log=log))
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()  # its own process group: no other process of xwql's is hit
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
