"""What a file really is, whatever its name: from the corpus and from files made here."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from pipeline.filetypes import OLE_MAGIC, FileKind, sniff
from tests.conftest import CORPUS, ROOT

LEDGERS = CORPUS / "ledgers"


def _zip(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<x/>")
    return buffer.getvalue()


def _pdf() -> bytes:
    buffer = io.BytesIO()
    with pikepdf.new() as document:
        document.add_blank_page()
        document.save(buffer)
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (lambda: b"", FileKind.EMPTY),
        (lambda: (ROOT / "templates" / "receipt.docx").read_bytes(), FileKind.DOCX),
        (lambda: (LEDGERS / "nasty.xlsx").read_bytes(), FileKind.XLSX),
        (lambda: (LEDGERS / "damaged.xlsx").read_bytes(), FileKind.XLSX),
        (lambda: _zip("mimetype"), FileKind.ZIP),
        (lambda: (LEDGERS / "truncated.xlsx").read_bytes(), FileKind.DAMAGED_ZIP),
        (lambda: (LEDGERS / "encrypted.xlsx").read_bytes(), FileKind.ENCRYPTED),
        (lambda: OLE_MAGIC + bytes(504), FileKind.OLD_OFFICE),
        (_pdf, FileKind.PDF),
        (lambda: b"\r\n" + _pdf(), FileKind.PDF),
        (_png, FileKind.IMAGE),
        (lambda: (LEDGERS / "gbk.csv").read_bytes(), FileKind.TEXT),
        (lambda: (LEDGERS / "utf16.csv").read_bytes(), FileKind.TEXT),
        (lambda: (LEDGERS / "utf8-bom.csv").read_bytes(), FileKind.TEXT),
        (lambda: ("台账" * 3000).encode("utf-8"), FileKind.TEXT),  # the 4 KiB read cuts a 台
        (lambda: bytes(range(256)) * 4, FileKind.OTHER),
    ],
)
def test_sniff_tells_the_kind_whatever_the_name(
    tmp_path: Path, content: Callable[[], bytes], kind: FileKind
) -> None:
    path = tmp_path / "台账.xlsx"
    path.write_bytes(content())
    assert sniff(path) is kind
    assert kind.zh and kind.en
