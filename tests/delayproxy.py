"""A TCP proxy on 127.0.0.1 that delays what the server sends back: a slow S3, for real.

The store talks to the proxy instead of SeaweedFS; each chunk of an answer waits
``delay`` seconds before it is passed on, so the client sees a server that is
slow to answer (its read timeout runs) while every byte still arrives intact.
The delay can be changed while connections are open, also by ``on_request``,
which sees each chunk the client sends (a request line starts one).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

_CHUNK = 65536


class DelayProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream_port``, delaying each answer chunk."""

    def __init__(self, upstream_port: int, *, delay: float = 0.0) -> None:
        self.upstream_port = upstream_port
        self.delay = delay
        self.on_request: Callable[[bytes], None] | None = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DelayProxy:
        self._acceptor.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
        self._acceptor.join(timeout=5)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, delayed: bool) -> None:
        try:
            while chunk := source.recv(_CHUNK):
                if not delayed and self.on_request is not None:
                    self.on_request(chunk)
                if delayed and self.delay:
                    time.sleep(self.delay)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
