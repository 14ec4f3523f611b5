"""Where the converter service listens: light enough for a command's first milliseconds.

Imported by the thin client of :mod:`pipeline.cli._client` before anything else,
so it imports nothing beyond the standard library's basics.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

FOLDER_NAME = "converter-service"
SOCKET_NAME = "socket"
_SUN_PATH_MAX = 100  # AF_UNIX addresses are limited to 107 bytes


def service_folder(data: Path) -> Path:
    """The service's folder in a data folder: socket, lock, state, log, LibreOffice profiles."""
    return data.resolve() / FOLDER_NAME


def socket_path(data: Path) -> Path:
    """The service's socket in a data folder."""
    return service_folder(data) / SOCKET_NAME


@contextlib.contextmanager
def unix_address(path: Path) -> Iterator[str]:
    """An AF_UNIX address for ``path``, through the folder's descriptor when it is too long.

    Raises:
        OSError: the folder cannot be opened (no service was ever started there).

    """
    if len(os.fsencode(path)) <= _SUN_PATH_MAX:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)
