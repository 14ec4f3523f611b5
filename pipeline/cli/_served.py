"""Commands run inside the converter service for the thin client (:mod:`pipeline.cli._client`).

This module is the service's entry point when the command line starts it
(``python -m pipeline.cli._served --data DIR --cwd DIR``, by ``xwql converters
up``): the service of :mod:`pipeline.programs.converter_service.service`, given
:class:`Jobs` to run commands with. It imports everything a notice needs when
the service starts, so a request costs only the work. Each request runs the
command's own code (:func:`pipeline.cli.cases.print_notices`, over the notice job) with the
service's converters, on consoles that record what it prints as the client's
terminal would show it; the exit status is worked out as the command line does
(:func:`pipeline.cli._app.expected_failure`). Requests run one at a time: the
case store and the seal register see one writer, as with one command.
"""

from __future__ import annotations

import importlib
import io
import logging
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from pipeline.cli._app import expected_failure
from pipeline.cli._client import job_identity, job_mismatch
from pipeline.cli.cases import NoticeCommand, print_notices
from pipeline.errors import XwqlError
from pipeline.programs.converter_service.service import main as run_service

if TYPE_CHECKING:
    from pipeline.config import Settings
    from pipeline.programs.converter_service.pool import Converter

log = logging.getLogger(__name__)

# Imported by a notice on first use; imported here, at the service's start, instead.
_NOTICE_MODULES = (
    "pipeline.cases.store", "pipeline.catalog", "pipeline.organisations", "pipeline.jobs.notices",
    "pipeline.units.notices",
    "pipeline.documents.engine", "pipeline.documents.render", "pipeline.documents.stamp",
    "pipeline.units.contexts", "pipeline.units.writer", "pipeline.rules.flow",
    "pipeline.rules.calendar", "pipeline.yamlfile", "qrcode", "qrcode.image.pil", "sqlite3",
    "sqlalchemy.dialects.sqlite", "pipeline.documents.pdftext", "rich.status", "PIL.PngImagePlugin",
    "PIL.JpegImagePlugin",
)  # fmt: skip


class _Stream(io.StringIO):
    """One of the client's output streams: what is written goes to the answer, in order."""

    def __init__(self, name: str, output: list[list[str]], tty: bool) -> None:
        super().__init__()
        self._name = name
        self._output = output
        self._tty = tty

    def write(self, text: str) -> int:
        if self._output and self._output[-1][0] == self._name:
            self._output[-1][1] += text
        else:
            self._output.append([self._name, text])
        return len(text)

    def isatty(self) -> bool:
        return self._tty


def _console(name: str, facts: dict[str, Any], output: list[list[str]]) -> Console:
    """A console laid out as rich would lay it out on the client's stream ``name``."""
    env = {str(key): str(value) for key, value in dict(facts.get("env") or {}).items()}
    tty = bool(list(facts.get("tty") or [False, False])[0 if name == "out" else 1])
    width = height = None
    size = facts.get("size")
    dumb = tty and env.get("TERM", "").lower() in ("dumb", "unknown")
    if isinstance(size, list) and len(size) == 2 and not dumb:
        width, height = int(size[0]), int(size[1])
        width = int(env["COLUMNS"]) if env.get("COLUMNS", "").isdigit() else width
        height = int(env["LINES"]) if env.get("LINES", "").isdigit() else height
        width, height = width or 80, height or 25  # a pseudo-terminal may say 0 × 0
    return Console(
        file=_Stream(name, output, tty),
        width=width,
        height=height,
        force_interactive=False,  # no live spinner: the answer comes at the end
        _environ=env,
    )


class _ThreadLog(logging.Handler):
    """Warnings logged by the request's thread, shown on the client's stderr as Python would."""

    def __init__(self, err: Console) -> None:
        super().__init__(logging.WARNING)
        self._err = err
        self._thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self._thread:
            self._err.file.write(self.format(record) + "\n")


class Jobs:
    """The commands a converter service runs, for the settings it was started with."""

    def __init__(self, settings: Settings) -> None:
        """Import what the commands need; note who the service is."""
        for module in _NOTICE_MODULES:
            importlib.import_module(module)
        self.settings = settings
        self.identity = job_identity(settings)
        self._one_at_a_time = threading.Lock()
        self.done = 0

    def refusal(self, message: dict[str, Any]) -> str | None:
        """Why ``message`` must run in the client's own process, or None."""
        why = job_mismatch(message.get("identity"), self.identity)
        if why is not None:
            return why
        args = message.get("args")
        if not isinstance(args, dict):
            return "no arguments"
        strings = ("out", "shown_out", "operator")
        if not all(isinstance(args.get(key), str) for key in strings):
            return "bad arguments"
        if not all(isinstance(args.get(key), str | None) for key in ("village", "date")):
            return "bad arguments"
        cases = args.get("case_ids")
        if not (isinstance(cases, list) and all(isinstance(case, str) for case in cases)):
            return "bad arguments"
        if not Path(args["out"]).is_absolute():
            return "the output folder must be absolute"
        return None

    def notice(self, message: dict[str, Any], converters: Converter) -> dict[str, Any]:
        """Run ``xwql notice`` as asked (see :meth:`refusal` first); exit status and output."""
        args = message["args"]
        command = NoticeCommand(
            case_ids=list(args["case_ids"]),
            village=args.get("village"),
            date=args.get("date"),
            out=Path(args["out"]),
            operator=args["operator"],
            archive=False,
            shown_out=Path(args["shown_out"]),
        )
        output: list[list[str]] = []
        facts = dict(message.get("console") or {})
        console, err_console = _console("out", facts, output), _console("err", facts, output)
        with self._one_at_a_time:
            started = time.perf_counter()
            handler = _ThreadLog(err_console)
            logging.getLogger().addHandler(handler)
            try:
                print_notices(
                    self.settings, converters, command, console=console, err_console=err_console
                )
                code = 0
            except typer.Exit as exc:
                code = int(exc.exit_code)
            except (XwqlError, OSError) as exc:
                code = expected_failure(exc, err_console)
            except Exception:  # a bug: the traceback the command would show, and the log
                log.exception("xwql notice %s failed", " ".join(command.case_ids))
                err_console.file.write(traceback.format_exc())
                code = 1
            finally:
                logging.getLogger().removeHandler(handler)
                self.done += 1
        log.info(
            "xwql notice %s: exit %d in %.2f s",
            " ".join(command.case_ids) or command.village,
            code,
            time.perf_counter() - started,
        )
        return {"ok": True, "code": code, "output": output}


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.cli._served --data DIR --cwd DIR``: the service, running commands."""
    return run_service(argv, commands=Jobs)


if __name__ == "__main__":
    sys.exit(main())
