"""Forms with files, read as they arrive: each file straight to disk, refused past a limit.

FastAPI's own form parsing reads the whole request before a route sees it (its
files spooled to the system's temporary folder, whatever their size). An upload
page takes the body as it streams in instead: each file goes to a file of its own
in a folder the page chooses (inside the data folder), the fields sent before the
files are checked before any file byte is written (the form's CSRF token: a page
puts that field first, as browsers send fields in the form's order), and the
request is refused as soon as its files pass the limit, the rest left unread.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from pipeline.errors import InputInvalid, OutputError
from pipeline.web.messages import UPLOAD_MALFORMED, UPLOAD_NOT_WRITTEN, UPLOAD_TOO_LARGE

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_FIELD = 1024
"""Bytes a plain field may hold: the pages ask no more than a token or a choice."""
FORM_ALLOWANCE = 64 * 1024
"""Bytes a body may hold beyond its files: boundaries, part headers, plain fields."""


class UploadRefused(InputInvalid):
    """A form refused as it came in; ``status`` is the HTTP answer (400, or 413: too large)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Received:
    """A file of the form, on disk.

    Attributes:
        filename: The name the browser gave it (anything: never a path to use as such).
        path: Where it was written.
        size: Its bytes.
    """

    filename: str
    path: Path
    size: int


@dataclass(frozen=True)
class ReceivedForm:
    """The form's plain fields and its files, each by its field's name."""

    fields: dict[str, str]
    files: dict[str, Received]


@dataclass
class _Part:
    """The part being read: its headers, then its field or file."""

    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None  # None: a plain field
    kept: bool = False  # a field or file the page asked for (others are read and dropped)
    data: bytearray = field(default_factory=bytearray)
    size: int = 0


class _FormReader:
    """The parser's callbacks: fields kept in memory, file bytes queued for the disk."""

    def __init__(
        self,
        folder: Path,
        limit: int,
        fields: Collection[str],
        files: Collection[str],
        before_files: Callable[[dict[str, str]], None],
        field_limit: int,
    ) -> None:
        self.folder, self.limit, self.field_limit = folder, limit, field_limit
        self.wanted_fields, self.wanted_files = fields, files
        self.before_files = before_files
        self.checked = False
        self.ended = False
        self.fields: dict[str, str] = {}
        self.files: dict[str, Received] = {}
        self.file_bytes = 0
        self.part = _Part()
        self.header = (bytearray(), bytearray())
        self.pending: list[tuple[str, bytes]] = []  # written by flush(), off the event loop
        self.handles: dict[str, BinaryIO] = {}

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header[0].extend(data[start:end])

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header[1].extend(data[start:end])

    def on_header_end(self) -> None:
        name, value = self.header
        self.part.headers[bytes(name).lower()] = bytes(value)
        self.header = (bytearray(), bytearray())

    def on_headers_finished(self) -> None:
        part = self.part
        _, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise UploadRefused(UPLOAD_MALFORMED())
        part.name = _text(options[b"name"])
        if b"filename" not in options:
            part.kept = part.name in self.wanted_fields
            return
        part.filename = _text(options[b"filename"])
        part.kept = part.name in self.wanted_files
        if part.kept and part.name in self.files:
            raise UploadRefused(UPLOAD_MALFORMED())  # a file field twice: which one was meant?
        self.check()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.size += end - start
        if part.filename is not None:
            self.file_bytes += end - start
            if self.file_bytes > self.limit:
                raise UploadRefused(UPLOAD_TOO_LARGE(limit=self.limit >> 20), status=413)
            if part.kept:
                self.pending.append((part.name, data[start:end]))
        elif part.kept:
            if part.size > self.field_limit:
                raise UploadRefused(UPLOAD_MALFORMED())
            part.data.extend(data[start:end])

    def on_part_end(self) -> None:
        part = self.part
        if not part.kept:
            return
        if part.filename is None:
            self.fields[part.name] = _text(bytes(part.data))
        elif part.filename or part.size:  # a file input left empty sends neither
            self.pending.append((part.name, b""))  # an empty file is still a file
            self.files[part.name] = Received(part.filename, self.folder / part.name, part.size)

    def on_end(self) -> None:
        self.ended = True

    def check(self) -> None:
        """Run the page's check of the fields, once: before the first file, or at the end."""
        if not self.checked:
            self.checked = True
            self.before_files(dict(self.fields))

    def flush(self) -> None:
        """Write the queued file bytes (run in a worker thread).

        Raises:
            OutputError: The folder cannot be written.
        """
        try:
            for name, data in self.pending:
                handle = self.handles.get(name)
                if handle is None:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    handle = self.handles[name] = (self.folder / name).open("wb")
                handle.write(data)
        except OSError as exc:
            raise OutputError(UPLOAD_NOT_WRITTEN(error=exc)) from exc
        finally:
            self.pending.clear()

    def close(self) -> None:
        """Close the files written (the form read, or refused)."""
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()

    @property
    def callbacks(self) -> MultipartCallbacks:
        """The parser's callbacks."""
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }


def _text(raw: bytes) -> str:
    """A field, or a file's name, as browsers send it: UTF-8 (the pages declare it)."""
    return raw.decode("utf-8", errors="replace")


async def receive_form(
    request: Request,
    folder: Path,
    *,
    limit: int,
    fields: Collection[str],
    files: Collection[str],
    before_files: Callable[[dict[str, str]], None],
    field_limit: int = MAX_FIELD,
) -> ReceivedForm:
    """Read a ``multipart/form-data`` body: fields into memory, each file to ``folder``.

    Args:
        request: The request, its body not read yet.
        folder: Where the files go, each as ``folder / <field name>`` (made when the
            first byte comes; the caller removes it, refused or not).
        limit: Bytes the files may hold together.
        fields: The plain fields kept (any other is read and dropped).
        files: The file fields kept (any other is read and dropped); a file input
            left empty in the browser is absent from the result.
        before_files: Called with the fields read so far as the first file begins,
            or at the end if no file came: it raises to refuse the form before any
            file byte is written.
        field_limit: Bytes a plain field may hold (a villager's text needs more
            than a token).

    Returns:
        The fields and files kept.

    Raises:
        UploadRefused: Not a form of files, malformed or cut short, a field over
            ``field_limit`` bytes, a file field twice (400); files over ``limit`` (413).
        OutputError: The folder cannot be written.
    """
    kind, options = parse_options_header(request.headers.get("content-type"))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadRefused(UPLOAD_MALFORMED())
    most = limit + FORM_ALLOWANCE
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > most:
        raise UploadRefused(UPLOAD_TOO_LARGE(limit=limit >> 20), status=413)
    reader = _FormReader(folder, limit, fields, files, before_files, field_limit)
    read = 0
    try:
        parser = MultipartParser(options[b"boundary"], reader.callbacks)
        async for chunk in request.stream():
            read += len(chunk)
            if read > most:  # a body whose length was not declared, or was declared wrong
                raise UploadRefused(UPLOAD_TOO_LARGE(limit=limit >> 20), status=413)
            parser.write(chunk)
            if reader.pending:
                await run_in_threadpool(reader.flush)
    except FormParserError as exc:
        raise UploadRefused(UPLOAD_MALFORMED()) from exc
    finally:
        reader.close()
    if not reader.ended:
        raise UploadRefused(UPLOAD_MALFORMED())  # the body stopped before its last boundary
    reader.check()
    return ReceivedForm(reader.fields, reader.files)
