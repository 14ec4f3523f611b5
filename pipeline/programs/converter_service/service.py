"""The converter service, owned here: warm LibreOffice kept running between commands.

The detached process that ``xwql converters up`` starts (see
:mod:`pipeline.programs.converter_service.lifecycle`): it owns a warm pool of
converters and answers on a Unix socket in ``<data>/converter-service/``.
``python -m pipeline.programs.converter_service.service --data DIR`` serves
conversions only; an entry point that also hands :func:`serve` a runner of
commands (:class:`Commands`) has it run them for a thin client. The command
line's entry point is :mod:`pipeline.cli._served`: this package never imports
the command line, it is given what to run.

Protocol: one JSON line per connection each way (two answers to ``notice``).

- ``{"op": "status"}``: identity (data folder, fonts, code digest), pid, uptime,
  documents converted and failed, LibreOffice restarts; whether it runs
  commands, how many it ran and the identity of their runner.
- ``{"op": "convert", "source": ..., "target": ...}``: ``{"ok": true}`` or
  ``{"ok": false, "error": "conversion" | "timeout" | "program" | "internal", "message": ...}``.
- ``{"op": "stop"}``: the service stops taking requests, finishes those under
  way, stops LibreOffice and exits.
- ``{"op": "notice", "identity": ..., "args": ..., "console": ...}``: ``xwql notice``
  run by the service for its thin client (:mod:`pipeline.cli._client`,
  :mod:`pipeline.cli._served`). The answer is ``{"ok": false, "error": "refused", ...}``
  when the service runs no commands or the command's settings or code differ
  (the command then runs itself), or two lines: ``{"ok": true, "accepted": true}``
  at once, then, when the command is done, ``{"ok": true, "code": N, "output":
  [[stream, text], ...]}``.

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
import json
import logging
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from pipeline.config import Settings, load_settings
from pipeline.errors import ConversionError, ConversionTimeout, ExternalProgramError
from pipeline.malloc import limit_arenas
from pipeline.programs._service_address import SOCKET_NAME, service_folder
from pipeline.programs.converter_service.client import MAX_REQUEST, identity
from pipeline.programs.converter_service.pool import Converter, local_pool
from pipeline.programs.fonts import FontSetup, ensure_sc_fonts

log = logging.getLogger(__name__)

# What `python -m` runs for a service that converts only; `converters up` may start another
# entry point that serves through this module (see ConverterService's `entry`).
SERVICE_MODULE = "pipeline.programs.converter_service.service"
LOCK_NAME = "service.lock"  # held for the service's lifetime: whether one runs
STATE_NAME = "service.json"  # its pid, for stopping one that does not answer


class Commands(Protocol):
    """What the service needs from a runner of commands: the command line hands it one."""

    @property
    def identity(self) -> dict[str, Any]:
        """Who runs the commands: shown by ``status`` for a client to compare with its own."""
        ...

    @property
    def done(self) -> int:
        """How many commands have run."""
        ...

    def refusal(self, message: dict[str, Any]) -> str | None:
        """Why the command ``message`` asks for must run in the client's own process, or None."""
        ...

    def notice(self, message: dict[str, Any], converters: Converter) -> dict[str, Any]:
        """Run the command ``message`` asks for on ``converters``; the answer to send back."""
        ...


# Called once the converters are warm, with the service's settings; a failure leaves a
# service that converts only (commands then run in their own processes).
CommandsFactory: TypeAlias = Callable[[Settings], Commands]


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
        self.commands: Commands | None = None  # set by serve() when it is given a runner

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
            "runs_commands": self.commands is not None,
            "commands_run": self.commands.done if self.commands is not None else 0,
            "commands_identity": self.commands.identity if self.commands is not None else None,
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
        if self.commands is None:
            return {"ok": False, "error": "refused", "message": "this service runs no commands"}
        if self.stopping.is_set():
            return {"ok": False, "error": "refused", "message": "the service is stopping"}
        why = self.commands.refusal(message)
        if why is not None:
            return {"ok": False, "error": "refused", "message": why}
        if not accept():
            return None
        return self.commands.notice(message, _Lent(self))

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
        line = self.rfile.readline(MAX_REQUEST)
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
    partial = folder / f".{STATE_NAME}.part"
    partial.write_text(json.dumps(state))
    partial.replace(folder / STATE_NAME)


def serve(data: Path, cwd: Path | None = None, *, commands: CommandsFactory | None = None) -> int:
    """Run the service for ``data`` until asked to stop; the process's exit status.

    The settings are read in ``cwd`` (where ``converters up`` ran), so that
    relative paths in them mean what they mean to the commands run there.
    ``commands`` makes the runner of the commands the service runs for a thin
    client, from those settings; without it the service converts only.
    """
    if cwd is not None:
        with contextlib.suppress(OSError):
            os.chdir(cwd)
    settings = replace(load_settings(), data=data.resolve())
    folder = service_folder(settings.data)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    lock = (folder / LOCK_NAME).open("a")
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
        if commands is not None:
            try:
                service.commands = commands(settings)
            except Exception:  # commands then run in their own processes, converting here
                log.exception("the service will convert only, not run commands")
        # A socket left by a service that crashed: this one holds the lock now.
        Path(SOCKET_NAME).unlink(missing_ok=True)
        old_umask = os.umask(0o177)
        try:
            server = _Server(SOCKET_NAME, service)
        finally:
            os.umask(old_umask)
        Path(SOCKET_NAME).chmod(0o600)
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
            Path(SOCKET_NAME).unlink(missing_ok=True)  # new clients convert locally from now on
            server.server_close()  # and the requests under way finish
        log.info("stopped after %d documents (%d failed)", service.converted, service.failed)
        return 0
    finally:
        service.pool.stop()
        (folder / STATE_NAME).unlink(missing_ok=True)
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def main(argv: list[str] | None = None, *, commands: CommandsFactory | None = None) -> int:
    """``python -m pipeline.programs.converter_service.service --data DIR``: run the service.

    It converts only; an entry point that passes ``commands`` has it run those
    commands too (see :func:`serve`).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--cwd", type=Path, help="where the settings' relative paths start")
    args = parser.parse_args(argv)
    limit_arenas()  # one thread per client, one dispatcher per converter
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return serve(args.data, args.cwd, commands=commands)


if __name__ == "__main__":
    sys.exit(main())
