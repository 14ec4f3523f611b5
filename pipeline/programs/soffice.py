"""LibreOffice, owned here: a pool of warm converters turning DOCX into PDF/A-2b.

A cold ``soffice --convert-to`` costs over a second of start-up per call, so xwql
keeps one warm LibreOffice per core, each behind its own ``unoserver`` (XML-RPC)
with a private user profile (parallel instances sharing a profile collide).
A conversion that runs past the timeout, or a LibreOffice that dies, restarts
that instance; the pool goes on with the next document.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pipeline.errors import (
    ConversionError,
    ConversionTimeout,
    ExternalProgramError,
    MissingDependency,
)
from pipeline.programs._probe import require, version_of
from pipeline.programs.fonts import FontSetup

log = logging.getLogger(__name__)

MIN_VERSION = (7, 0)
APT_PACKAGES = "libreoffice-writer-nogui python3-uno fonts-noto-cjk"

# PDF/A-2b, fonts embedded; keep the document's own field values (dates stay as
# authored) and export headings as bookmarks. No tagged PDF: collation merges
# files, and per-file structure trees cannot be merged soundly (PDF/A-2b needs none).
PDFA_FILTER_OPTIONS = [
    "SelectPdfVersion=2",
    "ExportBookmarks=true",
    "EmbedStandardFonts=true",
]
_STARTUP_SECONDS = 90.0


def probe() -> tuple[int, ...]:
    """Check LibreOffice and the UNO bridge are installed; return its version."""
    soffice = require("soffice", package=APT_PACKAGES)
    version = version_of([soffice, "--version"], r"LibreOffice (\d+(?:\.\d+)+)")
    if version[:2] < MIN_VERSION:
        raise MissingDependency(
            f"LibreOffice {'.'.join(map(str, version))} is too old; xwql needs "
            f"{'.'.join(map(str, MIN_VERSION))} or newer: sudo apt-get install {APT_PACKAGES}"
        )
    try:
        import uno  # noqa: F401
    except ImportError as exc:
        raise MissingDependency(
            "Python cannot import uno (LibreOffice's bridge). Install python3-uno and make the "
            "virtual environment with /usr/bin/python3 -m venv --system-site-packages"
        ) from exc
    return version


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: str | tuple[str, dict[str, str]]) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


@dataclass
class _Instance:
    """One unoserver + LibreOffice pair with a private profile."""

    folder: Path
    timeout: float
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    restarts: int = 0

    @property
    def log_path(self) -> Path:
        return self.folder / "unoserver.log"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        argv = [
            sys.executable, "-m", "unoserver.server",
            "--interface", "127.0.0.1", "--uno-interface", "127.0.0.1",
            "--port", str(self.port), "--uno-port", str(_free_port()),
            "--user-installation", str(self.folder / "profile"),
            "--conversion-timeout", str(max(1, round(self.timeout))),
            "--libreoffice-pid-file", str(self.folder / "soffice.pid"),
        ]  # fmt: skip
        with self.log_path.open("ab") as log_file:
            # A session of its own, so stop() can end LibreOffice with its wrapper.
            self.process = subprocess.Popen(
                argv,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=self.env,
            )
        deadline = time.monotonic() + _STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(OSError, xmlrpc.client.Error, http.client.HTTPException):
                self._proxy(5).info()
                return
            time.sleep(0.25)
        tail = self.log_tail()
        self.stop()
        raise ExternalProgramError(
            f"LibreOffice did not start within {_STARTUP_SECONDS:.0f} s. "
            f"Its log ({self.log_path}) ends with:\n{tail}\n"
            "Run `xwql doctor` to check the installation."
        )

    def _proxy(self, timeout: float) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(
            f"http://127.0.0.1:{self.port}",
            allow_none=True,
            transport=_TimeoutTransport(timeout),
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def soffice_pid(self) -> int | None:
        """PID of the LibreOffice process itself (for fault tests and diagnostics)."""
        try:
            return int((self.folder / "soffice.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def log_tail(self, lines: int = 8) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        # LibreOffice may outlive its wrapper when the wrapper was killed first.
        pid = self.soffice_pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            (self.folder / "soffice.pid").unlink(missing_ok=True)

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def convert(self, source: Path, target: Path) -> None:
        """Convert one file; raise a typed error and leave no partial output."""
        if not self.alive():
            log.warning("LibreOffice instance in %s had stopped; restarting", self.folder)
            self.restart()
        partial = target.with_name(f".{target.name}.part")
        partial.unlink(missing_ok=True)
        try:
            self._proxy(self.timeout + 15).convert(
                str(source.resolve()), None, str(partial.resolve()), "pdf",
                "writer_pdf_Export", PDFA_FILTER_OPTIONS, False, None, None,
            )  # fmt: skip
        except (OSError, xmlrpc.client.Error, http.client.HTTPException) as exc:
            partial.unlink(missing_ok=True)
            timed_out = isinstance(exc, TimeoutError | socket.timeout) or "Timeout" in str(exc)
            died = not self.alive()
            self.restart()
            if timed_out:
                raise ConversionTimeout(
                    f"{source.name}: LibreOffice did not finish within {self.timeout:.0f} s; "
                    "the converter was restarted. Check the document opens in LibreOffice."
                ) from exc
            if died:
                raise _Crashed(str(exc)) from exc
            raise ConversionError(
                f"{source.name}: LibreOffice could not convert it: {exc}"
            ) from exc
        # LibreOffice can report success and write nothing.
        if not partial.is_file() or partial.stat().st_size == 0:
            partial.unlink(missing_ok=True)
            raise ConversionError(f"{source.name}: LibreOffice wrote no PDF (is it a DOCX file?)")
        partial.replace(target)


class _Crashed(ConversionError):
    """LibreOffice died during a conversion; the document is worth one retry."""


class ConverterPool:
    """Warm LibreOffice converters, one per worker, used as a context manager.

    Example:
        >>> with ConverterPool(workdir, ensure_sc_fonts(data), workers=2) as pool:  # doctest: +SKIP
        ...     pool.convert(Path("notice.docx"), Path("notice.pdf"))

    """

    def __init__(
        self, workdir: Path, fonts: FontSetup, *, workers: int = 1, timeout: float = 60.0
    ) -> None:
        """Prepare (not yet start) ``workers`` converters with profiles under ``workdir``."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        env = fonts.environment()
        self._instances = [
            _Instance(folder=workdir / f"soffice-{index}", timeout=timeout, env=env)
            for index in range(workers)
        ]
        self._idle: queue.Queue[_Instance] = queue.Queue()
        self._started = False

    def __enter__(self) -> ConverterPool:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def instances(self) -> list[_Instance]:
        """The converter instances (for diagnostics and fault tests)."""
        return list(self._instances)

    @property
    def restarts(self) -> int:
        """How many times any instance was restarted."""
        return sum(i.restarts for i in self._instances)

    def start(self) -> None:
        """Start every converter; stop those already started if one fails."""
        if self._started:
            return
        probe()
        try:
            for instance in self._instances:
                instance.start()
                self._idle.put(instance)
        except Exception:
            self.stop()
            raise
        self._started = True

    def stop(self) -> None:
        """Stop every converter and its LibreOffice."""
        for instance in self._instances:
            instance.stop()
        self._idle = queue.Queue()
        self._started = False

    @contextlib.contextmanager
    def _borrow(self) -> Iterator[_Instance]:
        if not self._started:
            self.start()
        instance = self._idle.get()
        try:
            yield instance
        finally:
            self._idle.put(instance)

    def convert(self, source: Path, target: Path) -> Path:
        """Convert ``source`` (DOCX) to ``target`` (PDF/A-2b); thread-safe.

        Raises:
            ConversionTimeout: the document took too long (the converter restarted).
            ConversionError: LibreOffice could not convert it.

        """
        if not source.is_file():
            raise ConversionError(f"{source}: no such file to convert")
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._borrow() as instance:
            for attempt in itertools.count(1):
                try:
                    instance.convert(source, target)
                    return target
                except _Crashed as exc:
                    if attempt >= 2:
                        raise ConversionError(
                            f"{source.name}: LibreOffice crashed twice converting it "
                            f"({exc}); check the document opens in LibreOffice"
                        ) from exc
                    log.warning("LibreOffice crashed on %s; retrying once", source.name)
        raise AssertionError("unreachable")


def cold_convert(source: Path, outdir: Path, *, timeout: float = 120) -> Path:
    """One cold ``soffice --convert-to pdf`` call; the benchmark's point of comparison."""
    soffice = require("soffice", package=APT_PACKAGES)
    profile = outdir / ".cold-profile"
    argv = [
        soffice, f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless", "--convert-to", "pdf", "--outdir", str(outdir), str(source),
    ]  # fmt: skip
    try:
        subprocess.run(argv, capture_output=True, timeout=timeout, check=True)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise ConversionError(f"{source.name}: soffice --convert-to failed: {exc}") from exc
    target = outdir / f"{source.stem}.pdf"
    if not target.is_file():
        raise ConversionError(f"{source.name}: soffice reported success but wrote no PDF")
    shutil.rmtree(profile, ignore_errors=True)
    return target
