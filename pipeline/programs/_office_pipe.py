"""The socket file of LibreOffice's named pipe, which LibreOffice leaves behind.

LibreOffice (its sal library) makes ``OSL_PIPE_<uid>_<name>`` in ``/tmp``, or in
``/var/tmp`` when ``/tmp`` is not writable, and does not remove it when it is
killed. Imported by the worker (under LibreOffice's Python bridge) and by the
pool that kills workers, so it uses the standard library only.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

_FOLDERS = (Path("/tmp"), Path("/var/tmp"))


def remove_pipe_file(pipe: str) -> None:
    """Remove the socket file of LibreOffice's pipe ``pipe``, wherever it was made."""
    for folder in _FOLDERS:
        with contextlib.suppress(OSError):
            (folder / f"OSL_PIPE_{os.getuid()}_{pipe}").unlink()
