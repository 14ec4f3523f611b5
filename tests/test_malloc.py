"""The malloc arena limit, checked with glibc's own report of its arenas."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_PROGRAM = """
import ctypes, sys, threading
from pipeline.malloc import limit_arenas

assert limit_arenas() is True
def churn():
    for _ in range(200):
        blocks = [bytearray(4096) for _ in range(500)]
        del blocks
threads = [threading.Thread(target=churn) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
report = libc.fopen(sys.argv[1].encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(report))
libc.fclose(ctypes.c_void_p(report))
"""


def test_threads_share_at_most_two_arenas(tmp_path: Path) -> None:
    report = tmp_path / "malloc.xml"
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    subprocess.run(
        [sys.executable, "-c", _PROGRAM, str(report)], check=True, env=environment, timeout=60
    )
    heaps = report.read_text().count("<heap nr=")
    assert 1 <= heaps <= 2


def test_a_limit_given_at_start_is_left_alone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pipeline.malloc import limit_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_arenas() is False
