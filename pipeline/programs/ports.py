"""TCP ports for the servers xwql starts on 127.0.0.1 (SeaweedFS, Prefect's API).

A port is chosen now and bound by the server a moment later. A port the kernel
hands out for ``bind(0)`` comes from its ephemeral range, the same range every
outgoing connection takes its local port from: on a busy machine an S3 or HTTP
client can take the port in between, and the server dies with "address already
in use". Ports are therefore chosen below that range, where only listeners live.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

from pipeline.errors import ExternalProgramError
from pipeline.programs.messages import NO_FREE_PORT

LOWEST_PORT = 12000  # above the well-known and most registered service ports
_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL_START = 32768  # Linux's default when the range cannot be read
_TRIES = 200


def ephemeral_start() -> int:
    """The first port of the kernel's range for outgoing connections."""
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _DEFAULT_EPHEMERAL_START


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(companion: int = 0) -> int:
    """A port p on 127.0.0.1 that nothing uses now; with ``companion``, p + companion too.

    SeaweedFS puts each server's gRPC port at its HTTP port + 10000, hence the
    companion. Both lie below the ephemeral range when it leaves room for them.

    Raises:
        ExternalProgramError: No free port was found.
    """
    highest = ephemeral_start() - 1 - companion
    for _ in range(_TRIES):
        if highest > LOWEST_PORT:
            port = random.randint(LOWEST_PORT, highest)
        else:  # a range configured to start low leaves no room below it
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
        if port + companion < 65536 and all(_bindable(p) for p in {port, port + companion}):
            return port
    raise ExternalProgramError(NO_FREE_PORT())
