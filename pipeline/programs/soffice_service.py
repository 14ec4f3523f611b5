"""The converter service, owned here: warm LibreOffice kept running between commands.

Every command that converts documents starts LibreOffice first (about 2 s of a
one-notice command's 3). ``xwql converters up`` starts a converter service
instead: a detached process owning a warm :class:`~pipeline.programs.soffice.ConverterPool`
that converts on request over a Unix socket in ``<data>/converter-service/``.
Commands then find it there and convert through it (:class:`ServiceOrPool`);
with no service they start their own pool as before.

Access is the owner's only: the folder is 0700, the socket 0600, and the
service checks each peer's user id. Client and service share the machine and
the user, so only paths travel, never document bytes.

Protocol: one JSON line per connection each way (two answers to ``notice``).

- ``{"op": "status"}``: identity (data folder, fonts, code digest), pid, uptime,
  documents converted and failed, LibreOffice restarts.
- ``{"op": "convert", "source": ..., "target": ...}``: ``{"ok": true}`` or
  ``{"ok": false, "error": "conversion" | "timeout" | "program" | "internal", "message": ...}``.
- ``{"op": "stop"}``: the service stops taking requests, finishes those under
  way, stops LibreOffice and exits.
- ``{"op": "notice", "identity": ..., "args": ..., "console": ...}``: ``xwql notice``
  run by the service for its thin client (:mod:`pipeline.cli._client`,
  :mod:`pipeline.cli._served`). The answer is ``{"ok": false, "error": "refused", ...}``
  when the command's settings or code differ (the command then runs itself), or
  two lines: ``{"ok": true, "accepted": true}`` at once, then, when the command is
  done, ``{"ok": true, "code": N, "output": [[stream, text], ...]}``.

What can go wrong, and what happens:

- No socket, or a socket nobody listens on (a service that crashed left it):
  the service is not running; a command converts on a pool of its own, and the
  next ``up`` removes the stale file (a lock held for the service's lifetime
  says whether one runs).
- A service that answers for another data folder (the folder was moved), other
  fonts or other converter code: not used, with a warning; ``up`` replaces it.
- A document LibreOffice cannot convert, or one that runs past the timeout:
  the error is the same ``ConversionError`` / ``ConversionTimeout`` a local pool
  raises; the service's pool restarts that LibreOffice and goes on.
- The service dies or stops answering in the middle of a request: the command
  converts that document, and the rest of its job, on a local pool (warning).
  Falling back rather than failing, because a conversion is safe to repeat (the
  PDF is written under a temporary name and renamed into place), the service is
  only a speed-up of the same conversion, and a month's job should not fail
  because the service was stopped (``converters down``) or killed while it ran.
  A document that itself kills LibreOffice is caught by the pool's own crash
  handling (one retry, then ``ConversionError``), in the service as locally.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.config import Settings, load_settings
from pipeline.errors import (
    ConversionError,
    ConversionTimeout,
    ConverterServiceError,
    ExternalProgramError,
)
from pipeline.malloc import limit_arenas
from pipeline.programs._service_address import (
    SOCKET_NAME,
    service_folder,
    unix_address,
)
from pipeline.programs.fonts import FontSetup, ensure_sc_fonts

if TYPE_CHECKING:  # imported when first used: a command using the service never needs it
    from pipeline.cli._served import Jobs
    from pipeline.programs.soffice import ConverterPool

log = logging.getLogger(__name__)

PROTOCOL = 1
_MODULE = "pipeline.programs.soffice_service"
_SOCKET = SOCKET_NAME
_LOCK = "service.lock"
_STATE = "service.json"
_LOG = "service.log"
_STATUS_SECONDS = 3.0  # a running service answers status in milliseconds
_START_SECONDS = 120.0  # LibreOffice start-up (up to 90 s per instance) and warm-up
_STOP_SECONDS = 30.0  # after this, the service is sent SIGTERM, then SIGKILL
_MAX_REQUEST = 64 * 1024


class Converter(Protocol):
    """What document jobs need from converters: a local pool or the service."""

    def convert(self, source: Path, target: Path) -> Path:
        """Convert ``source`` (DOCX) to ``target`` (PDF/A-2b)."""
        ...

    def stop(self) -> None:
        """Release the converters (stop LibreOffice if this side started it)."""
        ...

    @property
    def restarts(self) -> int:
        """LibreOffice restarts seen while converting."""
        ...

    @property
    def callers(self) -> int:
        """How many threads should convert at once to keep the converters' batches full."""
        ...


def local_pool(settings: Settings, fonts: FontSetup, workdir: Path) -> ConverterPool:
    """A pool of warm converters as ``settings`` ask, with profiles under ``workdir``."""
    from pipeline.programs.soffice import ConverterPool

    return ConverterPool(
        workdir,
        fonts,
        workers=settings.converter_workers,
        timeout=settings.conversion_timeout,
        batch=settings.conversion_batch,
        recycle_mb=settings.converter_recycle_mb,
    )


class ServiceNotRunning(ConverterServiceError):
    """No converter service answers on the socket (none started, or it crashed)."""


class ServiceLost(ConverterServiceError):
    """The converter service stopped answering in the middle of a request."""


# --- where things are, and who the service is ------------------------------------------


# The code a conversion runs through: a service started before it changed is not used.
_CONVERTER_CODE = (
    "programs/soffice_service.py", "programs/_service_address.py", "programs/soffice.py",
    "programs/_soffice_worker.py", "programs/docx_batch.py", "programs/fonts.py", "filetypes.py",
)  # fmt: skip


def _code_digest() -> str:
    """Digest of the converter code, so a service left running by older code is not used."""
    package = Path(__file__).resolve().parent.parent
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
        "code": "converter code (xwql was updated)",
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
        sock.settimeout(_STATUS_SECONDS)
        try:
            sock.connect(address)
        except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError) as exc:
            raise ServiceNotRunning(f"no converter service at {socket_path}") from exc
        except OSError as exc:
            raise ServiceNotRunning(f"converter service at {socket_path}: {exc}") from exc
        try:
            sock.settimeout(timeout)
            sock.sendall(json.dumps(message).encode() + b"\n")
            line = stack.enter_context(sock.makefile("rb")).readline(_MAX_REQUEST)
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


# --- the client side: what a command's document engine uses --------------------------


class ServiceOrPool:
    """Converts through the converter service when one answers for this data folder.

    The choice is made on the first conversion (a job with nothing to convert
    asks nothing). With no usable service, or once the service is lost in the
    middle of a job, conversions go to a pool of this command's own, started
    on first use and stopped by :meth:`stop`.
    """

    def __init__(self, settings: Settings, fonts: FontSetup, *, use_service: bool = True) -> None:
        """Prepare; nothing is started or asked until the first conversion."""
        self.settings = settings
        self.fonts = fonts
        self.socket_path = service_folder(settings.data) / _SOCKET
        self._use_service = use_service
        self._mode: str | None = None  # "service" or "local", chosen on the first conversion
        self._local: ConverterPool | None = None
        self._service_timeout = settings.conversion_timeout
        self._service_restarts_at_start = 0
        self._service_callers = 1
        self._start_error: BaseException | None = None
        self._lock = threading.Lock()

    @property
    def via_service(self) -> bool:
        """True while conversions go to the service (known after the first one)."""
        return self._mode == "service"

    def _pool(self) -> ConverterPool:
        """The local pool, made on first use; from then on every conversion uses it."""
        with self._lock:
            if self._local is None:
                self._local = local_pool(
                    self.settings, self.fonts, self.settings.data / "converters"
                )
            self._mode = "local"
            return self._local

    def _decide(self) -> None:
        with self._lock:
            if self._mode is not None:
                return
            self._mode = "local"
            if not self._use_service:
                return
            try:
                status = request(self.socket_path, {"op": "status"}, timeout=_STATUS_SECONDS)
            except ServiceNotRunning:
                return  # the usual case without `converters up`: no warning
            except ConverterServiceError as exc:
                log.warning("converter service not used: %s; converting locally", exc)
                return
            why = mismatch(status, identity(self.settings.data, self.fonts))
            if why is not None:
                log.warning(
                    "converter service in %s not used (%s); converting locally. "
                    "Restart it: xwql converters down && xwql converters up",
                    self.socket_path.parent, why,
                )  # fmt: skip
                return
            self._service_timeout = float(status.get("timeout", self._service_timeout))
            self._service_callers = int(status.get("callers", 1))
            self._service_restarts_at_start = int(status.get("restarts", 0))
            self._mode = "service"

    def prepare(self) -> None:
        """Get ready now for conversions to come: find the service, or start LibreOffice.

        For a command that knows it will convert: a pool of its own starts on a
        thread of its own (about 1.5 s of waiting for LibreOffice), while the
        command goes on loading cases and rendering; the first conversion waits
        for whatever is left of the start. A failure to start is raised by that
        conversion.
        """
        self._decide()
        if self.via_service:
            return
        pool = self._pool()

        def start() -> None:
            try:
                pool.start()
            except BaseException as exc:  # raised again by the first conversion
                self._start_error = exc

        threading.Thread(target=start, name="start-converters", daemon=True).start()

    def convert(self, source: Path, target: Path) -> Path:
        """Convert ``source`` (DOCX) to ``target`` (PDF/A-2b); thread-safe.

        Raises:
            ConversionTimeout: the document took too long (its converter restarted).
            ConversionError: ``source`` is missing or not a DOCX file, or LibreOffice
                could not convert it.
            ExternalProgramError: LibreOffice could not be (re)started.

        """
        self._decide()
        if not self.via_service:
            if self._start_error is not None:
                raise self._start_error
            return self._pool().convert(source, target)
        message = {
            "op": "convert",
            "source": str(source.resolve()),
            "target": str(target.resolve()),
        }
        # Room for waiting behind the other workers' documents and one restart.
        timeout = 3 * self._service_timeout + _START_SECONDS
        try:
            reply = request(self.socket_path, message, timeout=timeout)
        except ConverterServiceError as exc:
            log.warning(
                "converter service lost (%s); converting %s and the rest locally", exc, source.name
            )
            return self._pool().convert(source, target)
        if reply.get("ok"):
            return target
        error, text = reply.get("error"), str(reply.get("message"))
        if error == "timeout":
            raise ConversionTimeout(text)
        if error == "conversion":
            raise ConversionError(text)
        if error == "program":
            raise ExternalProgramError(text)
        log.warning("converter service failed (%s); converting %s locally", text, source.name)
        return self._pool().convert(source, target)

    @property
    def recycles(self) -> int:
        """LibreOffice replaced for its memory in the local pool (the service logs its own)."""
        return self._local.recycles if self._local is not None else 0

    @property
    def restarts(self) -> int:
        """LibreOffice restarts of the local pool, plus the service's since this job began."""
        local = int(self._local.restarts) if self._local is not None else 0
        if not self.via_service:
            return local
        try:
            status = request(self.socket_path, {"op": "status"}, timeout=_STATUS_SECONDS)
        except ConverterServiceError:
            return local
        return local + int(status.get("restarts", 0)) - self._service_restarts_at_start

    @property
    def callers(self) -> int:
        """Threads that keep the converters busy: the service's, or the local pool's."""
        self._decide()
        if self.via_service:
            return self._service_callers
        return self._pool().callers

    def stop(self) -> None:
        """Stop the local pool, if one was started (the service keeps running)."""
        with self._lock:
            if self._local is not None:
                self._local.stop()


# --- the service process ---------------------------------------------------------------


class _Service:
    """The running service: its pool, counters and identity."""

    def __init__(self, settings: Settings, fonts: FontSetup, folder: Path) -> None:
        self.settings = settings
        self.folder = folder
        self.pool = local_pool(settings, fonts, folder / "pool")
        self.identity = identity(settings.data, fonts)
        self.started = time.time()
        self.converted = 0
        self.failed = 0
        self.stopping = threading.Event()
        self._counts = threading.Lock()
        self.server: _Server | None = None
        self.jobs: Jobs | None = None  # the commands it runs (pipeline.cli._served)

    def warm_up(self) -> None:
        """Convert a template on each converter: LibreOffice's first document is slow."""
        preferred = ("public_notice", "result_notice", "application", "receipt")
        templates = sorted(
            self.settings.templates_dir.glob("*.docx"),
            key=lambda p: preferred.index(p.stem) if p.stem in preferred else len(preferred),
        )
        samples = templates[: len(self.pool.instances)]
        work = self.folder / "warm-up"
        work.mkdir(exist_ok=True)

        def one(sample: Path) -> None:
            try:
                self.pool.convert(sample, work / f"{sample.stem}.pdf")
            except ExternalProgramError as exc:
                log.warning("warm-up conversion of %s failed: %s", sample.name, exc)

        threads = [threading.Thread(target=one, args=(sample,)) for sample in samples]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for pdf in work.glob("*.pdf"):
            pdf.unlink(missing_ok=True)

    def status(self) -> dict[str, Any]:
        instances = self.pool.instances
        return {
            "ok": True,
            **self.identity,
            "pid": os.getpid(),
            "started_at": dt.datetime.fromtimestamp(self.started, dt.UTC).isoformat(),
            "uptime_seconds": round(time.time() - self.started, 1),
            "converted": self.converted,
            "failed": self.failed,
            "restarts": self.pool.restarts,
            "workers": len(instances),
            "callers": self.pool.callers,
            "timeout": self.settings.conversion_timeout,
            "soffice_pids": [pid for i in instances if (pid := i.soffice_pid()) is not None],
            "stopping": self.stopping.is_set(),
            "runs_commands": self.jobs is not None,
            "commands_run": self.jobs.done if self.jobs is not None else 0,
            "commands_identity": self.jobs.identity if self.jobs is not None else None,
        }

    def counted(self, source: Path, target: Path) -> Path:
        """Convert on the pool, counting the document as converted or failed."""
        try:
            self.pool.convert(source, target)
        except Exception:
            with self._counts:
                self.failed += 1
            raise
        with self._counts:
            self.converted += 1
        return target

    def convert(self, message: dict[str, Any]) -> dict[str, Any]:
        source, target = message.get("source"), message.get("target")
        if not (isinstance(source, str) and isinstance(target, str)):
            return {"ok": False, "error": "conversion", "message": "source and target required"}
        if not (Path(source).is_absolute() and Path(target).is_absolute()):
            return {"ok": False, "error": "conversion", "message": "paths must be absolute"}
        if self.stopping.is_set():
            return {"ok": False, "error": "internal", "message": "the service is stopping"}
        reply: dict[str, Any]
        try:
            self.counted(Path(source), Path(target))
            reply = {"ok": True}
        except ConversionTimeout as exc:
            reply = {"ok": False, "error": "timeout", "message": str(exc)}
        except ConversionError as exc:
            reply = {"ok": False, "error": "conversion", "message": str(exc)}
        except ExternalProgramError as exc:
            reply = {"ok": False, "error": "program", "message": str(exc)}
        except Exception as exc:  # a bug: logged here, the client converts locally
            log.exception("converting %s failed", source)
            reply = {"ok": False, "error": "internal", "message": f"{type(exc).__name__}: {exc}"}
        if not reply["ok"]:
            log.warning("%s: %s", Path(source).name, reply["message"])
        return reply

    def run_command(
        self, message: dict[str, Any], accept: Callable[[], bool]
    ) -> dict[str, Any] | None:
        """Run a command for the thin client; None if it went before it was accepted.

        A request the service must not run (other settings or code, or the
        service is stopping) is refused, and the client runs it itself. Once
        ``accept`` has told the client so, the command runs here to its end.
        """
        if self.jobs is None:
            return {"ok": False, "error": "refused", "message": "this service runs no commands"}
        if self.stopping.is_set():
            return {"ok": False, "error": "refused", "message": "the service is stopping"}
        why = self.jobs.refusal(message)
        if why is not None:
            return {"ok": False, "error": "refused", "message": why}
        if not accept():
            return None
        return self.jobs.notice(message, _Lent(self))

    def answer(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message.get("op")
        if op == "status":
            return self.status()
        if op == "convert":
            return self.convert(message)
        if op == "stop":
            self.shutdown("asked to stop")
            return {"ok": True}
        return {"ok": False, "error": "internal", "message": f"unknown request {op!r}"}

    def shutdown(self, why: str) -> None:
        """Stop taking requests (from any thread, a signal handler too)."""
        if self.stopping.is_set() or self.server is None:
            return
        self.stopping.set()
        log.info("stopping: %s", why)
        threading.Thread(target=self.server.shutdown, name="shutdown").start()


class _Lent:
    """The service's converters, lent to a command it runs: counted, and never stopped by it."""

    def __init__(self, service: _Service) -> None:
        self._service = service

    def convert(self, source: Path, target: Path) -> Path:
        return self._service.counted(source, target)

    def stop(self) -> None:
        """Nothing: the service stops its converters when it stops."""

    @property
    def restarts(self) -> int:
        return self._service.pool.restarts

    @property
    def callers(self) -> int:
        return self._service.pool.callers


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        if not self.server.peer_allowed(self.request):
            return
        line = self.rfile.readline(_MAX_REQUEST)
        reply: dict[str, Any] | None
        try:
            message = json.loads(line)
            if not isinstance(message, dict):
                raise ValueError("not an object")
        except ValueError:
            reply = {"ok": False, "error": "internal", "message": "bad request"}
        else:
            if message.get("op") == "notice":
                reply = self.server.service.run_command(message, self._accept)
            else:
                reply = self.server.service.answer(message)
        if reply is not None:
            self._send(reply)

    def _send(self, reply: dict[str, Any]) -> bool:
        try:
            self.wfile.write(json.dumps(reply).encode() + b"\n")
            self.wfile.flush()
        except OSError:  # the client has gone
            return False
        return True

    def _accept(self) -> bool:
        """Tell the client its command runs here; False if it has gone (then it does not)."""
        return self._send({"ok": True, "accepted": True})


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = False
    block_on_close = True  # closing waits for the requests under way

    def __init__(self, address: str, service: _Service) -> None:
        self.service = service
        super().__init__(address, _Handler)

    def peer_allowed(self, connection: socket.socket) -> bool:
        """Only processes of the service's own user may convert (the socket is 0600 too)."""
        creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", creds)
        if uid != os.getuid():
            log.warning("refused a connection from user id %d", uid)
            return False
        return True


def _write_state(folder: Path, state: dict[str, Any]) -> None:
    partial = folder / f".{_STATE}.part"
    partial.write_text(json.dumps(state))
    partial.replace(folder / _STATE)


def serve(data: Path, cwd: Path | None = None) -> int:
    """Run the service for ``data`` until asked to stop; the process's exit status.

    The settings are read in ``cwd`` (where ``converters up`` ran), so that
    relative paths in them mean what they mean to the commands run there.
    """
    if cwd is not None:
        with contextlib.suppress(OSError):
            os.chdir(cwd)
    settings = replace(load_settings(), data=data.resolve())
    folder = service_folder(settings.data)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    lock = (folder / _LOCK).open("a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log.error("a converter service already runs for %s", settings.data)
        return 3
    os.chdir(folder)  # the socket is bound by its short relative name
    service = _Service(settings, ensure_sc_fonts(settings.data), folder)
    try:
        service.pool.start()
        service.warm_up()
        try:
            from pipeline.cli._served import Jobs

            service.jobs = Jobs(settings)
        except Exception:  # commands then run in their own processes, converting here
            log.exception("the service will convert only, not run commands")
        Path(_SOCKET).unlink(missing_ok=True)  # left by a service that crashed: we hold the lock
        old_umask = os.umask(0o177)
        try:
            server = _Server(_SOCKET, service)
        finally:
            os.umask(old_umask)
        Path(_SOCKET).chmod(0o600)
        service.server = server
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda number, _: service.shutdown(f"signal {number}"))
        _write_state(folder, {"pid": os.getpid(), "data": str(settings.data)})
        log.info(
            "serving %s: %d converters, pid %d", settings.data, len(service.pool.instances),
            os.getpid(),
        )  # fmt: skip
        try:
            server.serve_forever(poll_interval=0.5)
        finally:
            Path(_SOCKET).unlink(missing_ok=True)  # new clients convert locally from now on
            server.server_close()  # and the requests under way finish
        log.info("stopped after %d documents (%d failed)", service.converted, service.failed)
        return 0
    finally:
        service.pool.stop()
        (folder / _STATE).unlink(missing_ok=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


# --- life cycle, for `xwql converters up|down|status` -----------------------------------


def _process_state(pid: int) -> str | None:
    """The state letter of a process (``R``, ``S``, ``Z``…), or None if there is none."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _alive(pid: int) -> bool:
    return _process_state(pid) not in (None, "Z", "X")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class ConverterService:
    """The converter service of one data folder, seen from the command line."""

    def __init__(self, settings: Settings) -> None:
        """Use the service folder of ``settings.data``."""
        self.settings = settings
        self.folder = service_folder(settings.data)
        self.socket_path = self.folder / _SOCKET
        self.log_path = self.folder / _LOG

    def query(self) -> dict[str, Any] | None:
        """The running service's status, or None if none answers."""
        try:
            return request(self.socket_path, {"op": "status"}, timeout=_STATUS_SECONDS)
        except ConverterServiceError:
            return None

    def _recorded_pid(self) -> int | None:
        """PID in the state file, if that process is this folder's service and alive."""
        try:
            pid = int(json.loads((self.folder / _STATE).read_text())["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        command = _cmdline(pid)
        if _MODULE.encode() in command and _alive(pid):
            return pid
        return None

    def _lock_free(self) -> bool:
        """True if no service holds this folder's lock (none runs, or one is starting up)."""
        path = self.folder / _LOCK
        if not path.is_file():
            return True
        with path.open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(lock, fcntl.LOCK_UN)
            return True

    def status(self) -> dict[str, Any]:
        """What ``converters status`` shows: running or not, and the service's counters."""
        answer = self.query()
        if answer is not None:
            from pipeline.cli._client import job_identity, job_mismatch

            fonts = ensure_sc_fonts(self.settings.data)
            why = mismatch(answer, identity(self.settings.data, fonts))
            # Commands run in the service only for the same settings and code.
            commands = job_mismatch(answer.get("commands_identity"), job_identity(self.settings))
            shown = {k: v for k, v in answer.items() if k not in ("ok", "commands_identity")}
            return {
                "running": True, "usable": why is None and commands is None, "mismatch": why,
                "commands_mismatch": commands, **shown,
            }  # fmt: skip
        pid = self._recorded_pid()
        return {
            "running": False,
            "starting_or_hung": pid is not None or not self._lock_free(),
            "pid": pid,
            "stale_socket": self.socket_path.exists() and self._lock_free(),
            "socket": str(self.socket_path),
        }

    def start(self) -> dict[str, Any]:
        """Start the service detached unless a usable one runs; its status once it answers.

        A service that answers for other settings (a moved data folder, other
        fonts, older converter code) is stopped and replaced.

        Raises:
            ConverterServiceError: it did not start (the message ends with its log).

        """
        running = self.status()
        if not running["running"] and running["starting_or_hung"]:
            running = self._wait_answer(_START_SECONDS) or running  # another `up` starting it
        if running["running"] and running["usable"]:
            return running
        if running["running"] or running["starting_or_hung"]:
            why = running.get("mismatch") or running.get("commands_mismatch")
            log.warning("replacing the converter service: %s", why)
            self.stop()
        elif self.pool_processes():  # left by a service that was killed while LibreOffice hung
            self.stop()
        from pipeline.programs.soffice import probe

        probe()  # LibreOffice and its UNO bridge installed: say so here, not in the log
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        argv = [
            sys.executable, "-m", _MODULE, "--data", str(self.settings.data.resolve()),
            "--cwd", str(Path.cwd()),
        ]  # fmt: skip
        with self.log_path.open("ab") as log_file:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                cwd=self.folder, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + _START_SECONDS
        while time.monotonic() < deadline:
            answer = self.query()
            if answer is not None:
                return self.status()
            if process.poll() is not None:
                break
            time.sleep(0.1)
        else:
            self.stop()
        raise ConverterServiceError(
            f"the converter service did not start within {_START_SECONDS:.0f} s; "
            f"its log ({self.log_path}) ends with:\n{self.log_tail()}\n"
            "Run `xwql doctor` to check LibreOffice."
        )

    def stop(self) -> bool:
        """Stop the service and every LibreOffice of its pool; True if one was running.

        Asks it to stop (it finishes the requests under way); a service that does
        not answer, or does not end in 30 s, gets SIGTERM, then SIGKILL. Converter
        processes of its pool still alive afterwards (a service that was killed)
        are killed too, and a stale socket file is removed.
        """
        answer = self.query()
        pid = int(answer["pid"]) if answer is not None else self._recorded_pid()
        if answer is not None:
            with contextlib.suppress(ConverterServiceError):
                request(self.socket_path, {"op": "stop"}, timeout=_STATUS_SECONDS)
        if pid is not None:
            self._wait_gone(pid, _STOP_SECONDS if answer is not None else 0)
            for signum, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                if not _alive(pid):
                    break
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)
                self._wait_gone(pid, wait)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reaped here when this process started it
        leftovers = self.pool_processes()
        for process in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, signal.SIGKILL)
        if self._lock_free():
            self.socket_path.unlink(missing_ok=True)
            (self.folder / _STATE).unlink(missing_ok=True)
        return pid is not None or bool(leftovers)

    def _wait_answer(self, seconds: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.query() is not None:
                return self.status()
            if self._lock_free():
                return None  # it ended without answering
            time.sleep(0.2)
        return None

    @staticmethod
    def _wait_gone(pid: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)

    def pool_processes(self) -> list[int]:
        """PIDs of live processes working in this service's pool folder (workers, LibreOffice).

        Found by the pool folder in their command line: it is unique to this
        data folder, so no other LibreOffice is ever matched.
        """
        needle = str(self.folder / "pool").encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                pid = int(entry.name)
                if needle in _cmdline(pid) and _alive(pid):
                    with contextlib.suppress(OSError):
                        if entry.stat().st_uid == os.getuid():
                            found.append(pid)
        return found

    def log_tail(self, lines: int = 12) -> str:
        """The last lines of the service's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.programs.soffice_service --data DIR``: run the service."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--cwd", type=Path, help="where the settings' relative paths start")
    args = parser.parse_args(argv)
    limit_arenas()  # one thread per client, one dispatcher per converter
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return serve(args.data, args.cwd)


if __name__ == "__main__":
    sys.exit(main())
