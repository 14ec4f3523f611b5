"""Life cycle of the converter service, for ``xwql converters up|down|status``.

:class:`ConverterService` starts the service as a detached process (its own
session, its output in ``<data>/converter-service/service.log``), waits until it
answers, asks it for its status, and stops it together with every LibreOffice
it started, also after it was killed. Which entry point it starts, and how to
tell whether the service runs this side's commands, are given to it: the
command line starts :mod:`pipeline.cli._served`, which also runs ``xwql
notice``; left alone it starts a service that converts only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.errors import ConverterServiceError
from pipeline.programs._service_address import SOCKET_NAME, service_folder
from pipeline.programs.children import unmarked_environment
from pipeline.programs.converter_service.client import (
    START_SECONDS,
    STATUS_SECONDS,
    identity,
    mismatch,
    request,
)
from pipeline.programs.converter_service.service import LOCK_NAME, SERVICE_MODULE, STATE_NAME
from pipeline.programs.fonts import ensure_sc_fonts

log = logging.getLogger(__name__)

_LOG = "service.log"
_STOP_SECONDS = 30.0  # after this, the service is sent SIGTERM, then SIGKILL


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

    def __init__(
        self,
        settings: Settings,
        *,
        entry: str = SERVICE_MODULE,
        commands_mismatch: Callable[[Any], str | None] | None = None,
    ) -> None:
        """Use the service folder of ``settings.data``.

        Args:
            settings: the settings of the commands that are to use the service.
            entry: the module :meth:`start` runs with ``python -m`` (``--data DIR
                --cwd DIR``); it serves through
                :func:`~pipeline.programs.converter_service.service.serve`. The
                default serves conversions only.
            commands_mismatch: why commands of ``settings`` must not run in a
                service whose runner of commands has the identity given (None
                when it runs none), or None if they may. Without it no commands
                are expected of the service, and only the conversions decide
                whether it is usable.

        """
        self.settings = settings
        self.entry = entry
        self._commands_mismatch = commands_mismatch
        self.folder = service_folder(settings.data)
        self.socket_path = self.folder / SOCKET_NAME
        self.log_path = self.folder / _LOG

    def query(self) -> dict[str, Any] | None:
        """The running service's status, or None if none answers."""
        try:
            return request(self.socket_path, {"op": "status"}, timeout=STATUS_SECONDS)
        except ConverterServiceError:
            return None

    def _recorded_pid(self) -> int | None:
        """PID in the state file, if that process is this folder's service and alive."""
        try:
            pid = int(json.loads((self.folder / STATE_NAME).read_text())["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        command = _cmdline(pid)
        # Its entry point is the one this side starts, or the default (a service that only
        # converts, started by other code): a reused pid runs neither.
        modules = {self.entry, SERVICE_MODULE}
        if any(module.encode() in command for module in modules) and _alive(pid):
            return pid
        return None

    def _lock_free(self) -> bool:
        """True if no service holds this folder's lock (none runs, or one is starting up)."""
        path = self.folder / LOCK_NAME
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
            fonts = ensure_sc_fonts(self.settings.data)
            why = mismatch(answer, identity(self.settings.data, fonts))
            # Commands run in the service only for the same settings and code.
            commands: str | None = None
            if self._commands_mismatch is not None:
                commands = self._commands_mismatch(answer.get("commands_identity"))
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
            running = self._wait_answer(START_SECONDS) or running  # another `up` starting it
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
            sys.executable, "-m", self.entry, "--data", str(self.settings.data.resolve()),
            "--cwd", str(Path.cwd()),
        ]  # fmt: skip
        with self.log_path.open("ab") as log_file:
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                cwd=self.folder, start_new_session=True, env=unmarked_environment(),
            )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
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
            f"the converter service did not start within {START_SECONDS:.0f} s; "
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
                request(self.socket_path, {"op": "stop"}, timeout=STATUS_SECONDS)
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
            (self.folder / STATE_NAME).unlink(missing_ok=True)
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
