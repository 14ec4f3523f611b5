"""Fewer glibc malloc arenas for xwql's many-threaded processes.

glibc gives threads that contend for memory arenas of their own, up to eight
per core. A district run has some fifty threads (village tasks, document
threads, converter dispatchers); the memory they free stays spread over those
arenas, and the process held 620–790 MB. With two arenas it held 350–400 MB,
no slower: Python's own lock serialises most allocation anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h
ARENAS = 2


def limit_arenas(count: int = ARENAS) -> bool:
    """Let this process's threads share at most ``count`` malloc arenas from now on.

    Arenas made already stay. Nothing is changed when ``MALLOC_ARENA_MAX`` is set
    (glibc read it at the start) or the C library is not glibc. Returns whether
    the limit was set.
    """
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    return bool(mallopt(_M_ARENA_MAX, count))
