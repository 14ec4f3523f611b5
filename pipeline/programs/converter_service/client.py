"""Talking to the converter service: one request, its answer, and who the service is.

A request is one JSON line, and so is its answer (the requests are listed in
:mod:`pipeline.programs.converter_service.service`). A command uses a running
service only if it answers for the same protocol, data folder, fonts and
converter code (:func:`identity`, :func:`mismatch`); otherwise it converts on a
pool of its own, with a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import ConverterServiceError
from pipeline.programs._service_address import unix_address
from pipeline.programs.fonts import FontSetup

PROTOCOL = 1
STATUS_SECONDS = 3.0  # a running service answers status in milliseconds
START_SECONDS = 120.0  # LibreOffice start-up (up to 90 s per instance) and warm-up
MAX_REQUEST = 64 * 1024


class ServiceNotRunning(ConverterServiceError):
    """No converter service answers on the socket (none started, or it crashed)."""


class ServiceLost(ConverterServiceError):
    """The converter service stopped answering in the middle of a request."""


# The code a conversion runs through: a service started before it changed is not used.
_CONVERTER_CODE = (
    "programs/converter_service/__init__.py", "programs/converter_service/client.py",
    "programs/converter_service/pool.py", "programs/converter_service/service.py",
    "programs/converter_service/lifecycle.py", "programs/_service_address.py",
    "programs/soffice.py", "programs/_soffice_worker.py", "programs/docx_batch.py",
    "programs/fonts.py", "programs/_probe.py", "programs/_office_pipe.py", "filetypes.py",
    "stages.py", "errors.py",
)  # fmt: skip


def _code_digest() -> str:
    """Digest of the converter code, so a service left running by older code is not used."""
    package = Path(__file__).resolve().parents[2]  # pipeline/, the names above start there
    digest = hashlib.sha256()
    for name in _CONVERTER_CODE:
        path = package / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()[:16]


def identity(data: Path, fonts: FontSetup) -> dict[str, Any]:
    """What client and service must agree on: protocol, data folder, fonts, converter code."""
    try:
        fontconfig_text = fonts.fontconfig.read_bytes()
    except OSError:
        fontconfig_text = b""
    return {
        "protocol": PROTOCOL,
        "data": str(data.resolve()),
        "fontconfig": str(fonts.fontconfig),
        "fonts_digest": hashlib.sha256(fontconfig_text).hexdigest()[:16],
        "code": _code_digest(),
    }


def mismatch(status: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """Why a running service must not be used by this command, or None."""
    names = {
        "protocol": "protocol version",
        "data": "data folder",
        "fontconfig": "fonts",
        "fonts_digest": "font configuration",
        "code": "converter code (updated since the service started)",
    }
    for key, name in names.items():
        if status.get(key) != expected[key]:
            return f"{name}: the service has {status.get(key)!r}, this command {expected[key]!r}"
    return None


@contextlib.contextmanager
def _address(path: Path) -> Iterator[str]:
    """An AF_UNIX address for ``path`` (see :func:`unix_address`)."""
    try:
        with unix_address(path) as address:
            yield address
    except OSError as exc:
        raise ServiceNotRunning(f"no converter service folder {path.parent}") from exc


def request(socket_path: Path, message: dict[str, Any], *, timeout: float | None) -> dict[str, Any]:
    """Send one request to the service at ``socket_path``; its reply.

    Raises:
        ServiceNotRunning: nothing listens on the socket (or it does not exist).
        ServiceLost: the service closed the connection or did not answer in ``timeout``.

    """
    with contextlib.ExitStack() as stack:
        address = stack.enter_context(_address(socket_path))
        sock = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
        sock.settimeout(STATUS_SECONDS)
        try:
            sock.connect(address)
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
            raise ServiceNotRunning(f"no converter service at {socket_path}") from exc
        except OSError as exc:
            raise ServiceNotRunning(f"converter service at {socket_path}: {exc}") from exc
        try:
            sock.settimeout(timeout)
            sock.sendall(json.dumps(message).encode() + b"\n")
            line = stack.enter_context(sock.makefile("rb")).readline(MAX_REQUEST)
        except TimeoutError as exc:
            raise ServiceLost(f"the converter service did not answer within {timeout} s") from exc
        except OSError as exc:
            raise ServiceLost(f"the converter service broke the connection: {exc}") from exc
    if not line.endswith(b"\n"):
        raise ServiceLost("the converter service closed the connection without answering")
    try:
        reply: dict[str, Any] = json.loads(line)
    except ValueError as exc:
        raise ServiceLost(f"the converter service answered garbage: {line[:80]!r}") from exc
    return reply
