"""LibreOffice, owned here: a pool of warm converters turning DOCX into PDF/A-2b.

A cold ``soffice --convert-to`` costs over a second of start-up per call, so xwql
keeps one warm LibreOffice per core, each driven over UNO by its own worker
process (``_soffice_worker``) with a private user profile (parallel instances
sharing a profile collide).
A conversion that runs past the timeout, or a LibreOffice that dies, restarts
that instance; the pool goes on with the next document.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pikepdf

from pipeline.errors import (
    ConversionError,
    ConversionTimeout,
    ExternalProgramError,
    MissingDependency,
)
from pipeline.filetypes import FileKind, sniff
from pipeline.programs._office_pipe import remove_pipe_file
from pipeline.programs._probe import require, version_of
from pipeline.programs.docx_batch import (
    batch_key,
    drop_blank_last_pages,
    join_docx,
    split_pdf,
)
from pipeline.programs.fonts import FontSetup
from pipeline.programs.messages import NOT_A_DOCX
from pipeline.stages import stage

log = logging.getLogger(__name__)

MIN_VERSION = (7, 0)
APT_PACKAGES = "libreoffice-writer-nogui python3-uno fonts-noto-cjk"

_STARTUP_SECONDS = 90.0
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def probe() -> tuple[int, ...]:
    """Check LibreOffice and the UNO bridge are installed; return its version."""
    soffice = require("soffice", package=APT_PACKAGES)
    version = version_of([soffice, "--version"], r"LibreOffice (\d+(?:\.\d+)+)")
    if version[:2] < MIN_VERSION:
        raise MissingDependency(
            f"LibreOffice {'.'.join(map(str, version))} is too old; xwql needs "
            f"{'.'.join(map(str, MIN_VERSION))} or newer: sudo apt-get install {APT_PACKAGES}"
        )
    # Found, not imported: importing uno replaces this process's __import__ with one
    # that turns a failed ``from x import y`` into an AttributeError of its own (seen
    # as "createTypeDescriptionEnumeration" from a thread importing a module that
    # another thread had half imported). Only the converter workers import it.
    if importlib.util.find_spec("uno") is None:
        raise MissingDependency(
            "Python cannot import uno (LibreOffice's bridge). Install python3-uno and make the "
            "virtual environment with /usr/bin/python3 -m venv --system-site-packages"
        )
    return version


@dataclass
class _Instance:
    """One worker process with its own warm LibreOffice and private profile."""

    folder: Path
    timeout: float
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    restarts: int = 0
    recycles: int = 0
    _starts: int = 0
    _pipe: str = ""
    _soffice_pid: int | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / "worker.log"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._starts += 1
        self._pipe = f"xwql-{os.getpid()}-{id(self)}-{self._starts}"
        soffice = require("soffice", package=APT_PACKAGES)
        argv = [
            sys.executable, "-m", "pipeline.programs._soffice_worker",
            "--soffice", soffice, "--profile", str(self.folder / "profile"),
            "--pipe", self._pipe,
        ]  # fmt: skip
        with self.log_path.open("a") as log_file:
            # A session of its own, so stop() ends LibreOffice together with the worker.
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                start_new_session=True,
                env=self.env,
            )
        try:
            reply = self._read(_STARTUP_SECONDS)
        except TimeoutError:  # said below as a start that failed, with the log
            reply = None
        if not reply or not reply.get("ready"):
            self.stop()
            raise ExternalProgramError(
                f"LibreOffice did not start within {_STARTUP_SECONDS:.0f} s. "
                f"Its log ({self.log_path}) ends with:\n{self.log_tail()}\n"
                "Run `xwql doctor` to check the installation."
            )
        self._soffice_pid = int(reply["soffice_pid"])

    def _read(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next reply, or None if it died or ran out of time."""
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = self.process.stdout.readline()
        if not line:
            return None
        reply: dict[str, Any] = json.loads(line)
        return reply

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def soffice_pid(self) -> int | None:
        """PID of the LibreOffice process itself (for fault tests and diagnostics)."""
        return self._soffice_pid if self.alive() else None

    def log_tail(self, lines: int = 8) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(text[-lines:]) or "(empty log)"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None and process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # asks the worker to end LibreOffice and exit
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        # Whatever is left of the group (a hung LibreOffice) is killed.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        if self._soffice_pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self._soffice_pid, signal.SIGKILL)
        self._soffice_pid = None
        if process.stdout is not None:
            process.stdout.close()
        # A worker killed above had no time to remove LibreOffice's pipe socket file.
        remove_pipe_file(self._pipe)

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def resident_mb(self) -> float:
        """LibreOffice's resident memory in MB (0 when it is not running)."""
        pid = self.soffice_pid()
        try:
            pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) if pid else 0
        except (OSError, IndexError, ValueError):
            return 0.0
        return pages * _PAGE_BYTES / 2**20

    def recycle(self) -> None:
        """A fresh LibreOffice in place of one grown large (not a fault: no restart counted)."""
        self.stop()
        self.recycles += 1
        self.start()

    def convert(self, source: Path, target: Path, *, destinations: bool = False) -> None:
        """Convert one file; raise a typed error and leave no partial output."""
        if not self.alive():
            log.warning("LibreOffice worker in %s had stopped; restarting", self.folder)
            self.restart()
        assert self.process is not None and self.process.stdin is not None
        partial = target.with_name(f".{target.name}.part.pdf")
        partial.unlink(missing_ok=True)
        request = {
            "source": str(source.resolve()),
            "target": str(partial.resolve()),
            "destinations": destinations,
        }
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            reply = self._read(self.timeout)
        except TimeoutError:
            partial.unlink(missing_ok=True)
            self.restart()
            raise ConversionTimeout(
                f"{source.name}: LibreOffice did not finish within {self.timeout:.0f} s; "
                "the converter was restarted. Check the document opens in LibreOffice."
            ) from None
        except (OSError, ValueError) as exc:  # broken pipe or garbled reply: the worker died
            reply = {"ok": False, "crashed": True, "error": str(exc)}
        if reply is None:
            reply = {"ok": False, "crashed": True, "error": "the worker exited"}
        if not reply.get("ok"):
            partial.unlink(missing_ok=True)
            if reply.get("crashed") or not self.alive():
                self.restart()
                raise _Crashed(str(reply.get("error")))
            raise ConversionError(
                f"{source.name}: LibreOffice could not convert it: {reply.get('error')}"
            )
        # LibreOffice can report success and write nothing.
        if not partial.is_file() or partial.stat().st_size == 0:
            partial.unlink(missing_ok=True)
            raise ConversionError(f"{source.name}: LibreOffice wrote no PDF (is it a DOCX file?)")
        if not destinations:  # a joined document's parts are trimmed as they are cut
            _drop_blank_last_pages(partial)
        partial.replace(target)


def _drop_blank_last_pages(pdf: Path) -> None:
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        if drop_blank_last_pages(document):
            document.save(pdf)


class _Crashed(ConversionError):
    """LibreOffice died during a conversion; the document is worth one retry."""


@dataclass
class _Request:
    """A document waiting for a converter, and what became of it."""

    source: Path
    target: Path
    key: tuple[int, ...] | None
    done: threading.Event = field(default_factory=threading.Event)
    error: ConversionError | None = None


class ConverterPool:
    """Warm LibreOffice converters, one per worker, used as a context manager.

    :meth:`convert` is thread-safe and blocks until its document is done. Each
    converter takes the documents waiting when it becomes free — up to ``batch``
    of them, alike enough to be joined (:mod:`pipeline.programs.docx_batch`) —
    and converts them with one LibreOffice call. A single caller waits no longer
    than before; many callers at once (a district's villages) keep the
    converters busy with few, large calls instead of many small ones.

    Example:
        >>> with ConverterPool(workdir, ensure_sc_fonts(data), workers=2) as pool:  # doctest: +SKIP
        ...     pool.convert(Path("notice.docx"), Path("notice.pdf"))

    """

    def __init__(
        self,
        workdir: Path,
        fonts: FontSetup,
        *,
        workers: int = 1,
        timeout: float = 60.0,
        batch: int = 8,
        recycle_mb: float = 0,
    ) -> None:
        """Prepare (not yet start) ``workers`` converters with profiles under ``workdir``.

        A LibreOffice grows with every document it converts and does not give
        the memory back; with ``recycle_mb`` one that has grown past it is
        replaced by a fresh one between two conversions (0: never).
        """
        if workers < 1 or batch < 1:
            raise ValueError("workers and batch must be at least 1")
        env = fonts.environment()
        self._instances = [
            _Instance(folder=workdir / f"soffice-{index}", timeout=timeout, env=env)
            for index in range(workers)
        ]
        self.batch = batch
        self.recycle_mb = recycle_mb
        self._waiting: list[_Request] = []
        self._changed = threading.Condition()
        self._dispatchers: list[threading.Thread] = []
        self._started = False
        self._start_lock = threading.Lock()

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

    @property
    def recycles(self) -> int:
        """How many times a LibreOffice grown past ``recycle_mb`` was replaced."""
        return sum(i.recycles for i in self._instances)

    @property
    def callers(self) -> int:
        """How many threads should convert at once to keep every converter's batch full."""
        return len(self._instances) * self.batch

    def start(self) -> None:
        """Start every converter; stop those already started if one fails (thread-safe)."""
        with self._start_lock:
            if self._started:
                return
            probe()
            try:
                for instance in self._instances:
                    instance.start()
            except Exception:
                for instance in self._instances:
                    instance.stop()
                raise
            self._dispatchers = [
                threading.Thread(
                    target=self._dispatch, args=(instance,), name=f"converter-{n}", daemon=True
                )
                for n, instance in enumerate(self._instances)
            ]
            self._started = True
            for thread in self._dispatchers:
                thread.start()

    def stop(self) -> None:
        """Stop every converter and its LibreOffice; documents still waiting fail."""
        with self._start_lock:
            with self._changed:
                self._started = False
                self._changed.notify_all()
            for thread in self._dispatchers:
                thread.join()
            self._dispatchers = []
            for instance in self._instances:
                instance.stop()
            with self._changed:
                waiting, self._waiting = self._waiting, []
            for request in waiting:
                request.error = ConversionError(f"{request.source.name}: the converters stopped")
                request.done.set()

    def convert(self, source: Path, target: Path) -> Path:
        """Convert ``source`` (DOCX) to ``target`` (PDF/A-2b); thread-safe.

        Raises:
            ConversionTimeout: the document took too long (the converter restarted).
            ConversionError: ``source`` is missing or not a DOCX file (a PDF, a text
                file…), or LibreOffice could not convert it.

        """
        if not source.is_file():
            raise ConversionError(f"{source}: no such file to convert")
        kind = sniff(source)  # LibreOffice would take a text file for a document and print it
        if kind is not FileKind.DOCX:
            raise ConversionError(NOT_A_DOCX(source=source, kind_zh=kind.zh, kind_en=kind.en))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.start()
        except ExternalProgramError as exc:  # a conversion that failed: retried as one
            raise ConversionError(f"{source.name}: {exc}") from exc
        request = _Request(source, target, batch_key(source) if self.batch > 1 else None)
        with self._changed:
            self._waiting.append(request)
            self._changed.notify()
        request.done.wait()
        if request.error is not None:
            raise request.error
        return target

    def _take(self) -> list[_Request]:
        """The oldest waiting document and up to ``batch - 1`` others it can be joined with."""
        with self._changed:
            while not self._waiting and self._started:
                self._changed.wait()
            if not self._waiting:
                return []
            first = self._waiting.pop(0)
            taken = [first]
            if first.key is not None:
                for request in list(self._waiting):
                    if len(taken) == self.batch:
                        break
                    if request.key == first.key:
                        self._waiting.remove(request)
                        taken.append(request)
            return taken

    def _dispatch(self, instance: _Instance) -> None:
        while requests := self._take():
            try:
                if len(requests) == 1 or not self._convert_joined(instance, requests):
                    for request in requests:
                        self._convert_one(instance, request)
            finally:
                for request in requests:
                    request.done.set()
            if self.recycle_mb and instance.resident_mb() > self.recycle_mb:
                log.info(
                    "LibreOffice in %s past %.0f MB; replacing it", instance.folder, self.recycle_mb
                )
                try:
                    instance.recycle()
                except ExternalProgramError as exc:  # the next conversion restarts it
                    log.warning("LibreOffice in %s did not start again: %s", instance.folder, exc)

    def _convert_joined(self, instance: _Instance, requests: list[_Request]) -> bool:
        """Convert ``requests`` as one document; False if that failed (convert them alone)."""
        work = instance.folder / "batch"
        work.mkdir(parents=True, exist_ok=True)
        joined, pdf = work / "joined.docx", work / "joined.pdf"
        try:
            with stage("convert"):
                join_docx([r.source for r in requests], joined)
                instance.convert(joined, pdf, destinations=True)
                split_pdf(pdf, [r.target for r in requests])
        except Exception as exc:  # whatever failed, each document alone may not
            # One of them may be the cause: each is tried alone, so only that one fails.
            log.warning(
                "joined conversion of %d documents failed (%s); one by one", len(requests), exc
            )
            return False
        finally:
            joined.unlink(missing_ok=True)
            pdf.unlink(missing_ok=True)
        return True

    def _convert_one(self, instance: _Instance, request: _Request) -> None:
        source = request.source
        with stage("convert"):
            for attempt in itertools.count(1):
                try:
                    instance.convert(source, request.target)
                    return
                except _Crashed as exc:
                    if attempt >= 2:
                        request.error = ConversionError(
                            f"{source.name}: LibreOffice crashed twice converting it "
                            f"({exc}); check the document opens in LibreOffice"
                        )
                        return
                    log.warning("LibreOffice crashed on %s; retrying once", source.name)
                except ConversionError as exc:
                    request.error = exc
                    return
                except Exception as exc:  # reported to the caller, not lost here
                    # e.g. the restart after a timeout failed, or the disk is full
                    request.error = ConversionError(f"{source.name}: {exc}")
                    return


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
