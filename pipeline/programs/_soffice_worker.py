"""A LibreOffice worker process: keeps one LibreOffice warm and converts on request.

Run by ``pipeline.programs.soffice`` as ``python -m pipeline.programs._soffice_worker``
under a Python that can import ``uno``. It speaks JSON lines: one request
``{"source": ..., "target": ..., "destinations": false}`` on stdin, one reply ``{"ok": true}`` or
``{"ok": false, "error": ...}`` on stdout. Its own LibreOffice is started with a
private profile and a private pipe, and ends with the worker: when stdin
closes, and also when the worker's parent dies while LibreOffice hangs (a
watchdog thread sees the worker handed to another parent). The pipe's socket
file LibreOffice leaves in ``/tmp`` is removed then too.

Before export it turns off LibreOffice's automatic gap between Chinese and Latin
text (DOCX import ignores ``w:autoSpaceDE``), so dates print as 2026年11月24日.
With ``destinations`` the document's bookmarks become PDF named destinations
(how a joined batch of documents is cut apart again).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found,unused-ignore]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found,unused-ignore]

from pipeline.programs._office_pipe import remove_pipe_file

_CONNECT_SECONDS = 90.0
_PARENT_POLL_SECONDS = 0.5
# PDF/A-2b, fonts embedded, headings as bookmarks; untagged (collation merges files).
_PDF_FILTER_DATA = {
    "SelectPdfVersion": 2,
    "ExportBookmarks": True,
    "EmbedStandardFonts": True,
    "UseTaggedPDF": False,
}


def _property(name: str, value: Any) -> Any:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _connect(pipe: str) -> Any:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + _CONNECT_SECONDS
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context
            )
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _office_pid(launcher: int) -> int:
    """PID of ``soffice.bin`` itself: ``soffice`` is a launcher that forks it."""
    try:
        # Any thread of the launcher may have forked it.
        for task in Path(f"/proc/{launcher}/task").iterdir():
            for child in (task / "children").read_text().split():
                if Path(f"/proc/{child}/comm").read_text().strip() == "soffice.bin":
                    return int(child)
    except OSError:
        pass
    return launcher


def _no_autospace(document: Any) -> None:
    # Every paragraph style inherits from the default one ("Standard", Word's Normal)
    # and DOCX import sets the property nowhere else; one remote call per document
    # instead of one per style or paragraph.
    styles = document.StyleFamilies.getByName("ParagraphStyles")
    styles.getByName("Standard").ParaIsCharacterDistance = False


def _convert(desktop: Any, source: str, target: str, *, destinations: bool = False) -> None:
    document = desktop.loadComponentFromURL(
        Path(source).resolve().as_uri(), "_blank", 0,
        (_property("Hidden", True), _property("ReadOnly", True)),
    )  # fmt: skip
    if document is None:
        raise RuntimeError("LibreOffice could not open the file")
    try:
        if not document.supportsService("com.sun.star.text.TextDocument"):
            raise RuntimeError("not a text document")
        _no_autospace(document)
        filter_data = uno.Any(
            "[]com.sun.star.beans.PropertyValue",
            tuple(
                _property(k, v)
                for k, v in (
                    _PDF_FILTER_DATA | {"ExportBookmarksToPDFDestination": destinations}
                ).items()
            ),
        )
        document.storeToURL(
            Path(target).resolve().as_uri(),
            (_property("FilterName", "writer_pdf_Export"), _property("FilterData", filter_data)),
        )
    finally:
        document.close(True)


class _Office:
    """The worker's LibreOffice, ended once: by the end of the worker or by its watchdog."""

    def __init__(self, process: subprocess.Popen[bytes], pipe: str) -> None:
        self.process = process
        self.pid = process.pid  # soffice.bin, once known (see _office_pid)
        self.pipe = pipe
        self._lock = threading.Lock()

    def end(self) -> None:
        """Kill LibreOffice and remove its pipe's socket file."""
        with self._lock:
            if self.pid == self.process.pid and self.process.poll() is None:
                self.pid = _office_pid(self.process.pid)  # ended before it was known
            # soffice.bin is the launcher's child: killing the launcher alone would leave
            # it running when this worker ends because xwql died (stdin closed).
            for pid in (self.pid, self.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()
            remove_pipe_file(self.pipe)


def _watch_parent(parent: int, office: _Office) -> None:
    """End LibreOffice and this worker once the parent that started it is gone.

    A worker waiting on a hung LibreOffice never reads that its stdin closed;
    orphaned, it is handed to another parent, which this notices.
    """
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    office.end()
    os._exit(1)


_BRIDGE_FAILURES = frozenset({"DisposedException"})


def bridge_broken(exc: BaseException) -> bool:
    """Whether ``exc`` says the UNO connection itself is broken, not the document.

    After a kill, pyuno can answer a call with ``AttributeError:
    createTypeDescriptionEnumeration`` or a disposed bridge: the office is of no more
    use, so the worker ends and its parent starts a fresh one and retries the
    document; a document LibreOffice cannot read is an ``IOException`` and is reported.
    """
    # UNO's exception classes are named after their IDL type (com.sun.star.lang.…).
    names = {kind.__name__.rsplit(".", 1)[-1] for kind in type(exc).__mro__}
    return isinstance(exc, AttributeError) or bool(names & _BRIDGE_FAILURES)


def _reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> int:
    """Start LibreOffice, then serve conversion requests until stdin closes."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--soffice", required=True)
    parser.add_argument("--profile", required=True, type=Path)
    parser.add_argument("--pipe", required=True)
    args = parser.parse_args()
    parent = os.getppid()
    process = subprocess.Popen(
        [
            args.soffice, f"-env:UserInstallation={args.profile.resolve().as_uri()}",
            "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
            "--nolockcheck", f"--accept=pipe,name={args.pipe};urp;StarOffice.ComponentContext",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    office = _Office(process, args.pipe)
    threading.Thread(target=_watch_parent, args=(parent, office), daemon=True).start()
    try:
        desktop = _connect(args.pipe)
        office.pid = _office_pid(process.pid)
        _reply({"ready": True, "soffice_pid": office.pid})
        for line in sys.stdin:
            request = json.loads(line)
            try:
                _convert(
                    desktop,
                    request["source"],
                    request["target"],
                    destinations=request.get("destinations", False),
                )
            except Exception as exc:  # a UNO error is reported; a dead office ends the loop
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=1)
                if process.poll() is not None or bridge_broken(exc):
                    _reply({"ok": False, "error": f"LibreOffice died: {exc}", "crashed": True})
                    return 1
                _reply({"ok": False, "error": str(exc) or type(exc).__name__})
            else:
                _reply({"ok": True})
        return 0
    finally:
        office.end()


if __name__ == "__main__":
    sys.exit(main())
