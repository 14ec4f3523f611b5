"""What a job converts through: a pool of its own, or the converter service.

:class:`ServiceOrPool` converts through the service when one answers for this
data folder, and on a local pool otherwise, or from the moment the service is
lost in the middle of a job: a conversion is safe to repeat, so the service is
only ever a speed-up (see :mod:`pipeline.programs.converter_service`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pipeline.config import Settings
from pipeline.errors import (
    ConversionError,
    ConversionTimeout,
    ConverterServiceError,
    ExternalProgramError,
)
from pipeline.programs._service_address import SOCKET_NAME, service_folder
from pipeline.programs.converter_service.client import (
    START_SECONDS,
    STATUS_SECONDS,
    ServiceNotRunning,
    identity,
    mismatch,
    request,
)
from pipeline.programs.fonts import FontSetup

if TYPE_CHECKING:  # imported when first used: a command using the service never needs it
    from pipeline.programs.soffice import ConverterPool

log = logging.getLogger(__name__)


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
        self.socket_path = service_folder(settings.data) / SOCKET_NAME
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
                status = request(self.socket_path, {"op": "status"}, timeout=STATUS_SECONDS)
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
        timeout = 3 * self._service_timeout + START_SECONDS
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
            status = request(self.socket_path, {"op": "status"}, timeout=STATUS_SECONDS)
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
